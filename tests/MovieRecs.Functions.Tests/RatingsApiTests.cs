using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MovieRecs.Core.Store;

namespace MovieRecs.Functions.Tests;

[Collection(AppCollection.Name)]
public sealed class RatingsApiTests(AppFixture app)
{
    readonly HttpClient _client = app.Client;

    async Task<JsonElement> AvgAsync(int movieId) => await _client.GetFromJsonAsync<JsonElement>($"/api/rest/v1/movies/{movieId}/avg-rating");

    // ---------- POST /api/rest/v1/ratings, GET and DELETE /api/rest/v1/ratings/{id} ----------

    [Fact]
    public async Task Creating_a_rating_returns_201_the_resource_and_a_location_that_reads_it_back()
    {
        var user = await _client.CreateUserAsync();
        var before = await AvgAsync(20);

        var response = await _client.RateAsync(user, 20, 2.5);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.ReadJsonAsync();
        Assert.Equal(["movie_id", "rating", "rating_id", "timestamp", "user_id"], created.EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal(Api.RatingIdOf(user, 20), created.GetProperty("rating_id").GetInt64());
        Assert.Equal(user, created.GetProperty("user_id").GetInt32());
        Assert.Equal(20, created.GetProperty("movie_id").GetInt32());
        Assert.Equal(2.5, created.GetProperty("rating").GetDouble());
        var timestamp = created.GetProperty("timestamp").GetString()!;
        Assert.EndsWith("Z", timestamp);
        Assert.True((DateTimeOffset.UtcNow - DateTimeOffset.Parse(timestamp)).Duration() < TimeSpan.FromMinutes(1));
        Assert.Equal($"/api/rest/v1/ratings/{Api.RatingIdOf(user, 20)}", response.Headers.Location!.OriginalString);

        var read = await _client.GetAsync(response.Headers.Location);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(created.ToString(), (await read.ReadJsonAsync()).ToString());

        // Stored, the aggregate moved by exactly this rating.
        Assert.Equal(2.5, (await Stored.RowAsync(app.Store, user, 20))!.GetDouble("Rating"));
        var after = await AvgAsync(20);
        Assert.Equal(before.GetProperty("total_ratings").GetInt32() + 1, after.GetProperty("total_ratings").GetInt32());
        var (recount, stats) = await Stored.RecountAsync(app.Store, 20);
        Assert.Equal(recount, stats);
    }

    [Fact]
    public async Task Rating_again_replaces_the_rating_keeps_its_id_and_the_aggregate_follows()
    {
        var user = await _client.CreateUserAsync();
        Assert.Equal(HttpStatusCode.Created, (await _client.RateAsync(user, 21, 1)).StatusCode);
        var count = (await AvgAsync(21)).GetProperty("total_ratings").GetInt32();

        var again = await _client.RateAsync(user, 21, 4.5);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var body = await again.ReadJsonAsync();
        Assert.Equal(Api.RatingIdOf(user, 21), body.GetProperty("rating_id").GetInt64());
        Assert.Equal(4.5, body.GetProperty("rating").GetDouble());
        Assert.Equal($"/api/rest/v1/ratings/{Api.RatingIdOf(user, 21)}", again.Headers.Location!.OriginalString);

        Assert.Equal(count, (await AvgAsync(21)).GetProperty("total_ratings").GetInt32());
        Assert.Equal(new Dictionary<int, double> { [21] = 4.5 }, await _client.UserRatingsAsync(user));
        Assert.Equal(4.5, (await Stored.MovieRatingsAsync(app.Store, 21))[user]);
        var (recount, stats) = await Stored.RecountAsync(app.Store, 21);
        Assert.Equal(recount, stats);
    }

    [Fact]
    public async Task The_same_rating_twice_is_a_no_op_so_client_retries_are_safe()
    {
        var user = await _client.CreateUserAsync();
        var first = await (await _client.RateAsync(user, 22, 3)).ReadJsonAsync();
        var row = await Stored.RowAsync(app.Store, user, 22);
        var stats = (await Stored.RecountAsync(app.Store, 22)).Stored;
        await Task.Delay(1100);

        var second = await _client.RateAsync(user, 22, 3);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(first.ToString(), (await second.ReadJsonAsync()).ToString());   // same timestamp: nothing rewritten
        Assert.Equal(row!.ETag, (await Stored.RowAsync(app.Store, user, 22))!.ETag);
        Assert.Equal(stats, (await Stored.RecountAsync(app.Store, 22)).Stored);
    }

    [Fact]
    public async Task Deleting_a_rating_removes_it_and_the_aggregate_follows()
    {
        var user = await _client.CreateUserAsync();
        await _client.RateAsync(user, 23, 5);
        await _client.RateAsync(user, 24, 2);
        var count = (await AvgAsync(23)).GetProperty("total_ratings").GetInt32();
        var id = Api.RatingIdOf(user, 23);

        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteAsync($"/api/rest/v1/ratings/{id}")).StatusCode);
        Api.AssertProblem(await _client.GetAsync($"/api/rest/v1/ratings/{id}"), HttpStatusCode.NotFound);
        Api.AssertProblem(await _client.DeleteAsync($"/api/rest/v1/ratings/{id}"), HttpStatusCode.NotFound);

