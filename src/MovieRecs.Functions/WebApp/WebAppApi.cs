using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;

namespace MovieRecs.Functions.WebApp;

/// <summary>
/// The front end (wwwroot: plain HTML, CSS and ES modules, no build step) served by the app itself. Standalone it is at
/// <c>/</c> (static files) and at <c>/api/web/</c>; under the Functions host, whose HTTP routes all start with
/// <c>api/</c>, at <c>/api/web/</c> through the <c>WebApp</c> function. The page calls the API at <c>/api</c> of its own
/// origin unless told another base (<c>?api=</c>), so the same files also work from any static host.
/// </summary>
public static class WebAppApi
{
    /// <summary>
    /// The files, copied next to the app's assembly at build and publish (so also where the Functions host runs it). A host
    /// of the app whose output has no wwwroot (a benchmark, a tool) serves no page rather than failing to start.
    /// </summary>
    public static IFileProvider Files { get; } = Directory.Exists(Path.Combine(AppContext.BaseDirectory, "wwwroot"))
        ? new PhysicalFileProvider(Path.Combine(AppContext.BaseDirectory, "wwwroot"))
        : new NullFileProvider();

    static readonly FileExtensionContentTypeProvider ContentTypes = new();

    public static IEndpointRouteBuilder MapWebApp(this IEndpointRouteBuilder api)
    {
        api.MapGet("/web/{*path}", Serve).WithName("WebApp").ExcludeFromDescription();
        return api;
    }

    /// <summary>Standalone: the same files at the site root (<c>/</c> answers index.html).</summary>
    public static IApplicationBuilder UseWebApp(this IApplicationBuilder app) =>
        app.UseFileServer(new FileServerOptions { FileProvider = Files });

    static IResult Serve(string? path, HttpRequest request)
    {
        // The page's modules and styles are relative links: they resolve under /api/web/ only with the trailing slash.
        if (string.IsNullOrEmpty(path) && !request.Path.Value!.EndsWith('/'))
            return TypedResults.Redirect($"{request.PathBase}{request.Path}/{request.QueryString}");
        var file = Files.GetFileInfo(string.IsNullOrEmpty(path) || path.EndsWith('/') ? $"{path}index.html" : path);
        if (!file.Exists || file.IsDirectory || file.PhysicalPath is null)
            return Problems.NotFound($"The front end has no file '{path}'.");
        var contentType = ContentTypes.TryGetContentType(file.Name, out var type) ? type : "application/octet-stream";
        return TypedResults.PhysicalFile(file.PhysicalPath, contentType, lastModified: file.LastModified, enableRangeProcessing: false);
    }
}
