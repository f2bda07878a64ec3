using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.DependencyInjection;
using MovieRecs.Core.Azurite;
using MovieRecs.Core.Engine;
using MovieRecs.Functions.Admin;
using MovieRecs.Functions.Engine;

namespace MovieRecs.Functions.Tests;

/// <summary>An app seeded with the demo data, with the standalone queue listener off: the tests play the Functions host.</summary>
public sealed class EngineFixture : IAsyncLifetime
{
    public AzuriteProcess Azurite { get; private set; } = null!;
    public MovieRecsFactory Factory { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;
    public EngineStorage Storage { get; private set; } = null!;

    public static readonly Dictionary<string, string?> Settings = new()
    {
        ["MovieRecs:Engine:Listener"] = "false",
        ["MovieRecs:Engine:ModelPollSeconds"] = "0.3",
    };

    public async Task InitializeAsync()
    {
        Azurite = await AzuriteProcess.StartAsync(new AzuriteOptions { InMemory = true });
        Storage = new EngineStorage(Azurite.ConnectionString);
        Factory = new MovieRecsFactory(Azurite.ConnectionString, settings: Settings);
        Client = await Factory.CreateReadyClientAsync();
    }

    public async Task DisposeAsync()
    {
        await Factory.DisposeAsync();
        await Azurite.DisposeAsync();
    }
}

static class EngineTestHelpers
{
    public const string Engine = "/api/rest/v1/recommendation-engine";

    public static HttpRequestMessage Admin(HttpMethod method, string url, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, url) { Content = content };
        request.Headers.Add(AdminKey.HeaderName, AppFixture.AdminKey);
        return request;
    }

    public static async Task<string> RequestTrainingAsync(this HttpClient client)
    {
        var response = await client.SendAsync(Admin(HttpMethod.Post, Engine));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("", await response.Content.ReadAsStringAsync());
        var location = response.Headers.Location!.ToString();
        Assert.StartsWith(Engine + "/runs/", location);
        return location;
    }

    /// <summary>Hands a message to the TrainModel function as the Functions host would (an exception = the host retries).</summary>
    public static Task TrainModelAsync(this EngineFixture fx, string messageText, int dequeueCount = 1) =>
        fx.Factory.Services.GetRequiredService<EngineFunctions>().TrainModel(
            QueuesModelFactory.QueueMessage(Guid.NewGuid().ToString(), "pop", BinaryData.FromString(messageText), dequeueCount), CancellationToken.None);

    /// <summary>Takes the one training message off the queue and hands it to TrainModel; deletes it when TrainModel returned.</summary>
    public static async Task<(HttpStatusCode Status, string Error)> DeliverQueuedMessageAsync(this EngineFixture fx)
    {
        var message = (await fx.Storage.Queue.ReceiveMessageAsync(TimeSpan.FromMinutes(5))).Value;
        Assert.NotNull(message);
        try
        {
            await fx.Factory.Services.GetRequiredService<EngineFunctions>().TrainModel(message, CancellationToken.None);
        }
        catch (Exception e)
        {
            return (HttpStatusCode.InternalServerError, e.ToString());
        }
        await fx.Storage.Queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
        return (HttpStatusCode.OK, "");
    }

    public static async Task<JsonElement> RecommendedAsync(this HttpClient client, int userId, string query = "") =>
        await client.GetFromJsonAsync<JsonElement>($"/api/rest/v1/user/{userId}/recommended-movies{query}");

    public static async Task<JsonElement> WaitForAsync(Func<Task<JsonElement>> get, Func<JsonElement, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var value = await get();
            if (done(value))
                return value;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Condition not met within {timeout}: {value}");
            await Task.Delay(100);
        }
    }

    public static int[] Ids(this JsonElement body) => body.GetProperty("movie_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
}

public sealed class EngineTests(EngineFixture fx) : IClassFixture<EngineFixture>
{
    const int User = 7;

