using System.Collections.Concurrent;
using MovieRecs.Core.Azurite;
using MovieRecs.Core.Store;
using Xunit.Abstractions;

namespace MovieRecs.Functions.Tests.Reliability;

/// <summary>
/// Storage fails under load and comes back: while clients of an app process write, read, check health and search,
/// Azurite (persisting to disk) is stopped and later restarted on the same ports and data, or frozen and later thawed.
/// The app is never restarted.
/// </summary>
[Collection(HeavyCollection.Name)]
public sealed class StorageOutageUnderLoadTests(ITestOutputHelper output)
{
    const int BrowsingClients = 4;
    static readonly TimeSpan Hang = TimeSpan.FromSeconds(10);
    static readonly TimeSpan RecoveryLimit = TimeSpan.FromSeconds(30);

    /// <summary>Kinds of request that need storage (a rating written, a rating read, the model list from blobs); health says whether storage is reachable.</summary>
    static readonly string[] StorageBacked = ["write", "read", "models"];
    static readonly string[] FromMemory = ["search", "listing"];

    [Fact]
    public Task While_storage_is_stopped_storage_backed_requests_get_fast_503s_search_answers_from_memory_and_the_app_recovers_by_itself() =>
        RunAsync("storage stops under load", clients: 8, TimeSpan.FromSeconds(6),
            // every request sent while it is down and answered before it is back
            duringOutage: (o, down, back) => o.Start >= down && o.End <= back,
            takeDown: azurite => azurite.StopAsync(),
            bringBack: azurite => AzuriteProcess.StartAsync(new AzuriteOptions
            {
                Location = _location, BlobPort = azurite.BlobPort, QueuePort = azurite.QueuePort, TablePort = azurite.TablePort,
            }));

    /// <summary>
    /// Storage that accepts connections and never answers (a frozen process, a network partition): SIGSTOP, then SIGCONT
    /// after longer than the 10 s a client may wait, so any request the app lets hang shows. More clients: each one waits
    /// out the request deadline on its first storage-backed request.
    /// </summary>
    [Fact]
    public Task While_storage_is_frozen_storage_backed_requests_get_503s_within_10_s_and_the_app_recovers_by_itself() =>
        RunAsync("storage freezes under load", clients: 32, TimeSpan.FromSeconds(14),
            // every request still waiting half a second into the freeze (storage cannot have answered it) and sent early
            // enough that its deadline (8 s) ran out before the thaw
            duringOutage: (o, down, back) => o.End >= down + TimeSpan.FromSeconds(0.5) && o.Start <= back - TimeSpan.FromSeconds(8.5),
            takeDown: azurite => SignalAsync(azurite.ProcessId, "STOP"),
            bringBack: async azurite =>
            {
                await SignalAsync(azurite.ProcessId, "CONT");
                return azurite;
            });

    static async Task SignalAsync(int pid, string signal)
    {
        using var kill = System.Diagnostics.Process.Start("kill", [$"-{signal}", pid.ToString()])!;
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
    }

    readonly string _location = Directory.CreateTempSubdirectory("movierecs-outage-").FullName;

