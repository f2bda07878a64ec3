using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Azure.Data.Tables;
using MovieRecs.Core.Azurite;
using MovieRecs.Core.Store;

namespace MovieRecs.Functions.Tests;

/// <summary>One Azurite with two app instances: the first seeded and with a bootstrap admin, the second only serving.</summary>
public sealed class CatalogAdminFixture : IAsyncLifetime
{
    public const string AdminName = "root";
    public const string AdminPassword = "admin-password-123";

    AzuriteProcess _azurite = null!;
    MovieRecsFactory _app = null!, _other = null!;
    public HttpClient Client { get; private set; } = null!;
    public HttpClient Other { get; private set; } = null!;
    public MovieStore Store { get; private set; } = null!;
    public string AdminToken { get; private set; } = null!;
    public string UserToken { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _azurite = await AzuriteProcess.StartAsync(new AzuriteOptions { InMemory = true });
        Store = new MovieStore(_azurite.ConnectionString);
        _app = new MovieRecsFactory(_azurite.ConnectionString,
            settings: new Dictionary<string, string?> { ["MovieRecs:Admin:Username"] = AdminName, ["MovieRecs:Admin:Password"] = AdminPassword });
        Client = await _app.CreateReadyClientAsync();
        // Aggregates written through the first instance reach this one by its stats refresh: every second here, not 15 s.
        _other = new MovieRecsFactory(_azurite.ConnectionString, seed: false, settings: new Dictionary<string, string?> { ["MovieRecs:StatsRefreshSeconds"] = "1" });
        Other = await _other.CreateReadyClientAsync();

        var signup = await Client.PostJsonAsync("/api/rest/v1/accounts",
            JsonSerializer.Serialize(new { username = "ada", email = "ada@example.com", password = "password-of-ada" }));
        Assert.Equal(HttpStatusCode.Created, signup.StatusCode);
        UserToken = await TokenAsync("ada", "password-of-ada");
        // The bootstrap admin is created in the background once the catalog has loaded.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var response = await Client.PostJsonAsync("/api/rest/v1/auth/token", JsonSerializer.Serialize(new { username = AdminName, password = AdminPassword }));
            if (response.StatusCode == HttpStatusCode.OK)
            {
                AdminToken = (await response.ReadJsonAsync()).GetProperty("access_token").GetString()!;
                break;
            }
            Assert.True(DateTime.UtcNow < deadline, "the bootstrap admin never appeared");
            await Task.Delay(200);
        }
    }

    async Task<string> TokenAsync(string username, string password)
    {
        var response = await Client.PostJsonAsync("/api/rest/v1/auth/token", JsonSerializer.Serialize(new { username, password }));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.ReadJsonAsync()).GetProperty("access_token").GetString()!;
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _other.DisposeAsync();
        await _azurite.DisposeAsync();
    }
}

/// <summary>Catalogue administration against a real Azurite: permissions, validation, deletes, genres, two instances.</summary>
public sealed class CatalogAdminTests(CatalogAdminFixture fixture) : IClassFixture<CatalogAdminFixture>
{
    readonly HttpClient _client = fixture.Client, _other = fixture.Other;
    readonly MovieStore _store = fixture.Store;

    /// <summary>How a request authenticates.</summary>
    enum As { Anonymous, BadToken, User, WrongKey, AdminToken, AdminKey }

