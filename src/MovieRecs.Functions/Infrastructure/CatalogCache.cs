using MovieRecs.Core.Catalog;
using MovieRecs.Core.Store;

namespace MovieRecs.Functions.Infrastructure;

/// <summary>
/// The movie catalog every instance holds in memory: listing and search never touch storage.
/// Replaced as a whole when the stored catalog's version changes (an import or an admin edit); per-movie rating
/// aggregates are updated in place.
/// </summary>
public sealed class CatalogCache
{
    volatile Snapshot? _snapshot;

    sealed record Snapshot(MovieCatalog Catalog, long Version, long Edits, IReadOnlyList<Genre> Genres, DateTimeOffset LoadedAt);

    public MovieCatalog? Current => _snapshot?.Catalog;
    public long? Version => _snapshot?.Version;
    /// <summary>Admin edits since the import <see cref="Version"/> that the loaded catalog includes.</summary>
    public long? Edits => _snapshot?.Edits;
    /// <summary>Every genre with its id (also those no movie carries), by name; loaded with the catalog.</summary>
    public IReadOnlyList<Genre> Genres => _snapshot?.Genres ?? [];
    public DateTimeOffset? LoadedAt => _snapshot?.LoadedAt;

    /// <summary>The loaded catalog, or a 503 while the first load has not finished.</summary>
    public MovieCatalog Require() =>
        _snapshot?.Catalog ?? throw new ServiceUnavailableException("The movie catalog is still loading; retry shortly.");

    public void Replace(MovieCatalog catalog, long version, long edits = 0, IReadOnlyList<Genre>? genres = null) =>
        _snapshot = new Snapshot(catalog, version, edits, genres ?? [], DateTimeOffset.UtcNow);
}
