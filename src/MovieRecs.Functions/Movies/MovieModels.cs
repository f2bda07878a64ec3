using System.Text.Json.Serialization;
using MovieRecs.Core.Catalog;

namespace MovieRecs.Functions.Movies;

/// <summary>A movie as listings show it (snake_case on the wire).</summary>
public sealed record MovieSummary(
    int Id, string Title, int? Year, IReadOnlyList<string> Genres, string ThumbnailUrl,
    string? ImdbId, int? TmdbId, double? AvgRating, long TotalRatings);

/// <summary>The full movie: the summary plus tags and watch count.</summary>
public sealed record MovieDetails(
    int Id, string Title, int? Year, IReadOnlyList<string> Genres, string ThumbnailUrl,
    string? ImdbId, int? TmdbId, double? AvgRating, long TotalRatings, long WatchCount, IReadOnlyList<string> Tags);

public sealed record MoviesPage(IReadOnlyList<MovieSummary> Movies, int Total, int Page, int Limit);

/// <summary>The shape the existing front end reads from /api/movies/{id}.</summary>
public sealed record LegacyMovie(
    [property: JsonPropertyName("id")] int Id,
    [property: JsonPropertyName("title")] string Title,
    [property: JsonPropertyName("thumbnailUrl")] string ThumbnailUrl,
    [property: JsonPropertyName("genres")] IReadOnlyList<string> Genres);

public sealed record MovieAverageRating(int MovieId, string Title, double? AvgRating, long TotalRatings);

/// <summary>A genre: its stable id, name, and how many movies carry it.</summary>
public sealed record GenreCount(int Id, string Name, int MovieCount);

public sealed record GenresList(IReadOnlyList<GenreCount> Genres);

static class MovieMapping
{
    /// <summary>A real poster when the catalog knows one, otherwise the poster we draw ourselves.</summary>
    public static string ThumbnailUrl(Movie movie, HttpRequest request) =>
        movie.PosterUrl ?? $"{request.Scheme}://{request.Host}{request.PathBase}/api/rest/v1/movies/{movie.Id}/poster.svg";

    public static MovieSummary ToSummary(Movie movie, MovieStats stats, HttpRequest request) =>
        new(movie.Id, movie.Title, movie.Year, movie.Genres, ThumbnailUrl(movie, request),
            movie.ImdbId, movie.TmdbId, stats.AverageRating, stats.Count);

    public static MovieDetails ToDetails(Movie movie, MovieStats stats, HttpRequest request) =>
        new(movie.Id, movie.Title, movie.Year, movie.Genres, ThumbnailUrl(movie, request),
            movie.ImdbId, movie.TmdbId, stats.AverageRating, stats.Count, stats.WatchCount, movie.Tags);
}
