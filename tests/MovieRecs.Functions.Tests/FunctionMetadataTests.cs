using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using MovieRecs.Core.Azurite;
using MovieRecs.Functions.Admin;

namespace MovieRecs.Functions.Tests;

/// <summary>The two modes cannot drift: the host's function list (functions.metadata) is the standalone endpoint table.</summary>
[Collection(AppCollection.Name)]
public sealed class FunctionMetadataTests(AppFixture app)
{
    /// <summary>The standalone app's endpoint table, as Kestrel routing sees it.</summary>
    IReadOnlyList<RouteEndpoint> Endpoints() =>
        app.Factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();

    static string Name(RouteEndpoint e) => e.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName
        ?? throw new InvalidOperationException($"{e.DisplayName} has no name (WithName): every endpoint is a function of its name.");

    [Fact]
    public void Every_endpoint_is_one_http_function_with_its_route_methods_and_auth_level_and_nothing_else_is()
    {
        var functions = FunctionsMetadataFile.Http();
        var endpoints = Endpoints();
        Assert.True(endpoints.Count > 30, $"only {endpoints.Count} endpoints");

        var expected = endpoints.Select(e => new FunctionsMetadataFile.HttpFunction(
                Name(e),
                e.RoutePattern.RawText!.Trim('/') is var route && route.StartsWith("api/", StringComparison.Ordinal) ? route["api/".Length..]
                    : throw new InvalidOperationException($"{Name(e)}: '{route}' lacks the api/ prefix the host adds"),
                e.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods.Select(m => m.ToLowerInvariant()).Order().ToArray(),
                e.Metadata.GetMetadata<AdminOperation>() is null ? "anonymous" : "function"))
            .OrderBy(f => f.Name, StringComparer.Ordinal).ToList();
        Assert.Equal(expected.Select(Describe), functions.Select(Describe));

        Assert.Equal("function", functions.Single(f => f.Name == "ReloadCatalog").AuthLevel);
        Assert.Equal("function", functions.Single(f => f.Name == "RequestTraining").AuthLevel);
        Assert.Equal("anonymous", functions.Single(f => f.Name == "ListMovies").AuthLevel);
    }

    static string Describe(FunctionsMetadataFile.HttpFunction f) => $"{f.Name} {string.Join(',', f.Methods)} {f.Route} {f.AuthLevel}";

    [Fact]
    public async Task Publish_output_is_an_isolated_worker_app_without_a_custom_handler()
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
        Assert.False(host.RootElement.TryGetProperty("customHandler", out _));
        Assert.Equal(5, host.RootElement.GetProperty("extensions").GetProperty("queues").GetProperty("maxDequeueCount").GetInt32());

        using var worker = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "worker.config.json")));
        var description = worker.RootElement.GetProperty("description");
        Assert.Equal("dotnet-isolated", description.GetProperty("language").GetString());
        Assert.True(File.Exists(Path.Combine(output, description.GetProperty("defaultWorkerPath").GetString()!)));
        Assert.Equal(File.ReadAllText(FunctionsMetadataFile.PathOf()), File.ReadAllText(Path.Combine(output, "functions.metadata")));
    }

    static string RepositoryRoot() =>
        LocalAzurite.RepositoryRoot(AppContext.BaseDirectory) ?? throw new InvalidOperationException("repository root not found");
}