    [Fact]
    public async Task Every_admin_route_refuses_anonymous_callers_and_accounts_and_admits_admin_tokens_and_the_admin_key()
    {
        var dramaId = await GenreIdAsync("Drama");
        // Each route: a fresh target, and the request to make against it.
        var routes = new (string Name, Func<Task<string>> Target, Func<string, (HttpMethod, string, string?)> Request, HttpStatusCode Allowed)[]
        {
            ("create movie", () => Task.FromResult(""), _ => (HttpMethod.Post, "/api/rest/v1/movies", $$"""{"title": "Permission Test", "genres": [{{dramaId}}]}"""), HttpStatusCode.Created),
            ("replace movie", () => NewMovieAsync(), id => (HttpMethod.Put, $"/api/rest/v1/movies/{id}", """{"title": "Replaced", "year": 2001}"""), HttpStatusCode.OK),
            ("patch movie", () => NewMovieAsync(), id => (HttpMethod.Patch, $"/api/rest/v1/movies/{id}", """{"year": 2002}"""), HttpStatusCode.OK),
            ("delete movie", () => NewMovieAsync(), id => (HttpMethod.Delete, $"/api/rest/v1/movies/{id}", null), HttpStatusCode.NoContent),
            ("create genre", () => Task.FromResult(""), _ => (HttpMethod.Post, "/api/rest/v1/genres", $$"""{"name": "Perm {{Guid.NewGuid():N}}"}"""), HttpStatusCode.Created),
            ("replace genre", () => NewGenreAsync(), id => (HttpMethod.Put, $"/api/rest/v1/genres/{id}", $$"""{"name": "Renamed {{Guid.NewGuid():N}}"}"""), HttpStatusCode.OK),
            ("patch genre", () => NewGenreAsync(), id => (HttpMethod.Patch, $"/api/rest/v1/genres/{id}", $$"""{"name": "Patched {{Guid.NewGuid():N}}"}"""), HttpStatusCode.OK),
            ("delete genre", () => NewGenreAsync(), id => (HttpMethod.Delete, $"/api/rest/v1/genres/{id}", null), HttpStatusCode.NoContent),
        };
        foreach (var (name, target, request, allowed) in routes)
        {
            var id = await target();
            var before = await FingerprintAsync();
            foreach (var refused in new[] { As.Anonymous, As.BadToken, As.WrongKey, As.User })
            {
                var (method, url, body) = request(id);
                var response = await SendAsync(method, url, body, refused);
                Assert.True(response.StatusCode == (refused == As.User ? HttpStatusCode.Forbidden : HttpStatusCode.Unauthorized),
                    $"{name} as {refused}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                Api.AssertProblem(response, response.StatusCode);
                if (refused != As.User)
                    Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString());
            }
            Assert.Equal(before, await FingerprintAsync());

            foreach (var admin in new[] { As.AdminToken, As.AdminKey })
            {
                var (method, url, body) = request(admin == As.AdminToken ? id : await target());
                var response = await SendAsync(method, url, body, admin);
                Assert.True(response.StatusCode == allowed, $"{name} as {admin}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
        }
        // Reading a genre is public.
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync($"/api/rest/v1/genres/{dramaId}")).StatusCode);
    }