    async Task RunAsync(string fault, int clients, TimeSpan outageLength, Func<Outcome, TimeSpan, TimeSpan, bool> duringOutage,
        Func<AzuriteProcess, Task> takeDown, Func<AzuriteProcess, Task<AzuriteProcess>> bringBack)
    {
        var location = _location;
        var azurite = await AzuriteProcess.StartAsync(new AzuriteOptions { Location = location });
        try
        {
            await using var app = await AppProcess.StartAsync(azurite.ConnectionString, output);
            var users = new int[clients];
            for (var i = 0; i < clients; i++)
                users[i] = await app.Client.CreateUserAsync();

            // Each client owns a user and rates each movie at most once, so an acknowledged value is the final one.
            var recorder = new RequestRecorder();
            var acked = new ConcurrentDictionary<(int User, int Movie), double>();
            using var stop = new CancellationTokenSource();
            var load = Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
            {
                using var client = app.CreateClient();
                var random = new Random(c);
                var user = users[c];
                var movies = new Queue<int>(Enumerable.Range(1, 512).OrderBy(_ => random.Next()));
                var rated = new List<int>();
                for (var i = c; !stop.IsCancellationRequested; i++)
                {
                    switch (i % 4)
                    {
                        case 0 when movies.Count > 0:
                            var movie = movies.Dequeue();
                            var rating = random.Next(1, 11) / 2.0;
                            var write = await recorder.PostJsonAsync(client, "write", "/api/rest/v1/ratings",
                                $$"""{"user_id": {{user}}, "movie_id": {{movie}}, "rating": {{rating.ToString(System.Globalization.CultureInfo.InvariantCulture)}}}""");
                            if (write.Ok)
                            {
                                acked[(user, movie)] = rating;
                                rated.Add(movie);
                            }
                            break;
                        case 1 when rated.Count > 0:
                            await recorder.GetAsync(client, "read", $"/api/rest/v1/ratings/{Api.RatingIdOf(user, rated[random.Next(rated.Count)])}");
                            break;
                        case 2:
                            await recorder.GetAsync(client, "health", "/api/health");
                            break;
                        case 3:
                            await recorder.GetAsync(client, "models", "/api/rest/v1/recommendation-engine/models");
                            break;
                    }
                    await Task.Delay(20);
                }
            })).ToList();
            // A health prober and browsing clients apart, so that none is held up behind another kind of request.
            load.Add(Task.Run(async () =>
            {
                using var client = app.CreateClient();
                while (!stop.IsCancellationRequested)
                {
                    await recorder.GetAsync(client, "health", "/api/health");
                    await Task.Delay(100);
                }
            }));
            load.AddRange(Enumerable.Range(0, BrowsingClients).Select(c => Task.Run(async () =>
            {
                using var client = app.CreateClient();
                var random = new Random(c);
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    if (i % 2 == 0)
                        await recorder.GetAsync(client, "search", "/api/rest/v1/movies?search=star%20wa");
                    else
                        await recorder.GetAsync(client, "listing", $"/api/rest/v1/movies?page={random.Next(1, 20)}&limit=20&sort=popularity");
                    await Task.Delay(20);
                }
            })));

            await Task.Delay(TimeSpan.FromSeconds(3));
            var stopping = recorder.Now;
            await takeDown(azurite);
            var down = recorder.Now;        // Azurite has exited, or is frozen
            await Task.Delay(outageLength);
            var restarting = recorder.Now;
            azurite = await bringBack(azurite);
            var up = recorder.Now;          // answering again, on the same ports and data

            // Recovered: health and every storage-backed kind answered 2xx to a request sent after storage was back.
            TimeSpan? recovered = null;
            while (recorder.Now - up < RecoveryLimit + TimeSpan.FromSeconds(5))
            {
                var after = recorder.Outcomes.Where(o => o.Start >= up && o.Ok).ToList();
                if (StorageBacked.Append("health").All(kind => after.Any(o => o.Kind == kind)))
                {
                    recovered = StorageBacked.Append("health").Max(kind => after.Where(o => o.Kind == kind).Min(o => o.End));
                    break;
                }
                await Task.Delay(100);
            }
            await Task.Delay(TimeSpan.FromSeconds(2));   // and it stays up
            stop.Cancel();
            await Task.WhenAll(load);
            var outcomes = recorder.Outcomes;

            foreach (var kind in outcomes.GroupBy(o => o.Kind).OrderBy(g => g.Key))
                output.WriteLine($"{kind.Key}: {kind.Count()} requests, " + string.Join(", ", kind.GroupBy(o => o.Status).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count()}"))
                    + $"; slowest {kind.Max(o => o.Duration).TotalMilliseconds:F0} ms");
            output.WriteLine($"storage stopping at {stopping.TotalSeconds:F2} s, down at {down.TotalSeconds:F2} s, restarting at {restarting.TotalSeconds:F2} s, "
                + $"up at {up.TotalSeconds:F2} s, app recovered at {recovered?.TotalSeconds:F2} s");

            // Never a 500, never a request without an answer, never an answer slower than 10 s.
            Assert.All(outcomes, o => Assert.True(o.Status is not 0 and (< 500 or 503), $"unexpected: {o}"));
            Assert.All(outcomes, o => Assert.True(o.Duration < Hang, $"hung: {o}"));

            // Search and listing answer from memory throughout.
            Assert.All(outcomes.Where(o => FromMemory.Contains(o.Kind)), o => Assert.True(o.Ok, $"from memory: {o}"));

            // While storage is down: health 503, storage-backed answers 503 with Retry-After and problem+json.
            var whileDown = outcomes.Where(o => duringOutage(o, down, restarting)).ToList();
            // Frozen, each client is held by one request at a time, whichever kind it was on, and which kind that is varies
            // from run to run (one CI run: 32 health, 1 read; another: 14 health, 16 model lists, 3 writes). Health checks
            // storage on every request, so it counts too.
            Assert.True(whileDown.Count(o => StorageBacked.Contains(o.Kind) || o.Kind == "health") >= 20,
                "too few storage-backed requests during the outage to prove anything");
            Assert.True(whileDown.Count(o => FromMemory.Contains(o.Kind)) >= 20, "too few searches during the outage to prove anything");
            Assert.Contains(whileDown, o => o.Kind == "health");
            Assert.All(whileDown.Where(o => o.Kind == "health"), o => Assert.True(o.Status == 503 && o.RetryAfter, $"health while down: {o}"));
            Assert.All(whileDown.Where(o => StorageBacked.Contains(o.Kind)), o =>
                Assert.True(o.Status == 503 && o.RetryAfter && o.MediaType == "application/problem+json", $"while down: {o} ({o.MediaType}, Retry-After {o.RetryAfter})"));

            // Back by itself within 30 s, the same process, and every request after that succeeds.
            Assert.True(recovered is not null && recovered.Value - up <= RecoveryLimit, $"not recovered within {RecoveryLimit.TotalSeconds} s of storage returning");
            Assert.False(app.HasExited);
            Assert.All(outcomes.Where(o => o.Start > recovered!.Value), o => Assert.True(o.Ok, $"after recovery: {o}"));

            // Every acknowledged rating is stored with its value.
            var store = new MovieStore(azurite.ConnectionString);
            var lost = 0;
            foreach (var user in users)
            {
                var stored = await Stored.UserRatingsAsync(store, user);
                lost += acked.Count(p => p.Key.User == user && !(stored.TryGetValue(p.Key.Movie, out var value) && value == p.Value));
            }

            var failed = outcomes.Where(o => !o.Ok).ToList();
            var failedStorageBacked = failed.Where(o => StorageBacked.Contains(o.Kind)).ToList();
            var outage = failedStorageBacked.Count == 0 ? TimeSpan.Zero : failedStorageBacked.Max(o => o.End) - failedStorageBacked.Min(o => o.Start);
            var slowest = outcomes.Where(o => o.End >= down && o.Start <= up).Max(o => o.Duration);
            FaultFigures.Print(output, fault,
                $"{FaultFigures.Seconds(outage)} of 503s (storage down {FaultFigures.Seconds(up - down)}; slowest answer meanwhile {slowest.TotalMilliseconds:F0} ms; "
                + $"search and listing: {outcomes.Count(o => FromMemory.Contains(o.Kind) && !o.Ok)} failed)",
                "n/a (next row)", FaultFigures.Failed(failed.Count, outcomes.Count), lost, acked.Count);
            FaultFigures.Print(output, fault + ": storage comes back",
                $"{FaultFigures.Seconds(recovered!.Value - up)} of failures after storage answered again",
                $"{FaultFigures.Seconds(recovered.Value - up)} (no restart: app pid {app.ProcessId} throughout)",
                FaultFigures.Failed(outcomes.Count(o => o.Start >= up && !o.Ok), outcomes.Count(o => o.Start >= up)), lost, acked.Count);
            Assert.True(acked.Count > 50, "too few acknowledged writes to prove anything");
            Assert.Equal(0, lost);
        }
        finally
        {
            await SignalAsync(azurite.ProcessId, "CONT");   // a frozen Azurite could not stop cleanly
            await azurite.DisposeAsync();
            try { Directory.Delete(location, recursive: true); } catch (IOException) { }
        }
    }
}
