using MovieRecs.Functions.Infrastructure;

namespace MovieRecs.Functions.Admin;

public sealed record CatalogReloaded(long? Version, int Movies);

public static class AdminApi
{
    public static IEndpointRouteBuilder MapAdmin(this IEndpointRouteBuilder api)
    {
        var admin = api.MapGroup("/rest/v1/admin").WithTags("Admin").RequireAdminKey();
        admin.MapPost("/catalog/reload", ReloadAsync).WithName("ReloadCatalog")
            .WithSummary("Reload the catalog from storage now instead of at the next poll.");
        return api;
    }

    static async Task<IResult> ReloadAsync(CatalogSync sync, CatalogCache cache, CancellationToken cancellationToken)
    {
        await sync.RefreshAsync(cancellationToken);
        return TypedResults.Ok(new CatalogReloaded(cache.Version, cache.Current?.Count ?? 0));
    }
}
