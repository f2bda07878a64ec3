using Microsoft.Azure.Functions.Worker;
using MovieRecs.Functions.Hosting;

namespace MovieRecs.Functions.Movies;

/// <summary>The Functions entry points of the catalog: listing, search, movie details, posters, genres and charts: each runs the endpoint of its name (<see cref="FunctionEndpoints"/>).</summary>
public sealed class MoviesFunctions(FunctionEndpoints endpoints)
{
    [Function(nameof(GetMovieLegacy))]
    public IResult GetMovieLegacy([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "movies/{id:int}")] HttpRequest request) =>
        endpoints.Run(nameof(GetMovieLegacy), request);

    [Function(nameof(ListGenres))]
    public IResult ListGenres([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "rest/v1/genres")] HttpRequest request) =>
        endpoints.Run(nameof(ListGenres), request);

    [Function(nameof(ListMovies))]
    public IResult ListMovies([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "rest/v1/movies")] HttpRequest request) =>
        endpoints.Run(nameof(ListMovies), request);

    [Function(nameof(ListMostWatchedMovies))]
    public IResult ListMostWatchedMovies([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "rest/v1/movies/most-watched")] HttpRequest request) =>
        endpoints.Run(nameof(ListMostWatchedMovies), request);

    [Function(nameof(ListPopularMovies))]
    public IResult ListPopularMovies([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "rest/v1/movies/popular")] HttpRequest request) =>
        endpoints.Run(nameof(ListPopularMovies), request);

    [Function(nameof(ListTopRatedMovies))]
    public IResult ListTopRatedMovies([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "rest/v1/movies/top-rated")] HttpRequest request) =>
        endpoints.Run(nameof(ListTopRatedMovies), request);

    [Function(nameof(GetMovie))]
    public IResult GetMovie([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "rest/v1/movies/{id:int}")] HttpRequest request) =>
        endpoints.Run(nameof(GetMovie), request);

    [Function(nameof(GetMovieAverageRating))]
    public IResult GetMovieAverageRating([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "rest/v1/movies/{id:int}/avg-rating")] HttpRequest request) =>
        endpoints.Run(nameof(GetMovieAverageRating), request);

    [Function(nameof(GetMoviePoster))]
    public IResult GetMoviePoster([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "rest/v1/movies/{id:int}/poster.svg")] HttpRequest request) =>
        endpoints.Run(nameof(GetMoviePoster), request);

    [Function(nameof(GetMovieRatings))]
    public IResult GetMovieRatings([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "rest/v1/movies/{id:int}/ratings")] HttpRequest request) =>
        endpoints.Run(nameof(GetMovieRatings), request);
}
