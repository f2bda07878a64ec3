using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using MovieRecs.Core.Azurite;
using MovieRecs.Core.Catalog;
using MovieRecs.Core.Store;

namespace MovieRecs.Functions.Tests;

/// <summary>DELETE /api/rest/v1/users/{id}: who may, and what is left (nothing), against a real Azurite; two app instances share it.</summary>
public sealed class AccountDeletionTests : IAsyncLifetime
{
    AzuriteProcess _azurite = null!;
    MovieRecsFactory _app = null!, _other = null!;
    HttpClient _client = null!, _otherClient = null!;
    MovieStore _store = null!;
    Callers _callers = null!;

    public async Task InitializeAsync()
    {
        _azurite = await AzuriteProcess.StartAsync(new AzuriteOptions { InMemory = true });
        _store = new MovieStore(_azurite.ConnectionString);
        _app = new MovieRecsFactory(_azurite.ConnectionString, settings: Callers.AdminSettings());
        _client = await _app.CreateReadyClientAsync();
        _other = new MovieRecsFactory(_azurite.ConnectionString, seed: false);
        _otherClient = await _other.CreateReadyClientAsync();
        _callers = new Callers(_client);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _other.DisposeAsync();
        await _azurite.DisposeAsync();
    }

    static readonly int[] Movies = [.. Enumerable.Range(1, 30)];

