using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MovieRecs.Core.Catalog;
using MovieRecs.Core.Store;
using Azure.Data.Tables;

namespace MovieRecs.Functions.Tests;

/// <summary>Requests and storage checks shared by the user and rating tests.</summary>
static class Api
{
    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string url, string json) =>
        client.PostAsync(url, Json(json));

    public static async Task<int> CreateUserAsync(this HttpClient client, string? name = null)
    {
        var response = name is null
            ? await client.PostAsync("/api/rest/v1/users", null)
            : await client.PostJsonAsync("/api/rest/v1/users", JsonSerializer.Serialize(new { name }));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.ReadJsonAsync()).GetProperty("id").GetInt32();
    }

    public static async Task<HttpResponseMessage> RateAsync(this HttpClient client, int userId, int movieId, double rating) =>
        await client.PostJsonAsync("/api/rest/v1/ratings", $$"""{"user_id": {{userId}}, "movie_id": {{movieId}}, "rating": {{rating.ToString(System.Globalization.CultureInfo.InvariantCulture)}}}""");

    public static string Batch(params (int MovieId, double Rating)[] items) =>
        JsonSerializer.Serialize(new { ratings = items.Select(i => new { movie_id = i.MovieId, rating = i.Rating }) });

    public static long RatingIdOf(int userId, int movieId) => RatingId.Encode(userId, movieId);

    /// <summary>The user's ratings as the API lists them: movie → rating.</summary>
    public static async Task<Dictionary<int, double>> UserRatingsAsync(this HttpClient client, int userId)
    {
        var body = await client.GetFromJsonAsync<JsonElement>($"/api/users/{userId}/ratings");
        return body.GetProperty("ratings").EnumerateArray().ToDictionary(r => r.GetProperty("movie_id").GetInt32(), r => r.GetProperty("rating").GetDouble());
    }

    public static async Task<JsonElement> MovieAsync(this HttpClient client, int movieId) =>
        await client.GetFromJsonAsync<JsonElement>($"/api/rest/v1/movies/{movieId}");

    public static void AssertProblem(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    /// <summary>The errors object of a problem response, asserting its status and that it names every field.</summary>
    public static async Task<JsonElement> AssertErrorsAsync(HttpResponseMessage response, HttpStatusCode status, params string[] fields)
    {
        AssertProblem(response, status);
        var problem = await response.ReadJsonAsync();
        Assert.True(problem.TryGetProperty("errors", out var errors), $"no errors in {problem}");
        foreach (var field in fields)
            Assert.True(errors.TryGetProperty(field, out _), $"errors lack '{field}': {errors}");
        return errors;
    }
}

/// <summary>What storage holds, read directly (not through the app).</summary>
static class Stored
{
    /// <summary>A pair's row (in the user's partition), or null.</summary>
    public static async Task<TableEntity?> RowAsync(MovieStore store, int userId, int movieId)
    {
        var r = await store.RatingsOfUser(userId).GetEntityIfExistsAsync<TableEntity>(MovieStore.UserKey(userId), MovieStore.PairRowKey(userId, movieId));
        return r.HasValue ? r.Value : null;
    }

    /// <summary>Every rating of the user: movie → rating (watch marks left out).</summary>
    public static async Task<Dictionary<int, double>> UserRatingsAsync(MovieStore store, int userId)
    {
        var result = new Dictionary<int, double>();
        await foreach (var e in UserRowsAsync(store, userId))
            if (e.GetDouble("Rating") is { } r)
                result[RowMovie(e)] = r;
        return result;
    }

    /// <summary>The user's rows.</summary>
    public static IAsyncEnumerable<TableEntity> UserRowsAsync(MovieStore store, int userId)
    {
        var (from, to) = MovieStore.UserRange(userId);
        return store.RatingsOfUser(userId).QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {MovieStore.UserKey(userId)} and RowKey ge {from} and RowKey lt {to}"));
    }

    /// <summary>The movie of a pair row.</summary>
    public static int RowMovie(TableEntity e) => MovieStore.TryParsePairRowKey(e.RowKey, out _, out var movieId) ? movieId : throw new FormatException(e.RowKey);

