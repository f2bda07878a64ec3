using System.Collections.Concurrent;
using System.Diagnostics;
using MovieRecs.Core.Store;
using MovieRecs.Core.Azurite;
using MovieRecs.Functions.Tests.Reliability;
using Xunit.Abstractions;

namespace MovieRecs.Functions.Tests;

/// <summary>The app as a real separate process, killed (SIGKILL, no shutdown) in the middle of a burst of writes.</summary>
[Collection(HeavyCollection.Name)]
public sealed class DurabilityTests(ITestOutputHelper output) : IAsyncLifetime
{
    const int Clients = 32;
    AzuriteProcess _azurite = null!;
    MovieStore _store = null!;

    public async Task InitializeAsync()
    {
        // Azurite itself is not killed here (a killed Azurite loses its last seconds of writes: see docs/ratings.md).
        _azurite = await AzuriteProcess.StartAsync(new AzuriteOptions { InMemory = true });
        _store = new MovieStore(_azurite.ConnectionString);
    }

    public async Task DisposeAsync() => await _azurite.DisposeAsync();

    [Fact]
    public async Task Every_acknowledged_rating_is_stored_exactly_once_after_the_app_is_killed_mid_burst()
    {
        await using var first = await AppProcess.StartAsync(_azurite.ConnectionString, output);
        var users = new int[Clients];
        for (var i = 0; i < Clients; i++)
            users[i] = await first.Client.CreateUserAsync();

        // Each client owns a user and rates each movie at most once, so an acknowledged value is the final one.
        var acked = new ConcurrentDictionary<(int User, int Movie), double>();
        var unacked = new ConcurrentQueue<(string Url, string Body, (int User, int Movie, double Rating)[] Items)>();
        var burst = Stopwatch.StartNew();
        var clients = Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
        {
            var random = new Random(c);
            var user = users[c];
            var movies = new Queue<int>(Enumerable.Range(1, 512).OrderBy(_ => random.Next()));
            while (movies.Count >= 5)
            {
                var items = Enumerable.Range(0, random.Next(2) == 0 ? 1 : 5).Select(_ => (user, movies.Dequeue(), random.Next(1, 11) / 2.0)).ToArray();
                var (url, body) = items.Length == 1
                    ? ("/api/rest/v1/ratings", $$"""{"user_id": {{user}}, "movie_id": {{items[0].Item2}}, "rating": {{items[0].Item3}}}""")
                    : ($"/api/users/{user}/ratings", Api.Batch(items.Select(i => (i.Item2, i.Item3)).ToArray()));
                try
                {
                    var response = await first.Client.PostJsonAsync(url, body);
                    if (response.IsSuccessStatusCode)
                    {
                        foreach (var (u, m, r) in items)
                            acked[(u, m)] = r;
                        continue;
                    }
                    unacked.Enqueue((url, body, items));
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
                {
                    unacked.Enqueue((url, body, items));
                    return;   // the server is gone
                }
            }
        })).ToList();

        await Task.Delay(TimeSpan.FromSeconds(2));
        var ackedBeforeKill = acked.Count;
        first.Kill();
        await Task.WhenAll(clients);
        output.WriteLine($"killed after {burst.Elapsed.TotalSeconds:F1} s: {acked.Count} ratings acknowledged ({ackedBeforeKill} before the kill call), {unacked.Count} requests unanswered");
        Assert.True(ackedBeforeKill > 100, "too few writes before the kill to prove anything");
        Assert.True(unacked.Count > 0, "the kill did not interrupt the burst");

        // Restart on the same storage: every acknowledged rating is there, once, with its value.
        await using var second = await AppProcess.StartAsync(_azurite.ConnectionString, output);
        await AssertStoredAsync(acked, users, second.Client);

        // A client retrying what got no answer completes it (re-applying a value is a no-op).
        foreach (var (url, body, items) in unacked)
        {
            var response = await second.Client.PostJsonAsync(url, body);
            Assert.True(response.IsSuccessStatusCode, $"retry of {url} {body}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            foreach (var (u, m, r) in items)
                acked[(u, m)] = r;
        }
        await AssertStoredAsync(acked, users, second.Client);
    }

    async Task AssertStoredAsync(ConcurrentDictionary<(int User, int Movie), double> acked, int[] users, HttpClient client)
    {
        // The rating log (what training reads) holds every acknowledged rating too.
        var (logged, _) = await _store.Log.ReadRatingsAsync();
        var fromLog = logged.ToDictionary(r => (r.UserId, r.MovieId), r => (double)r.Rating);
        foreach (var (pair, rating) in acked)
            Assert.True(fromLog.TryGetValue(pair, out var value) && value == rating, $"user {pair.User} movie {pair.Movie}: log {value}, acknowledged {rating}");

        foreach (var user in users)
        {
            var expected = acked.Where(p => p.Key.User == user).ToDictionary(p => p.Key.Movie, p => p.Value);
            var stored = await Stored.UserRatingsAsync(_store, user);
            foreach (var (movie, rating) in expected)
                Assert.True(stored.TryGetValue(movie, out var value) && value == rating, $"user {user} movie {movie}: stored {value}, acknowledged {rating}");
            // The API lists each rating once.
            var listed = await client.UserRatingsAsync(user);
            Assert.Equal(stored.OrderBy(p => p.Key), listed.OrderBy(p => p.Key));
        }
        foreach (var (movie, (recount, stored)) in await Stored.RecountAsync(_store, acked.Keys.Select(k => k.Movie).Distinct()))
            Assert.True(recount == stored, $"movie {movie}: recount {recount}, stored {stored}");
    }
}
