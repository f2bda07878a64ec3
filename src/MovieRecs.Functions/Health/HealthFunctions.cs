using Microsoft.Azure.Functions.Worker;
using MovieRecs.Functions.Hosting;

namespace MovieRecs.Functions.Health;

/// <summary>The Functions entry points of health: each runs the endpoint of its name (<see cref="FunctionEndpoints"/>).</summary>
public sealed class HealthFunctions(FunctionEndpoints endpoints)
{
    [Function(nameof(Health))]
    public IResult Health([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request) =>
        endpoints.Run(nameof(Health), request);
}
