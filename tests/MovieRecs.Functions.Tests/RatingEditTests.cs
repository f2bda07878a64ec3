using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MovieRecs.Core.Azurite;
using MovieRecs.Core.Store;

namespace MovieRecs.Functions.Tests;

/// <summary>PUT/PATCH of a rating (score and review) and the filtered, paginated rating list, against a real Azurite.</summary>
public sealed class RatingEditTests : IAsyncLifetime
{
    AzuriteProcess _azurite = null!;
    MovieRecsFactory _app = null!;
    HttpClient _client = null!;
    MovieStore _store = null!;
    Callers _callers = null!;

    public async Task InitializeAsync()
    {
        _azurite = await AzuriteProcess.StartAsync(new AzuriteOptions { InMemory = true });
        _store = new MovieStore(_azurite.ConnectionString);
        _app = new MovieRecsFactory(_azurite.ConnectionString, settings: Callers.AdminSettings());
        _client = await _app.CreateReadyClientAsync();
        _callers = new Callers(_client);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _azurite.DisposeAsync();
    }

    string RatingUrl(int user, int movie) => $"/api/rest/v1/ratings/{Api.RatingIdOf(user, movie)}";

    async Task<HttpResponseMessage> RateAsync(int user, int movie, double rating, string? token) =>
        await _callers.SendAsync(HttpMethod.Post, "/api/rest/v1/ratings", token, $$"""{"user_id": {{user}}, "movie_id": {{movie}}, "rating": {{rating}}}""");

