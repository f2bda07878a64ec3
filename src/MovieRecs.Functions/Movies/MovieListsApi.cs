using Microsoft.AspNetCore.Http.HttpResults;
using MovieRecs.Core.Catalog;
using MovieRecs.Core.Store;
using MovieRecs.Functions.Infrastructure;

namespace MovieRecs.Functions.Movies;

public sealed record MovieList(IReadOnlyList<MovieSummary> Movies);

public sealed record MovieRating(long RatingId, int UserId, int MovieId, double Rating, DateTime Timestamp,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Review = null);

public sealed record MovieRatingsPage(IReadOnlyList<MovieRating> Ratings, int Total, int Page, int Limit);

/// <summary>Lists ranked from the in-memory aggregates, and a movie's ratings.</summary>
public static class MovieListsApi
{
    public static IEndpointRouteBuilder MapMovieLists(this IEndpointRouteBuilder api)
    {
        // Literal segments win over /movies/{id:int} (and "popular" is no int anyway).
        var v1 = api.MapGroup("/rest/v1").WithTags("Movies");
        v1.MapGet("/movies/popular", Popular).WithName("ListPopularMovies")
            .WithSummary("Popularity = average rating × 0.7 + watch count × 0.3, among movies with at least MovieRecs:PopularMinVotes ratings (default 5).");
        v1.MapGet("/movies/top-rated", TopRated).WithName("ListTopRatedMovies")
            .WithSummary("Movies averaging at least 3.0, ranked by a Bayesian average (10 ratings of the global mean added).");
        v1.MapGet("/movies/most-watched", MostWatched).WithName("ListMostWatchedMovies")
            .WithSummary("Most watched (rated or marked watched) first.");
        v1.MapGet("/movies/{id:int}/ratings", GetRatingsAsync).WithName("GetMovieRatings")
            .WithSummary("The movie's ratings in user-id order (stable while ratings arrive); limit 1..100 (default 20), page from 1.");
        return api;
    }

    static Results<Ok<MovieList>, ValidationProblem> Popular(string? limit, CatalogCache cache, RatingsSettings settings, HttpRequest request) =>
        List(limit, cache, request, (c, take) => c.Popular(take, settings.PopularMinVotes));

    static Results<Ok<MovieList>, ValidationProblem> TopRated(string? limit, CatalogCache cache, HttpRequest request) =>
        List(limit, cache, request, (c, take) => c.TopRated(take, minAverage: 3.0));

    static Results<Ok<MovieList>, ValidationProblem> MostWatched(string? limit, CatalogCache cache, HttpRequest request) =>
        List(limit, cache, request, (c, take) => c.MostWatched(take));

    static Results<Ok<MovieList>, ValidationProblem> List(string? limit, CatalogCache cache, HttpRequest request, Func<MovieCatalog, int, IReadOnlyList<Movie>> rank)
    {
        var errors = new ProblemErrors();
        var take = errors.Int("limit", limit, 1, 100, 10);
        if (errors.Any)
            return errors.ToResult();
        var catalog = cache.Require();
        var movies = rank(catalog, take).Select(m => MovieMapping.ToSummary(m, catalog.GetStats(m.Id), request)).ToList();
        return TypedResults.Ok(new MovieList(movies));
    }

    static async Task<Results<Ok<MovieRatingsPage>, ProblemHttpResult, ValidationProblem>> GetRatingsAsync(
        int id, string? limit, string? page, CatalogCache cache, RatingStore ratings, CancellationToken cancellationToken)
    {
        var errors = new ProblemErrors();
        var (take, pageNumber, skip) = errors.Paging(limit, page, 100, 20);
        if (errors.Any)
            return errors.ToResult();
        if (!RatingId.IsRatableMovie(id) || !cache.Require().Contains(id))
            return Problems.MovieNotFound(id);
        var (items, stats) = await ratings.GetMovieRatingsPageAsync(id, skip, take, cancellationToken);
        var list = items.Select(i => new MovieRating(RatingId.Encode(i.UserId, id), i.UserId, id, i.Row.Rating!.Value, i.Row.Time, i.Row.Review)).ToList();
        return TypedResults.Ok(new MovieRatingsPage(list, stats.Count, pageNumber, take));
    }
}
