using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MovieRecs.Core.Azurite;
using MovieRecs.Core.Engine;
using MovieRecs.Core.Store;
using Xunit.Abstractions;

namespace MovieRecs.Functions.Tests.Reliability;

/// <summary>
/// The app process is killed (SIGKILL) while its queue listener trains. Short settings: a 4 s visibility timeout (renewed
/// every 2 s while training), and 2 attempts per message so that two kills in a row exhaust them.
/// </summary>
[Collection(HeavyCollection.Name)]
public sealed class TrainingKillTests(ITestOutputHelper output) : IAsyncLifetime
{
    static readonly TimeSpan VisibilityTimeout = TimeSpan.FromSeconds(4);
    const int MaxAttempts = 2;

    static readonly Dictionary<string, string> Settings = new()
    {
        ["MovieRecs:Engine:Listener"] = "true",
        ["MovieRecs:Engine:QueuePollSeconds"] = "0.2",
        ["MovieRecs:Engine:VisibilityTimeoutSeconds"] = VisibilityTimeout.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["MovieRecs:Engine:RetryDelaySeconds"] = "0",
        ["MovieRecs:Engine:MaxDequeueCount"] = MaxAttempts.ToString(),
        ["MovieRecs:Engine:ModelPollSeconds"] = "0.5",
    };

