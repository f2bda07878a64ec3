using MovieRecs.Core.Azurite;
using MovieRecs.Core.Store;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using MovieRecs.Functions.Hosting;

namespace MovieRecs.Functions.Tests;

[Collection(AppCollection.Name)]
public sealed class FunctionMetadataTests(AppFixture app)
{
    /// <summary>The app's endpoint table, as routing sees it.</summary>
    IReadOnlyList<RouteEndpoint> Endpoints() =>
        app.Factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<QueueTrigger>() is null).ToList(); // queue-triggered functions: EngineTests

    [Fact]
    public void Every_endpoint_has_a_function_json_with_its_route_and_methods_and_nothing_else_does()
    {
        var directory = Directory.CreateTempSubdirectory("functions-").FullName;
        FunctionMetadata.Write(FunctionMetadata.FromEndpoints([app.Factory.Services.GetRequiredService<EndpointDataSource>()]), directory);
        var functions = FunctionMetadata.Read(directory);

        var endpoints = Endpoints();
        Assert.Equal(endpoints.Count, functions.Count);
        foreach (var endpoint in endpoints)
        {
            var route = endpoint.RoutePattern.RawText!.TrimStart('/');
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods.Select(m => m.ToLowerInvariant()).Order();
            Assert.Contains(functions, f => "api/" + f.Route == route && f.Methods.SequenceEqual(methods));
        }
        foreach (var function in functions)
            Assert.Contains(endpoints, e => e.RoutePattern.RawText!.TrimStart('/') == "api/" + function.Route);

        Assert.Equal("function", functions.Single(f => f.Name == "ReloadCatalog").AuthLevel);
        Assert.Equal("anonymous", functions.Single(f => f.Name == "ListMovies").AuthLevel);
    }

    [Fact]
    public async Task Publish_output_holds_host_json_every_function_json_and_the_executable()
    {
        var output = Directory.CreateTempSubdirectory("publish-").FullName;
        var project = Path.Combine(RepositoryRoot(), "src", "MovieRecs.Functions", "MovieRecs.Functions.csproj");
        var publish = Process.Start(new ProcessStartInfo("dotnet", ["publish", project, "-c", "Release", "-o", output, "--nologo"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var log = await publish.StandardOutput.ReadToEndAsync() + await publish.StandardError.ReadToEndAsync();
        await publish.WaitForExitAsync();
        Assert.True(publish.ExitCode == 0, log);

        using var host = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "host.json")));
        Assert.Equal("00:10:00", host.RootElement.GetProperty("functionTimeout").GetString());   // training runs up to minutes
        var handler = host.RootElement.GetProperty("customHandler");
        Assert.True(handler.GetProperty("enableForwardingHttpRequest").GetBoolean());
        var executable = handler.GetProperty("description").GetProperty("defaultExecutablePath").GetString()!;
        Assert.True(File.Exists(Path.Combine(output, executable)), $"{executable} missing from publish output");

        var published = FunctionMetadata.Read(output).Select(f => f.Name).Order().ToList();
        var expected = FunctionMetadata.FromEndpoints([app.Factory.Services.GetRequiredService<EndpointDataSource>()]).Select(f => f.Name).Order().ToList();
        Assert.Contains(FunctionMetadata.ReadQueueFunctions(output), f => f.Name == "TrainModel" && f.QueueName == "training");
        Assert.Equal(expected, published);
    }

    static string RepositoryRoot() =>
        LocalAzurite.RepositoryRoot(AppContext.BaseDirectory) ?? throw new InvalidOperationException("repository root not found");
}
