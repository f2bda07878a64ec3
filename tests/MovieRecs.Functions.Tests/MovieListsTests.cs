using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MovieRecs.Core.Catalog;

namespace MovieRecs.Functions.Tests;

/// <summary>popular / top-rated / most-watched on the designed six-movie catalog (see <see cref="SmallCatalogFixture"/>).</summary>
public sealed class MovieListsTests(SmallCatalogFixture app) : IClassFixture<SmallCatalogFixture>
{
    readonly HttpClient _client = app.Client;

    async Task<List<JsonElement>> ListAsync(string list, string query = "") =>
        (await _client.GetFromJsonAsync<JsonElement>($"/api/rest/v1/movies/{list}{query}")).GetProperty("movies").EnumerateArray().ToList();

    static List<int> Ids(List<JsonElement> movies) => movies.Select(m => m.GetProperty("id").GetInt32()).ToList();

    [Fact]
    public async Task Lists_rank_by_their_formulas_and_follow_new_ratings_at_once()
    {
        // popular: avg × 0.7 + watches × 0.3 = 4: 1.4+6=7.4, 5: 2.8+3=5.8, 3: 3.15+1.8=4.95, 2: 2.1+1.5=3.6;
        // movie 1 (one 5.0) has fewer than 5 ratings and is left out.
        Assert.Equal([4, 5, 3, 2], Ids(await ListAsync("popular")));
        // top-rated: average >= 3.0 (4 is out), Bayesian average with 10 ratings of the global mean (127/42 = 3.02):
        // 3: 3.58, 5: 3.51, 1: 3.20, 2: 3.02. The single 5.0 ranks below movies with many good ratings.
        Assert.Equal([3, 5, 1, 2], Ids(await ListAsync("top-rated")));
        // most-watched: 4 (20), 5 (10), 3 (6), 2 (5), 1 (1); 6 has no watches.
        Assert.Equal([4, 5, 3, 2, 1], Ids(await ListAsync("most-watched")));

        // The lists return the listing's movie objects.
        var listing = (await _client.GetFromJsonAsync<JsonElement>("/api/rest/v1/movies?limit=100")).GetProperty("movies").EnumerateArray().ToDictionary(m => m.GetProperty("id").GetInt32());
        foreach (var movie in await ListAsync("popular"))
            Assert.Equal(listing[movie.GetProperty("id").GetInt32()].ToString(), movie.ToString());
        var four = (await ListAsync("popular"))[0];
        Assert.Equal(2.0, four.GetProperty("avg_rating").GetDouble());
        Assert.Equal(20, four.GetProperty("total_ratings").GetInt32());

        // limit
        Assert.Equal([4, 5], Ids(await ListAsync("popular", "?limit=2")));

        // New users watch movie 6 without rating it (watched only) and rate movie 1: the instance that wrote ranks at once.
        var users = new List<int>();
        for (var i = 0; i < 25; i++)
            users.Add(await _client.CreateUserAsync());
        foreach (var u in users)
            Assert.Equal(HttpStatusCode.Created, (await _client.PostJsonAsync($"/api/rest/v1/users/{u}/watched", """{"movie_id": 6}""")).StatusCode);
        Assert.Equal([6, 4, 5, 3, 2, 1], Ids(await ListAsync("most-watched")));
        Assert.DoesNotContain(6, Ids(await ListAsync("popular")));   // watched but never rated: no votes

        foreach (var u in users.Take(4))
            Assert.Equal(HttpStatusCode.Created, (await _client.RateAsync(u, 1, 5)).StatusCode);
        // 1 now has five 5.0s and 5 watches: 3.5 + 1.5 = 5.0, between 5 (5.8) and 3 (4.95).
        Assert.Equal([4, 5, 1, 3, 2], Ids(await ListAsync("popular")));
        Assert.Equal(1, Ids(await ListAsync("top-rated"))[0]);
    }

