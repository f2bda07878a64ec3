using Microsoft.AspNetCore.Http.HttpResults;
using MovieRecs.Core.Store;
using MovieRecs.Functions.Infrastructure;

namespace MovieRecs.Functions.Health;

public sealed record HealthReport(string Status, string Storage, CatalogHealth? Catalog, string? Error);

public sealed record CatalogHealth(long Version, int Movies, int Genres, DateTimeOffset LoadedAt);

public static class HealthApi
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder api)
    {
        api.MapGet("/health", CheckAsync).WithName("Health").WithTags("Health")
            .WithSummary("Storage reachable and catalog loaded: 200, otherwise 503.");
        return api;
    }

    static async Task<JsonHttpResult<HealthReport>> CheckAsync(MovieStore store, CatalogCache cache, HttpResponse response, CancellationToken cancellationToken)
    {
        var storageReachable = true;
        string? error = null;
        try
        {
            await store.GetCatalogStateAsync(cancellationToken);
        }
        catch (Exception e) when (ProblemExceptionHandler.IsUnavailable(e))
        {
            storageReachable = false;
            error = "storage unreachable: " + e.Message;
        }
        var catalog = cache.Current is { } c
            ? new CatalogHealth(cache.Version ?? 0, c.Count, c.Genres.Count, cache.LoadedAt ?? default)
            : null;
        error ??= catalog is null ? "catalog not loaded yet" : null;
        var healthy = error is null;
        if (!healthy)
            response.Headers.RetryAfter = ProblemExceptionHandler.RetryAfterSeconds.ToString();
        var report = new HealthReport(healthy ? "healthy" : "unhealthy", storageReachable ? "reachable" : "unreachable", catalog, error);
        return TypedResults.Json(report, statusCode: healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }
}