        Assert.Equal(count - 1, (await AvgAsync(23)).GetProperty("total_ratings").GetInt32());
        Assert.Null(await Stored.RowAsync(app.Store, user, 23));
        Assert.Equal(new Dictionary<int, double> { [24] = 2 }, await Stored.UserRatingsAsync(app.Store, user));
        Assert.Equal(new Dictionary<int, double> { [24] = 2 }, await _client.UserRatingsAsync(user));
        var (recount, stats) = await Stored.RecountAsync(app.Store, 23);
        Assert.Equal(recount, stats);

        // Rating it again afterwards works like a first rating.
        Assert.Equal(HttpStatusCode.Created, (await _client.RateAsync(user, 23, 1.5)).StatusCode);
        Assert.Equal(1.5, (await Stored.RowAsync(app.Store, user, 23))!.GetDouble("Rating"));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(0.5)]
    [InlineData(4.5)]
    public async Task Every_value_of_the_half_star_scale_is_valid_whole_stars_included(double rating)
    {
        var user = await _client.CreateUserAsync();
        var response = await _client.RateAsync(user, 25, rating);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(rating, (await response.ReadJsonAsync()).GetProperty("rating").GetDouble());
    }

    [Theory]
    [InlineData("""{"movie_id": 1, "rating": 4}""", "user_id")]
    [InlineData("""{"user_id": 1, "rating": 4}""", "movie_id")]
    [InlineData("""{"user_id": 1, "movie_id": 1}""", "rating")]
    [InlineData("""{"user_id": 1, "movie_id": 1, "rating": null}""", "rating")]
    [InlineData("""{"user_id": "1", "movie_id": 1, "rating": 4}""", "user_id")]
    [InlineData("""{"user_id": 1, "movie_id": 1.5, "rating": 4}""", "movie_id")]
    [InlineData("""{"user_id": 1, "movie_id": [1], "rating": 4}""", "movie_id")]
    [InlineData("""{"user_id": 1, "movie_id": 1, "rating": "4"}""", "rating")]
    [InlineData("""{"user_id": 1, "movie_id": 1, "rating": true}""", "rating")]
    [InlineData("""{"user_id": 1, "movie_id": 1, "rating": 0}""", "rating")]
    [InlineData("""{"user_id": 1, "movie_id": 1, "rating": 5.5}""", "rating")]
    [InlineData("""{"user_id": 1, "movie_id": 1, "rating": 3.3}""", "rating")]
    [InlineData("""{"user_id": 1, "movie_id": 1, "rating": -1}""", "rating")]
    [InlineData("""{"user_id": 0, "movie_id": 1, "rating": 4}""", "user_id")]
    [InlineData("""{"user_id": -3, "movie_id": -1, "rating": 4}""", "user_id", "movie_id")]
    [InlineData("""{"user_id": 1, "movie_id": 1, "rating": 4, "rating": 5}""", "body")]
    [InlineData("""[{"user_id": 1, "movie_id": 1, "rating": 4}]""", "body")]
    [InlineData("""{"user_id": 1, "movie_id": 1, "rating": 4""", "body")]
    [InlineData("""not json""", "body")]
    [InlineData("", "body")]
    public async Task Invalid_rating_bodies_get_400_naming_each_bad_field(string body, params string[] fields)
    {
        var response = await _client.PostJsonAsync("/api/rest/v1/ratings", body);
        await Api.AssertErrorsAsync(response, HttpStatusCode.BadRequest, fields);
    }

    [Fact]
    public async Task Unknown_fields_are_ignored_and_any_content_type_is_read_as_json()
    {
        var user = await _client.CreateUserAsync();
        var response = await _client.PostJsonAsync("/api/rest/v1/ratings", $$$"""{"user_id": {{{user}}}, "movie_id": 26, "rating": 3, "comment": "great", "extra": {"a": [1]}}""");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var plain = await _client.PostAsync("/api/rest/v1/ratings", new StringContent($$"""{"user_id": {{user}}, "movie_id": 27, "rating": 3}""", System.Text.Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.Created, plain.StatusCode);
    }

    [Fact]
    public async Task Unknown_user_or_movie_gets_404_and_nothing_is_written()
    {
        var user = await _client.CreateUserAsync();
        Api.AssertProblem(await _client.RateAsync(999_999, 1, 4), HttpStatusCode.NotFound);
        Api.AssertProblem(await _client.RateAsync(int.MaxValue, 1, 4), HttpStatusCode.NotFound);
        Api.AssertProblem(await _client.PostJsonAsync("/api/rest/v1/ratings", """{"user_id": 99999999999999, "movie_id": 1, "rating": 4}"""), HttpStatusCode.NotFound);
        Api.AssertProblem(await _client.RateAsync(user, 999_999, 4), HttpStatusCode.NotFound);
        Api.AssertProblem(await _client.PostJsonAsync("/api/rest/v1/ratings", $$"""{"user_id": {{user}}, "movie_id": 99999999999, "rating": 4}"""), HttpStatusCode.NotFound);
        Assert.Empty(await Stored.UserRatingsAsync(app.Store, user));
    }

    [Fact]
    public async Task A_body_over_64_KiB_gets_413_with_or_without_a_content_length()
    {
        var user = await _client.CreateUserAsync();
        var big = $$"""{"user_id": {{user}}, "movie_id": 1, "rating": 4, "padding": "{{new string('x', 70_000)}}"}""";
        Api.AssertProblem(await _client.PostJsonAsync("/api/rest/v1/ratings", big), HttpStatusCode.RequestEntityTooLarge);

        var chunked = new StreamContent(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(big)));   // no length known up front
        chunked.Headers.ContentType = new("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/users/" + user + "/ratings") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        Api.AssertProblem(await _client.SendAsync(request), HttpStatusCode.RequestEntityTooLarge);
        Assert.Empty(await Stored.UserRatingsAsync(app.Store, user));

        // Just under the limit is fine.
        var fits = $$"""{"user_id": {{user}}, "movie_id": 1, "rating": 4, "padding": "{{new string('x', 65_000)}}"}""";
        Assert.Equal(HttpStatusCode.Created, (await _client.PostJsonAsync("/api/rest/v1/ratings", fits)).StatusCode);
    }

    [Theory]
    [InlineData("/api/rest/v1/ratings/0")]
    [InlineData("/api/rest/v1/ratings/123")]
    [InlineData("/api/rest/v1/ratings/-5")]
    [InlineData("/api/rest/v1/ratings/abc")]
    [InlineData("/api/rest/v1/ratings/9007199254740993")]
    [InlineData("/api/rest/v1/ratings/99999999999999999999999")]
    public async Task Ratings_that_cannot_exist_are_404(string url)
    {
        Api.AssertProblem(await _client.GetAsync(url), HttpStatusCode.NotFound);
        Api.AssertProblem(await _client.DeleteAsync(url), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Rating_id_is_the_user_and_movie_pair_below_2_pow_53()
    {
        Assert.Equal((5L << 24) + 7, RatingId.Encode(5, 7));
        Assert.True(RatingId.TryDecode(RatingId.Encode(RatingId.MaxUserId, RatingId.MaxMovieId), out var u, out var m));
        Assert.Equal((RatingId.MaxUserId, RatingId.MaxMovieId), (u, m));
        Assert.True(RatingId.Encode(RatingId.MaxUserId, RatingId.MaxMovieId) < 1L << 53);
        Assert.False(RatingId.TryDecode(5, out _, out _));
        Assert.False(RatingId.TryDecode(1L << 53, out _, out _));
        var user = await _client.CreateUserAsync();
        var body = await (await _client.RateAsync(user, 28, 4)).ReadJsonAsync();
        Assert.Equal(((long)user << 24) + 28, body.GetProperty("rating_id").GetInt64());
    }

    [Fact]
    public async Task Users_created_after_demo_seeding_get_ids_above_the_demo_users()
    {
        var id = await _client.CreateUserAsync();
        Assert.True(id > DemoSeeder.DemoUsers, $"id {id} collides with the demo users 1..{DemoSeeder.DemoUsers}");
        Assert.True(await IdBlockAllocator.PeekAsync(app.Store.Meta, UserStore.UserSequence) > id);
    }

    // ---------- POST /api/users/{id}/ratings (batch) ----------

    [Fact]
    public async Task A_batch_stores_every_rating_and_answers_with_the_stored_ratings()
    {
        var user = await _client.CreateUserAsync();
        var items = Enumerable.Range(30, 20).Select(m => (m, (double)(m % 10 + 1) / 2)).ToArray();
        var response = await _client.PostJsonAsync($"/api/users/{user}/ratings", Api.Batch(items));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stored = (await response.ReadJsonAsync()).GetProperty("ratings").EnumerateArray().ToList();
        Assert.Equal(items.Select(i => i.m), stored.Select(s => s.GetProperty("movie_id").GetInt32()));
        Assert.Equal(items.Select(i => i.Item2), stored.Select(s => s.GetProperty("rating").GetDouble()));
        Assert.All(stored, s => Assert.EndsWith("Z", s.GetProperty("timestamp").GetString()));

        var expected = items.ToDictionary(i => i.m, i => i.Item2);
        Assert.Equal(expected, await _client.UserRatingsAsync(user));
        Assert.Equal(expected, await Stored.UserRatingsAsync(app.Store, user));
        var recounts = await Stored.RecountAsync(app.Store, items.Select(i => i.m));
        foreach (var (movie, rating) in items)
        {
            Assert.Equal(rating, (await Stored.RowAsync(app.Store, user, movie))!.GetDouble("Rating"));
            Assert.Equal(recounts[movie].Recount, recounts[movie].Stored);
        }

        // The same batch again changes nothing; a batch with a new value replaces it.
        Assert.Equal(HttpStatusCode.OK, (await _client.PostJsonAsync($"/api/users/{user}/ratings", Api.Batch(items))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _client.PostJsonAsync($"/api/users/{user}/ratings", Api.Batch((30, 0.5)))).StatusCode);
        Assert.Equal(0.5, (await _client.UserRatingsAsync(user))[30]);
    }

    [Fact]
    public async Task One_invalid_item_rejects_the_whole_batch_naming_every_bad_item_and_nothing_is_written()
    {
        var user = await _client.CreateUserAsync();
        var before = (await Stored.RecountAsync(app.Store, [40, 41, 42])).OrderBy(r => r.Key).Select(r => r.Value).ToArray();
        var body = """
            {"ratings": [
              {"movie_id": 40, "rating": 4},
              {"movie_id": 41, "rating": 7},
              {"movie_id": "42", "rating": 3},
              {"movie_id": 40, "rating": 2},
              {"rating": 3},
              {"movie_id": 42, "rating": 2.25},
              5,
              {"movie_id": 999999, "rating": 4}
            ]}
            """;
        var response = await _client.PostJsonAsync($"/api/users/{user}/ratings", body);
        var errors = await Api.AssertErrorsAsync(response, HttpStatusCode.BadRequest,
            "ratings[1].rating", "ratings[2].movie_id", "ratings[3].movie_id", "ratings[4].movie_id", "ratings[5].rating", "ratings[6]", "ratings[7].movie_id");
        Assert.False(errors.TryGetProperty("ratings[0].rating", out _));
        Assert.False(errors.TryGetProperty("ratings[0].movie_id", out _));
        Assert.Contains("0.5 to 5.0", errors.GetProperty("ratings[1].rating")[0].GetString());
        Assert.Contains("twice", errors.GetProperty("ratings[3].movie_id")[0].GetString());
        Assert.Contains("required", errors.GetProperty("ratings[4].movie_id")[0].GetString());

        Assert.Empty(await Stored.UserRatingsAsync(app.Store, user));
        Assert.Null(await Stored.RowAsync(app.Store, user, 40));
        var after = (await Stored.RecountAsync(app.Store, [40, 41, 42])).OrderBy(r => r.Key).Select(r => r.Value).ToArray();
        Assert.Equal(before, after);
    }

    [Theory]
    [InlineData("""{"ratings": []}""", "ratings")]
    [InlineData("""{"ratings": {"movie_id": 1, "rating": 4}}""", "ratings")]
    [InlineData("""{"ratings": null}""", "ratings")]
    [InlineData("""{}""", "ratings")]
    [InlineData("""{"movie_id": 1, "rating": 4}""", "ratings")]
    [InlineData("""[{"movie_id": 1, "rating": 4}]""", "body")]
    [InlineData("""{"ratings": [{"movie_id": 1, "rating": 4}""", "body")]
    [InlineData("", "body")]
    public async Task Malformed_batches_get_400(string body, string field)
    {
        var user = await _client.CreateUserAsync();
        await Api.AssertErrorsAsync(await _client.PostJsonAsync($"/api/users/{user}/ratings", body), HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task A_batch_holds_1_to_100_items()
    {
        var user = await _client.CreateUserAsync();
        var tooMany = Api.Batch(Enumerable.Range(1, 101).Select(m => (m, 3.0)).ToArray());
        var errors = await Api.AssertErrorsAsync(await _client.PostJsonAsync($"/api/users/{user}/ratings", tooMany), HttpStatusCode.BadRequest, "ratings");
        Assert.Contains("101", errors.GetProperty("ratings")[0].GetString());
        var hundred = Api.Batch(Enumerable.Range(101, 100).Select(m => (m, 3.0)).ToArray());
        Assert.Equal(HttpStatusCode.OK, (await _client.PostJsonAsync($"/api/users/{user}/ratings", hundred)).StatusCode);
        Assert.Equal(100, (await Stored.UserRatingsAsync(app.Store, user)).Count);
    }

    [Fact]
    public async Task A_well_formed_batch_with_unknown_movies_gets_422_and_an_unknown_user_404()
    {
        var user = await _client.CreateUserAsync();
        var response = await _client.PostJsonAsync($"/api/users/{user}/ratings", Api.Batch((43, 4), (999_998, 4), (999_999, 2)));
        await Api.AssertErrorsAsync(response, HttpStatusCode.UnprocessableEntity, "ratings[1].movie_id", "ratings[2].movie_id");
        Assert.Empty(await Stored.UserRatingsAsync(app.Store, user));

        Api.AssertProblem(await _client.PostJsonAsync("/api/users/999999/ratings", Api.Batch((43, 4))), HttpStatusCode.NotFound);
        Api.AssertProblem(await _client.PostJsonAsync("/api/users/0/ratings", Api.Batch((43, 4))), HttpStatusCode.NotFound);
        Api.AssertProblem(await _client.PostJsonAsync("/api/users/abc/ratings", Api.Batch((43, 4))), HttpStatusCode.NotFound);
    }

    // ---------- GET /api/users/{id}/ratings ----------

    [Fact]
    public async Task A_users_ratings_come_newest_first_and_paginate()
    {
        var user = await _client.CreateUserAsync();
        await _client.PostJsonAsync($"/api/users/{user}/ratings", Api.Batch((50, 1), (51, 2)));
        await Task.Delay(1100);   // timestamps have second resolution
        await _client.RateAsync(user, 52, 3);
        await Task.Delay(1100);
        await _client.RateAsync(user, 50, 5);   // re-rated: now the newest

        var all = await _client.GetFromJsonAsync<JsonElement>($"/api/users/{user}/ratings");
        Assert.Equal([50, 52, 51], all.GetProperty("ratings").EnumerateArray().Select(r => r.GetProperty("movie_id").GetInt32()));
        Assert.Equal(3, all.GetProperty("total").GetInt32());
        Assert.Equal(1000, all.GetProperty("limit").GetInt32());
        foreach (var r in all.GetProperty("ratings").EnumerateArray())
            foreach (var field in new[] { "movie_id", "rating", "timestamp" })
                Assert.True(r.TryGetProperty(field, out _));

        var page2 = await _client.GetFromJsonAsync<JsonElement>($"/api/users/{user}/ratings?limit=2&page=2");
        Assert.Equal([51], page2.GetProperty("ratings").EnumerateArray().Select(r => r.GetProperty("movie_id").GetInt32()));
        Assert.Equal(3, page2.GetProperty("total").GetInt32());
        var past = await _client.GetFromJsonAsync<JsonElement>($"/api/users/{user}/ratings?limit=2&page=50");
        Assert.Empty(past.GetProperty("ratings").EnumerateArray());
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=1001", "limit")]
    [InlineData("limit=x", "limit")]
    [InlineData("page=0", "page")]
    public async Task Bad_paging_of_a_users_ratings_gets_400(string query, string field)
    {
        var user = await _client.CreateUserAsync();
        await Api.AssertErrorsAsync(await _client.GetAsync($"/api/users/{user}/ratings?{query}"), HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task Ratings_of_an_unknown_user_are_404_and_a_new_user_has_none()
    {
        Api.AssertProblem(await _client.GetAsync("/api/users/999999/ratings"), HttpStatusCode.NotFound);
        var user = await _client.CreateUserAsync();
        Assert.Empty(await _client.UserRatingsAsync(user));
    }

    // ---------- GET /api/rest/v1/movies/{id}/ratings ----------

    [Fact]
    public async Task A_movies_ratings_paginate_in_user_order_with_the_exact_total()
    {
        var users = new List<int>();
        for (var i = 0; i < 5; i++)
        {
            var user = await _client.CreateUserAsync();
            users.Add(user);
            await _client.RateAsync(user, 60, i + 1);
        }
        var stored = await Stored.MovieRatingsAsync(app.Store, 60);
        var expected = stored.OrderBy(p => p.Key).ToList();

        var seen = new List<(int, double)>();
        for (var page = 1; ; page++)
        {
            var body = await _client.GetFromJsonAsync<JsonElement>($"/api/rest/v1/movies/60/ratings?limit=7&page={page}");
            Assert.Equal(stored.Count, body.GetProperty("total").GetInt32());
            var items = body.GetProperty("ratings").EnumerateArray().ToList();
            foreach (var r in items)
            {
                Assert.Equal(60, r.GetProperty("movie_id").GetInt32());
                Assert.Equal(RatingId.Encode(r.GetProperty("user_id").GetInt32(), 60), r.GetProperty("rating_id").GetInt64());
                seen.Add((r.GetProperty("user_id").GetInt32(), r.GetProperty("rating").GetDouble()));
            }
            if (items.Count < 7)
                break;
        }
        Assert.Equal(expected.Select(p => (p.Key, p.Value)), seen);
        Assert.Contains((users[4], 5.0), seen);
    }

    [Fact]
    public async Task A_movies_ratings_reject_bad_paging_and_unknown_movies()
    {
        Api.AssertProblem(await _client.GetAsync("/api/rest/v1/movies/999999/ratings"), HttpStatusCode.NotFound);
        await Api.AssertErrorsAsync(await _client.GetAsync("/api/rest/v1/movies/1/ratings?limit=101"), HttpStatusCode.BadRequest, "limit");
        await Api.AssertErrorsAsync(await _client.GetAsync("/api/rest/v1/movies/1/ratings?page=0"), HttpStatusCode.BadRequest, "page");
        var body = await _client.GetFromJsonAsync<JsonElement>("/api/rest/v1/movies/1/ratings");
        Assert.Equal(20, body.GetProperty("limit").GetInt32());
    }

    // ---------- watch marks ----------

    [Fact]
    public async Task Watch_marks_count_as_watches_not_ratings_and_rating_converts_them()
    {
        var user = await _client.CreateUserAsync();
        var movie = await _client.MovieAsync(70);
        var (ratings, watches) = (movie.GetProperty("total_ratings").GetInt32(), movie.GetProperty("watch_count").GetInt32());

        var marked = await _client.PostJsonAsync($"/api/rest/v1/users/{user}/watched", """{"movie_id": 70}""");
        Assert.Equal(HttpStatusCode.Created, marked.StatusCode);
        var entry = await marked.ReadJsonAsync();
        Assert.Equal(70, entry.GetProperty("movie_id").GetInt32());
        Assert.Equal(JsonValueKind.Null, entry.GetProperty("rating").ValueKind);
        Assert.Equal(HttpStatusCode.OK, (await _client.PostJsonAsync($"/api/rest/v1/users/{user}/watched", """{"movie_id": 70}""")).StatusCode);

        movie = await _client.MovieAsync(70);
        Assert.Equal((ratings, watches + 1), (movie.GetProperty("total_ratings").GetInt32(), movie.GetProperty("watch_count").GetInt32()));
        Assert.Empty(await _client.UserRatingsAsync(user));

        // Rating a watched movie: one more rating, the same watch.
        Assert.Equal(HttpStatusCode.Created, (await _client.RateAsync(user, 70, 4)).StatusCode);
        movie = await _client.MovieAsync(70);
        Assert.Equal((ratings + 1, watches + 1), (movie.GetProperty("total_ratings").GetInt32(), movie.GetProperty("watch_count").GetInt32()));
        var (recount, stats) = await Stored.RecountAsync(app.Store, 70);
        Assert.Equal(recount, stats);

        // A rated movie cannot be un-watched; deleting the rating removes the watch it implied.
        Api.AssertProblem(await _client.DeleteAsync($"/api/rest/v1/users/{user}/watched/70"), HttpStatusCode.Conflict);
        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteAsync($"/api/rest/v1/ratings/{Api.RatingIdOf(user, 70)}")).StatusCode);
        movie = await _client.MovieAsync(70);
        Assert.Equal((ratings, watches), (movie.GetProperty("total_ratings").GetInt32(), movie.GetProperty("watch_count").GetInt32()));
    }

    [Fact]
    public async Task Rating_marks_a_movie_watched_and_watch_only_marks_can_be_removed()
    {
        var user = await _client.CreateUserAsync();
        await _client.RateAsync(user, 71, 3);
        await Task.Delay(1100);
        await _client.PostJsonAsync($"/api/rest/v1/users/{user}/watched", """{"movie_id": 72}""");
        var watches = (await _client.MovieAsync(72)).GetProperty("watch_count").GetInt32();

        var history = await _client.GetFromJsonAsync<JsonElement>($"/api/rest/v1/users/{user}/watch-history");
        var items = history.GetProperty("watched").EnumerateArray().ToList();
        Assert.Equal([72, 71], items.Select(i => i.GetProperty("movie_id").GetInt32()));
        Assert.Equal(JsonValueKind.Null, items[0].GetProperty("rating").ValueKind);
        Assert.Equal(3, items[1].GetProperty("rating").GetDouble());
        Assert.False(string.IsNullOrEmpty(items[0].GetProperty("title").GetString()));
        Assert.Equal(2, history.GetProperty("total").GetInt32());
        var page = await _client.GetFromJsonAsync<JsonElement>($"/api/rest/v1/users/{user}/watch-history?limit=1&page=2");
        Assert.Equal([71], page.GetProperty("watched").EnumerateArray().Select(i => i.GetProperty("movie_id").GetInt32()));

        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteAsync($"/api/rest/v1/users/{user}/watched/72")).StatusCode);
        Api.AssertProblem(await _client.DeleteAsync($"/api/rest/v1/users/{user}/watched/72"), HttpStatusCode.NotFound);
        Assert.Equal(watches - 1, (await _client.MovieAsync(72)).GetProperty("watch_count").GetInt32());
        var after = await _client.GetFromJsonAsync<JsonElement>($"/api/rest/v1/users/{user}/watch-history");
        Assert.Equal([71], after.GetProperty("watched").EnumerateArray().Select(i => i.GetProperty("movie_id").GetInt32()));
    }

    [Fact]
    public async Task Watch_marks_reject_bad_input()
    {
        var user = await _client.CreateUserAsync();
        await Api.AssertErrorsAsync(await _client.PostJsonAsync($"/api/rest/v1/users/{user}/watched", """{"movie": 1}"""), HttpStatusCode.BadRequest, "movie_id");
        await Api.AssertErrorsAsync(await _client.PostJsonAsync($"/api/rest/v1/users/{user}/watched", """{"movie_id": "1"}"""), HttpStatusCode.BadRequest, "movie_id");
        await Api.AssertErrorsAsync(await _client.PostJsonAsync($"/api/rest/v1/users/{user}/watched", "{"), HttpStatusCode.BadRequest, "body");
        Api.AssertProblem(await _client.PostJsonAsync($"/api/rest/v1/users/{user}/watched", """{"movie_id": 999999}"""), HttpStatusCode.NotFound);
        Api.AssertProblem(await _client.PostJsonAsync("/api/rest/v1/users/999999/watched", """{"movie_id": 1}"""), HttpStatusCode.NotFound);
        Api.AssertProblem(await _client.DeleteAsync("/api/rest/v1/users/999999/watched/1"), HttpStatusCode.NotFound);
        Api.AssertProblem(await _client.GetAsync("/api/rest/v1/users/999999/watch-history"), HttpStatusCode.NotFound);
        await Api.AssertErrorsAsync(await _client.GetAsync($"/api/rest/v1/users/{user}/watch-history?limit=101"), HttpStatusCode.BadRequest, "limit");
    }

    // ---------- concurrent writes of one pair ----------

    [Fact]
    public async Task Concurrent_writes_of_one_pair_leave_the_stored_row_listed_and_counted()
    {
        var user = await _client.CreateUserAsync();
        for (var round = 0; round < 5; round++)
        {
            var values = new[] { 1.0, 2, 3, 4, 5, 0.5, 1.5, 2.5 };
            await Task.WhenAll(values.Select(async v =>
            {
                var r = v == 0.5 ? await _client.DeleteAsync($"/api/rest/v1/ratings/{Api.RatingIdOf(user, 80)}") : await _client.RateAsync(user, 80, v);
                Assert.True(r.IsSuccessStatusCode || r.StatusCode == HttpStatusCode.NotFound, r.StatusCode.ToString());
            }));
            var stored = await Stored.RowAsync(app.Store, user, 80);
            Assert.Equal((await _client.UserRatingsAsync(user)).GetValueOrDefault(80, -1), stored?.GetDouble("Rating") ?? -1);
        }
        var (recount, stats) = await Stored.RecountAsync(app.Store, 80);
        Assert.Equal(recount, stats);
    }
}
