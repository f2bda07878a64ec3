using System.Globalization;
using MovieRecs.Core.Catalog;

namespace MovieRecs.Core.Discovery;

/// <summary>A genre in a user's profile.</summary>
/// <param name="Score">Sum of the user's ratings (stars) of movies in the genre.</param>
/// <param name="Share">Score ÷ the sum of all genres' scores (shares sum to 1).</param>
/// <param name="Count">The user's rated movies in the genre.</param>
/// <param name="MeanRating">Score ÷ Count.</param>
public readonly record struct GenreAffinity(string Genre, double Score, double Share, int Count, double MeanRating);

/// <param name="RatingCount">Number of ratings.</param>
/// <param name="MeanRating">Mean rating, or null without ratings.</param>
/// <param name="FirstRatedAt">Time of the earliest rating (UTC), or null.</param>
/// <param name="LastRatedAt">Time of the latest rating (UTC), or null.</param>
/// <param name="Distribution">Ratings per half-star value: always the ten keys "0.5", "1.0" … "5.0", ascending.</param>
/// <param name="FavouriteGenres">Every genre the user rated, highest score first (ties: more ratings, then name).</param>
public sealed record UserAnalyticsReport(
    int RatingCount,
    double? MeanRating,
    DateTimeOffset? FirstRatedAt,
    DateTimeOffset? LastRatedAt,
    IReadOnlyDictionary<string, int> Distribution,
    IReadOnlyList<GenreAffinity> FavouriteGenres);

/// <summary>
/// A summary of a user's ratings.
/// </summary>
/// <remarks>
/// Favourite genres are weighted by rating: a genre scores the sum of the stars the user gave its movies (a movie
/// with several genres adds to each), so a 5★ adds ten times what a ½★ does and genres the user both watches often and
/// rates well come first; Share makes scores comparable between users. Ratings of movies no longer in the catalog
/// (deleted by an admin) are left out everywhere, as they are from every list of ratings the API serves. A rating off the half-star grid is counted at the nearest half star within 0.5..5.0.
/// </remarks>
public static class UserAnalytics
{
    /// <summary>The distribution's keys, ascending.</summary>
    public static IReadOnlyList<string> HalfStarKeys { get; } =
        [.. Enumerable.Range(1, 10).Select(h => (h / 2.0).ToString("0.0", CultureInfo.InvariantCulture))];

    public static UserAnalyticsReport Compute(MovieCatalog catalog, UserHistory user)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(user);
        var shape = CatalogRankings.For(catalog).Shape;
        var perHalf = new int[10];
        var genreSum = new double[shape.GenreNames.Length];
        var genreCount = new int[shape.GenreNames.Length];
        var sum = 0.0;
        long first = long.MaxValue, last = long.MinValue;
        var n = 0;
        foreach (var r in user.Ratings)
        {
            if (!shape.IndexById.TryGetValue(r.MovieId, out var i))
                continue;
            n++;
            sum += r.Rating;
            first = Math.Min(first, r.UnixTime);
            last = Math.Max(last, r.UnixTime);
            var halves = double.IsFinite(r.Rating) ? (int)Math.Clamp(Math.Round(r.Rating * 2, MidpointRounding.AwayFromZero), 1, 10) : 1;
            perHalf[halves - 1]++;
            foreach (var g in shape.MovieGenres[i])
            {
                genreSum[g] += r.Rating;
                genreCount[g]++;
            }
        }

        var distribution = new Dictionary<string, int>(10);
        for (var h = 0; h < 10; h++)
            distribution[HalfStarKeys[h]] = perHalf[h];

        var total = genreSum.Sum();
        var genres = new List<GenreAffinity>();
        for (var g = 0; g < genreSum.Length; g++)
            if (genreCount[g] > 0)
                genres.Add(new GenreAffinity(shape.GenreNames[g], genreSum[g], total > 0 ? genreSum[g] / total : 0, genreCount[g], genreSum[g] / genreCount[g]));
        genres.Sort((a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score)
            : a.Count != b.Count ? b.Count.CompareTo(a.Count) : string.CompareOrdinal(a.Genre, b.Genre));

        return new UserAnalyticsReport(
            n,
            n == 0 ? null : sum / n,
            n == 0 ? null : DateTimeOffset.FromUnixTimeSeconds(first),
            n == 0 ? null : DateTimeOffset.FromUnixTimeSeconds(last),
            distribution,
            genres);
    }
}
