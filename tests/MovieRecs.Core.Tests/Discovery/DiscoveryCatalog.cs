using MovieRecs.Core.Catalog;

namespace MovieRecs.Core.Tests.Discovery;

/// <summary>Hand-made catalogs for the discovery tests.</summary>
static class DiscoveryCatalog
{
    /// <summary>A catalog of the given movies ("Drama|Comedy" genres) with exact stats.</summary>
    public static MovieCatalog Build(params (int Id, string Genres, int Ratings, double Average, int Watches)[] movies)
    {
        var catalog = new MovieCatalog(movies.Select(m => Movie.Create(m.Id, $"Movie {m.Id} (2000)", MovieGenres.ParseList(m.Genres))));
        foreach (var m in movies)
            catalog.SetStats(m.Id, new MovieStats(m.Ratings, (long)Math.Round(m.Average * 2 * m.Ratings), m.Watches));
        return catalog;
    }

    /// <summary>A movie whose popularity is 0.3 × watches (no ratings), for hand-computable popularity orders.</summary>
    public static (int, string, int, double, int) Watched(int id, string genres, int watches) => (id, genres, 0, 0, watches);
}
