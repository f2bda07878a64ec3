using Microsoft.Azure.Functions.Worker;
using MovieRecs.Functions.Hosting;

namespace MovieRecs.Functions.Admin;

/// <summary>The Functions entry points of administration: each runs the endpoint of its name (<see cref="FunctionEndpoints"/>).</summary>
public sealed class AdminFunctions(FunctionEndpoints endpoints)
{
    [Function(nameof(ReloadCatalog))]
    public IResult ReloadCatalog([HttpTrigger(AuthorizationLevel.Function, "post", Route = "rest/v1/admin/catalog/reload")] HttpRequest request) =>
        endpoints.Run(nameof(ReloadCatalog), request);
}
