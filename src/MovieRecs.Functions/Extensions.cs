using System.Text.Json;
using MovieRecs.Core.Store;
using MovieRecs.Functions.Discovery;
using MovieRecs.Functions.Engine;
using MovieRecs.Functions.Infrastructure;

namespace MovieRecs.Functions;

public static class Extensions
{
    public static void AddApplicationServices(this WebApplicationBuilder builder)
    {
        var services = builder.Services;

        services.AddProblemDetails();
        services.AddExceptionHandler<ProblemExceptionHandler>();
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, AppJsonContext.Default);
        });
        services.AddCors(o => o.AddDefaultPolicy(p => p.AllowAnyOrigin().AllowAnyHeader().AllowAnyMethod()));
        services.AddOpenApi();
        services.AddSingleton(TimeProvider.System);

        services.AddStorageClients(builder.Configuration);
        services.AddSingleton(sp => new MovieStore(sp.GetRequiredService<StorageAccount>()));
        services.AddSingleton<CatalogCache>();
        services.AddSingleton(sp => RatingsSettings.From(sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton(sp => new UserStore(sp.GetRequiredService<MovieStore>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<RatingsSettings>().UserIdBlockSize));
        services.AddSingleton<MovieRecs.Functions.Ratings.UserRatingsResponses>();
        services.AddSingleton(sp =>
        {
            var cache = sp.GetRequiredService<CatalogCache>();
            return new RatingStore(sp.GetRequiredService<MovieStore>(), new UserRatingsCache(sp.GetRequiredService<RatingsSettings>().UserCacheMaxUsers, sp.GetRequiredService<RatingsSettings>().UserCacheMaxRows),
                sp.GetRequiredService<TimeProvider>())
            {
                // The instance that writes knows the exact new aggregates: its lists and listings show them at once.
                StatsChanged = (movieId, stats) => cache.Current?.SetStats(movieId, stats),
            };
        });

        // Order matters: the emulator must be up before anything talks to storage.
        services.AddHostedService<DevelopmentStorage>();
        services.AddSingleton<CatalogSync>();
        services.AddHostedService(sp => sp.GetRequiredService<CatalogSync>());
        builder.AddEngine();
        builder.AddDiscovery();
    }
}
