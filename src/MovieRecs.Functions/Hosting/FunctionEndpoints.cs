using System.Collections.Frozen;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Routing.Template;
using MovieRecs.Functions.Infrastructure;

namespace MovieRecs.Functions.Hosting;

/// <summary>
/// How a function and its standalone route run the same handler: the endpoint table (<see cref="Extensions.MapApi"/>)
/// is built once per process, and each HTTP <c>[Function]</c> returns <see cref="Run"/>, an <see cref="IResult"/> that
/// executes the endpoint of the same name (its route values bound from the path, the rate limiter, its filters, its
/// handler) against the request. Standalone, Kestrel routing runs the same endpoints directly.
/// </summary>
public sealed class FunctionEndpoints(IServiceProvider services)
{
    sealed record Entry(RouteEndpoint Endpoint, TemplateMatcher Matcher);

    readonly Lazy<FrozenDictionary<string, Entry>> _byName = new(() => Build(services));
    readonly TimeSpan _deadline = RequestDeadline.From(services.GetRequiredService<IConfiguration>());

    // The middleware that standalone runs in front of the endpoints and belongs to the API's behaviour (not the host's):
    // the rate limiter. Built once; it ends in the endpoint that Run selected.
    readonly Lazy<RequestDelegate> _pipeline = new(() =>
    {
        var app = new ApplicationBuilder(services);
        app.UseRateLimiter();
        app.Run(static http => http.GetEndpoint()!.RequestDelegate!(http));
        return app.Build();
    });

    /// <summary>The endpoint table, as the functions see it (also what the metadata test compares with).</summary>
    public IEnumerable<RouteEndpoint> Endpoints => _byName.Value.Values.Select(e => e.Endpoint);

    /// <summary>The result of the function <paramref name="name"/>: its endpoint, run against the request.</summary>
    public IResult Run(string name, HttpRequest request) =>
        _byName.Value.TryGetValue(name, out var entry)
            ? new EndpointResult(entry, _deadline, _pipeline.Value)
            : throw new InvalidOperationException($"No endpoint named '{name}': every [Function] has an endpoint of its name (WithName).");

    static FrozenDictionary<string, Entry> Build(IServiceProvider services)
    {
        var table = new EndpointTable(services);
        table.MapApi();
        return table.DataSources.SelectMany(s => s.Endpoints).OfType<RouteEndpoint>()
            .Select(e => (Name: e.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName, Endpoint: e))
            .Where(e => e.Name is not null)
            .ToFrozenDictionary(e => e.Name!, e => new Entry(e.Endpoint,
                new TemplateMatcher(TemplateParser.Parse(e.Endpoint.RoutePattern.RawText!.TrimStart('/')), new RouteValueDictionary(e.Endpoint.RoutePattern.Defaults))));
    }

    sealed class EndpointResult(Entry entry, TimeSpan deadline, RequestDelegate pipeline) : IResult
    {
        public async Task ExecuteAsync(HttpContext http)
        {
            var request = http.Request;
            var values = new RouteValueDictionary();
            if (!entry.Matcher.TryMatch(request.Path, values))
            {
                // The host matched the route before invoking us; a direct call with another path is a caller's mistake.
                await Problems.NotFound($"'{request.Path}' does not match the route of this function.").ExecuteAsync(http);
                return;
            }
            request.RouteValues = values;
            http.SetEndpoint(entry.Endpoint);
            try
            {
                await RequestDeadline.RunAsync(http, deadline, () => pipeline(http));
            }
            catch (Exception e) when (!http.Response.HasStarted)
            {
                // What UseExceptionHandler does standalone: mapped failures (503, 400) become problem+json, the rest a 500.
                http.Response.Clear();
                foreach (var handler in http.RequestServices.GetServices<IExceptionHandler>())
                    if (await handler.TryHandleAsync(http, e, http.RequestAborted))
                        return;
                http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger<FunctionEndpoints>()
                    .LogError(e, "Unhandled exception in {Endpoint}", entry.Endpoint.DisplayName);
                await Problems.Status(StatusCodes.Status500InternalServerError, "Internal server error", "The request failed; it was logged.").ExecuteAsync(http);
                return;
            }
            // What UseStatusCodePages does standalone: an empty error answer gets a problem+json body.
            if (http.Response is { StatusCode: >= 400, HasStarted: false, ContentLength: null, ContentType: null }
                && http.RequestServices.GetService<IProblemDetailsService>() is { } problems)
                await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = http });
        }
    }

    /// <summary>A route builder over the app's services that only collects endpoints (no middleware pipeline).</summary>
    sealed class EndpointTable(IServiceProvider services) : IEndpointRouteBuilder
    {
        public IServiceProvider ServiceProvider => services;
        public ICollection<EndpointDataSource> DataSources { get; } = new List<EndpointDataSource>();
        public IApplicationBuilder CreateApplicationBuilder() => new ApplicationBuilder(services);
    }
}