    /// <summary>The training job's progress lines (Information), so the test can kill at a chosen stage.</summary>
    static readonly KeyValuePair<string, string> TrainingLog = new("Logging:LogLevel:MovieRecs.Functions.Engine.EngineFunctions", "Information");

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
    public async Task A_killed_run_is_retried_after_the_visibility_timeout_and_ends_succeeded_or_failed_never_running_and_the_pointer_always_names_a_complete_version()
    {
        // The active pointer, sampled all along: every version it names must be complete (manifest and a model.bin of the
        // manifest's length) at the moment it is seen.
        using var sampling = new CancellationTokenSource();
        var pointerViolations = new ConcurrentQueue<string>();
        var pointersSeen = new ConcurrentDictionary<string, int>();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                try
                {
                    if ((await _models.GetActiveAsync()).Pointer is { } pointer)
                    {
                        pointersSeen.AddOrUpdate(pointer.Version, 1, (_, n) => n + 1);
                        var manifest = await _models.GetManifestAsync(pointer.Version);
                        var model = _engine.Models.GetBlobClient($"{pointer.Version}/{ModelRepository.ModelBlob}");
                        if (manifest is null || !(await model.ExistsAsync()).Value || (await model.GetPropertiesAsync()).Value.ContentLength != manifest.ModelBytes)
                            pointerViolations.Enqueue(pointer.Version);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    pointerViolations.Enqueue("sampling failed: " + e.Message);
                }
                await Task.Delay(100);
            }
        });

        // ---- 1: killed during attempt 1, after the model was trained (while it is clustered and uploaded); the message
        // comes back after its visibility timeout and attempt 2 succeeds.
        var first = await AppProcess.StartAsync(_azurite.ConnectionString, output, Settings.Append(TrainingLog).ToDictionary());
        var user = await first.Client.CreateUserAsync();
        // a writer all along: what was acknowledged before the kill must survive it
        var acked = new ConcurrentDictionary<int, double>();
        using var writing = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            for (var movie = 1; movie <= 512 && !writing.IsCancellationRequested; movie++)
            {
                try
                {
                    if ((await first.Client.RateAsync(user, movie, 4)).IsSuccessStatusCode)
                        acked[movie] = 4;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
                await Task.Delay(10);
            }
        });
        var location = await RequestTrainingAsync(first.Client);
        await EngineTestHelpers.WaitForAsync(() => Task.FromResult(JsonSerializer.SerializeToElement(first.Log.Contains("trained on "))),
            trained => trained.GetBoolean(), TimeSpan.FromSeconds(60));
        var killedAt = DateTimeOffset.UtcNow;
        first.Kill();
        writing.Cancel();
        await writer;
        await first.DisposeAsync();
        Assert.Equal(RunStatus.Running, Status(await ReadRunAsync(location)));
        Assert.Empty((await _engine.Queue.PeekMessagesAsync(32)).Value);   // still invisible: the dead attempt holds it

        await using (var second = await AppProcess.StartAsync(_azurite.ConnectionString, output, Settings, seed: false))
        {
            var retried = await PollAsync(second.Client, location, r => r.GetProperty("attempts").GetInt32() == 2, TimeSpan.FromSeconds(30));
            var retriedAfter = retried.GetProperty("started_at").GetDateTimeOffset() - killedAt;
            var done = await PollAsync(second.Client, location, r => RunStatus.IsFinished(Status(r)), TimeSpan.FromSeconds(60));
            var recovered = DateTimeOffset.UtcNow - killedAt;
            output.WriteLine($"run 1: attempt 2 started {retriedAfter.TotalSeconds:F1} s after the kill; {Status(done)} {recovered.TotalSeconds:F1} s after it; {done}");
            Assert.Equal(RunStatus.Succeeded, Status(done));
            Assert.Equal(2, done.GetProperty("attempts").GetInt32());
            // not before the message's visibility ran out: renewed every half timeout, so at least half of it was left
            Assert.True(retriedAfter >= VisibilityTimeout / 2 - TimeSpan.FromMilliseconds(300), $"retried {retriedAfter.TotalSeconds:F1} s after the kill");
            var version = done.GetProperty("model_version").GetString()!;
            Assert.Equal(version, (await _models.GetActiveAsync()).Pointer!.Version);
            await EngineTestHelpers.WaitForAsync(() => second.Client.RecommendedAsync(user), b => b.GetProperty("model_version").GetString() == version,
                TimeSpan.FromSeconds(10));

            var stored = await Stored.UserRatingsAsync(new MovieStore(_azurite.ConnectionString), user);
            var lost = acked.Count(a => !(stored.TryGetValue(a.Key, out var r) && r == a.Value));
            FaultFigures.Print(output, "app killed during a training run (retried)",
                $"training delayed: attempt 2 started {FaultFigures.Seconds(retriedAfter)} after the kill (visibility timeout {VisibilityTimeout.TotalSeconds:F0} s, renewed every {VisibilityTimeout.TotalSeconds / 2:F0} s)",
                $"{FaultFigures.Seconds(recovered)} from the kill to the run succeeded",
                "none sent to the killed process after the kill; training attempts failed: 1 of 2", lost, acked.Count);
            Assert.Equal(0, lost);
        }

        // ---- 2: killed during both attempts; the next delivery exceeds them: the message goes to the poison queue and
        // the run is recorded as failed instead of staying "running".
        var activeBefore = (await _models.GetActiveAsync()).Pointer!.Version;
        var killedAgainAt = DateTimeOffset.UtcNow;
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            await using var app = await AppProcess.StartAsync(_azurite.ConnectionString, output, Settings, seed: false);
            if (attempt == 1)
                location = await RequestTrainingAsync(app.Client);
            await PollAsync(app.Client, location, r => r.GetProperty("attempts").GetInt32() == attempt && Status(r) == RunStatus.Running,
                TimeSpan.FromSeconds(30));
            killedAgainAt = DateTimeOffset.UtcNow;
            app.Kill();
            output.WriteLine($"run 2: killed during attempt {attempt}");
        }
        var location2 = location;
        await using (var last = await AppProcess.StartAsync(_azurite.ConnectionString, output, Settings, seed: false))
        {
            var failed = await PollAsync(last.Client, location2, r => Status(r) != RunStatus.Running, TimeSpan.FromSeconds(30));
            var recovered = DateTimeOffset.UtcNow - killedAgainAt;
            output.WriteLine($"run 2: {Status(failed)} {recovered.TotalSeconds:F1} s after the second kill: {failed}");
            Assert.Equal(RunStatus.Failed, Status(failed));
            Assert.Contains("never finished", failed.GetProperty("error").GetString());
            var poisoned = await EngineTestHelpers.WaitForAsync(
                async () => JsonSerializer.SerializeToElement((await _engine.Poison.PeekMessagesAsync(32)).Value.Select(m => m.MessageText).ToArray()),
                p => p.GetArrayLength() > 0, TimeSpan.FromSeconds(10));
            Assert.Contains(location2[(location2.LastIndexOf('/') + 1)..], poisoned[0].GetString());
            Assert.Equal(activeBefore, (await _models.GetActiveAsync()).Pointer!.Version);   // a failed run leaves the active model alone
            Assert.Equal(HttpStatusCode.OK, (await last.Client.GetAsync("/api/health")).StatusCode);
            FaultFigures.Print(output, "app killed during every attempt of a run",
                "n/a (no client requests to the killed processes)",
                $"{FaultFigures.Seconds(recovered)} from the last kill to the run recorded failed and its message poisoned",
                $"training attempts failed: {MaxAttempts} of {MaxAttempts}", 0, 0);
        }

        sampling.Cancel();
        await sampler;
        output.WriteLine($"active pointer sampled {pointersSeen.Values.Sum()} times, versions: {string.Join(", ", pointersSeen.Keys)}");
        Assert.Empty(pointerViolations);
        Assert.NotEmpty(pointersSeen);
    }

    static string Status(JsonElement run) => run.GetProperty("status").GetString()!;

    static async Task<string> RequestTrainingAsync(HttpClient client)
    {
        var response = await client.SendAsync(AppProcess.Admin(HttpMethod.Post, EngineTestHelpers.Engine));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return response.Headers.Location!.ToString();
    }

    async Task<JsonElement> ReadRunAsync(string location)
    {
        var id = location[(location.LastIndexOf('/') + 1)..];
        var run = await new TrainingRuns(_engine).GetAsync(id);
        return JsonSerializer.SerializeToElement(new { status = run!.Status, attempts = run.Attempts });
    }

    /// <summary>Polls the run every 50 ms (doing <paramref name="meanwhile"/> between polls) until <paramref name="done"/>.</summary>
    static async Task<JsonElement> PollAsync(HttpClient client, string location, Func<JsonElement, bool> done, TimeSpan timeout, Func<Task>? meanwhile = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var run = await client.GetFromJsonAsync<JsonElement>(location);
            if (done(run))
                return run;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"run not there within {timeout}: {run}");
            if (meanwhile is not null)
                await meanwhile();
            await Task.Delay(50);
        }
    }
}
