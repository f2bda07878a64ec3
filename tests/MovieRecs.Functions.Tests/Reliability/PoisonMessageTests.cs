using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Storage.Queues;
using MovieRecs.Core.Azurite;
using MovieRecs.Core.Engine;
using MovieRecs.Core.Store;
using Xunit.Abstractions;

namespace MovieRecs.Functions.Tests.Reliability;

/// <summary>
/// Messages no training can come of, on the queue of a running app process: text that is no training message, a
/// training message naming no run, and text that is not even Base64 (another producer). Each ends in the poison queue
/// after 5 attempts, while the app keeps serving and training.
/// </summary>
[Collection(HeavyCollection.Name)]
public sealed class PoisonMessageTests(ITestOutputHelper output) : IAsyncLifetime
{
    const int MaxAttempts = EngineStorage.MaxDequeueCount;

    AzuriteProcess _azurite = null!;
    EngineStorage _engine = null!;

    public async Task InitializeAsync()
    {
        _azurite = await AzuriteProcess.StartAsync(new AzuriteOptions { InMemory = true });
        _engine = new EngineStorage(_azurite.ConnectionString);
    }

    public async Task DisposeAsync() => await _azurite.DisposeAsync();

    [Fact]
    public async Task Malformed_and_unknown_training_messages_end_in_the_poison_queue_after_5_attempts_and_the_app_keeps_serving()
    {
        await using var app = await AppProcess.StartAsync(_azurite.ConnectionString, output, new Dictionary<string, string>
        {
            ["MovieRecs:Engine:Listener"] = "true",
            ["MovieRecs:Engine:QueuePollSeconds"] = "0.1",
            ["MovieRecs:Engine:VisibilityTimeoutSeconds"] = "1",
            ["MovieRecs:Engine:RetryDelaySeconds"] = "0",
            ["MovieRecs:Engine:ModelPollSeconds"] = "0.5",
        });
        var user = await app.Client.CreateUserAsync();

        const string notTraining = "not a training message";
        const string unknownRun = """{"run_id": "20990101000000-deadbeef"}""";
        const string notBase64 = "{raw text from another producer: not Base64}";
        await _engine.EnsureCreatedAsync();
        var sentAt = DateTime.UtcNow;
        await _engine.Queue.SendMessageAsync(notTraining);
        await _engine.Queue.SendMessageAsync(unknownRun);
        var raw = new QueueClient(_azurite.ConnectionString, EngineStorage.TrainingQueue,
            new QueueClientOptions(StorageAccount.PinnedQueueVersion) { MessageEncoding = QueueMessageEncoding.None });
        await raw.SendMessageAsync(notBase64);

        // Clients keep using the app meanwhile: health, search and writes.
        var recorder = new RequestRecorder();
        var acked = new List<int>();
        var poisonedAfter = new Dictionary<string, TimeSpan>();
        var movie = 0;
        while (poisonedAfter.Count < 3)
        {
            Assert.True(DateTime.UtcNow - sentAt < TimeSpan.FromSeconds(60), $"poisoned so far: {string.Join(", ", poisonedAfter.Keys)}");
            await recorder.GetAsync(app.Client, "health", "/api/health");
            await recorder.GetAsync(app.Client, "search", "/api/rest/v1/movies?search=matrix");
            if ((await recorder.PostJsonAsync(app.Client, "write", "/api/rest/v1/ratings", $$"""{"user_id": {{user}}, "movie_id": {{++movie}}, "rating": 3.5}""")).Ok)
                acked.Add(movie);
            foreach (var message in (await _engine.Poison.PeekMessagesAsync(32)).Value)
                poisonedAfter.TryAdd(message.MessageText, DateTime.UtcNow - sentAt);
            await Task.Delay(100);
        }
        foreach (var (text, after) in poisonedAfter)
            output.WriteLine($"poisoned after {after.TotalSeconds:F1} s: {text}");

        // Each text unchanged in the poison queue, gone from the training queue, after exactly 5 attempts each.
        Assert.Equal(new[] { notBase64, notTraining, unknownRun }.Order(), poisonedAfter.Keys.Order());
        Assert.Empty((await _engine.Queue.PeekMessagesAsync(32)).Value);
        Assert.Equal(0, (await _engine.Queue.GetPropertiesAsync()).Value.ApproximateMessagesCount);
        var log = app.Log;
        Assert.Equal(3, CountOf(log, $"moved to {EngineStorage.PoisonQueue} after {MaxAttempts} attempts"));
        Assert.Equal(MaxAttempts, CountOf(log, "is not Base64 text (attempt "));

        // The app kept serving, and its listener still trains.
        var outcomes = recorder.Outcomes;
        Assert.All(outcomes, o => Assert.True(o.Ok, o.ToString()));
        Assert.False(app.HasExited);
        var location = (await app.Client.SendAsync(AppProcess.Admin(HttpMethod.Post, EngineTestHelpers.Engine))).Headers.Location!.ToString();
        var run = await EngineTestHelpers.WaitForAsync(() => app.Client.GetFromJsonAsync<JsonElement>(location),
            r => r.GetProperty("status").GetString() is "succeeded" or "failed", TimeSpan.FromSeconds(60));
        Assert.Equal("succeeded", run.GetProperty("status").GetString());

        var stored = await Stored.UserRatingsAsync(new MovieStore(_azurite.ConnectionString), user);
        var lost = acked.Count(m => !stored.ContainsKey(m));
        FaultFigures.Print(output, "malformed or unknown training messages",
            "none (0 failed requests while the messages were retried)",
            $"in the poison queue after {string.Join(" / ", new[] { notTraining, unknownRun, notBase64 }.Select(t => FaultFigures.Seconds(poisonedAfter[t])))} "
            + "(not a training message / unknown run / not Base64); a training run afterwards succeeded",
            FaultFigures.Failed(outcomes.Count(o => !o.Ok), outcomes.Count), lost, acked.Count);
        Assert.Equal(0, lost);
        Assert.Equal(HttpStatusCode.OK, (await app.Client.GetAsync("/api/health")).StatusCode);
    }

    static int CountOf(string text, string part)
    {
        var count = 0;
        for (var at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal))
            count++;
        return count;
    }
}
