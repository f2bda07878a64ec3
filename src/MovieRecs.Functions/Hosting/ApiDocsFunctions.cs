using Microsoft.Azure.Functions.Worker;

namespace MovieRecs.Functions.Hosting;

/// <summary>The Functions entry points of the API description: OpenAPI document and Swagger UI: each runs the endpoint of its name (<see cref="FunctionEndpoints"/>).</summary>
public sealed class ApiDocsFunctions(FunctionEndpoints endpoints)
{
    [Function(nameof(ApiDocs))]
    public IResult ApiDocs([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "docs/{*path}")] HttpRequest request) =>
        endpoints.Run(nameof(ApiDocs), request);

    [Function(nameof(OpenApiDocument))]
    public IResult OpenApiDocument([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "openapi/{documentName}.json")] HttpRequest request) =>
        endpoints.Run(nameof(OpenApiDocument), request);
}
