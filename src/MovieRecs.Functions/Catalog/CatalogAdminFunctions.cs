using Microsoft.Azure.Functions.Worker;
using MovieRecs.Functions.Hosting;

namespace MovieRecs.Functions.Catalog;

/// <summary>
/// The Functions entry points of catalogue administration: each runs the endpoint of its name (<see cref="FunctionEndpoints"/>).
/// Anonymous at the host: the handlers admit admins by token or admin key themselves (401/403 problems otherwise).
/// </summary>
public sealed class CatalogAdminFunctions(FunctionEndpoints endpoints)
{
    [Function(nameof(CreateMovie))]
    public IResult CreateMovie([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "rest/v1/movies")] HttpRequest request) =>
        endpoints.Run(nameof(CreateMovie), request);

    [Function(nameof(ReplaceMovie))]
    public IResult ReplaceMovie([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "rest/v1/movies/{id:int}")] HttpRequest request) =>
        endpoints.Run(nameof(ReplaceMovie), request);

    [Function(nameof(UpdateMovie))]
    public IResult UpdateMovie([HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = "rest/v1/movies/{id:int}")] HttpRequest request) =>
        endpoints.Run(nameof(UpdateMovie), request);

    [Function(nameof(DeleteMovie))]
    public IResult DeleteMovie([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "rest/v1/movies/{id:int}")] HttpRequest request) =>
        endpoints.Run(nameof(DeleteMovie), request);

    [Function(nameof(CreateGenre))]
    public IResult CreateGenre([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "rest/v1/genres")] HttpRequest request) =>
        endpoints.Run(nameof(CreateGenre), request);

    [Function(nameof(GetGenre))]
    public IResult GetGenre([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "rest/v1/genres/{id:int}")] HttpRequest request) =>
        endpoints.Run(nameof(GetGenre), request);

    [Function(nameof(ReplaceGenre))]
    public IResult ReplaceGenre([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "rest/v1/genres/{id:int}")] HttpRequest request) =>
        endpoints.Run(nameof(ReplaceGenre), request);

    [Function(nameof(UpdateGenre))]
    public IResult UpdateGenre([HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = "rest/v1/genres/{id:int}")] HttpRequest request) =>
        endpoints.Run(nameof(UpdateGenre), request);

    [Function(nameof(DeleteGenre))]
    public IResult DeleteGenre([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "rest/v1/genres/{id:int}")] HttpRequest request) =>
        endpoints.Run(nameof(DeleteGenre), request);
}
