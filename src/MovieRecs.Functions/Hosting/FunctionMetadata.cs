using System.Text.Json;
using System.Text.Json.Nodes;
using MovieRecs.Functions.Admin;

namespace MovieRecs.Functions.Hosting;

/// <summary>
/// Endpoint metadata: the endpoint is a queue-triggered function. The host invokes it as <c>POST /{name}</c> with the
/// custom-handler payload; its function.json carries a queueTrigger binding instead of an httpTrigger.
/// </summary>
public sealed record QueueTrigger(string QueueName, string BindingName, string Connection = "AzureWebJobsStorage");

/// <summary>
/// Derives the Azure Functions metadata (one function.json per function) from the app's own endpoint
/// table, so the host's view of the app can never drift from the routes it serves. One function per
/// endpoint, not a catch-all, keeps per-function keys, metrics and scaling in Azure.
/// </summary>
public static class FunctionMetadata
{
    public const string WriteArgument = "--write-function-metadata";
    const string RoutePrefix = "api/";

    public sealed record HttpFunction(string Name, string Route, IReadOnlyList<string> Methods, string AuthLevel);

    public sealed record QueueFunction(string Name, string QueueName, string BindingName, string Connection);

    /// <summary>The queue-triggered functions: endpoints marked with <see cref="QueueTrigger"/>, mapped at <c>/{Name}</c>.</summary>
    public static IReadOnlyList<QueueFunction> QueueFunctionsFromEndpoints(IEnumerable<EndpointDataSource> sources)
    {
        var functions = new List<QueueFunction>();
        foreach (var endpoint in sources.SelectMany(s => s.Endpoints).OfType<RouteEndpoint>())
        {
            if (endpoint.Metadata.GetMetadata<QueueTrigger>() is not { } trigger)
                continue;
            var name = endpoint.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName
                ?? throw new InvalidOperationException($"Endpoint '{endpoint.DisplayName}' has no name (WithName): every endpoint becomes a named function.");
            if (endpoint.RoutePattern.RawText?.Trim('/') != name)
                throw new InvalidOperationException($"Queue-triggered endpoint '{name}' must be mapped at '/{name}', where the host invokes it.");
            functions.Add(new QueueFunction(name, trigger.QueueName, trigger.BindingName, trigger.Connection));
        }
        return functions.OrderBy(f => f.Name, StringComparer.Ordinal).ToList();
    }

