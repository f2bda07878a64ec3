using Microsoft.AspNetCore.Http.HttpResults;
using MovieRecs.Core.Catalog;
using MovieRecs.Core.Store;
using MovieRecs.Functions.Infrastructure;

namespace MovieRecs.Functions.Movies;

public static class MoviesApi
{
    public const int MaxSearchLength = 200;

    public static IEndpointRouteBuilder MapMovies(this IEndpointRouteBuilder api)
    {
        var v1 = api.MapGroup("/rest/v1").WithTags("Movies");
        v1.MapGet("/movies", ListMovies).WithName("ListMovies")
            .WithSummary("List or search movies (search: case/accent-insensitive, word prefixes, one typo forgiven).");
        v1.MapGet("/movies/{id:int}", GetMovie).WithName("GetMovie");
        v1.MapGet("/movies/{id:int}/avg-rating", GetAverageRating).WithName("GetMovieAverageRating")
            .WithSummary("Average rating, exact over the stored ratings.");
        v1.MapGet("/movies/{id:int}/poster.svg", GetPoster).WithName("GetMoviePoster");
        v1.MapGet("/genres", ListGenres).WithName("ListGenres");

        // The existing front end's shape.
        api.MapGet("/movies/{id:int}", GetLegacyMovie).WithName("GetMovieLegacy").WithTags("Movies");
        return api;
    }

    static Results<Ok<MoviesPage>, ValidationProblem> ListMovies(
        string? limit, string? page, string? search, string? genre, string? sort,
        CatalogCache cache, HttpRequest request)
    {
        var errors = new ProblemErrors();
        var (take, pageNumber, skip) = errors.Paging(limit, page, 100, 10);
        if (search is { Length: > MaxSearchLength })
            errors.Add("search", $"must be at most {MaxSearchLength} characters (got {search.Length})");
        var catalog = cache.Require();
        string? canonicalGenre = null;
        if (!string.IsNullOrWhiteSpace(genre) && !catalog.TryResolveGenre(genre, out canonicalGenre))
            errors.Add("genre", $"unknown genre '{genre}'; valid: {string.Join(", ", catalog.Genres.Select(g => g.Name))}");
        var order = string.IsNullOrWhiteSpace(search) ? MovieSort.Id : MovieSort.Relevance;
        if (!string.IsNullOrEmpty(sort) && !Enum.TryParse(sort, ignoreCase: true, out order))
            errors.Add("sort", $"must be one of {string.Join(", ", Enum.GetNames<MovieSort>().Select(n => n.ToLowerInvariant()))}");
        if (errors.Any)
            return errors.ToResult();

        // Skip is computed in long: page=99999 gives an empty page with the true total, not an overflow.
        var result = catalog.Query(new MovieQuery { Search = search, Genre = canonicalGenre, Sort = order, Skip = skip, Take = take });
        var movies = new MovieSummary[result.Items.Count];
        for (var i = 0; i < movies.Length; i++)
            movies[i] = MovieMapping.ToSummary(result.Items[i], catalog.GetStats(result.Items[i].Id), request);
        return TypedResults.Ok(new MoviesPage(movies, result.Total, pageNumber, take));
    }

    static Results<Ok<MovieDetails>, ProblemHttpResult> GetMovie(int id, CatalogCache cache, HttpRequest request)
    {
        var catalog = cache.Require();
        return catalog.Find(id) is { } movie
            ? TypedResults.Ok(MovieMapping.ToDetails(movie, catalog.GetStats(id), request))
            : MovieNotFound(id);
    }

    static Results<Ok<LegacyMovie>, ProblemHttpResult> GetLegacyMovie(int id, CatalogCache cache, HttpRequest request)
    {
        var catalog = cache.Require();
        return catalog.Find(id) is { } movie
            ? TypedResults.Ok(new LegacyMovie(movie.Id, movie.Title, MovieMapping.ThumbnailUrl(movie, request), movie.Genres))
            : MovieNotFound(id);
    }

    /// <summary>Reads the movie's aggregate rows from storage, so the answer is exact, not the cached copy.</summary>
    static async Task<Results<Ok<MovieAverageRating>, ProblemHttpResult>> GetAverageRating(
        int id, CatalogCache cache, RatingStore ratings, CancellationToken cancellationToken)
    {
        var catalog = cache.Require();
        if (catalog.Find(id) is not { } movie)
            return MovieNotFound(id);
        var stats = await ratings.ReadMovieStatsAsync(id, cancellationToken);   // also updates the catalog's figure
        return TypedResults.Ok(new MovieAverageRating(id, movie.Title, stats.AverageRating, stats.Count));
    }

    static Results<ContentHttpResult, ProblemHttpResult> GetPoster(int id, CatalogCache cache, HttpResponse response)
    {
        if (cache.Require().Find(id) is not { } movie)
            return MovieNotFound(id);
        response.Headers.CacheControl = "public, max-age=86400";
        return TypedResults.Content(PosterSvg.Render(movie), "image/svg+xml; charset=utf-8");
    }

    /// <summary>Every genre (those no movie carries yet too), by name, with its id and movie count.</summary>
    static Ok<GenresList> ListGenres(CatalogCache cache)
    {
        var catalog = cache.Require();
        return TypedResults.Ok(new GenresList(cache.Genres.Select(g => Catalog.CatalogAdminApi.ToGenreCount(g, catalog)).ToList()));
    }

    static ProblemHttpResult MovieNotFound(int id) => Problems.NotFound($"No movie with id {id}.");
}