    /// <summary>Every row of every table (pair rows and partial aggregate rows), filtered here rather than by the service.</summary>
    static async Task<List<TableEntity>> AllRowsAsync(MovieStore store)
    {
        var all = new List<TableEntity>();
        foreach (var table in store.RatingsTables)
            await foreach (var e in table.QueryAsync<TableEntity>())
                all.Add(e);
        return all;
    }

    /// <summary>The movie's pair rows (its ratings and watch marks), found by their row keys in every table.</summary>
    public static async Task<List<TableEntity>> MoviePairsAsync(MovieStore store, int movieId) =>
        (await AllRowsAsync(store)).Where(e => MovieStore.TryParsePairRowKey(e.RowKey, out _, out var m) && m == movieId).ToList();

    /// <summary>Every rating of the movie: user → rating.</summary>
    public static async Task<Dictionary<int, double>> MovieRatingsAsync(MovieStore store, int movieId)
    {
        var result = new Dictionary<int, double>();
        foreach (var e in await MoviePairsAsync(store, movieId))
            if (e.GetDouble("Rating") is { } r && MovieStore.TryParsePairRowKey(e.RowKey, out var userId, out _))
                result[userId] = r;
        return result;
    }

    /// <summary>The movie's aggregates as stored: the sum of its partial rows.</summary>
    public static async Task<MovieStats> StatsAsync(MovieStore store, int movieId)
    {
        var parts = new List<MovieStats>();
        foreach (var table in store.RatingsTables)
            await foreach (var e in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"RowKey eq {MovieStore.StatsRowKey(movieId)}")))
                parts.Add(MovieStore.ToStats(e));
        return Sum(parts);
    }

    static MovieStats Sum(IEnumerable<MovieStats> parts)
    {
        int count = 0, watches = 0;
        long halves = 0;
        foreach (var p in parts)
            (count, halves, watches) = (count + p.Count, halves + p.SumHalves, watches + p.WatchCount);
        return new MovieStats(count, halves, watches);
    }

    /// <summary>(recount of the movie's pair rows, the sum of its partial rows), each partial row also checked against a recount of its partition.</summary>
    public static async Task<(MovieStats Recount, MovieStats Stored)> RecountAsync(MovieStore store, int movieId) =>
        (await RecountAsync(store, [movieId]))[movieId];

    /// <summary>As <see cref="RecountAsync(MovieStore, int)"/> for several movies, from one read of every table.</summary>
    public static async Task<Dictionary<int, (MovieStats Recount, MovieStats Stored)>> RecountAsync(MovieStore store, IEnumerable<int> movieIds)
    {
        var wanted = movieIds.ToHashSet();
        var pairs = wanted.ToDictionary(m => m, _ => new List<TableEntity>());
        var partials = wanted.ToDictionary(m => m, _ => new List<TableEntity>());
        foreach (var e in await AllRowsAsync(store))
        {
            if (MovieStore.TryParsePairRowKey(e.RowKey, out _, out var m) && wanted.Contains(m))
                pairs[m].Add(e);
            else if (MovieStore.TryParseStatsRowKey(e.RowKey, out m) && wanted.Contains(m))
                partials[m].Add(e);
        }
        var result = new Dictionary<int, (MovieStats, MovieStats)>();
        foreach (var movieId in wanted)
        {
            foreach (var partial in partials[movieId])
            {
                var recount = RecountOf(pairs[movieId].Where(e => e.PartitionKey == partial.PartitionKey).ToList());
                if (recount != MovieStore.ToStats(partial))
                    throw new Xunit.Sdk.XunitException($"partition {partial.PartitionKey}: movie {movieId} partial row {MovieStore.ToStats(partial)} != recount {recount}");
            }
            result[movieId] = (RecountOf(pairs[movieId]), Sum(partials[movieId].Select(MovieStore.ToStats)));
        }
        return result;
    }

    static MovieStats RecountOf(List<TableEntity> pairs)
    {
        var rated = pairs.Select(e => e.GetDouble("Rating")).OfType<double>().ToList();
        return new MovieStats(rated.Count, rated.Sum(r => (long)Math.Round(r * 2)), pairs.Count);
    }
}
