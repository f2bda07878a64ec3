using Microsoft.Azure.Functions.Worker;
using MovieRecs.Functions.Hosting;

namespace MovieRecs.Functions.Users;

/// <summary>The Functions entry points of users: each runs the endpoint of its name (<see cref="FunctionEndpoints"/>).</summary>
public sealed class UsersFunctions(FunctionEndpoints endpoints)
{
    [Function(nameof(CreateUser))]
    public IResult CreateUser([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "rest/v1/users")] HttpRequest request) =>
        endpoints.Run(nameof(CreateUser), request);

    [Function(nameof(GetUser))]
    public IResult GetUser([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "rest/v1/users/{id:int}")] HttpRequest request) =>
        endpoints.Run(nameof(GetUser), request);

    [Function(nameof(CreateUserLegacy))]
    public IResult CreateUserLegacy([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "users")] HttpRequest request) =>
        endpoints.Run(nameof(CreateUserLegacy), request);

    [Function(nameof(GetUnratedMovies))]
    public IResult GetUnratedMovies([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "users/{id:int}/unrated")] HttpRequest request) =>
        endpoints.Run(nameof(GetUnratedMovies), request);
}
