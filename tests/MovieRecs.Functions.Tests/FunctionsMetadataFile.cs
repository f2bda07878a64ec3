using System.Text.Json;
using MovieRecs.Core.Azurite;

namespace MovieRecs.Functions.Tests;

/// <summary>The <c>functions.metadata</c> that the Worker SDK generated for the app's build: what the Functions host sees.</summary>
static class FunctionsMetadataFile
{
    public sealed record HttpFunction(string Name, string Route, string[] Methods, string AuthLevel);
    public sealed record QueueFunction(string Name, string QueueName, string BindingName, string Connection);

    public static string PathOf()
    {
        // The test assembly's bin/<Configuration>/net10.0 names the configuration the app was built with.
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        var root = LocalAzurite.RepositoryRoot(AppContext.BaseDirectory) ?? throw new InvalidOperationException("repository root not found");
        return Path.Combine(root, "src", "MovieRecs.Functions", "bin", configuration, "net10.0", "functions.metadata");
    }

    static IEnumerable<(string Name, JsonElement Binding)> Triggers()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(PathOf()));
        foreach (var function in doc.RootElement.EnumerateArray())
            foreach (var binding in function.GetProperty("bindings").EnumerateArray())
                if (binding.GetProperty("direction").GetString()!.Equals("in", StringComparison.OrdinalIgnoreCase))
                    yield return (function.GetProperty("name").GetString()!, binding.Clone());
    }

    public static IReadOnlyList<HttpFunction> Http() =>
        Triggers().Where(t => t.Binding.GetProperty("type").GetString() == "httpTrigger")
            .Select(t => new HttpFunction(t.Name, t.Binding.GetProperty("route").GetString()!,
                t.Binding.GetProperty("methods").EnumerateArray().Select(m => m.GetString()!.ToLowerInvariant()).Order().ToArray(),
                t.Binding.GetProperty("authLevel").GetString()!.ToLowerInvariant()))
            .OrderBy(f => f.Name, StringComparer.Ordinal).ToList();

    public static IReadOnlyList<QueueFunction> Queue() =>
        Triggers().Where(t => t.Binding.GetProperty("type").GetString() == "queueTrigger")
            .Select(t => new QueueFunction(t.Name, t.Binding.GetProperty("queueName").GetString()!, t.Binding.GetProperty("name").GetString()!,
                t.Binding.GetProperty("connection").GetString()!))
            .ToList();
}
