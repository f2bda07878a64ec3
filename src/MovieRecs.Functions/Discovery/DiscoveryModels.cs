using MovieRecs.Core.Catalog;
using MovieRecs.Core.Engine;
using MovieRecs.Functions.Movies;

namespace MovieRecs.Functions.Discovery;

/// <summary>A movie in a genre chart: the listing's movie object plus the weighted rating the chart ranks by.</summary>
public sealed record GenreChartMovie(
    int Id, string Title, int? Year, IReadOnlyList<string> Genres, string ThumbnailUrl,
    string? ImdbId, int? TmdbId, double? AvgRating, long TotalRatings, double WeightedRating);

/// <param name="Genre">The catalog's spelling of the genre asked for ("sci-fi" → "Sci-Fi").</param>
/// <param name="MinRatings">Ratings a movie needs to rank on merit (fewer: listed only after all that have them).</param>
public sealed record GenreChartPage(string Genre, int MinRatings, IReadOnlyList<GenreChartMovie> Movies);

/// <summary>A trending movie: the listing's movie object plus its decayed activity score and its ratings in the window.</summary>
public sealed record TrendingMovieItem(
    int Id, string Title, int? Year, IReadOnlyList<string> Genres, string ThumbnailUrl,
    string? ImdbId, int? TmdbId, double? AvgRating, long TotalRatings, double TrendingScore, int RatingsInWindow);

/// <param name="Window">day, week or month.</param>
/// <param name="AsOf">The end of the window (UTC).</param>
/// <param name="Anchor">"now", or "newest_rating" when nothing was rated in the window before now (an old imported data set).</param>
/// <param name="HalfLifeHours">A rating this old counts half as much as one at <paramref name="AsOf"/>.</param>
public sealed record TrendingMovies(string Window, DateTime AsOf, string Anchor, double HalfLifeHours, IReadOnlyList<TrendingMovieItem> Movies);

public sealed record PersonalizedItem(int MovieId, string Title, double Score, string Reason);

/// <param name="ModelVersion">The model that contributed, or null when the list is genre and popularity only.</param>
public sealed record PersonalizedRecommendations(int UserId, string? ModelVersion, IReadOnlyList<PersonalizedItem> Recommendations);

public sealed record FavouriteGenre(string Genre, double Score, double Share, int Count, double MeanRating);

/// <param name="RatingDistribution">Ratings per half star: always the ten keys "0.5" … "5.0".</param>
/// <param name="FavouriteGenres">Every genre the user rated, weighted by the stars given (bounded by the catalog's genres).</param>
public sealed record UserAnalyticsResponse(
    int UserId, int RatingCount, double? MeanRating, DateTime? FirstRatedAt, DateTime? LastRatedAt,
    IReadOnlyDictionary<string, int> RatingDistribution, IReadOnlyList<FavouriteGenre> FavouriteGenres);

/// <summary>One model version: its stored manifest (parameters, data counts, hold-out metrics) and whether it is served.</summary>
public sealed record ModelVersionManifest(string Version, bool Active, ModelManifest Manifest);

static class DiscoveryMapping
{
    public static GenreChartMovie ToChartMovie(MovieSummary s, double weightedRating) =>
        new(s.Id, s.Title, s.Year, s.Genres, s.ThumbnailUrl, s.ImdbId, s.TmdbId, s.AvgRating, s.TotalRatings, Math.Round(weightedRating, 4));

    public static TrendingMovieItem ToTrendingItem(MovieSummary s, double score, int ratings) =>
        new(s.Id, s.Title, s.Year, s.Genres, s.ThumbnailUrl, s.ImdbId, s.TmdbId, s.AvgRating, s.TotalRatings, Math.Round(score, 4), ratings);

    public static MovieSummary Summary(MovieCatalog catalog, Movie movie, HttpRequest request) =>
        MovieMapping.ToSummary(movie, catalog.GetStats(movie.Id), request);
}
