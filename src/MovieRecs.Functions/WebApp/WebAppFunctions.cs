using Microsoft.Azure.Functions.Worker;
using MovieRecs.Functions.Hosting;

namespace MovieRecs.Functions.WebApp;

/// <summary>The Functions entry point of the front end (at /api/web/ under the host): runs the endpoint of its name (<see cref="FunctionEndpoints"/>).</summary>
public sealed class WebAppFunctions(FunctionEndpoints endpoints)
{
    [Function(nameof(WebApp))]
    public IResult WebApp([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "web/{*path}")] HttpRequest request) =>
        endpoints.Run(nameof(WebApp), request);
}
