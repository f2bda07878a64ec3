using System.Diagnostics;
using MovieRecs.Core.Azurite;
using MovieRecs.Core.Catalog;
using MovieRecs.Core.Store;
using Xunit.Abstractions;

namespace MovieRecs.Functions.Tests.Reliability;

/// <summary>
/// Many clients rating the same 10 movies, through one app process and through two on one storage: the aggregates
/// equal a recount of the stored rows, every acknowledged write is stored, and both instances serve it.
/// </summary>
[Collection(HeavyCollection.Name)]
public sealed class ConcurrentRatingTests(ITestOutputHelper output) : IAsyncLifetime
{
    const int Clients = 64, OperationsPerClient = 40, Users = 16;
    /// <summary>Fewer through two instances: two app processes share the machine's cores with Azurite.</summary>
    const int OperationsPerClientOnTwo = 25;
    static readonly int[] Movies = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

    /// <summary>Short refresh periods, so another instance's writes reach this one's lists within a few seconds.</summary>
    static readonly Dictionary<string, string> Settings = new()
    {
        ["MovieRecs:StatsRefreshSeconds"] = "1",
        ["MovieRecs:UserRatingsCacheSeconds"] = "1",
        ["MovieRecs:Engine:Listener"] = "false",
    };

    AzuriteProcess _azurite = null!;
    MovieStore _store = null!;

    public async Task InitializeAsync()
    {
        _azurite = await AzuriteProcess.StartAsync(new AzuriteOptions { InMemory = true });
        _store = new MovieStore(_azurite.ConnectionString);
    }

    public async Task DisposeAsync() => await _azurite.DisposeAsync();

