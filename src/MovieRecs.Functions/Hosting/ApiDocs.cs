namespace MovieRecs.Functions.Hosting;

public static class ApiDocs
{
    /// <summary>
    /// OpenAPI at /api/openapi/v1.json and Swagger UI at /api/docs, both as endpoints (not bare
    /// middleware) so they have [Function]s (ApiDocsFunctions) and work under the Functions host too.
    /// </summary>
    public static IEndpointRouteBuilder MapApiDocs(this IEndpointRouteBuilder api)
    {
        api.MapOpenApi("/openapi/{documentName}.json").WithName("OpenApiDocument");
        var swaggerUi = api.CreateApplicationBuilder()
            .UseSwaggerUI(o =>
            {
                o.RoutePrefix = "api/docs";
                o.SwaggerEndpoint("/api/openapi/v1.json", "MovieRecs API v1");
                o.DocumentTitle = "MovieRecs API";
            })
            .Build();
        api.MapGet("/docs/{*path}", swaggerUi).WithName("ApiDocs").ExcludeFromDescription();
        return api;
    }
}
