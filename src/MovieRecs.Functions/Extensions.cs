using System.Text.Json;
using Azure.Core;
using MovieRecs.Core.Store;
using MovieRecs.Functions.Discovery;
using MovieRecs.Functions.Engine;
using MovieRecs.Functions.Infrastructure;
using MovieRecs.Storage.Tables;

namespace MovieRecs.Functions;

public static class Extensions
{
    /// <summary>The storage the app uses: the Functions setting AzureWebJobsStorage, development storage by default.</summary>
    public static string StorageConnectionString(this IConfiguration configuration) =>
        configuration["AzureWebJobsStorage"] is { Length: > 0 } value ? value : "UseDevelopmentStorage=true";

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

        // Fail fast when storage is down: a request should get its 503 in well under a second or two.
        services.AddSingleton(sp => new MovieStore(sp.GetRequiredService<IConfiguration>().StorageConnectionString(), new TableClientOptions
        {
            Retry = { MaxRetries = 2, Delay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromSeconds(1), Mode = RetryMode.Exponential, NetworkTimeout = TimeSpan.FromSeconds(10) },
        }));
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
