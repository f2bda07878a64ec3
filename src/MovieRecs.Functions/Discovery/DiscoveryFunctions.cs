using Microsoft.Azure.Functions.Worker;
using MovieRecs.Functions.Hosting;

namespace MovieRecs.Functions.Discovery;

/// <summary>The Functions entry points of discovery: charts, trending, analytics, similar movies, clusters, the Portuguese front end: each runs the endpoint of its name (<see cref="FunctionEndpoints"/>).</summary>
public sealed class DiscoveryFunctions(FunctionEndpoints endpoints)
{
    [Function(nameof(ListFilmes))]
    public IResult ListFilmes([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "filmes")] HttpRequest request) =>
        endpoints.Run(nameof(ListFilmes), request);

    [Function(nameof(GetRecomendacoes))]
    public IResult GetRecomendacoes([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "filmes/{user_id:int}/recomendacoes")] HttpRequest request) =>
        endpoints.Run(nameof(GetRecomendacoes), request);

    [Function(nameof(ListMovieClusters))]
    public IResult ListMovieClusters([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "rest/v1/clusters")] HttpRequest request) =>
        endpoints.Run(nameof(ListMovieClusters), request);

    [Function(nameof(ListTrendingMovies))]
    public IResult ListTrendingMovies([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "rest/v1/movies/trending")] HttpRequest request) =>
        endpoints.Run(nameof(ListTrendingMovies), request);

    [Function(nameof(GetSimilarMovies))]
    public IResult GetSimilarMovies([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "rest/v1/movies/{id:int}/similar")] HttpRequest request) =>
        endpoints.Run(nameof(GetSimilarMovies), request);

    [Function(nameof(GetModel))]
    public IResult GetModel([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "rest/v1/recommendation-engine/models/{version}")] HttpRequest request) =>
        endpoints.Run(nameof(GetModel), request);

    [Function(nameof(GetGenreChart))]
    public IResult GetGenreChart([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "rest/v1/recommendations/genre/{genre}")] HttpRequest request) =>
        endpoints.Run(nameof(GetGenreChart), request);

    [Function(nameof(GetUserAnalytics))]
    public IResult GetUserAnalytics([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "rest/v1/users/{id:int}/analytics")] HttpRequest request) =>
        endpoints.Run(nameof(GetUserAnalytics), request);

    [Function(nameof(GetPersonalizedRecommendations))]
    public IResult GetPersonalizedRecommendations([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "rest/v1/users/{id:int}/recommendations/personalized")] HttpRequest request) =>
        endpoints.Run(nameof(GetPersonalizedRecommendations), request);
}