    public static void Write(IEnumerable<QueueFunction> functions, string directory)
    {
        foreach (var function in functions)
        {
            var folder = Path.Combine(directory, function.Name);
            Directory.CreateDirectory(folder);
            var json = new JsonObject
            {
                ["bindings"] = new JsonArray(new JsonObject
                {
                    ["type"] = "queueTrigger",
                    ["direction"] = "in",
                    ["name"] = function.BindingName,
                    ["queueName"] = function.QueueName,
                    ["connection"] = function.Connection,
                }),
            };
            File.WriteAllText(Path.Combine(folder, "function.json"), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }
    }

    /// <summary>Reads back the queue-triggered functions of a function app folder.</summary>
    public static IReadOnlyList<QueueFunction> ReadQueueFunctions(string directory)
    {
        var functions = new List<QueueFunction>();
        foreach (var file in Directory.GetFiles(directory, "function.json", SearchOption.AllDirectories))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(file));
            foreach (var binding in doc.RootElement.GetProperty("bindings").EnumerateArray())
                if (binding.GetProperty("type").GetString() == "queueTrigger")
                    functions.Add(new QueueFunction(Path.GetFileName(Path.GetDirectoryName(file)!), binding.GetProperty("queueName").GetString()!,
                        binding.GetProperty("name").GetString()!, binding.GetProperty("connection").GetString()!));
        }
        return functions.OrderBy(f => f.Name, StringComparer.Ordinal).ToList();
    }

    public static IReadOnlyList<HttpFunction> FromEndpoints(IEnumerable<EndpointDataSource> sources)
    {
        var functions = new List<HttpFunction>();
        foreach (var endpoint in sources.SelectMany(s => s.Endpoints).OfType<RouteEndpoint>())
        {
            if (endpoint.Metadata.GetMetadata<QueueTrigger>() is not null)
                continue; // a queue-triggered function (QueueFunctionsFromEndpoints)
            var name = endpoint.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName
                ?? throw new InvalidOperationException($"Endpoint '{endpoint.DisplayName}' has no name (WithName): every endpoint becomes a named function.");
            var template = endpoint.RoutePattern.RawText?.TrimStart('/') ?? "";
            if (!template.StartsWith(RoutePrefix, StringComparison.Ordinal))
                throw new InvalidOperationException($"Endpoint '{name}' route '{template}' lacks the '{RoutePrefix}' prefix the Functions host adds.");
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods
                .Select(m => m.ToLowerInvariant()).Order().ToArray()
                ?? throw new InvalidOperationException($"Endpoint '{name}' accepts any method; give it explicit methods.");
            var authLevel = endpoint.Metadata.GetMetadata<AdminOperation>() is null ? "anonymous" : "function";
            functions.Add(new HttpFunction(name, template[RoutePrefix.Length..], methods, authLevel));
        }
        var duplicate = functions.GroupBy(f => f.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new InvalidOperationException($"Two endpoints share the function name '{duplicate.Key}'.");
        return functions.OrderBy(f => f.Name, StringComparer.Ordinal).ToList();
    }

    public static void Write(IEnumerable<HttpFunction> functions, string directory)
    {
        foreach (var function in functions)
        {
            var folder = Path.Combine(directory, function.Name);
            Directory.CreateDirectory(folder);
            var json = new JsonObject
            {
                ["bindings"] = new JsonArray(
                    new JsonObject
                    {
                        ["type"] = "httpTrigger",
                        ["direction"] = "in",
                        ["name"] = "req",
                        ["authLevel"] = function.AuthLevel,
                        ["methods"] = new JsonArray(function.Methods.Select(m => (JsonNode)m!).ToArray()),
                        ["route"] = function.Route,
                    },
                    new JsonObject { ["type"] = "http", ["direction"] = "out", ["name"] = "res" }),
            };
            File.WriteAllText(Path.Combine(folder, "function.json"), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }
    }

    /// <summary>Reads back the HTTP functions of a function app folder (every subfolder with a function.json).</summary>
    public static IReadOnlyList<HttpFunction> Read(string directory)
    {
        var functions = new List<HttpFunction>();
        foreach (var file in Directory.GetFiles(directory, "function.json", SearchOption.AllDirectories))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(file));
            foreach (var binding in doc.RootElement.GetProperty("bindings").EnumerateArray())
            {
                if (binding.GetProperty("type").GetString() != "httpTrigger")
                    continue;
                functions.Add(new HttpFunction(
                    Path.GetFileName(Path.GetDirectoryName(file)!),
                    binding.GetProperty("route").GetString()!,
                    binding.GetProperty("methods").EnumerateArray().Select(m => m.GetString()!).Order().ToArray(),
                    binding.GetProperty("authLevel").GetString()!));
            }
        }
        return functions.OrderBy(f => f.Name, StringComparer.Ordinal).ToList();
    }

    internal static bool TryWriteFromArgs(WebApplication app, string[] args)
    {
        var index = Array.IndexOf(args, WriteArgument);
        if (index < 0)
            return false;
        var directory = index + 1 < args.Length ? args[index + 1] : AppContext.BaseDirectory;
        var functions = FromEndpoints(((IEndpointRouteBuilder)app).DataSources);
        var queueFunctions = QueueFunctionsFromEndpoints(((IEndpointRouteBuilder)app).DataSources);
        if (functions.Select(f => f.Name).Intersect(queueFunctions.Select(f => f.Name), StringComparer.OrdinalIgnoreCase).FirstOrDefault() is { } clash)
            throw new InvalidOperationException($"Two endpoints share the function name '{clash}'.");
        Write(functions, directory);
        Write(queueFunctions, directory);
        Console.WriteLine($"Wrote {functions.Count + queueFunctions.Count} function.json files to {Path.GetFullPath(directory)}");
        return true;
    }
}