    [Theory]
    [InlineData("popular")]
    [InlineData("top-rated")]
    [InlineData("most-watched")]
    public async Task Lists_take_a_limit_of_1_to_100(string list)
    {
        foreach (var bad in new[] { "0", "101", "ten", "-1" })
            await Api.AssertErrorsAsync(await _client.GetAsync($"/api/rest/v1/movies/{list}?limit={bad}"), HttpStatusCode.BadRequest, "limit");
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync($"/api/rest/v1/movies/{list}?limit=100")).StatusCode);
    }

    [Fact]
    public void The_popularity_formula_is_the_published_one()
    {
        Assert.Equal(4.0 * 0.7 + 10 * 0.3, MovieCatalog.PopularityScore(new MovieStats(10, 80, 10)), 9);
        Assert.Equal(3 * 0.3, MovieCatalog.PopularityScore(new MovieStats(0, 0, 3)), 9);
    }
}

/// <summary>Users: creation, reading, ids above the imported ones, unrated movies.</summary>
public sealed class UsersApiTests(SmallCatalogFixture app) : IClassFixture<SmallCatalogFixture>
{
    readonly HttpClient _client = app.Client;

    [Fact]
    public async Task Both_routes_create_users_with_new_numeric_ids_above_every_imported_one()
    {
        var legacy = await _client.PostAsync("/api/users", null);
        Assert.Equal(HttpStatusCode.Created, legacy.StatusCode);
        var body = await legacy.ReadJsonAsync();
        Assert.Equal(["id"], body.EnumerateObject().Select(p => p.Name));
        var id = body.GetProperty("id").GetInt32();
        Assert.True(id > SmallCatalogFixture.MaxImportedUserId, $"id {id} not above the imported users");
        Assert.Equal($"/api/rest/v1/users/{id}", legacy.Headers.Location!.OriginalString);

        var named = await _client.PostJsonAsync("/api/rest/v1/users", """{"name": "  Ada Lovelace ", "unknown": true}""");
        Assert.Equal(HttpStatusCode.Created, named.StatusCode);
        var namedId = (await named.ReadJsonAsync()).GetProperty("id").GetInt32();
        Assert.NotEqual(id, namedId);

        var user = await _client.GetFromJsonAsync<JsonElement>(named.Headers.Location);
        Assert.Equal(namedId, user.GetProperty("id").GetInt32());
        Assert.Equal("Ada Lovelace", user.GetProperty("name").GetString());
        Assert.True((DateTimeOffset.UtcNow - user.GetProperty("created").GetDateTimeOffset()).Duration() < TimeSpan.FromMinutes(1));
        Assert.Equal(0, user.GetProperty("rating_count").GetInt32());

        await _client.PostJsonAsync($"/api/users/{namedId}/ratings", Api.Batch((1, 4), (2, 3)));
        Assert.Equal(2, (await _client.GetFromJsonAsync<JsonElement>($"/api/rest/v1/users/{namedId}")).GetProperty("rating_count").GetInt32());

        // An empty JSON object and an explicit null name are fine too.
        Assert.Equal(HttpStatusCode.Created, (await _client.PostJsonAsync("/api/users", "{}")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await _client.PostJsonAsync("/api/users", """{"name": null}""")).StatusCode);
    }

    [Fact]
    public async Task Imported_users_are_readable_without_a_name()
    {
        var user = await _client.GetFromJsonAsync<JsonElement>($"/api/rest/v1/users/{SmallCatalogFixture.MaxImportedUserId}");
        Assert.Equal(JsonValueKind.Null, user.GetProperty("name").ValueKind);
        Assert.Equal(1, user.GetProperty("rating_count").GetInt32());
    }