    [Fact]
    public async Task Training_pipeline_recommendations_fold_in_listing_activation_and_rollback()
    {
        var client = fx.Client;

        // ---- before any model: the popularity fallback, never a 5xx
        var before = await client.RecommendedAsync(User, "?n=5");
        Assert.Equal(JsonValueKind.Null, before.GetProperty("model_version").ValueKind);
        Assert.Equal("popularity", before.GetProperty("source").GetString());
        Assert.Equal(5, before.Ids().Length);
        var legacyBefore = await client.GetFromJsonAsync<JsonElement>($"/api/users/{User}/recommendations");
        Assert.Equal(3, legacyBefore.GetProperty("recommendations").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, legacyBefore.GetProperty("model_version").ValueKind);

        // ---- POST training: 202 + Location; a second POST while queued joins the same run
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsync(EngineTestHelpers.Engine, null)).StatusCode);
        var concurrent = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => client.RequestTrainingAsync()));
        var location = Assert.Single(concurrent.Distinct());
        Assert.Equal(location, await client.RequestTrainingAsync());
        var queued = await client.GetFromJsonAsync<JsonElement>(location);
        Assert.Equal("queued", queued.GetProperty("status").GetString());
        Assert.Equal(1, (await fx.Storage.Queue.GetPropertiesAsync()).Value.ApproximateMessagesCount);

        // ---- the queue trigger trains on the demo data, writes both blobs and moves the pointer
        var (status, error) = await fx.DeliverQueuedMessageAsync();
        Assert.True(status == HttpStatusCode.OK, error);

        var run = await client.GetFromJsonAsync<JsonElement>(location);
        Assert.Equal("succeeded", run.GetProperty("status").GetString());
        var v1 = run.GetProperty("model_version").GetString()!;
        Assert.Matches(@"^\d{8}T\d{6}Z-", v1);
        var metrics = run.GetProperty("metrics");
        Assert.InRange(metrics.GetProperty("rmse").GetDouble(), 0.1, 2.0);
        Assert.InRange(metrics.GetProperty("ndcg_at10").GetDouble(), 0.0001, 1);
        Assert.True(run.GetProperty("started_at").GetDateTimeOffset() <= run.GetProperty("finished_at").GetDateTimeOffset());
        Assert.True(await fx.Storage.Models.GetBlobClient($"{v1}/model.bin").ExistsAsync());
        var manifest = JsonDocument.Parse((await fx.Storage.Models.GetBlobClient($"{v1}/manifest.json").DownloadContentAsync()).Value.Content.ToString()).RootElement;
        Assert.Equal(v1, manifest.GetProperty("version").GetString());
        Assert.True(manifest.GetProperty("data").GetProperty("ratings").GetInt32() > 1_000, manifest.GetProperty("data").ToString());
        Assert.NotEmpty(manifest.GetProperty("parameters").EnumerateObject());
        Assert.False(string.IsNullOrEmpty(manifest.GetProperty("code_version").GetString()));
        // the learned ranker: its files in the version, named in the manifest with features, importances and hold-out figures
        var ranker = manifest.GetProperty("ranker");
        Assert.Equal("ranker.zip", ranker.GetProperty("model_file").GetString());
        Assert.True(await fx.Storage.Models.GetBlobClient($"{v1}/ranker.zip").ExistsAsync());
        Assert.True(await fx.Storage.Models.GetBlobClient($"{v1}/ranker.bin").ExistsAsync());
        Assert.Equal(Recommender.Ranking.LearnedRanker.FeatureNames.Order(),
            ranker.GetProperty("features").EnumerateArray().Select(f => f.GetProperty("name").GetString()!).Order());
        Assert.InRange(ranker.GetProperty("ece").GetDouble(), 0, 0.05);
        Assert.True(ranker.GetProperty("parameters").GetProperty("rankerTrees").GetDouble() > 0);
        Assert.True(manifest.GetProperty("ranker_seconds").GetDouble() > 0);
        var (active, _) = await new ModelRepository(fx.Storage).GetActiveAsync();
        Assert.Equal(v1, active!.Version);

        // a redelivery of a finished run is a no-op: it returns (the message is done with) and trains nothing
        var runId = location[(location.LastIndexOf('/') + 1)..];
        await fx.TrainModelAsync(new TrainingMessage(runId).ToJson(), dequeueCount: 2);
        Assert.Equal(v1, (await new ModelRepository(fx.Storage).GetActiveAsync()).Pointer!.Version);

        // ---- personal recommendations: model version, rated movies excluded unless asked for
        var personal = await EngineTestHelpers.WaitForAsync(() => client.RecommendedAsync(User, "?n=20"),
            b => b.GetProperty("model_version").GetString() == v1, TimeSpan.FromSeconds(10));
        Assert.Equal("model", personal.GetProperty("source").GetString());
        Assert.Equal(20, personal.Ids().Length);
        var rated = await client.UserRatingsAsync(User);
        Assert.NotEmpty(rated);
        Assert.DoesNotContain(personal.Ids(), rated.ContainsKey);
        var probabilities = personal.GetProperty("probabilities").EnumerateArray().Select(p => p.GetDouble()).ToArray();
        Assert.All(probabilities, p => Assert.InRange(p, 0, 1));
        // the probability of the event the list is ranked by: never higher further down
        Assert.All(probabilities.Zip(probabilities.Skip(1)), p => Assert.True(p.Second <= p.First, string.Join(", ", probabilities)));
        var withRated = await client.RecommendedAsync(User, "?n=100&include_rated=true");
        Assert.Contains(withRated.Ids(), rated.ContainsKey);
        var legacy = await client.GetFromJsonAsync<JsonElement>($"/api/users/{User}/recommendations?top=4");
        var legacyItems = legacy.GetProperty("recommendations").EnumerateArray().ToArray();
        Assert.Equal(4, legacyItems.Length);
        Assert.All(legacyItems, r => Assert.False(string.IsNullOrEmpty(r.GetProperty("movie_name").GetString())));
        Assert.Equal(personal.Ids()[..4], legacyItems.Select(r => r.GetProperty("movie_id").GetInt32()));
        Assert.Equal(probabilities[..4], legacyItems.Select(r => r.GetProperty("match").GetDouble()));

        // ---- fold-in: rating the top recommendations changes the result at once
        var top = personal.Ids()[..3];
        foreach (var movie in top)
            Assert.True((await client.RateAsync(User, movie, 0.5)).IsSuccessStatusCode);
        var after = await client.RecommendedAsync(User, "?n=20");
        Assert.DoesNotContain(after.Ids(), top.Contains);
        Assert.NotEqual(personal.Ids(), after.Ids());

        // ---- a brand-new user with ratings gets personal results; one without gets popularity (with the model's version)
        var newcomer = await client.CreateUserAsync();
        var empty = await client.RecommendedAsync(newcomer);
        Assert.Equal("popularity", empty.GetProperty("source").GetString());
        Assert.Equal(v1, empty.GetProperty("model_version").GetString());
        Assert.True((await client.RateAsync(newcomer, personal.Ids()[5], 5)).IsSuccessStatusCode);
        var newcomerRecs = await client.RecommendedAsync(newcomer);
        Assert.Equal("model", newcomerRecs.GetProperty("source").GetString());
        Assert.DoesNotContain(personal.Ids()[5], newcomerRecs.Ids());
        // a second newcomer who likes a popular movie instead gets other recommendations: their ratings drive the result
        var other2 = await client.CreateUserAsync();
        Assert.True((await client.RateAsync(other2, empty.Ids()[0], 5)).IsSuccessStatusCode);
        Assert.True((await client.RateAsync(other2, empty.Ids()[1], 5)).IsSuccessStatusCode);
        Assert.NotEqual(newcomerRecs.Ids(), (await client.RecommendedAsync(other2)).Ids());

        // ---- a second run: a new run id (the first finished), a newer version, listed first and active
        var location2 = await client.RequestTrainingAsync();
        Assert.NotEqual(location, location2);
        await Task.Delay(1100); // versions carry second-resolution timestamps
        Assert.Equal(HttpStatusCode.OK, (await fx.DeliverQueuedMessageAsync()).Status);
        var v2 = (await client.GetFromJsonAsync<JsonElement>(location2)).GetProperty("model_version").GetString()!;
        var models = await client.GetFromJsonAsync<JsonElement>($"{EngineTestHelpers.Engine}/models");
        var listed = models.GetProperty("models").EnumerateArray().ToArray();
        Assert.Equal([v2, v1], listed.Select(m => m.GetProperty("version").GetString()));
        Assert.True(listed[0].GetProperty("active").GetBoolean());
        Assert.False(listed[1].GetProperty("active").GetBoolean());
        Assert.Equal(v2, models.GetProperty("active_version").GetString());
        Assert.True(listed[1].GetProperty("metrics").GetProperty("rmse").GetDouble() > 0);

        // ---- another instance serves v2; rolling back to v1 on this one reaches it without a restart
        await using var other = new MovieRecsFactory(fx.Azurite.ConnectionString, seed: false, settings: EngineFixture.Settings);
        var otherClient = await other.CreateReadyClientAsync();
        await EngineTestHelpers.WaitForAsync(() => otherClient.RecommendedAsync(User), b => b.GetProperty("model_version").GetString() == v2, TimeSpan.FromSeconds(30));

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsync($"{EngineTestHelpers.Engine}/models/{v1}/activate", null)).StatusCode);
        var activate = await client.SendAsync(EngineTestHelpers.Admin(HttpMethod.Post, $"{EngineTestHelpers.Engine}/models/{v1}/activate"));
        Assert.Equal(HttpStatusCode.OK, activate.StatusCode);
        Assert.Equal(v1, (await client.RecommendedAsync(User)).GetProperty("model_version").GetString());
        var listedAfter = (await client.GetFromJsonAsync<JsonElement>($"{EngineTestHelpers.Engine}/models")).GetProperty("models").EnumerateArray().ToArray();
        Assert.True(listedAfter.Single(m => m.GetProperty("version").GetString() == v1).GetProperty("active").GetBoolean());
        await EngineTestHelpers.WaitForAsync(() => otherClient.RecommendedAsync(User), b => b.GetProperty("model_version").GetString() == v1, TimeSpan.FromSeconds(30));

        Assert.Equal(HttpStatusCode.NotFound,
            (await client.SendAsync(EngineTestHelpers.Admin(HttpMethod.Post, $"{EngineTestHelpers.Engine}/models/20990101T000000Z-nosuchrun/activate"))).StatusCode);

        // ---- a corrupt message throws (the host retries, then poisons), the active model unchanged
        var corrupt = await Assert.ThrowsAsync<FormatException>(() => fx.TrainModelAsync("not a training message"));
        Assert.Contains("Not a training message", corrupt.Message);
        await Assert.ThrowsAsync<KeyNotFoundException>(() => fx.TrainModelAsync(new TrainingMessage("20990101000000-deadbeef").ToJson()));
        Assert.Equal(v1, (await new ModelRepository(fx.Storage).GetActiveAsync()).Pointer!.Version);

        // ---- the CLI runs the same job: a third version, active, picked up by the app
        await Task.Delay(1100);
        var output = new StringWriter();
        var console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings { Out = new Spectre.Console.AnsiConsoleOutput(output) });
        Assert.Equal(0, await Cli.Commands.TrainFromStorageCommand.RunAsync(fx.Azurite.ConnectionString, console, CancellationToken.None));
        var v3 = (await new ModelRepository(fx.Storage).GetActiveAsync()).Pointer!.Version;
        Assert.NotEqual(v1, v3);
        Assert.Contains(v3, output.ToString());
        await EngineTestHelpers.WaitForAsync(() => client.RecommendedAsync(User), b => b.GetProperty("model_version").GetString() == v3, TimeSpan.FromSeconds(30));
        Assert.Equal(3, (await client.GetFromJsonAsync<JsonElement>($"{EngineTestHelpers.Engine}/models")).GetProperty("models").GetArrayLength());
    }

    [Fact]
    public async Task Bad_parameters_are_400_naming_the_parameter_and_unknown_users_and_runs_404()
    {
        var client = fx.Client;
        foreach (var (url, field) in new[]
        {
            ($"/api/rest/v1/user/{User}/recommended-movies?n=0", "n"),
            ($"/api/rest/v1/user/{User}/recommended-movies?n=101", "n"),
            ($"/api/rest/v1/user/{User}/recommended-movies?n=abc", "n"),
            ($"/api/rest/v1/user/{User}/recommended-movies?include_rated=maybe", "include_rated"),
            ($"/api/users/{User}/recommendations?top=0", "top"),
            ($"/api/users/{User}/recommendations?top=1000", "top"),
        })
        {
            var response = await client.GetAsync(url);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.True((await response.ReadJsonAsync()).GetProperty("errors").TryGetProperty(field, out _), url);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/rest/v1/user/99999999/recommended-movies")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/users/99999999/recommendations")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"{EngineTestHelpers.Engine}/runs/20990101000000-deadbeef")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"{EngineTestHelpers.Engine}/runs/..%2f")).StatusCode);
    }

    [Fact]
    public void TrainModel_is_a_queue_triggered_function_on_the_training_queue()
    {
        var function = Assert.Single(FunctionsMetadataFile.Queue());
        Assert.Equal(new FunctionsMetadataFile.QueueFunction("TrainModel", "training", "message", "AzureWebJobsStorage"), function);
    }
}

