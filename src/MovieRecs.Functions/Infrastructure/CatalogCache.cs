using MovieRecs.Core.Catalog;

namespace MovieRecs.Functions.Infrastructure;

/// <summary>
/// The movie catalog every instance holds in memory: listing and search never touch storage.
/// Replaced as a whole when the stored catalog's version changes (an import); per-movie rating
/// aggregates are updated in place.
/// </summary>
public sealed class CatalogCache
{
    volatile Snapshot? _snapshot;

    sealed record Snapshot(MovieCatalog Catalog, long Version, DateTimeOffset LoadedAt);

    public MovieCatalog? Current => _snapshot?.Catalog;
    public long? Version => _snapshot?.Version;
    public DateTimeOffset? LoadedAt => _snapshot?.LoadedAt;

    /// <summary>The loaded catalog, or a 503 while the first load has not finished.</summary>
    public MovieCatalog Require() =>
        _snapshot?.Catalog ?? throw new ServiceUnavailableException("The movie catalog is still loading; retry shortly.");

    public void Replace(MovieCatalog catalog, long version) =>
        _snapshot = new Snapshot(catalog, version, DateTimeOffset.UtcNow);
}
