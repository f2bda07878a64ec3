using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

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

/// <summary>
/// The two ways to authenticate, in the OpenAPI document, so Swagger UI's Authorize button can sign in and call protected
/// endpoints: a bearer access token (POST /api/rest/v1/auth/token) or the admin key. Each is optional at document
/// level (the empty requirement): most endpoints are public, and protected ones answer 401/403 as problem+json.
/// </summary>
public sealed class SecuritySchemes : IOpenApiDocumentTransformer
{
    public const string Bearer = "bearer";
    public const string FunctionKey = "functionKey";

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[Bearer] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "An access token from POST /api/rest/v1/auth/token (sign in) or /api/rest/v1/auth/refresh. An account's own "
                + "ratings, watch marks, preferences and profile need its token or an admin's; catalogue changes need an admin.",
        };
        document.Components.SecuritySchemes[FunctionKey] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = Admin.AdminKey.HeaderName,
            Description = "The admin key (MovieRecs:AdminKey standalone, a function key under the Functions host): admin operations.",
        };
        document.Security =
        [
            new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Bearer, document)] = [] },
            new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(FunctionKey, document)] = [] },
            new OpenApiSecurityRequirement(),
        ];
        return Task.CompletedTask;
    }
}
