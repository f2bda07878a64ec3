using Microsoft.Azure.Functions.Worker;
using MovieRecs.Functions.Hosting;

namespace MovieRecs.Functions.Accounts;

/// <summary>The Functions entry points of accounts: each runs the endpoint of its name (<see cref="FunctionEndpoints"/>).</summary>
public sealed class AccountsFunctions(FunctionEndpoints endpoints)
{
    [Function(nameof(CreateAccount))]
    public IResult CreateAccount([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "rest/v1/accounts")] HttpRequest request) =>
        endpoints.Run(nameof(CreateAccount), request);

    [Function(nameof(SignIn))]
    public IResult SignIn([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "rest/v1/auth/token")] HttpRequest request) =>
        endpoints.Run(nameof(SignIn), request);

    [Function(nameof(RefreshToken))]
    public IResult RefreshToken([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "rest/v1/auth/refresh")] HttpRequest request) =>
        endpoints.Run(nameof(RefreshToken), request);

    [Function(nameof(UpdateUser))]
    public IResult UpdateUser([HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = "rest/v1/users/{id:int}")] HttpRequest request) =>
        endpoints.Run(nameof(UpdateUser), request);

    [Function(nameof(DeleteUser))]
    public IResult DeleteUser([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "rest/v1/users/{id:int}")] HttpRequest request) =>
        endpoints.Run(nameof(DeleteUser), request);

    [Function(nameof(ListUsers))]
    public IResult ListUsers([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "rest/v1/users")] HttpRequest request) =>
        endpoints.Run(nameof(ListUsers), request);
}