    [Theory]
    [InlineData("""{"name": 5}""", "name")]
    [InlineData("""{"name": ["a"]}""", "name")]
    [InlineData("""["Ada"]""", "body")]
    [InlineData("""{"name": "Ada\u0000"}""", "name")]
    [InlineData("""{"name": """, "body")]
    public async Task Bad_user_bodies_get_400(string body, string field)
    {
        await Api.AssertErrorsAsync(await _client.PostJsonAsync("/api/rest/v1/users", body), HttpStatusCode.BadRequest, field);
        await Api.AssertErrorsAsync(await _client.PostJsonAsync("/api/users", body), HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task Names_are_at_most_100_characters_and_bodies_at_most_64_KiB()
    {
        await Api.AssertErrorsAsync(await _client.PostJsonAsync("/api/rest/v1/users", $$"""{"name": "{{new string('a', 101)}}"}"""), HttpStatusCode.BadRequest, "name");
        Api.AssertProblem(await _client.PostJsonAsync("/api/users", $$"""{"name": "{{new string('a', 70_000)}}"}"""), HttpStatusCode.RequestEntityTooLarge);
    }

    [Theory]
    [InlineData("/api/rest/v1/users/999999")]
    [InlineData("/api/rest/v1/users/0")]
    [InlineData("/api/rest/v1/users/-1")]
    [InlineData("/api/rest/v1/users/abc")]
    [InlineData("/api/users/999999/unrated")]
    public async Task Unknown_users_are_404(string url) =>
        Api.AssertProblem(await _client.GetAsync(url), HttpStatusCode.NotFound);

    [Fact]
    public async Task Unrated_gives_random_movies_the_user_has_not_rated_until_none_are_left()
    {
        var user = await _client.CreateUserAsync();
        await _client.PostJsonAsync($"/api/users/{user}/ratings", Api.Batch((1, 4), (2, 4)));

        var sets = new HashSet<string>();
        for (var i = 0; i < 12; i++)
        {
            var movies = (await _client.GetFromJsonAsync<JsonElement>($"/api/users/{user}/unrated")).GetProperty("movies").EnumerateArray().ToList();
            Assert.Equal(3, movies.Count);
            Assert.Equal(["genres", "id", "thumbnail_url", "title"], movies[0].EnumerateObject().Select(p => p.Name).Order());
            var ids = movies.Select(m => m.GetProperty("id").GetInt32()).ToList();
            Assert.Equal(3, ids.Distinct().Count());
            Assert.DoesNotContain(1, ids);
            Assert.DoesNotContain(2, ids);
            sets.Add(string.Join(",", ids.Order()));
        }
        Assert.True(sets.Count > 1, "the same three movies every time");

        var four = (await _client.GetFromJsonAsync<JsonElement>($"/api/users/{user}/unrated?count=20")).GetProperty("movies");
        Assert.Equal([3, 4, 5, 6], four.EnumerateArray().Select(m => m.GetProperty("id").GetInt32()).Order());

        // A watch-only mark is not a rating: still offered.
        await _client.PostJsonAsync($"/api/rest/v1/users/{user}/watched", """{"movie_id": 3}""");
        Assert.Equal(4, (await _client.GetFromJsonAsync<JsonElement>($"/api/users/{user}/unrated?count=5")).GetProperty("movies").GetArrayLength());

        await _client.PostJsonAsync($"/api/users/{user}/ratings", Api.Batch((3, 1), (4, 1), (5, 1), (6, 1)));
        var none = await _client.GetAsync($"/api/users/{user}/unrated");
        Assert.Equal(HttpStatusCode.OK, none.StatusCode);
        Assert.Empty((await none.ReadJsonAsync()).GetProperty("movies").EnumerateArray());
    }

    [Theory]
    [InlineData("0")]
    [InlineData("21")]
    [InlineData("three")]
    public async Task Unrated_count_is_1_to_20(string count)
    {
        var user = await _client.CreateUserAsync();
        await Api.AssertErrorsAsync(await _client.GetAsync($"/api/users/{user}/unrated?count={count}"), HttpStatusCode.BadRequest, "count");
    }
}
