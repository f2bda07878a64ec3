using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MovieRecs.Core.Catalog;
using MovieRecs.Core.Store;
using MovieRecs.Storage.Tables;

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
    /// <summary>A pair's row in the movie's partition, or null.</summary>
    public static async Task<TableEntity?> MovieRowAsync(MovieStore store, int userId, int movieId)
    {
        var r = await store.RatingsOf(movieId).GetEntityIfExistsAsync(MovieStore.MovieKey(movieId), MovieStore.PairRowKey(movieId, userId));
        return r.HasValue ? r.Value : null;
    }

    /// <summary>The user's copy of a pair, or null.</summary>
    public static async Task<TableEntity?> UserCopyAsync(MovieStore store, int userId, int movieId)
    {
        var r = await store.CopiesOf(userId).GetEntityIfExistsAsync(MovieStore.UserKey(userId), MovieStore.CopyRowKey(userId, movieId));
        return r.HasValue ? r.Value : null;
    }

    /// <summary>Every rating in the user's partition: movie → rating (watch marks and tombstones left out).</summary>
    public static async Task<Dictionary<int, double>> UserRatingsAsync(MovieStore store, int userId)
    {
        var result = new Dictionary<int, double>();
        await foreach (var e in UserCopiesAsync(store, userId))
            if (e.GetDouble("Rating") is { } r)
                result[CopyMovie(e)] = r;
        return result;
    }

    /// <summary>The rows of the user's copies, tombstones included.</summary>
    public static IAsyncEnumerable<TableEntity> UserCopiesAsync(MovieStore store, int userId)
    {
        var (from, to) = MovieStore.CopyRange(userId);
        return store.CopiesOf(userId).QueryAsync(TableClient.CreateQueryFilter($"PartitionKey eq {MovieStore.UserKey(userId)} and RowKey ge {from} and RowKey lt {to}"));
    }

    /// <summary>The movie of a user copy row.</summary>
    public static int CopyMovie(TableEntity e) => MovieStore.TryParseCopyRowKey(e.RowKey, out _, out var movieId) ? movieId : throw new FormatException(e.RowKey);

    /// <summary>The movie's pair rows (its ratings and watch marks), not its stats row.</summary>
    public static IAsyncEnumerable<TableEntity> MoviePairsAsync(MovieStore store, int movieId)
    {
        var (from, to) = MovieStore.PairRange(movieId);
        return store.RatingsOf(movieId).QueryAsync(TableClient.CreateQueryFilter($"PartitionKey eq {MovieStore.MovieKey(movieId)} and RowKey ge {from} and RowKey lt {to}"));
    }

    /// <summary>Every rating in the movie's partition: user → rating.</summary>
    public static async Task<Dictionary<int, double>> MovieRatingsAsync(MovieStore store, int movieId)
    {
        var result = new Dictionary<int, double>();
        await foreach (var e in MoviePairsAsync(store, movieId))
            if (e.GetDouble("Rating") is { } r && MovieStore.TryParsePairRowKey(e.RowKey, out _, out var userId))
                result[userId] = r;
        return result;
    }

    /// <summary>(recount of the movie's partition, its stats row).</summary>
    public static Task<(MovieStats Recount, MovieStats Stored)> RecountAsync(MovieStore store, int movieId) =>
        new RatingStore(store).RecountAsync(movieId);
}