/// <summary>An empty store with the standalone listener on: failed runs and poison messages.</summary>
public sealed class EngineListenerFixture : IAsyncLifetime
{
    public AzuriteProcess Azurite { get; private set; } = null!;
    public MovieRecsFactory Factory { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;
    public EngineStorage Storage { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Azurite = await AzuriteProcess.StartAsync(new AzuriteOptions { InMemory = true });
        Storage = new EngineStorage(Azurite.ConnectionString);
        Factory = new MovieRecsFactory(Azurite.ConnectionString, seed: false, settings: new Dictionary<string, string?>
        {
            ["MovieRecs:Engine:Listener"] = "true",
            ["MovieRecs:Engine:QueuePollSeconds"] = "0.1",
            ["MovieRecs:Engine:VisibilityTimeoutSeconds"] = "2",
            ["MovieRecs:Engine:RetryDelaySeconds"] = "0",
            ["MovieRecs:Engine:ModelPollSeconds"] = "0.3",
        });
        Client = await Factory.CreateReadyClientAsync();
    }

    public async Task DisposeAsync()
    {
        await Factory.DisposeAsync();
        await Azurite.DisposeAsync();
    }
}

public sealed class EngineListenerTests(EngineListenerFixture fx) : IClassFixture<EngineListenerFixture>
{
    [Fact]
    public async Task A_run_without_ratings_fails_with_its_error_and_leaves_the_active_model_alone()
    {
        var pointer = await new ModelRepository(fx.Storage).ActivateAsync("20200101T000000Z-keepme00", "test", DateTimeOffset.UtcNow);
        var location = await fx.Client.RequestTrainingAsync();
        var run = await EngineTestHelpers.WaitForAsync(() => fx.Client.GetFromJsonAsync<JsonElement>(location),
            r => r.GetProperty("status").GetString() is "failed" or "succeeded", TimeSpan.FromSeconds(30));
        Assert.Equal("failed", run.GetProperty("status").GetString());
        Assert.Contains("no ratings", run.GetProperty("error").GetString());
        Assert.Equal(JsonValueKind.Null, run.GetProperty("model_version").ValueKind);
        Assert.Equal(pointer.Version, (await new ModelRepository(fx.Storage).GetActiveAsync()).Pointer!.Version);
        // a failed run is done with: the message is gone, not retried
        await EngineTestHelpers.WaitForAsync(async () => JsonSerializer.SerializeToElement((await fx.Storage.Queue.PeekMessagesAsync(32)).Value.Length),
            n => n.GetInt32() == 0, TimeSpan.FromSeconds(10));
        // recommendations with no model and no data: an empty popularity list, not a 5xx
        var user = await fx.Client.CreateUserAsync();
        var recs = await fx.Client.RecommendedAsync(user);
        Assert.Equal("popularity", recs.GetProperty("source").GetString());
    }