    [Fact]
    public async Task Closing_an_account_takes_its_ratings_out_of_the_aggregates_exactly_and_frees_its_names()
    {
        var (ada, adaToken) = await _callers.SignupAsync("ada");
        var (_, bobToken) = await _callers.SignupAsync("bob");
        var neighbour = await _client.CreateUserAsync();   // same movies, so the aggregates keep other ratings
        Assert.Equal(HttpStatusCode.OK, (await _callers.SendAsync(HttpMethod.Post, $"/api/users/{neighbour}/ratings", null,
            Api.Batch([.. Movies.Take(10).Select(m => (m, 2.0))]))).StatusCode);
        var before = await Stored.RecountAsync(_store, [.. Movies, 31]);

        // Ada rates 30 movies (in two batches), marks one watched, reviews one, favourites one and lists one to watch.
        Assert.Equal(HttpStatusCode.OK, (await _callers.SendAsync(HttpMethod.Post, $"/api/users/{ada}/ratings", adaToken,
            Api.Batch([.. Movies.Take(15).Select(m => (m, 4.5))]))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _callers.SendAsync(HttpMethod.Post, $"/api/users/{ada}/ratings", adaToken,
            Api.Batch([.. Movies.Skip(15).Select(m => (m, 1.0))]))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await _callers.SendAsync(HttpMethod.Post, $"/api/rest/v1/users/{ada}/watched", adaToken, """{"movie_id": 31}""")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _callers.SendAsync(HttpMethod.Patch, $"/api/rest/v1/ratings/{Api.RatingIdOf(ada, 1)}", adaToken, """{"review": "mine"}""")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _callers.SendAsync(HttpMethod.Post, $"/api/users/{ada}/preferences", adaToken, """{"movie_id": 2, "favorite": true}""")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _callers.SendAsync(HttpMethod.Post, $"/api/users/{ada}/preferences", adaToken, """{"movie_id": 40, "watchlist": true}""")).StatusCode);
        var rated = await Stored.RecountAsync(_store, [.. Movies, 31]);
        Assert.Equal(before[1].Recount.Count + 1, rated[1].Recount.Count);

        // Nobody else may close it: no token 401, another account 403; nothing goes.
        Api.AssertProblem(await _callers.SendAsync(HttpMethod.Delete, $"/api/rest/v1/users/{ada}", null), HttpStatusCode.Unauthorized);
        Api.AssertProblem(await _callers.SendAsync(HttpMethod.Delete, $"/api/rest/v1/users/{ada}", bobToken), HttpStatusCode.Forbidden);
        Assert.Equal(31, await CountAsync(Stored.UserRowsAsync(_store, ada)));
        Assert.Equal(HttpStatusCode.OK, (await _callers.SendAsync(HttpMethod.Get, $"/api/rest/v1/users/{ada}", adaToken)).StatusCode);

        // Ada closes it herself, through the other instance.
        Assert.Equal(HttpStatusCode.NoContent, (await _callers.SendAsync(HttpMethod.Delete, $"/api/rest/v1/users/{ada}", adaToken, through: _otherClient)).StatusCode);

        // Exact aggregates: every partial row a recount of its partition (RecountAsync checks), and each movie back where it was.
        var after = await Stored.RecountAsync(_store, [.. Movies, 31]);
        foreach (var movie in Movies.Append(31))
        {
            Assert.Equal(after[movie].Recount, after[movie].Stored);
            Assert.Equal(before[movie].Recount, after[movie].Recount);
        }
        // The instance that served the delete shows the new aggregates at once.
        var avg = await _otherClient.GetFromJsonAsync<JsonElement>("/api/rest/v1/movies/1/avg-rating");
        Assert.Equal(before[1].Recount.Count, avg.GetProperty("total_ratings").GetInt32());

        // Nothing of Ada is left in storage.
        Assert.Equal(0, await CountAsync(Stored.UserRowsAsync(_store, ada)));
        Assert.Empty(await _store.Preferences.QueryAsync<TableEntity>(e => e.PartitionKey == PreferenceStore.PartitionOf(ada)).ToListAsync());
        Assert.False((await _store.Users.GetEntityIfExistsAsync<TableEntity>(MovieStore.UserPartition(ada), MovieStore.UserRowKey(ada))).HasValue);
        Assert.False((await _store.Accounts.GetEntityIfExistsAsync<TableEntity>("account", MovieStore.UserRowKey(ada))).HasValue);
        Assert.False((await _store.Accounts.GetEntityIfExistsAsync<TableEntity>("username", "ada")).HasValue);
        Assert.False((await _store.Accounts.GetEntityIfExistsAsync<TableEntity>("email", "ada@example.com")).HasValue);
        // The rating log says so too: replaying it gives no rating of Ada's.
        var (replay, _) = await _store.Log.ReadRatingsAsync();
        Assert.DoesNotContain(replay, r => r.UserId == ada);

        // The user is 404 where it was deleted, and its token is refused on both instances (the other within its 5 s account cache).
        Api.AssertProblem(await _otherClient.GetAsync($"/api/rest/v1/users/{ada}"), HttpStatusCode.NotFound);
        Api.AssertProblem(await _otherClient.GetAsync($"/api/users/{ada}/ratings"), HttpStatusCode.NotFound);
        Api.AssertProblem(await _callers.SendAsync(HttpMethod.Post, $"/api/users/{ada}/ratings", adaToken, Api.Batch((1, 5)), _otherClient), HttpStatusCode.NotFound);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while ((await _callers.SendAsync(HttpMethod.Get, "/api/rest/v1/users", adaToken)).StatusCode != HttpStatusCode.Unauthorized)
        {
            Assert.True(DateTime.UtcNow < deadline, "the closed account's token still works on the first instance");
            await Task.Delay(200);
        }
        Assert.Null(await Stored.RowAsync(_store, ada, 1));

        // Username and email are free: a new signup takes them, with a new id.
        var (again, _) = await _callers.SignupAsync("ada");
        Assert.NotEqual(ada, again);
        Api.AssertProblem(await _callers.SendAsync(HttpMethod.Delete, $"/api/rest/v1/users/{ada}", Callers.AdminKeyToken), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task An_admin_closes_any_account_and_users_without_an_account_can_only_be_closed_by_an_admin()
    {
        var (carol, carolToken) = await _callers.SignupAsync("carol");
        var (_, daveToken) = await _callers.SignupAsync("dave");
        var adminToken = await _callers.AdminTokenAsync();
        Assert.Equal(HttpStatusCode.Created, (await _callers.SendAsync(HttpMethod.Post, "/api/rest/v1/ratings", carolToken,
            $$"""{"user_id": {{carol}}, "movie_id": 7, "rating": 4}""")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await _callers.SendAsync(HttpMethod.Delete, $"/api/rest/v1/users/{carol}", adminToken)).StatusCode);
        Api.AssertProblem(await _client.GetAsync($"/api/rest/v1/users/{carol}"), HttpStatusCode.NotFound);
        Assert.Null(await Stored.RowAsync(_store, carol, 7));
        Api.AssertProblem(await _callers.SendAsync(HttpMethod.Get, "/api/rest/v1/users", carolToken), HttpStatusCode.Unauthorized);

        var anonymous = await _client.CreateUserAsync();
        Assert.Equal(HttpStatusCode.Created, (await _client.RateAsync(anonymous, 7, 3)).StatusCode);
        Api.AssertProblem(await _callers.SendAsync(HttpMethod.Delete, $"/api/rest/v1/users/{anonymous}", null), HttpStatusCode.Unauthorized);
        Api.AssertProblem(await _callers.SendAsync(HttpMethod.Delete, $"/api/rest/v1/users/{anonymous}", daveToken), HttpStatusCode.Forbidden);
        Assert.NotNull(await Stored.RowAsync(_store, anonymous, 7));
        Assert.Equal(HttpStatusCode.NoContent, (await _callers.SendAsync(HttpMethod.Delete, $"/api/rest/v1/users/{anonymous}", Callers.AdminKeyToken)).StatusCode);
        Assert.Null(await Stored.RowAsync(_store, anonymous, 7));
        var (recount, stored) = await Stored.RecountAsync(_store, 7);
        Assert.Equal(recount, stored);
        Api.AssertProblem(await _callers.SendAsync(HttpMethod.Delete, $"/api/rest/v1/users/{anonymous}", Callers.AdminKeyToken), HttpStatusCode.NotFound);
        Api.AssertProblem(await _callers.SendAsync(HttpMethod.Delete, "/api/rest/v1/users/987654", Callers.AdminKeyToken), HttpStatusCode.NotFound);
    }

    static async Task<int> CountAsync<T>(IAsyncEnumerable<T> items)
    {
        var n = 0;
        await foreach (var _ in items)
            n++;
        return n;
    }
}
