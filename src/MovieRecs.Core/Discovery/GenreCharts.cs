using MovieRecs.Core.Catalog;

namespace MovieRecs.Core.Discovery;

/// <summary>A movie's place in a genre chart.</summary>
/// <param name="WeightedRating">The Bayesian average the chart ranks by (see <see cref="GenreCharts"/>).</param>
/// <param name="AverageRating">The plain mean of the movie's ratings.</param>
/// <param name="RatingCount">Number of ratings; below <see cref="GenreCharts.MinRatings"/> only in a chart that has too few movies above it.</param>
public readonly record struct GenreChartEntry(int MovieId, double WeightedRating, double AverageRating, int RatingCount);

/// <summary>A genre chart, or (when <see cref="Found"/> is false) the answer to an unknown genre.</summary>
/// <param name="Genre">The catalog's spelling of the genre ("Sci-Fi"), or null when the input matched no genre.</param>
/// <param name="Movies">Best first; empty for an unknown genre.</param>
/// <param name="KnownGenres">The catalog's genres, sorted by name: what a 404 can offer instead.</param>
public sealed record GenreChart(string? Genre, IReadOnlyList<GenreChartEntry> Movies, int MinRatings, IReadOnlyList<string> KnownGenres)
{
    public bool Found => Genre is not null;
}

/// <summary>
/// The best movies of a genre.
/// </summary>
/// <remarks>
/// <para>Ranked by a Bayesian average that adds <see cref="MinRatings"/> ratings of the catalog's global mean C to the
/// movie's own n ratings of mean R: (n·R + m·C) / (n + m) with m = <see cref="MinRatings"/> (the IMDb "weighted
/// rating", where m is also the minimum to be listed). Movies with fewer than m ratings come only after every movie
/// that has them, so a small catalog (demo data, a fresh install) still gets a full chart, ordered the same way.
/// Unrated movies are never listed. Ties: more ratings, lower id.</para>
/// <para>Genre names resolve as <see cref="MovieCatalog.TryResolveGenre"/> does: case, accents, spaces and punctuation
/// ignored ("sci-fi", "SCI FI", "scifi", "Sci-Fi"), plurals ("comedies") and a few aliases ("science fiction").
/// Translations ("Comédie") are not genres of the catalog and do not resolve.</para>
/// <para>Orders are precomputed per genre and refreshed in the background when the stats change (at most about once
/// a second), so a call costs microseconds and a chart may lag the latest ratings by a second or two.</para>
/// </remarks>
public static class GenreCharts
{
    /// <summary>
    /// Ratings a movie needs to rank on merit, and the weight of the prior. 25: on ml-latest-small about 1,000 of
    /// 9,700 movies qualify (the well-known ones); with fewer, a single enthusiastic rater can top a chart.
    /// </summary>
    public const int MinRatings = 25;

    public const int MaxLimit = 100;

    /// <summary>The chart of <paramref name="genre"/> (any spelling), at most <paramref name="limit"/> movies (1..100).</summary>
    public static GenreChart Compute(MovieCatalog catalog, string? genre, int limit)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, MaxLimit);
        var rankings = CatalogRankings.For(catalog).Current;
        var known = rankings.Shape.GenreNames;
        if (!catalog.TryResolveGenre(genre, out var canonical) || rankings.Shape.GenreId(canonical) is var g && g < 0)
            return new GenreChart(null, [], MinRatings, known);

        var order = rankings.GenreChartOrder[g];
        var entries = new GenreChartEntry[Math.Min(limit, order.Length)];
        for (var k = 0; k < entries.Length; k++)
        {
            var i = order[k];
            var s = rankings.Stats[i];
            entries[k] = new GenreChartEntry(rankings.MovieId(i), rankings.ChartScore[i], s.AverageRating ?? 0, s.Count);
        }
        return new GenreChart(known[g], entries, MinRatings, known);
    }

    /// <summary>(n·R + m·C) / (n + m) with m = <see cref="MinRatings"/>; 0 for an unrated movie.</summary>
    internal static double WeightedRating(MovieStats stats, double globalMean) =>
        stats.Count == 0 ? 0 : (stats.Sum + MinRatings * globalMean) / (stats.Count + MinRatings);
}
