using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs.Models;
using MovieRecs.Core.Azurite;
using MovieRecs.Core.Engine;
using Xunit.Abstractions;

namespace MovieRecs.Functions.Tests.Reliability;

/// <summary>
/// Model versions whose model.bin is truncated or corrupt (manifest intact) in the repository of a running app process
/// that serves a good model: activating one is refused, and a pointer moved to one by another writer is not followed.
/// </summary>
[Collection(HeavyCollection.Name)]
public sealed class CorruptModelTests(ITestOutputHelper output) : IAsyncLifetime
{
    AzuriteProcess _azurite = null!;
    EngineStorage _engine = null!;
    ModelRepository _models = null!;

    public async Task InitializeAsync()
    {
        _azurite = await AzuriteProcess.StartAsync(new AzuriteOptions { InMemory = true });
        _engine = new EngineStorage(_azurite.ConnectionString);
        _models = new ModelRepository(_engine);
    }

    public async Task DisposeAsync() => await _azurite.DisposeAsync();

    [Fact]
    public async Task A_truncated_or_corrupt_model_is_refused_with_422_and_the_previous_model_keeps_serving()
    {
        await using var app = await AppProcess.StartAsync(_azurite.ConnectionString, output, new Dictionary<string, string>
        {
            ["MovieRecs:Engine:Listener"] = "true",
            ["MovieRecs:Engine:QueuePollSeconds"] = "0.2",
            ["MovieRecs:Engine:ModelPollSeconds"] = "0.3",
        });
        const int User = 7;

        // A good model, trained by the app and served.
        var location = (await app.Client.SendAsync(AppProcess.Admin(HttpMethod.Post, EngineTestHelpers.Engine))).Headers.Location!.ToString();
        var run = await EngineTestHelpers.WaitForAsync(() => app.Client.GetFromJsonAsync<JsonElement>(location),
            r => r.GetProperty("status").GetString() is "succeeded" or "failed", TimeSpan.FromSeconds(60));
        var good = run.GetProperty("model_version").GetString()!;
        await EngineTestHelpers.WaitForAsync(() => app.Client.RecommendedAsync(User), b => b.GetProperty("model_version").GetString() == good, TimeSpan.FromSeconds(10));

        // Two damaged copies of it, each a complete-looking version (model.bin, clusters.json, then manifest.json).
        var bytes = (await _engine.Models.GetBlobClient($"{good}/{ModelRepository.ModelBlob}").DownloadContentAsync()).Value.Content.ToArray();
        var truncated = await WriteVersionAsync(good, "20300101T000000Z-truncated", bytes[..(bytes.Length / 2)]);
        var flipped = (byte[])bytes.Clone();
        for (var i = bytes.Length / 2; i < bytes.Length / 2 + 4096; i++)
            flipped[i] ^= 0x5A;     // the same length, 4 KiB in the middle changed: the reader's structural checks alone may not see it
        var corrupt = await WriteVersionAsync(good, "20300101T000001Z-corrupt", flipped);

        var requests = 0;
        foreach (var (version, why) in new[] { (truncated, "bytes where its manifest says"), (corrupt, "SHA-256") })
        {
            var response = await app.Client.SendAsync(AppProcess.Admin(HttpMethod.Post, $"{EngineTestHelpers.Engine}/models/{version}/activate"));
            requests++;
            var body = await response.Content.ReadAsStringAsync();
            output.WriteLine($"activate {version}: {(int)response.StatusCode} {body}");
            Assert.True(response.StatusCode is HttpStatusCode.UnprocessableEntity or HttpStatusCode.Conflict, body);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains(why, body);
            Assert.Equal(good, (await _models.GetActiveAsync()).Pointer!.Version);
            Assert.Equal(good, (await app.Client.RecommendedAsync(User)).GetProperty("model_version").GetString());
            Assert.Contains($"Refused to activate model {version}", app.Log);
        }
        var listed = await app.Client.GetFromJsonAsync<JsonElement>($"{EngineTestHelpers.Engine}/models");
        Assert.Equal(good, listed.GetProperty("active_version").GetString());

        // Another writer (an instance without the check, a hand edit) points active.json at the corrupt version: the app
        // keeps serving the good model and logs why, poll after poll, without crashing.
        await _models.ActivateAsync(corrupt, "test", DateTimeOffset.UtcNow);
        var pointedAt = DateTime.UtcNow;
        while (DateTime.UtcNow - pointedAt < TimeSpan.FromSeconds(2))
        {
            var recommended = await app.Client.RecommendedAsync(User);
            requests++;
            Assert.Equal(good, recommended.GetProperty("model_version").GetString());
            await Task.Delay(100);
        }
        Assert.Contains($"Could not load model {corrupt}; keeping {good}", app.Log);
        Assert.Equal(HttpStatusCode.OK, (await app.Client.GetAsync("/api/health")).StatusCode);
        Assert.False(app.HasExited);

        // Rolling back to the good version works as ever.
        var back = await app.Client.SendAsync(AppProcess.Admin(HttpMethod.Post, $"{EngineTestHelpers.Engine}/models/{good}/activate"));
        Assert.Equal(HttpStatusCode.OK, back.StatusCode);
        Assert.Equal(good, (await _models.GetActiveAsync()).Pointer!.Version);

        FaultFigures.Print(output, "truncated or corrupt model activated",
            "none: the good model served throughout",
            "nothing to recover from: the activations were refused (422), the pointer moved by another writer was not followed",
            $"0 of {requests} (2 activations refused with 422 as intended)", 0, 0);
    }

    /// <summary>A copy of <paramref name="source"/> under a new version name with the given model.bin; its manifest as the source's.</summary>
    async Task<string> WriteVersionAsync(string source, string version, byte[] model)
    {
        var manifest = JsonNode.Parse((await _engine.Models.GetBlobClient($"{source}/{ModelRepository.ManifestBlob}").DownloadContentAsync()).Value.Content.ToString())!;
        manifest["version"] = version;
        var clusters = (await _engine.Models.GetBlobClient($"{source}/{ModelRepository.ClustersBlob}").DownloadContentAsync()).Value.Content;
        await _engine.Models.GetBlobClient($"{version}/{ModelRepository.ModelBlob}").UploadAsync(new BinaryData(model));
        await _engine.Models.GetBlobClient($"{version}/{ModelRepository.ClustersBlob}").UploadAsync(clusters);
        await _engine.Models.GetBlobClient($"{version}/{ModelRepository.ManifestBlob}").UploadAsync(BinaryData.FromString(manifest.ToJsonString()),
            new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" } });
        return version;
    }
}