    [Fact]
    public async Task A_created_changed_and_deleted_movie_reaches_the_other_instance_within_the_refresh_period()
    {
        var created = await SendAsync(HttpMethod.Post, "/api/rest/v1/movies",
            """{"title": "Quxbar Expedition", "year": 2019, "genres": ["sci fi", "Drama"], "imdb_id": "tt7654321", "tmdb_id": 4242, "tags": ["space", "slow burn"]}""", As.AdminToken);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var movie = await created.ReadJsonAsync();
        var id = movie.GetProperty("id").GetInt32();
        Assert.Equal($"/api/rest/v1/movies/{id}", created.Headers.Location?.OriginalString);
        Assert.Equal("Quxbar Expedition", movie.GetProperty("title").GetString());
        Assert.Equal(["Sci-Fi", "Drama"], movie.GetProperty("genres").EnumerateArray().Select(g => g.GetString()));   // canonical names
        Assert.Equal(2019, movie.GetProperty("year").GetInt32());

        // At once on the instance that wrote it; within the refresh period (0.5 s here) on the other one.
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync($"/api/rest/v1/movies/{id}")).StatusCode);
        await EventuallyAsync(async () => (await _other.GetAsync($"/api/rest/v1/movies/{id}")).StatusCode == HttpStatusCode.OK);
        Assert.Contains(id, await SearchAsync(_other, "quxbar"));
        var stored = MovieStore.ToMovie((await _store.Movies.GetEntityAsync<TableEntity>(MovieStore.MoviePartition(id), MovieStore.MovieRowKey(id))).Value);
        Assert.Equal(("Quxbar Expedition", 2019, "tt7654321", 4242), (stored.Title, stored.Year, stored.ImdbId, stored.TmdbId));

        // PATCH changes only what it names (here through the other instance, with the admin key).
        var patched = await SendAsync(HttpMethod.Patch, $"/api/rest/v1/movies/{id}", """{"year": 2020, "imdb_id": null}""", As.AdminKey, _other);
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        var after = await patched.ReadJsonAsync();
        Assert.Equal((2020, "Quxbar Expedition", JsonValueKind.Null), (after.GetProperty("year").GetInt32(), after.GetProperty("title").GetString(), after.GetProperty("imdb_id").ValueKind));
        Assert.Equal(["space", "slow burn"], after.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        await EventuallyAsync(async () => (await _client.MovieAsync(id)).GetProperty("year").GetInt32() == 2020);

        // PUT replaces the whole movie: what it leaves out is cleared.
        var put = await SendAsync(HttpMethod.Put, $"/api/rest/v1/movies/{id}", """{"title": "Quxbar Expedition Redux (2021)", "genres": ["Drama"]}""", As.AdminToken);
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var replaced = await put.ReadJsonAsync();
        Assert.Equal(2021, replaced.GetProperty("year").GetInt32());   // from the title, as imports read it
        Assert.Empty(replaced.GetProperty("tags").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, replaced.GetProperty("tmdb_id").ValueKind);
        await EventuallyAsync(async () => (await _other.MovieAsync(id)).GetProperty("genres").GetArrayLength() == 1);

        // DELETE: gone from both instances (details, search, listing), 404 on a second delete and on a change.
        var totalBefore = (await _other.GetJsonAsync("/api/rest/v1/movies?limit=1")).GetProperty("total").GetInt32();
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, $"/api/rest/v1/movies/{id}", null, As.AdminToken)).StatusCode);
        Api.AssertProblem(await _client.GetAsync($"/api/rest/v1/movies/{id}"), HttpStatusCode.NotFound);
        await EventuallyAsync(async () => (await _other.GetAsync($"/api/rest/v1/movies/{id}")).StatusCode == HttpStatusCode.NotFound);
        Assert.DoesNotContain(id, await SearchAsync(_other, "quxbar"));
        Assert.Equal(totalBefore - 1, (await _other.GetJsonAsync("/api/rest/v1/movies?limit=1")).GetProperty("total").GetInt32());
        Api.AssertProblem(await SendAsync(HttpMethod.Delete, $"/api/rest/v1/movies/{id}", null, As.AdminToken), HttpStatusCode.NotFound);
        Api.AssertProblem(await SendAsync(HttpMethod.Patch, $"/api/rest/v1/movies/{id}", """{"year": 2000}""", As.AdminToken), HttpStatusCode.NotFound);
        // The row stays as a tombstone, so the id is never given to another movie.
        var tombstone = (await _store.Movies.GetEntityAsync<TableEntity>(MovieStore.MoviePartition(id), MovieStore.MovieRowKey(id))).Value;
        Assert.True(MovieStore.IsDeleted(tombstone));
        var reuse = await SendAsync(HttpMethod.Post, "/api/rest/v1/movies", $$"""{"id": {{id}}, "title": "Squatter"}""", As.AdminToken);
        await Api.AssertErrorsAsync(reuse, HttpStatusCode.Conflict, "id");
        var next = await SendAsync(HttpMethod.Post, "/api/rest/v1/movies", """{"title": "Next One"}""", As.AdminToken);
        Assert.True((await next.ReadJsonAsync()).GetProperty("id").GetInt32() > id);
    }

    [Fact]
    public async Task A_deleted_movies_ratings_stay_stored_but_are_no_longer_served_or_recommended()
    {
        var dramaId = await GenreIdAsync("Drama");
        var created = await SendAsync(HttpMethod.Post, "/api/rest/v1/movies", $$"""{"title": "Rated Then Gone", "genres": [{{dramaId}}]}""", As.AdminKey);
        var movieId = (await created.ReadJsonAsync()).GetProperty("id").GetInt32();
        await EventuallyAsync(async () => (await _other.GetAsync($"/api/rest/v1/movies/{movieId}")).StatusCode == HttpStatusCode.OK);
        // Enough raters for the charts to list it first.
        var users = new List<int>();
        for (var i = 0; i < 30; i++)
        {
            var user = await _client.CreateUserAsync();
            users.Add(user);
            Assert.Equal(HttpStatusCode.Created, (await _client.RateAsync(user, movieId, 5)).StatusCode);
        }
        var rater = users[0];
        Assert.Equal(HttpStatusCode.Created, (await _client.PostJsonAsync($"/api/rest/v1/users/{rater}/watched", """{"movie_id": 1}""")).StatusCode);
        var ratingId = Api.RatingIdOf(rater, movieId);
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync($"/api/rest/v1/ratings/{ratingId}")).StatusCode);
        await EventuallyAsync(async () => (await PopularAsync(_other)).Contains(movieId));

        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, $"/api/rest/v1/movies/{movieId}", null, As.AdminToken)).StatusCode);
        await EventuallyAsync(async () => (await _other.GetAsync($"/api/rest/v1/movies/{movieId}")).StatusCode == HttpStatusCode.NotFound);

        foreach (var client in new[] { _client, _other })
        {
            Api.AssertProblem(await client.GetAsync($"/api/rest/v1/movies/{movieId}/ratings"), HttpStatusCode.NotFound);
            Api.AssertProblem(await client.GetAsync($"/api/rest/v1/movies/{movieId}/avg-rating"), HttpStatusCode.NotFound);
            Api.AssertProblem(await client.GetAsync($"/api/rest/v1/ratings/{ratingId}"), HttpStatusCode.NotFound);
            Assert.DoesNotContain(movieId, (await client.UserRatingsAsync(rater)).Keys);
            Assert.Equal(0, (await client.GetJsonAsync($"/api/rest/v1/ratings?user_id={rater}")).GetProperty("total").GetInt32());
            Api.AssertProblem(await client.GetAsync($"/api/rest/v1/ratings?movie_id={movieId}"), HttpStatusCode.NotFound);
            var edit = new HttpRequestMessage(HttpMethod.Patch, $"/api/rest/v1/ratings/{ratingId}") { Content = Api.Json("""{"rating": 1}""") };
            Api.AssertProblem(await client.SendAsync(edit), HttpStatusCode.NotFound);
            var history = await client.GetJsonAsync($"/api/rest/v1/users/{rater}/watch-history");
            Assert.Equal([1], history.GetProperty("watched").EnumerateArray().Select(w => w.GetProperty("movie_id").GetInt32()));
            var details = await client.GetJsonAsync($"/api/rest/v1/users/{rater}");
            Assert.Equal(0, details.GetProperty("rating_count").GetInt32());
            var analytics = await client.GetJsonAsync($"/api/rest/v1/users/{rater}/analytics");
            Assert.Equal(0, analytics.GetProperty("rating_count").GetInt32());
            Assert.Equal(0, analytics.GetProperty("rating_distribution").GetProperty("5.0").GetInt32());
            Assert.DoesNotContain(movieId, await PopularAsync(client));
            Assert.DoesNotContain(movieId, await IdsAsync(client, $"/api/users/{rater}/recommendations?strategy=popular&top=100", "recommendations"));
            Assert.DoesNotContain(movieId, await IdsAsync(client, $"/api/users/{rater}/recommendations?strategy=genre-weighted&top=100", "recommendations"));
            Assert.DoesNotContain(movieId, await IdsAsync(client, $"/api/rest/v1/users/{rater}/recommendations/personalized?limit=100", "recommendations"));
            Assert.DoesNotContain(movieId, await IdsAsync(client, "/api/rest/v1/recommendations/genre/drama?limit=100", "movies"));
        }
        // Rating it again is refused; the stored ratings and aggregates are untouched.
        Api.AssertProblem(await _client.RateAsync(users[1], movieId, 3), HttpStatusCode.NotFound);
        Assert.Equal(30, (await Stored.MovieRatingsAsync(_store, movieId)).Count);
        Assert.Equal(5.0, (await Stored.RowAsync(_store, rater, movieId))!.GetDouble("Rating"));
        Assert.Equal(30, (await Stored.StatsAsync(_store, movieId)).Count);
    }

    [Fact]
    public async Task Invalid_movie_and_genre_bodies_get_a_problem_naming_the_field_and_write_nothing()
    {
        var movieId = int.Parse(await NewMovieAsync());
        var before = await FingerprintAsync();
        var longTitle = new string('x', 301);
        var cases = new (string Body, string Field)[]
        {
            ("{}", "title"),
            ("""{"title": null}""", "title"),
            ("""{"title": "   "}""", "title"),
            ($$"""{"title": "{{longTitle}}"}""", "title"),
            ("""{"title": 42}""", "title"),
            ("""{"title": "Ok", "year": 1700}""", "year"),
            ("""{"title": "Ok", "year": 3000}""", "year"),
            ("""{"title": "Ok", "year": "1999"}""", "year"),
            ("""{"title": "Ok", "year": 1999.5}""", "year"),
            ("""{"title": "Ok", "genres": "Drama"}""", "genres"),
            ("""{"title": "Ok", "genres": ["No Such Genre"]}""", "genres[0]"),
            ("""{"title": "Ok", "genres": ["Drama", 999999]}""", "genres[1]"),
            ("""{"title": "Ok", "genres": [-1]}""", "genres[0]"),
            ("""{"title": "Ok", "genres": [true]}""", "genres[0]"),
            ("""{"title": "Ok", "imdb_id": "0114709"}""", "imdb_id"),
            ("""{"title": "Ok", "tmdb_id": 0}""", "tmdb_id"),
            ("""{"title": "Ok", "tmdb_id": "12"}""", "tmdb_id"),
            ("""{"title": "Ok", "poster_url": "ftp://example.com/p.jpg"}""", "poster_url"),
            ("""{"title": "Ok", "tags": [1]}""", "tags[0]"),
            ("""{"title": "Ok", "tags": "a,b"}""", "tags"),
            ("""{"title": "Ok", "id": 0}""", "id"),
            ("""{"title": "Ok", "id": -5}""", "id"),
            ("""{"title": "Ok", "id": 99999999999}""", "id"),
            ("""["title"]""", "body"),
            ("""{"title": "Ok""", "body"),
            ("", "body"),
        };
        foreach (var (body, field) in cases)
        {
            var response = await SendAsync(HttpMethod.Post, "/api/rest/v1/movies", body, As.AdminToken);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{body}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            await Api.AssertErrorsAsync(response, HttpStatusCode.BadRequest, field);
        }
        // Changes are checked the same way: PUT needs a title, PATCH checks what it names.
        await Api.AssertErrorsAsync(await SendAsync(HttpMethod.Put, $"/api/rest/v1/movies/{movieId}", """{"year": 2000}""", As.AdminToken), HttpStatusCode.BadRequest, "title");
        await Api.AssertErrorsAsync(await SendAsync(HttpMethod.Patch, $"/api/rest/v1/movies/{movieId}", """{"title": null}""", As.AdminToken), HttpStatusCode.BadRequest, "title");
        await Api.AssertErrorsAsync(await SendAsync(HttpMethod.Patch, $"/api/rest/v1/movies/{movieId}", """{"year": "soon", "genres": ["Nope"]}""", As.AdminToken),
            HttpStatusCode.BadRequest, "year", "genres[0]");
        Api.AssertProblem(await SendAsync(HttpMethod.Patch, "/api/rest/v1/movies/999999", """{"year": 2000}""", As.AdminToken), HttpStatusCode.NotFound);

        var genreId = await NewGenreAsync();
        before = await FingerprintAsync();
        foreach (var (body, field) in new[]
        {
            ("{}", "name"), ("""{"name": ""}""", "name"), ($$"""{"name": "{{new string('g', 41)}}"}""", "name"), ("""{"name": 5}""", "name"),
            ("""{"name": "A|B"}""", "name"), ("""{"name": "---"}""", "name"), ("""{"name": "Tab\there"}""", "name"), ("[]", "body"),
        })
        {
            await Api.AssertErrorsAsync(await SendAsync(HttpMethod.Post, "/api/rest/v1/genres", body, As.AdminToken), HttpStatusCode.BadRequest, field);
            await Api.AssertErrorsAsync(await SendAsync(HttpMethod.Put, $"/api/rest/v1/genres/{genreId}", body, As.AdminToken), HttpStatusCode.BadRequest, field);
        }
        await Api.AssertErrorsAsync(await SendAsync(HttpMethod.Delete, $"/api/rest/v1/genres/{genreId}?force=yes", null, As.AdminToken), HttpStatusCode.BadRequest, "force");
        await Api.AssertErrorsAsync(await SendAsync(HttpMethod.Post, "/api/rest/v1/genres", """{"name": "drama"}""", As.AdminToken), HttpStatusCode.Conflict, "name");
        await Api.AssertErrorsAsync(await SendAsync(HttpMethod.Put, $"/api/rest/v1/genres/{genreId}", """{"name": "SCI FI"}""", As.AdminToken), HttpStatusCode.Conflict, "name");
        Assert.Equal(before, await FingerprintAsync());
    }

    [Fact]
    public async Task Genres_have_stable_ids_and_a_rename_reaches_the_genres_movies_on_every_instance()
    {
        var listed = (await _client.GetJsonAsync("/api/rest/v1/genres")).GetProperty("genres").EnumerateArray().ToList();
        Assert.All(listed, g => Assert.True(g.GetProperty("id").GetInt32() > 0));
        Assert.Equal(listed.Count, listed.Select(g => g.GetProperty("id").GetInt32()).Distinct().Count());
        Assert.All(listed, g => Assert.Equal(["id", "movie_count", "name"], g.EnumerateObject().Select(p => p.Name).Order()));
        var sciFi = listed.Single(g => g.GetProperty("name").GetString() == "Sci-Fi");
        var one = await _other.GetJsonAsync($"/api/rest/v1/genres/{sciFi.GetProperty("id").GetInt32()}");
        Assert.Equal(sciFi.GetProperty("movie_count").GetInt32(), one.GetProperty("movie_count").GetInt32());
        Api.AssertProblem(await _client.GetAsync("/api/rest/v1/genres/987654"), HttpStatusCode.NotFound);

        // A new genre: listed (with no movies yet) on both instances.
        var created = await SendAsync(HttpMethod.Post, "/api/rest/v1/genres", """{"name": "Neo-Noir"}""", As.AdminToken);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var genreId = (await created.ReadJsonAsync()).GetProperty("id").GetInt32();
        Assert.Equal($"/api/rest/v1/genres/{genreId}", created.Headers.Location?.OriginalString);
        await EventuallyAsync(async () => (await GenreAsync(_other, genreId)) is { } g && g.GetProperty("movie_count").GetInt32() == 0);

        var movie = await SendAsync(HttpMethod.Post, "/api/rest/v1/movies", $$"""{"title": "Rain City Blues", "genres": ["neo noir", "Crime"]}""", As.AdminToken);
        var movieBody = await movie.ReadJsonAsync();
        var movieId = movieBody.GetProperty("id").GetInt32();
        Assert.Equal(["Neo-Noir", "Crime"], movieBody.GetProperty("genres").EnumerateArray().Select(g => g.GetString()));

        // Rename: same id, the movie carries the new name (in storage too), on both instances; the old name is free again.
        var renamed = await SendAsync(HttpMethod.Put, $"/api/rest/v1/genres/{genreId}", """{"name": "Tech Noir"}""", As.AdminKey);
        Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);
        var renamedBody = await renamed.ReadJsonAsync();
        Assert.Equal((genreId, "Tech Noir", 1),
            (renamedBody.GetProperty("id").GetInt32(), renamedBody.GetProperty("name").GetString(), renamedBody.GetProperty("movie_count").GetInt32()));
        var row = (await _store.Movies.GetEntityAsync<TableEntity>(MovieStore.MoviePartition(movieId), MovieStore.MovieRowKey(movieId))).Value;
        Assert.Equal("Tech Noir|Crime", row.GetString("Genres"));
        await EventuallyAsync(async () => (await _other.MovieAsync(movieId)).GetProperty("genres")[0].GetString() == "Tech Noir");
        Assert.Contains(movieId, await IdsAsync(_other, "/api/rest/v1/movies?genre=tech%20noir&limit=100", "movies"));
        Assert.DoesNotContain("Neo-Noir", (await _other.GetJsonAsync("/api/rest/v1/genres")).GetProperty("genres").EnumerateArray().Select(g => g.GetProperty("name").GetString()));
        var again = await SendAsync(HttpMethod.Post, "/api/rest/v1/genres", """{"name": "Neo-Noir"}""", As.AdminToken);
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.NotEqual(genreId, (await again.ReadJsonAsync()).GetProperty("id").GetInt32());

        // PATCH without a name changes nothing.
        var unchanged = await SendAsync(HttpMethod.Patch, $"/api/rest/v1/genres/{genreId}", "{}", As.AdminToken);
        Assert.Equal("Tech Noir", (await unchanged.ReadJsonAsync()).GetProperty("name").GetString());
    }

    [Fact]
    public async Task A_genre_that_movies_carry_is_deleted_only_with_force_which_removes_it_from_them()
    {
        var genreId = int.Parse(await NewGenreAsync());
        var genreName = (await GenreAsync(_client, genreId))!.Value.GetProperty("name").GetString();
        var created = await SendAsync(HttpMethod.Post, "/api/rest/v1/movies", $$"""{"title": "Carrier", "genres": [{{genreId}}, "Comedy"]}""", As.AdminToken);
        var movieId = (await created.ReadJsonAsync()).GetProperty("id").GetInt32();

        var refused = await SendAsync(HttpMethod.Delete, $"/api/rest/v1/genres/{genreId}", null, As.AdminToken);
        Api.AssertProblem(refused, HttpStatusCode.Conflict);
        Assert.Contains("force=true", (await refused.ReadJsonAsync()).GetProperty("detail").GetString());
        Assert.NotNull(await GenreAsync(_client, genreId));
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, $"/api/rest/v1/genres/{genreId}?force=true", null, As.AdminKey)).StatusCode);

        Assert.Null(await GenreAsync(_client, genreId));
        Assert.Equal("Comedy", (await _store.Movies.GetEntityAsync<TableEntity>(MovieStore.MoviePartition(movieId), MovieStore.MovieRowKey(movieId))).Value.GetString("Genres"));
        await EventuallyAsync(async () => await GenreAsync(_other, genreId) is null);
        await EventuallyAsync(async () => (await _other.MovieAsync(movieId)).GetProperty("genres").EnumerateArray().Select(g => g.GetString()).SequenceEqual(["Comedy"]));
        Assert.DoesNotContain(genreName, (await _other.GetJsonAsync("/api/rest/v1/genres")).GetProperty("genres").EnumerateArray().Select(g => g.GetProperty("name").GetString()));
        Api.AssertProblem(await SendAsync(HttpMethod.Delete, $"/api/rest/v1/genres/{genreId}", null, As.AdminToken), HttpStatusCode.NotFound);

        // A genre carried only by deleted movies is not in use.
        var other = int.Parse(await NewGenreAsync());
        var gone = await SendAsync(HttpMethod.Post, "/api/rest/v1/movies", $$"""{"title": "Gone", "genres": [{{other}}]}""", As.AdminToken);
        var goneId = (await gone.ReadJsonAsync()).GetProperty("id").GetInt32();
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, $"/api/rest/v1/movies/{goneId}", null, As.AdminToken)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, $"/api/rest/v1/genres/{other}", null, As.AdminToken)).StatusCode);
    }

    [Fact]
    public async Task Concurrent_creates_on_two_instances_get_distinct_ids_and_one_name_is_taken_once()
    {
        var movies = await Task.WhenAll(Enumerable.Range(0, 16).Select(i =>
            SendAsync(HttpMethod.Post, "/api/rest/v1/movies", $$"""{"title": "Race {{i}}"}""", As.AdminKey, i % 2 == 0 ? _client : _other)));
        Assert.All(movies, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        var ids = await Task.WhenAll(movies.Select(async r => (await r.ReadJsonAsync()).GetProperty("id").GetInt32()));
        Assert.Equal(16, ids.Distinct().Count());
        foreach (var id in ids)
            Assert.StartsWith("Race ", (await _store.Movies.GetEntityAsync<TableEntity>(MovieStore.MoviePartition(id), MovieStore.MovieRowKey(id))).Value.GetString("Title"));

        var distinct = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            SendAsync(HttpMethod.Post, "/api/rest/v1/genres", $$"""{"name": "Racing Genre {{i}}"}""", As.AdminKey, i % 2 == 0 ? _client : _other)));
        Assert.All(distinct, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        Assert.Equal(8, (await Task.WhenAll(distinct.Select(async r => (await r.ReadJsonAsync()).GetProperty("id").GetInt32()))).Distinct().Count());

        var same = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            SendAsync(HttpMethod.Post, "/api/rest/v1/genres", i % 2 == 0 ? """{"name": "Mumblecore"}""" : """{"name": "mumble core"}""", As.AdminKey, i % 2 == 0 ? _client : _other)));
        Assert.Single(same, r => r.StatusCode == HttpStatusCode.Created);
        Assert.All(same.Where(r => r.StatusCode != HttpStatusCode.Created), r => Assert.Equal(HttpStatusCode.Conflict, r.StatusCode));
    }

    // ---- helpers ----

    async Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, string? json, As caller, HttpClient? client = null)
    {
        var request = new HttpRequestMessage(method, url);
        if (json is not null)
            request.Content = Api.Json(json);
        switch (caller)
        {
            case As.BadToken: request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "not-a-token"); break;
            case As.User: request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", fixture.UserToken); break;
            case As.AdminToken: request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", fixture.AdminToken); break;
            case As.WrongKey: request.Headers.Add("x-functions-key", "not-the-key"); break;
            case As.AdminKey: request.Headers.Add("x-functions-key", AppFixture.AdminKey); break;
        }
        return await (client ?? _client).SendAsync(request);
    }

    async Task<string> NewMovieAsync()
    {
        var response = await SendAsync(HttpMethod.Post, "/api/rest/v1/movies", """{"title": "Scratch Movie", "genres": ["Drama"]}""", As.AdminKey);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.ReadJsonAsync()).GetProperty("id").GetInt32().ToString();
    }

    async Task<string> NewGenreAsync()
    {
        var response = await SendAsync(HttpMethod.Post, "/api/rest/v1/genres", $$"""{"name": "Scratch {{Guid.NewGuid():N}}"}""", As.AdminKey);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.ReadJsonAsync()).GetProperty("id").GetInt32().ToString();
    }

    async Task<int> GenreIdAsync(string name) =>
        (await _client.GetJsonAsync("/api/rest/v1/genres")).GetProperty("genres").EnumerateArray()
            .Single(g => g.GetProperty("name").GetString() == name).GetProperty("id").GetInt32();

    static async Task<JsonElement?> GenreAsync(HttpClient client, int id)
    {
        var response = await client.GetAsync($"/api/rest/v1/genres/{id}");
        return response.StatusCode == HttpStatusCode.OK ? await response.ReadJsonAsync() : null;
    }

    static async Task<List<int>> SearchAsync(HttpClient client, string text) =>
        await IdsAsync(client, $"/api/rest/v1/movies?search={Uri.EscapeDataString(text)}&limit=100", "movies");

    static Task<List<int>> PopularAsync(HttpClient client) => IdsAsync(client, "/api/rest/v1/movies/popular?limit=100", "movies");

    static async Task<List<int>> IdsAsync(HttpClient client, string url, string property)
    {
        var response = await client.GetAsync(url);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        var body = await response.ReadJsonAsync();
        return [.. body.GetProperty(property).EnumerateArray().Select(m => m.GetProperty(m.TryGetProperty("movie_id", out _) ? "movie_id" : "id").GetInt32())];
    }

    /// <summary>What the catalogue holds in storage: every movie and genre row (with its timestamp) and the edit count.</summary>
    async Task<string> FingerprintAsync()
    {
        var rows = new List<string>();
        await foreach (var e in _store.Movies.QueryAsync<TableEntity>())
            rows.Add($"m{e.RowKey}@{e.ETag}");
        await foreach (var e in _store.Genres.QueryAsync<TableEntity>())
            rows.Add($"g{e.RowKey}@{e.ETag}");
        rows.Sort(StringComparer.Ordinal);
        return $"{(await _store.GetCatalogStateAsync())?.Edits}|{string.Join(",", rows)}";
    }

    /// <summary>False while the other instance does not know the movie yet (404).</summary>
    static async Task<bool> Try(Func<Task<bool>> condition)
    {
        try { return await condition(); }
        catch (HttpRequestException e) when (e.StatusCode == HttpStatusCode.NotFound) { return false; }
    }

    static async Task EventuallyAsync(Func<Task<bool>> condition, double seconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await Try(condition))
        {
            Assert.True(DateTime.UtcNow < deadline, "not within the time allowed");
            await Task.Delay(100);
        }
    }
}

static class CatalogJson
{
    public static async Task<JsonElement> GetJsonAsync(this HttpClient client, string url)
    {
        var response = await client.GetAsync(url);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.ReadJsonAsync();
    }
}
