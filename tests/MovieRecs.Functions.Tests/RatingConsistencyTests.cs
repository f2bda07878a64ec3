using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MovieRecs.Core.Catalog;
using MovieRecs.Core.Store;
using MovieRecs.Core.Azurite;
using Azure.Data.Tables;
using Xunit.Abstractions;

namespace MovieRecs.Functions.Tests;

/// <summary>Load-heavy tests: run alone, after the others, so they neither slow nor are slowed by them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HeavyCollection
{
    public const string Name = "Heavy";
}

[Collection(HeavyCollection.Name)]
public sealed class RatingConsistencyTests(ITestOutputHelper output) : IAsyncLifetime
{
    const int Clients = 64, OperationsPerClient = 100, Users = 16;
    static readonly int[] Movies = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

    AzuriteProcess _azurite = null!;
    MovieStore _store = null!;

    public async Task InitializeAsync()
    {
        _azurite = await AzuriteProcess.StartAsync(new AzuriteOptions { InMemory = true });
        _store = new MovieStore(_azurite.ConnectionString);
    }

    public async Task DisposeAsync() => await _azurite.DisposeAsync();

    [Fact]
    public async Task Aggregates_equal_a_recount_after_6400_concurrent_creates_rerates_and_deletes_on_10_movies_through_two_instances()
    {
        var settings = new Dictionary<string, string?> { ["MovieRecs:StatsRefreshSeconds"] = "1" };
        await using var a = new MovieRecsFactory(_azurite.ConnectionString, settings: settings);
        await using var b = new MovieRecsFactory(_azurite.ConnectionString, settings: settings);
        var setup = await a.CreateReadyClientAsync();
        await b.CreateReadyClientAsync();
        var users = new int[Users];
        for (var i = 0; i < Users; i++)
            users[i] = await setup.CreateUserAsync();

        var statuses = new ConcurrentDictionary<string, int>();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
        {
            var client = (c % 2 == 0 ? a : b).CreateClient();      // half the clients on each instance
            var random = new Random(c);
            for (var op = 0; op < OperationsPerClient; op++)
            {
                var user = users[random.Next(Users)];               // four clients per user: the same pairs race
                var movie = Movies[random.Next(Movies.Length)];
                var roll = random.Next(100);
                HttpResponseMessage response;
                string kind;
                if (roll < 45)
                    (kind, response) = ("rate", await client.RateAsync(user, movie, random.Next(1, 11) / 2.0));
                else if (roll < 55)
                    (kind, response) = ("batch", await client.PostJsonAsync($"/api/users/{user}/ratings",
                        Api.Batch(Movies.OrderBy(_ => random.Next()).Take(3).Select(m => (m, random.Next(1, 11) / 2.0)).ToArray())));
                else if (roll < 85)
                    (kind, response) = ("delete", await client.DeleteAsync($"/api/rest/v1/ratings/{RatingId.Encode(user, movie)}"));
                else if (roll < 95)
                    (kind, response) = ("watch", await client.PostJsonAsync($"/api/rest/v1/users/{user}/watched", $$"""{"movie_id": {{movie}}}"""));
                else
                    (kind, response) = ("unwatch", await client.DeleteAsync($"/api/rest/v1/users/{user}/watched/{movie}"));
                statuses.AddOrUpdate($"{kind} {(int)response.StatusCode}", 1, (_, n) => n + 1);
            }
        })));
        var elapsed = clock.Elapsed;
        output.WriteLine($"{Clients * OperationsPerClient} operations in {elapsed.TotalSeconds:F1} s ({Clients * OperationsPerClient / elapsed.TotalSeconds:F0}/s)");
        foreach (var (key, n) in statuses.OrderBy(s => s.Key))
            output.WriteLine($"  {key}: {n}");

        // Only the answers each operation may give; never a 5xx.
        var allowed = new HashSet<string> { "rate 200", "rate 201", "batch 200", "delete 204", "delete 404", "watch 200", "watch 201", "unwatch 204", "unwatch 404", "unwatch 409" };
        Assert.All(statuses.Keys, k => Assert.Contains(k, allowed));
        Assert.Equal(Clients * OperationsPerClient, statuses.Values.Sum());
        Assert.True(statuses.GetValueOrDefault("delete 204") > 100 && statuses.GetValueOrDefault("rate 200") > 100, "too few deletes or re-rates to prove anything");

        // Every movie's aggregate row equals a recount of its partition...
        var ratings = new RatingStore(_store);
        var truth = new Dictionary<int, MovieStats>();
        var recounts = await Stored.RecountAsync(_store, Movies);
        foreach (var movie in Movies)
        {
            var (recount, stored) = recounts[movie];
            Assert.Equal(recount, stored);
            truth[movie] = recount;
            output.WriteLine($"movie {movie}: {recount}");
        }

        // ...the rating log (what training reads) replays to exactly the stored ratings...
        var (logged, info) = await _store.Log.ReadRatingsAsync();
        output.WriteLine($"rating log: {info}");
        var fromLog = logged.Where(r => Movies.Contains(r.MovieId) && users.Contains(r.UserId)).ToDictionary(r => (r.UserId, r.MovieId), r => (double)r.Rating);
        var fromTable = new Dictionary<(int, int), double>();
        foreach (var movie in Movies)
            foreach (var (user, rating) in await Stored.MovieRatingsAsync(_store, movie))
                if (users.Contains(user))
                    fromTable[(user, movie)] = rating;
        Assert.Equal(fromTable.OrderBy(p => p.Key), fromLog.OrderBy(p => p.Key));
        Assert.Equal(0, info.Malformed);

        // ...and both instances serve them: listings the in-memory figures (each instance converges through the
        // refresh of the partial rows changed since its last one, checked first: avg-rating's fresh read would also
        // update them), avg-rating the partial rows read now.
        foreach (var factory in new[] { a, b })
        {
            var client = factory.CreateClient();
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (true)
            {
                var shown = new Dictionary<int, (int, int)>();
                foreach (var movie in Movies)
                {
                    var m = await client.MovieAsync(movie);
                    shown[movie] = (m.GetProperty("total_ratings").GetInt32(), m.GetProperty("watch_count").GetInt32());
                }
                if (Movies.All(m => shown[m] == (truth[m].Count, truth[m].WatchCount)))
                    break;
                Assert.True(DateTime.UtcNow < deadline, "in-memory aggregates did not converge to the recount");
                await Task.Delay(200);
            }
            foreach (var movie in Movies)
            {
                var avg = await client.GetFromJsonAsync<JsonElement>($"/api/rest/v1/movies/{movie}/avg-rating");
                Assert.Equal(truth[movie].Count, avg.GetProperty("total_ratings").GetInt32());
                if (truth[movie].AverageRating is { } mean)
                    Assert.Equal(mean, avg.GetProperty("avg_rating").GetDouble(), 9);
            }
        }
        Assert.True(elapsed < TimeSpan.FromSeconds(60), $"took {elapsed}");
    }
}