    [Fact]
    public async Task A_message_that_fails_five_times_moves_to_the_poison_queue()
    {
        await fx.Storage.EnsureCreatedAsync();
        await fx.Storage.Queue.SendMessageAsync("""{"run_id": "not-a-run"}""");
        var poison = await EngineTestHelpers.WaitForAsync(
            async () => JsonSerializer.SerializeToElement((await fx.Storage.Poison.PeekMessagesAsync(32)).Value.Select(m => m.MessageText).ToArray()),
            p => p.GetArrayLength() > 0, TimeSpan.FromSeconds(60));
        Assert.Equal("""{"run_id": "not-a-run"}""", poison[0].GetString());
        Assert.DoesNotContain((await fx.Storage.Queue.PeekMessagesAsync(32)).Value, m => m.MessageText.Contains("not-a-run"));
    }
}

/// <summary>The demo data with the standalone listener on and a 1 s visibility timeout, so a run outlives it.</summary>
public sealed class EngineListenerSuccessFixture : IAsyncLifetime
{
    public AzuriteProcess Azurite { get; private set; } = null!;
    public MovieRecsFactory Factory { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;
    public EngineStorage Storage { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Azurite = await AzuriteProcess.StartAsync(new AzuriteOptions { InMemory = true });
        Storage = new EngineStorage(Azurite.ConnectionString);
        Factory = new MovieRecsFactory(Azurite.ConnectionString, settings: new Dictionary<string, string?>
        {
            ["MovieRecs:Engine:Listener"] = "true",
            ["MovieRecs:Engine:QueuePollSeconds"] = "0.1",
            ["MovieRecs:Engine:VisibilityTimeoutSeconds"] = "1",
            ["MovieRecs:Engine:ModelPollSeconds"] = "0.3",
        });
        Client = await Factory.CreateReadyClientAsync();
    }

    public async Task DisposeAsync()
    {
        await Factory.DisposeAsync();
        await Azurite.DisposeAsync();
    }
}

public sealed class EngineListenerSuccessTests(EngineListenerSuccessFixture fx) : IClassFixture<EngineListenerSuccessFixture>
{
    [Fact]
    public async Task The_listener_trains_renewing_the_message_while_it_runs_and_deletes_it_after_success()
    {
        var location = await fx.Client.RequestTrainingAsync();
        var run = await EngineTestHelpers.WaitForAsync(() => fx.Client.GetFromJsonAsync<JsonElement>(location),
            r => r.GetProperty("status").GetString() is "failed" or "succeeded", TimeSpan.FromSeconds(60));
        Assert.Equal("succeeded", run.GetProperty("status").GetString());
        Assert.Equal(1, run.GetProperty("attempts").GetInt32());
        var version = run.GetProperty("model_version").GetString()!;
        await EngineTestHelpers.WaitForAsync(() => fx.Client.RecommendedAsync(7), b => b.GetProperty("model_version").GetString() == version,
            TimeSpan.FromSeconds(10));

        var listener = fx.Factory.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<Engine.TrainingQueueListener>().Single();
        await EngineTestHelpers.WaitForAsync(() => Task.FromResult(JsonSerializer.SerializeToElement(listener.Completed)), c => c.GetInt32() == 1,
            TimeSpan.FromSeconds(10));
        Assert.Equal(0, listener.Retried);
        Assert.Equal(0, listener.Poisoned);
        // the run outlived the 1 s visibility timeout: it was renewed, never redelivered
        if (run.GetProperty("duration_seconds").GetDouble() > 1.2)
            Assert.True(listener.Renewals > 0);
        await Task.Delay(1500);
        Assert.Empty((await fx.Storage.Queue.PeekMessagesAsync(32)).Value);
        Assert.Equal(1, listener.Completed);
    }
}
