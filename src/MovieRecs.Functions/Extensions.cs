using System.Text.Json;
using MovieRecs.Core.Store;
using MovieRecs.Functions.Accounts;
using MovieRecs.Functions.Admin;
using MovieRecs.Functions.Catalog;
using MovieRecs.Functions.Discovery;
using MovieRecs.Functions.Engine;
using MovieRecs.Functions.Health;
using MovieRecs.Functions.Hosting;
using MovieRecs.Functions.Infrastructure;
using MovieRecs.Functions.Movies;
using MovieRecs.Functions.Preferences;
using MovieRecs.Functions.Ratings;
using MovieRecs.Functions.Users;
using MovieRecs.Functions.WebApp;

namespace MovieRecs.Functions;

public static class Extensions
{
    /// <summary>
    /// The endpoint table: every route of the API, under the Functions <c>api/</c> prefix. Standalone, Kestrel routes to it;
    /// under the Functions host, each <c>[Function]</c> of the same name runs its endpoint (<see cref="FunctionEndpoints"/>).
    /// </summary>
    public static void MapApi(this IEndpointRouteBuilder root)
    {
        var api = root.MapGroup("/api");
        api.MapMovies();
        api.MapMovieLists();
        api.MapCatalogAdmin();
        api.MapAccounts();
        api.MapUsers();
        api.MapRatings();
        api.MapPreferences();
        api.MapEngine();
        api.MapDiscovery();
        api.MapSimilarAndClusters();
        api.MapFilmes();   // the Portuguese front end's routes
        api.MapHealth();
        api.MapAdmin();
        api.MapApiDocs();
        api.MapWebApp();   // the front end (wwwroot) at /api/web/
    }

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;

        services.AddRouting();
        services.AddSingleton<FunctionEndpoints>();
        services.AddProblemDetails();
        services.AddExceptionHandler<ProblemExceptionHandler>();
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, AppJsonContext.Default);
        });
        // Any origin may call the API (bearer tokens and the admin key travel in headers, never cookies). A page on another
        // origin must read Location (the training run to follow) and Retry-After: those are exposed.
        services.AddCors(o => o.AddDefaultPolicy(p => p.AllowAnyOrigin().AllowAnyHeader().AllowAnyMethod()
            .WithExposedHeaders("Location", "Retry-After")));
        services.AddOpenApi(o => o.AddDocumentTransformer<SecuritySchemes>());
        services.AddRateLimits(builder.Configuration);
        services.AddSingleton(TimeProvider.System);

        services.AddStorageClients(builder.Configuration);
        services.AddSingleton(sp => new MovieStore(sp.GetRequiredService<StorageAccount>()));
        services.AddSingleton(sp => new GenreStore(sp.GetRequiredService<MovieStore>()));
        services.AddSingleton(sp => new CatalogEditor(sp.GetRequiredService<MovieStore>()));
        services.AddSingleton<CatalogCache>();
        services.AddSingleton(sp => RatingsSettings.From(sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton(sp => new UserStore(sp.GetRequiredService<MovieStore>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<RatingsSettings>().UserIdBlockSize));
        services.AddSingleton<MovieRecs.Functions.Ratings.UserRatingsResponses>();
        services.AddSingleton(sp => new PreferenceStore(sp.GetRequiredService<MovieStore>(), sp.GetRequiredService<TimeProvider>()));
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
        services.AddSingleton<CatalogChanges>();
        builder.AddAccounts();
        builder.AddEngine();
        builder.AddDiscovery();
    }
}