    [Fact]
    public async Task Sixty_four_clients_rating_the_same_10_movies_leave_aggregates_equal_to_a_recount()
    {
        await using var app = await AppProcess.StartAsync(_azurite.ConnectionString, output, Settings);
        var users = new int[Users];
        for (var i = 0; i < Users; i++)
            users[i] = await app.Client.CreateUserAsync();

        var workload = new RatingWorkload(users, Movies);
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
        {
            using var client = app.CreateClient();
            await workload.RunClientAsync(client, c, OperationsPerClient);
        })));
        output.WriteLine($"{Clients} clients, {workload.Recorder.Outcomes.Count} requests in {clock.Elapsed.TotalSeconds:F1} s");

        var recount = await AssertStoredAsync(workload);
        var mismatch = await workload.MismatchOnAsync(app.Client, recount);
        Assert.True(mismatch is null, mismatch);
        Print(workload, "64 clients rate the same 10 movies", "none", "n/a (no fault; aggregates exact at once)");
    }

    [Fact]
    public async Task Writes_through_either_of_two_app_processes_on_one_storage_are_readable_from_both_with_exact_aggregates()
    {
        await using var a = await AppProcess.StartAsync(_azurite.ConnectionString, output, Settings);
        await using var b = await AppProcess.StartAsync(_azurite.ConnectionString, output, Settings, seed: false);
        var users = new int[Users];
        for (var i = 0; i < Users; i++)
            users[i] = await (i % 2 == 0 ? a : b).Client.CreateUserAsync();

        // Half the clients on each instance: a pair written through one is next written through the other.
        var workload = new RatingWorkload(users, Movies);
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
        {
            using var client = (c % 2 == 0 ? a : b).CreateClient();
            await workload.RunClientAsync(client, 1000 + c, OperationsPerClientOnTwo);
        })));
        var burst = clock.Elapsed;
        output.WriteLine($"{Clients} clients on two instances, {workload.Recorder.Outcomes.Count} requests in {burst.TotalSeconds:F1} s");

        // Each instance lists every user's acknowledged ratings, those written through the other included, once its
        // cache of the user is refreshed (MovieRecs:UserRatingsCacheSeconds, 1 s here).
        var noMovies = new Dictionary<int, MovieStats>();
        var converged = new TimeSpan[2];
        var waited = Stopwatch.StartNew();
        for (var i = 0; i < 2; i++)
        {
            string? mismatch;
            while ((mismatch = await workload.MismatchOnAsync(new[] { a, b }[i].Client, noMovies)) is not null)
            {
                Assert.True(waited.Elapsed < TimeSpan.FromSeconds(20), $"instance {"ab"[i]} did not converge: {mismatch}");
                await Task.Delay(100);
            }
            converged[i] = waited.Elapsed;
        }
        output.WriteLine($"every user's list equals the acknowledged ratings on instance a {converged[0].TotalSeconds:F1} s after the burst, on b {converged[1].TotalSeconds:F1} s");

        var recount = await AssertStoredAsync(workload);

        // Both instances: a direct read of every pair answers its acknowledged state...
        foreach (var app in new[] { a, b })
            foreach (var ((user, movie), expected) in workload.Expected)
            {
                var response = await app.Client.GetAsync($"/api/rest/v1/ratings/{Api.RatingIdOf(user, movie)}");
                Assert.Equal(expected is null ? 404 : 200, (int)response.StatusCode);
            }
        // ...and their in-memory totals (refreshed every MovieRecs:StatsRefreshSeconds, 1 s here) and avg-rating equal the recount.
        foreach (var app in new[] { a, b })
        {
            string? mismatch;
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while ((mismatch = await workload.MismatchOnAsync(app.Client, recount, averages: false)) is not null)
            {
                Assert.True(DateTime.UtcNow < deadline, $"totals did not converge: {mismatch}");
                await Task.Delay(200);
            }
            mismatch = await workload.MismatchOnAsync(app.Client, recount);
            Assert.True(mismatch is null, mismatch);
        }
        Print(workload, "a write through another instance (two app processes)",
            $"none; the other instance listed every acknowledged rating {FaultFigures.Seconds(converged.Max())} after the burst (its user cache: 1 s)",
            "n/a (no fault)");
    }

    int _lost = -1;

    /// <summary>Every acknowledged state stored, every partial aggregate row and every movie's sum equal to a recount; the recount.</summary>
    async Task<Dictionary<int, MovieStats>> AssertStoredAsync(RatingWorkload workload)
    {
        var outcomes = workload.Recorder.Outcomes;
        foreach (var group in outcomes.GroupBy(o => $"{o.Kind} {o.Status}").OrderBy(g => g.Key))
            output.WriteLine($"  {group.Key}: {group.Count()}");
        Assert.All(outcomes, o => Assert.True(o.Status is not 0 and (< 500 or 503), $"unexpected: {o}"));
        Assert.Empty(workload.Unacknowledged);
        Assert.True(workload.Expected.Values.Count(v => v is null) > 10 && workload.Expected.Values.Count(v => v is not null) > 10,
            "too few ratings or deletes to prove anything");

        var lost = await workload.LostAsync(_store);
        _lost = lost.Count;
        Assert.True(lost.Count == 0, string.Join("\n", lost));
        var recount = new Dictionary<int, MovieStats>();
        foreach (var (movie, (counted, stored)) in await Stored.RecountAsync(_store, Movies))
        {
            Assert.True(counted == stored, $"movie {movie}: recount {counted}, stored aggregates {stored}");
            recount[movie] = counted;
        }
        var (logged, info) = await _store.Log.ReadRatingsAsync();
        var fromLog = logged.ToDictionary(r => (r.UserId, r.MovieId), r => (double)r.Rating);
        foreach (var ((user, movie), expected) in workload.Expected)
            Assert.True(fromLog.TryGetValue((user, movie), out var value) ? value == expected : expected is null,
                $"rating log: user {user} movie {movie} {value}, acknowledged {expected}");
        return recount;
    }

    void Print(RatingWorkload workload, string fault, string outage, string recover)
    {
        var outcomes = workload.Recorder.Outcomes;
        var failed = outcomes.Count(o => !(o.Ok || o.Kind == "delete" && o.Status == 404));
        FaultFigures.Print(output, fault, outage, recover, FaultFigures.Failed(failed, outcomes.Count) + " (each retried until acknowledged)",
            _lost, workload.Acknowledged);
    }
}