    [Fact]
    public async Task Only_the_owner_or_an_admin_edits_a_rating_and_the_review_is_listed_wherever_ratings_are()
    {
        var (ada, adaToken) = await _callers.SignupAsync("ada");
        var (_, bobToken) = await _callers.SignupAsync("bob");
        var adminToken = await _callers.AdminTokenAsync();
        Assert.Equal(HttpStatusCode.Created, (await RateAsync(ada, 1, 3, adaToken)).StatusCode);
        var before = (await Stored.RowAsync(_store, ada, 1))!;

        const string edit = """{"rating": 4.5, "review": "Still unsettling.\nThe sets!"}""";
        Api.AssertProblem(await _callers.SendAsync(HttpMethod.Patch, RatingUrl(ada, 1), null, edit), HttpStatusCode.Unauthorized);
        Api.AssertProblem(await _callers.SendAsync(HttpMethod.Patch, RatingUrl(ada, 1), bobToken, edit), HttpStatusCode.Forbidden);
        Api.AssertProblem(await _callers.SendAsync(HttpMethod.Put, RatingUrl(ada, 1), bobToken, edit), HttpStatusCode.Forbidden);
        Assert.Equal(before.ETag, (await Stored.RowAsync(_store, ada, 1))!.ETag);

        var edited = await _callers.SendAsync(HttpMethod.Patch, RatingUrl(ada, 1), adaToken, edit);
        Assert.Equal(HttpStatusCode.OK, edited.StatusCode);
        var body = await edited.ReadJsonAsync();
        Assert.Equal(Api.RatingIdOf(ada, 1), body.GetProperty("rating_id").GetInt64());
        Assert.Equal(4.5, body.GetProperty("rating").GetDouble());
        Assert.Equal("Still unsettling.\nThe sets!", body.GetProperty("review").GetString());
        var row = (await Stored.RowAsync(_store, ada, 1))!;
        Assert.Equal(4.5, row.GetDouble("Rating"));
        Assert.Equal("Still unsettling.\nThe sets!", row.GetString("Review"));
        var (recount, stored) = await Stored.RecountAsync(_store, 1);
        Assert.Equal(recount, stored);

        // PATCH keeps what it does not name; PUT replaces both (no review = none).
        var reviewOnly = await (await _callers.SendAsync(HttpMethod.Patch, RatingUrl(ada, 1), adaToken, """{"review": "Changed my mind about the ending."}""")).ReadJsonAsync();
        Assert.Equal(4.5, reviewOnly.GetProperty("rating").GetDouble());
        Assert.Equal("Changed my mind about the ending.", reviewOnly.GetProperty("review").GetString());

        // Where ratings are listed, the review is there.
        var review = "Changed my mind about the ending.";
        Assert.Equal(review, (await _client.GetFromJsonAsync<JsonElement>(RatingUrl(ada, 1))).GetProperty("review").GetString());
        var legacy = await _client.GetFromJsonAsync<JsonElement>($"/api/users/{ada}/ratings");
        Assert.Equal(review, legacy.GetProperty("ratings")[0].GetProperty("review").GetString());
        var byUser = await _client.GetFromJsonAsync<JsonElement>($"/api/rest/v1/ratings?user_id={ada}");
        Assert.Equal(review, byUser.GetProperty("ratings")[0].GetProperty("review").GetString());
        var byMovie = await _client.GetFromJsonAsync<JsonElement>("/api/rest/v1/ratings?movie_id=1&limit=100");
        Assert.Contains(byMovie.GetProperty("ratings").EnumerateArray(), r => r.GetProperty("user_id").GetInt32() == ada && r.GetProperty("review").GetString() == review);
        var movieList = await _client.GetFromJsonAsync<JsonElement>("/api/rest/v1/movies/1/ratings?limit=100");
        Assert.Contains(movieList.GetProperty("ratings").EnumerateArray(), r => r.GetProperty("user_id").GetInt32() == ada && r.GetProperty("review").GetString() == review);

        // Admins may: by token (PUT drops the review) and by key.
        var put = await (await _callers.SendAsync(HttpMethod.Put, RatingUrl(ada, 1), adminToken, """{"rating": 2}""")).ReadJsonAsync();
        Assert.Equal(2, put.GetProperty("rating").GetDouble());
        Assert.False(put.TryGetProperty("review", out _));
        Assert.Null((await Stored.RowAsync(_store, ada, 1))!.GetString("Review"));
        Assert.Equal(HttpStatusCode.OK, (await _callers.SendAsync(HttpMethod.Patch, RatingUrl(ada, 1), Callers.AdminKeyToken, """{"rating": 3.5}""")).StatusCode);
        Assert.Equal(3.5, (await Stored.RowAsync(_store, ada, 1))!.GetDouble("Rating"));
        (recount, stored) = await Stored.RecountAsync(_store, 1);
        Assert.Equal(recount, stored);

        // Users without an account stay open, as for every other rating write.
        var anonymous = await _client.CreateUserAsync();
        Assert.Equal(HttpStatusCode.Created, (await RateAsync(anonymous, 2, 1, null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _callers.SendAsync(HttpMethod.Patch, RatingUrl(anonymous, 2), null, """{"rating": 5, "review": "ok"}""")).StatusCode);
        Assert.Equal(5, (await Stored.RowAsync(_store, anonymous, 2))!.GetDouble("Rating"));

        // Only existing ratings are edited: an edit never creates one.
        Api.AssertProblem(await _callers.SendAsync(HttpMethod.Put, RatingUrl(ada, 2), adaToken, """{"rating": 4}"""), HttpStatusCode.NotFound);
        Assert.Null(await Stored.RowAsync(_store, ada, 2));
        Assert.Equal(HttpStatusCode.Created, (await _callers.SendAsync(HttpMethod.Post, $"/api/rest/v1/users/{ada}/watched", adaToken, """{"movie_id": 3}""")).StatusCode);
        Api.AssertProblem(await _callers.SendAsync(HttpMethod.Patch, RatingUrl(ada, 3), adaToken, """{"review": "x"}"""), HttpStatusCode.NotFound);
        Assert.Null((await Stored.RowAsync(_store, ada, 3))!.GetDouble("Rating"));
    }

    [Fact]
    public async Task A_bad_edit_is_a_400_naming_the_field_and_writes_nothing()
    {
        var user = await _client.CreateUserAsync();
        Assert.Equal(HttpStatusCode.Created, (await RateAsync(user, 5, 4, null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _callers.SendAsync(HttpMethod.Patch, RatingUrl(user, 5), null, """{"review": "first"}""")).StatusCode);
        var before = (await Stored.RowAsync(_store, user, 5))!;
        var url = RatingUrl(user, 5);

        var longReview = JsonSerializer.Serialize(new { rating = 3, review = new string('a', PairRow.MaxReviewLength + 1) });
        await Api.AssertErrorsAsync(await _callers.SendAsync(HttpMethod.Patch, url, null, longReview), HttpStatusCode.BadRequest, "review");
        await Api.AssertErrorsAsync(await _callers.SendAsync(HttpMethod.Patch, url, null, """{"rating": "3"}"""), HttpStatusCode.BadRequest, "rating");
        await Api.AssertErrorsAsync(await _callers.SendAsync(HttpMethod.Patch, url, null, """{"rating": 7}"""), HttpStatusCode.BadRequest, "rating");
        await Api.AssertErrorsAsync(await _callers.SendAsync(HttpMethod.Patch, url, null, """{"review": 42}"""), HttpStatusCode.BadRequest, "review");
        await Api.AssertErrorsAsync(await _callers.SendAsync(HttpMethod.Patch, url, null, """{"review": "bell\u0007"}"""), HttpStatusCode.BadRequest, "review");
        await Api.AssertErrorsAsync(await _callers.SendAsync(HttpMethod.Patch, url, null, """{}"""), HttpStatusCode.BadRequest, "body");
        await Api.AssertErrorsAsync(await _callers.SendAsync(HttpMethod.Patch, url, null, """[3]"""), HttpStatusCode.BadRequest, "body");
        await Api.AssertErrorsAsync(await _callers.SendAsync(HttpMethod.Put, url, null, """{"review": "no score"}"""), HttpStatusCode.BadRequest, "rating");
        Assert.Equal(HttpStatusCode.BadRequest, (await _callers.SendAsync(HttpMethod.Patch, url, null, """{"rating": 3,""")).StatusCode);
        Api.AssertProblem(await _callers.SendAsync(HttpMethod.Patch, "/api/rest/v1/ratings/5", null, """{"rating": 3}"""), HttpStatusCode.NotFound);
        Api.AssertProblem(await _callers.SendAsync(HttpMethod.Patch, RatingUrl(999_999, 5), null, """{"rating": 3}"""), HttpStatusCode.NotFound);
        var after = (await Stored.RowAsync(_store, user, 5))!;
        Assert.Equal(before.ETag, after.ETag);
        Assert.Equal("first", after.GetString("Review"));

        // At the limit is fine.
        var longest = new string('b', PairRow.MaxReviewLength);
        var ok = await _callers.SendAsync(HttpMethod.Patch, url, null, JsonSerializer.Serialize(new { review = longest }));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(longest, (await Stored.RowAsync(_store, user, 5))!.GetString("Review"));
        // The same values again change nothing.
        var stamp = (await Stored.RowAsync(_store, user, 5))!.ETag;
        Assert.Equal(HttpStatusCode.OK, (await _callers.SendAsync(HttpMethod.Patch, url, null, JsonSerializer.Serialize(new { review = longest, rating = 4 }))).StatusCode);
        Assert.Equal(stamp, (await Stored.RowAsync(_store, user, 5))!.ETag);
    }

    [Fact]
    public async Task The_rating_list_is_always_paginated_and_filtered_by_user_movie_or_both()
    {
        var user = await _client.CreateUserAsync();
        var batch = Api.Batch([.. Enumerable.Range(100, 25).Select(m => (m, 3.5))]);
        Assert.Equal(HttpStatusCode.OK, (await _client.PostJsonAsync($"/api/users/{user}/ratings", batch)).StatusCode);

        var first = await _client.GetFromJsonAsync<JsonElement>($"/api/rest/v1/ratings?user_id={user}");
        Assert.Equal(25, first.GetProperty("total").GetInt32());
        Assert.Equal(20, first.GetProperty("limit").GetInt32());
        Assert.Equal(20, first.GetProperty("ratings").GetArrayLength());
        var second = await _client.GetFromJsonAsync<JsonElement>($"/api/rest/v1/ratings?user_id={user}&page=2");
        Assert.Equal(5, second.GetProperty("ratings").GetArrayLength());
        var all = first.GetProperty("ratings").EnumerateArray().Concat(second.GetProperty("ratings").EnumerateArray())
            .Select(r => r.GetProperty("movie_id").GetInt32()).ToList();
        Assert.Equal(Enumerable.Range(100, 25), all.Order());
        Assert.All(first.GetProperty("ratings").EnumerateArray(), r => Assert.Equal(Api.RatingIdOf(user, r.GetProperty("movie_id").GetInt32()), r.GetProperty("rating_id").GetInt64()));

        var byMovie = await _client.GetFromJsonAsync<JsonElement>("/api/rest/v1/ratings?movie_id=100&limit=5");
        var (recount, _) = await Stored.RecountAsync(_store, 100);
        Assert.Equal(recount.Count, byMovie.GetProperty("total").GetInt32());
        Assert.InRange(byMovie.GetProperty("ratings").GetArrayLength(), 1, 5);
        Assert.All(byMovie.GetProperty("ratings").EnumerateArray(), r => Assert.Equal(100, r.GetProperty("movie_id").GetInt32()));

        var both = await _client.GetFromJsonAsync<JsonElement>($"/api/rest/v1/ratings?user_id={user}&movie_id=101");
        Assert.Equal(1, both.GetProperty("total").GetInt32());
        Assert.Equal(3.5, both.GetProperty("ratings")[0].GetProperty("rating").GetDouble());
        var none = await _client.GetFromJsonAsync<JsonElement>($"/api/rest/v1/ratings?user_id={user}&movie_id=1");
        Assert.Equal(0, none.GetProperty("total").GetInt32());

        await Api.AssertErrorsAsync(await _client.GetAsync("/api/rest/v1/ratings"), HttpStatusCode.BadRequest, "user_id");
        await Api.AssertErrorsAsync(await _client.GetAsync($"/api/rest/v1/ratings?user_id={user}&limit=101"), HttpStatusCode.BadRequest, "limit");
        await Api.AssertErrorsAsync(await _client.GetAsync($"/api/rest/v1/ratings?user_id={user}&page=0"), HttpStatusCode.BadRequest, "page");
        await Api.AssertErrorsAsync(await _client.GetAsync("/api/rest/v1/ratings?user_id=abc"), HttpStatusCode.BadRequest, "user_id");
        await Api.AssertErrorsAsync(await _client.GetAsync("/api/rest/v1/ratings?movie_id=-1"), HttpStatusCode.BadRequest, "movie_id");
        Api.AssertProblem(await _client.GetAsync("/api/rest/v1/ratings?user_id=999999"), HttpStatusCode.NotFound);
        Api.AssertProblem(await _client.GetAsync("/api/rest/v1/ratings?movie_id=99999"), HttpStatusCode.NotFound);
    }
}
