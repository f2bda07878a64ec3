using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using MovieRecs.Core.Catalog;
using MovieRecs.Core.Store;

namespace MovieRecs.Functions.Tests.Reliability;

/// <summary>
/// Clients creating, re-rating and deleting ratings of a few users on the same few movies. An operation holds the locks of
/// the (user, movie) pairs it changes, so the test knows every pair's final state (what an acknowledged write must
/// leave); everything else races: a user's other pairs (the same partition and partial aggregate rows), the other users'
/// ratings of the same movies, and, through two instances, each other's remembered rows and ETags.
/// </summary>
public sealed class RatingWorkload(int[] users, int[] movies)
{
    const int Attempts = 5;
    readonly ConcurrentDictionary<(int User, int Movie), SemaphoreSlim> _locks = new();

    /// <summary>Every pair's state after its last acknowledged operation: the rating, or null (deleted).</summary>
    public ConcurrentDictionary<(int User, int Movie), double?> Expected { get; } = new();

    /// <summary>Every request as the clients saw it, retries included.</summary>
    public RequestRecorder Recorder { get; } = new();

    /// <summary>Operations that got no acknowledgement in <see cref="Attempts"/> tries (their pairs' states are unknown).</summary>
    public ConcurrentQueue<string> Unacknowledged { get; } = new();

    public int Acknowledged => _acknowledged;
    int _acknowledged;

    public async Task RunClientAsync(HttpClient client, int seed, int operations)
    {
        var random = new Random(seed);
        for (var op = 0; op < operations; op++)
        {
            var user = users[random.Next(users.Length)];
            var roll = random.Next(100);
            var pairs = roll is >= 50 and < 65
                ? movies.OrderBy(_ => random.Next()).Take(3).Order().Select(m => (user, m)).ToArray()
                : [(user, movies[random.Next(movies.Length)])];
            var ratings = pairs.Select(_ => (double?)(random.Next(1, 11) / 2.0)).ToArray();
            (string kind, string url, string? body) = roll switch
            {
                < 50 => ("rate", "/api/rest/v1/ratings", $$"""{"user_id": {{user}}, "movie_id": {{pairs[0].Item2}}, "rating": {{Text(ratings[0])}}}"""),
                < 65 => ("batch", $"/api/users/{user}/ratings", Api.Batch(pairs.Select((p, i) => (p.Item2, ratings[i]!.Value)).ToArray())),
                _ => ("delete", $"/api/rest/v1/ratings/{RatingId.Encode(user, pairs[0].Item2)}", null),
            };
            if (kind == "delete")
                ratings = [null];

            var locks = pairs.Select(p => _locks.GetOrAdd(p, _ => new SemaphoreSlim(1, 1))).ToArray();
            foreach (var l in locks)
                await l.WaitAsync();
            try
            {
                var acknowledged = false;
                for (var attempt = 1; attempt <= Attempts && !acknowledged; attempt++)
                {
                    var outcome = await Recorder.SendAsync(client, kind, () => body is null
                        ? new HttpRequestMessage(HttpMethod.Delete, url)
                        : new HttpRequestMessage(HttpMethod.Post, url) { Content = Api.Json(body) });
                    // a delete of an absent pair answers 404: acknowledged all the same (the pair is absent)
                    acknowledged = outcome.Ok || kind == "delete" && outcome.Status == 404;
                    if (!acknowledged)
                        await Task.Delay(100);    // a client retrying a 503 (re-applying a value is a no-op)
                }
                if (acknowledged)
                {
                    for (var i = 0; i < pairs.Length; i++)
                        Expected[pairs[i]] = ratings[i];
                    Interlocked.Increment(ref _acknowledged);
                }
                else
                {
                    Unacknowledged.Enqueue($"{kind} {url} {body}");
                    foreach (var p in pairs)
                        Expected.TryRemove(p, out _);
                }
            }
            finally
            {
                foreach (var l in locks)
                    l.Release();
            }
        }
    }

    static string Text(double? rating) => rating!.Value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Pairs whose stored state is not their last acknowledged one: writes lost (or deletes undone).</summary>
    public async Task<List<string>> LostAsync(MovieStore store)
    {
        var lost = new List<string>();
        foreach (var user in users)
        {
            var stored = await Stored.UserRatingsAsync(store, user);
            foreach (var ((u, movie), expected) in Expected.Where(p => p.Key.User == user))
            {
                double? actual = stored.TryGetValue(movie, out var r) ? r : null;
                if (actual != expected)
                    lost.Add($"user {u} movie {movie}: stored {actual?.ToString() ?? "nothing"}, acknowledged {expected?.ToString() ?? "deleted"}");
            }
        }
        return lost;
    }

    /// <summary>
    /// Null when the instance behind <paramref name="client"/> serves exactly the acknowledged ratings of every user (its
    /// cached lists), and every movie's aggregates as the recount of the stored rows (its in-memory listing totals and,
    /// with <paramref name="averages"/>, the avg-rating read fresh from storage: 256 queries a movie); else what differs.
    /// </summary>
    public async Task<string?> MismatchOnAsync(HttpClient client, IReadOnlyDictionary<int, MovieStats> recount, bool averages = true)
    {
        foreach (var user in users)
        {
            var listed = await client.UserRatingsAsync(user);
            foreach (var ((_, movie), expected) in Expected.Where(p => p.Key.User == user))
            {
                double? shown = listed.TryGetValue(movie, out var r) ? r : null;
                if (shown != expected)
                    return $"user {user} movie {movie}: listed {shown?.ToString() ?? "nothing"}, acknowledged {expected?.ToString() ?? "deleted"}";
            }
        }
        foreach (var (movie, truth) in recount)
        {
            var details = await client.MovieAsync(movie);
            var (total, watches) = (details.GetProperty("total_ratings").GetInt32(), details.GetProperty("watch_count").GetInt32());
            if ((total, watches) != (truth.Count, truth.WatchCount))
                return $"movie {movie}: listing {total} ratings, {watches} watches; recount {truth.Count}, {truth.WatchCount}";
            if (!averages)
                continue;
            var average = await client.GetFromJsonAsync<JsonElement>($"/api/rest/v1/movies/{movie}/avg-rating");
            if (average.GetProperty("total_ratings").GetInt32() != truth.Count
                || truth.AverageRating is { } mean && Math.Abs(average.GetProperty("avg_rating").GetDouble() - mean) > 1e-9)
                return $"movie {movie}: avg-rating {average}, recount {truth}";
        }
        return null;
    }
}
