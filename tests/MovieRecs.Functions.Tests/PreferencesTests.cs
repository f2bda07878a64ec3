using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using MovieRecs.Core.Azurite;
using MovieRecs.Core.Engine;
using MovieRecs.Core.Store;
using MovieRecs.Functions.Engine;

namespace MovieRecs.Functions.Tests;

/// <summary>One Azurite and one app with the demo data, the bootstrap admin and the training listener off (tests train by hand).</summary>
public sealed class PreferencesFixture : IAsyncLifetime
{
    public AzuriteProcess Azurite { get; private set; } = null!;
    public MovieRecsFactory Factory { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;
    public MovieStore Store { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Azurite = await AzuriteProcess.StartAsync(new AzuriteOptions { InMemory = true });
        Store = new MovieStore(Azurite.ConnectionString);
        Factory = new MovieRecsFactory(Azurite.ConnectionString, settings: Callers.AdminSettings(EngineFixture.Settings));
        Client = await Factory.CreateReadyClientAsync();
    }

    public async Task DisposeAsync()
    {
        await Factory.DisposeAsync();
        await Azurite.DisposeAsync();
    }
}

/// <summary>POST/GET /api/users/{id}/preferences and /watchlist, and what favourites and the watchlist do to recommendations.</summary>
public sealed class PreferencesTests(PreferencesFixture fx) : IClassFixture<PreferencesFixture>
{
    readonly Callers _callers = new(fx.Client);
    HttpClient Client => fx.Client;

    Task<HttpResponseMessage> SetAsync(int user, string? token, string json) =>
        _callers.SendAsync(HttpMethod.Post, $"/api/users/{user}/preferences", token, json);

    async Task<TableEntity?> FlagsAsync(int user, int movie) =>
        (await fx.Store.Preferences.GetEntityIfExistsAsync<TableEntity>(PreferenceStore.PartitionOf(user), PreferenceStore.RowKeyOf(movie))) is { HasValue: true } r ? r.Value : null;

    [Fact]
    public async Task Only_the_owner_or_an_admin_sets_an_accounts_preferences_and_users_without_an_account_stay_open()
    {
        var (ada, adaToken) = await _callers.SignupAsync("ada");
        var (_, bobToken) = await _callers.SignupAsync("bob");
        var adminToken = await _callers.AdminTokenAsync();
        const string favourite = """{"movie_id": 10, "favorite": true, "rating": 4}""";

        Api.AssertProblem(await SetAsync(ada, null, favourite), HttpStatusCode.Unauthorized);
        Api.AssertProblem(await SetAsync(ada, bobToken, favourite), HttpStatusCode.Forbidden);
        Assert.Null(await FlagsAsync(ada, 10));
        Assert.Null(await Stored.RowAsync(fx.Store, ada, 10));

        var set = await SetAsync(ada, adaToken, favourite);
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        var body = await set.ReadJsonAsync();
        Assert.True(body.GetProperty("favorite").GetBoolean());
        Assert.False(body.GetProperty("watchlist").GetBoolean());
        Assert.True(body.GetProperty("watched").GetBoolean());
        Assert.Equal(4, body.GetProperty("rating").GetDouble());
        Assert.Equal(Api.RatingIdOf(ada, 10), body.GetProperty("rating_id").GetInt64());
        Assert.True((await FlagsAsync(ada, 10))!.GetBoolean("Favorite"));
        Assert.Equal(4, (await Stored.RowAsync(fx.Store, ada, 10))!.GetDouble("Rating"));

        Assert.Equal(HttpStatusCode.OK, (await SetAsync(ada, adminToken, """{"movie_id": 11, "watchlist": true}""")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SetAsync(ada, Callers.AdminKeyToken, """{"movie_id": 12, "watched": true}""")).StatusCode);
        Assert.True((await FlagsAsync(ada, 11))!.GetBoolean("Watchlist"));
        Assert.NotNull(await Stored.RowAsync(fx.Store, ada, 12));

        var anonymous = await Client.CreateUserAsync();
        Assert.Equal(HttpStatusCode.OK, (await SetAsync(anonymous, null, """{"movie_id": 10, "watchlist": true}""")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SetAsync(anonymous, bobToken, """{"movie_id": 11, "favorite": true}""")).StatusCode);
        Assert.True((await FlagsAsync(anonymous, 11))!.GetBoolean("Favorite"));
    }

    [Fact]
    public async Task Bad_input_is_refused_naming_the_field_and_writes_nothing()
    {
        var user = await Client.CreateUserAsync();
        Assert.Equal(HttpStatusCode.Created, (await Client.RateAsync(user, 20, 3)).StatusCode);
        var rated = (await Stored.RowAsync(fx.Store, user, 20))!;

        await Api.AssertErrorsAsync(await SetAsync(user, null, """{"movie_id": "21", "favorite": true}"""), HttpStatusCode.BadRequest, "movie_id");
        await Api.AssertErrorsAsync(await SetAsync(user, null, """{"movie_id": 21, "favorite": "yes", "watchlist": 1}"""), HttpStatusCode.BadRequest, "favorite", "watchlist");
        await Api.AssertErrorsAsync(await SetAsync(user, null, """{"movie_id": 21, "rating": "4", "watched": "true"}"""), HttpStatusCode.BadRequest, "rating", "watched");
        await Api.AssertErrorsAsync(await SetAsync(user, null, """{"movie_id": 21, "rating": 7, "favorite": true}"""), HttpStatusCode.BadRequest, "rating");
        await Api.AssertErrorsAsync(await SetAsync(user, null, """{"movie_id": 21, "rating": 4, "watched": false}"""), HttpStatusCode.BadRequest, "watched");
        await Api.AssertErrorsAsync(await SetAsync(user, null, """{"movie_id": 21}"""), HttpStatusCode.BadRequest, "body");
        await Api.AssertErrorsAsync(await SetAsync(user, null, """{"favorite": true}"""), HttpStatusCode.BadRequest, "movie_id");
        await Api.AssertErrorsAsync(await SetAsync(user, null, """["movie_id", 21]"""), HttpStatusCode.BadRequest, "body");
        Assert.Equal(HttpStatusCode.BadRequest, (await SetAsync(user, null, """{"movie_id": 21, "favorite": tru""")).StatusCode);
        Api.AssertProblem(await SetAsync(user, null, """{"movie_id": 99999, "favorite": true, "rating": 4}"""), HttpStatusCode.NotFound);
        Api.AssertProblem(await SetAsync(987_654, null, """{"movie_id": 21, "favorite": true}"""), HttpStatusCode.NotFound);
        // A watch mark cannot be taken off a rated movie: 409, and the flags of the same request are not written either.
        Api.AssertProblem(await SetAsync(user, null, """{"movie_id": 20, "watched": false, "favorite": true}"""), HttpStatusCode.Conflict);

        Assert.Null(await FlagsAsync(user, 20));
        Assert.Null(await FlagsAsync(user, 21));
        Assert.Null(await Stored.RowAsync(fx.Store, user, 21));
        Assert.Null(await FlagsAsync(user, 99999));
        Assert.Equal(rated.ETag, (await Stored.RowAsync(fx.Store, user, 20))!.ETag);
        await Api.AssertErrorsAsync(await Client.GetAsync($"/api/users/{user}/preferences?limit=101"), HttpStatusCode.BadRequest, "limit");
        await Api.AssertErrorsAsync(await Client.GetAsync($"/api/users/{user}/watchlist?page=0"), HttpStatusCode.BadRequest, "page");
        Api.AssertProblem(await Client.GetAsync("/api/users/987654/watchlist"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Preferences_are_listed_by_movie_in_pages_and_the_watchlist_newest_first()
    {
        var user = await Client.CreateUserAsync();
        Assert.Equal(HttpStatusCode.OK, (await SetAsync(user, null, """{"movie_id": 30, "rating": 4.5, "favorite": true}""")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SetAsync(user, null, """{"movie_id": 31, "watched": true}""")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SetAsync(user, null, """{"movie_id": 33, "watchlist": true}""")).StatusCode);
        await Task.Delay(1100);   // watchlist times have second resolution
        Assert.Equal(HttpStatusCode.OK, (await SetAsync(user, null, """{"movie_id": 32, "watchlist": true}""")).StatusCode);

        var page1 = await Client.GetFromJsonAsync<JsonElement>($"/api/users/{user}/preferences?limit=2");
        Assert.Equal(4, page1.GetProperty("total").GetInt32());
        var page2 = await Client.GetFromJsonAsync<JsonElement>($"/api/users/{user}/preferences?limit=2&page=2");
        var items = page1.GetProperty("preferences").EnumerateArray().Concat(page2.GetProperty("preferences").EnumerateArray()).ToArray();
        Assert.Equal([30, 31, 32, 33], items.Select(i => i.GetProperty("movie_id").GetInt32()));
        Assert.Equal(4.5, items[0].GetProperty("rating").GetDouble());
        Assert.True(items[0].GetProperty("favorite").GetBoolean());
        Assert.True(items[1].GetProperty("watched").GetBoolean());
        Assert.Equal(JsonValueKind.Null, items[1].GetProperty("rating").ValueKind);
        Assert.False(items[2].GetProperty("watched").GetBoolean());
        Assert.True(items[2].GetProperty("watchlist").GetBoolean());
        Assert.False(string.IsNullOrEmpty(items[3].GetProperty("title").GetString()));

        var watchlist = await Client.GetFromJsonAsync<JsonElement>($"/api/users/{user}/watchlist");
        Assert.Equal([32, 33], watchlist.GetProperty("movies").EnumerateArray().Select(m => m.GetProperty("movie_id").GetInt32()));
        Assert.Equal(2, watchlist.GetProperty("total").GetInt32());

        // Flags off: the row goes. "rating": null removes the rating (its aggregates exactly), the favourite stays.
        Assert.Equal(HttpStatusCode.OK, (await SetAsync(user, null, """{"movie_id": 33, "watchlist": false}""")).StatusCode);
        Assert.Null(await FlagsAsync(user, 33));
        var removed = await (await SetAsync(user, null, """{"movie_id": 30, "rating": null}""")).ReadJsonAsync();
        Assert.Equal(JsonValueKind.Null, removed.GetProperty("rating").ValueKind);
        Assert.True(removed.GetProperty("favorite").GetBoolean());
        Assert.Null(await Stored.RowAsync(fx.Store, user, 30));
        var (recount, stored) = await Stored.RecountAsync(fx.Store, 30);
        Assert.Equal(recount, stored);
        var after = await Client.GetFromJsonAsync<JsonElement>($"/api/users/{user}/preferences");
        Assert.Equal([30, 31, 32], after.GetProperty("preferences").EnumerateArray().Select(i => i.GetProperty("movie_id").GetInt32()));
    }

    [Fact]
    public async Task A_favourite_changes_the_recommendations_and_watchlist_movies_are_not_recommended()
    {
        await TrainAsync();
        var user = await Client.CreateUserAsync();
        Assert.True((await Client.RateAsync(user, 1, 4)).IsSuccessStatusCode);
        Assert.True((await Client.RateAsync(user, 2, 3.5)).IsSuccessStatusCode);
        var before = await RecommendedAsync(user);
        Assert.Equal("model", before.GetProperty("source").GetString());

        // A favourite the user never rated: it counts as a top rating, so the list changes and it is not recommended.
        var favourite = before.Ids()[^1];
        Assert.Equal(HttpStatusCode.OK, (await SetAsync(user, null, $$"""{"movie_id": {{favourite}}, "favorite": true}""")).StatusCode);
        var withFavourite = await RecommendedAsync(user);
        Assert.NotEqual(before.Ids(), withFavourite.Ids());
        Assert.DoesNotContain(favourite, withFavourite.Ids());
        // ... the same list as rating it 5.0 would give (a twin user who did).
        var twin = await Client.CreateUserAsync();
        Assert.True((await Client.RateAsync(twin, 1, 4)).IsSuccessStatusCode);
        Assert.True((await Client.RateAsync(twin, 2, 3.5)).IsSuccessStatusCode);
        Assert.True((await Client.RateAsync(twin, favourite, 5)).IsSuccessStatusCode);
        Assert.Equal((await RecommendedAsync(twin)).Ids()[..10].Order(), withFavourite.Ids()[..10].Order());

        // Watchlist movies leave every list (model, legacy, popular strategy) but are listed by /watchlist.
        var listed = withFavourite.Ids()[..3];
        foreach (var movie in listed)
            Assert.Equal(HttpStatusCode.OK, (await SetAsync(user, null, $$"""{"movie_id": {{movie}}, "watchlist": true}""")).StatusCode);
        var withWatchlist = await RecommendedAsync(user);
        Assert.Equal(20, withWatchlist.Ids().Length);
        Assert.DoesNotContain(withWatchlist.Ids(), listed.Contains);
        var legacy = await Client.GetFromJsonAsync<JsonElement>($"/api/users/{user}/recommendations?top=20");
        Assert.DoesNotContain(legacy.GetProperty("recommendations").EnumerateArray().Select(r => r.GetProperty("movie_id").GetInt32()), listed.Contains);
        var popular = await Client.GetFromJsonAsync<JsonElement>($"/api/users/{user}/recommendations?top=20&strategy=popular");
        var anyone = await Client.GetFromJsonAsync<JsonElement>($"/api/users/{await Client.CreateUserAsync()}/recommendations?top=5&strategy=popular");
        var mostPopular = anyone.GetProperty("recommendations")[0].GetProperty("movie_id").GetInt32();
        Assert.Equal(HttpStatusCode.OK, (await SetAsync(user, null, $$"""{"movie_id": {{mostPopular}}, "watchlist": true}""")).StatusCode);
        popular = await Client.GetFromJsonAsync<JsonElement>($"/api/users/{user}/recommendations?top=20&strategy=popular");
        Assert.DoesNotContain(mostPopular, popular.GetProperty("recommendations").EnumerateArray().Select(r => r.GetProperty("movie_id").GetInt32()));
        var watchlist = await Client.GetFromJsonAsync<JsonElement>($"/api/users/{user}/watchlist?limit=100");
        Assert.Equal(listed.Append(mostPopular).Distinct().Order(), watchlist.GetProperty("movies").EnumerateArray().Select(m => m.GetProperty("movie_id").GetInt32()).Order());

        // Taken off the watchlist, a movie may be recommended again.
        foreach (var movie in listed.Append(mostPopular).Distinct())
            Assert.Equal(HttpStatusCode.OK, (await SetAsync(user, null, $$"""{"movie_id": {{movie}}, "watchlist": false}""")).StatusCode);
        Assert.Equal(withFavourite.Ids(), (await RecommendedAsync(user)).Ids());
    }

    Task<JsonElement> RecommendedAsync(int user) => Client.RecommendedAsync(user, "?n=20");

    /// <summary>Trains on the demo data as the queue trigger would, and waits until the app serves the model.</summary>
    async Task TrainAsync()
    {
        if ((await Client.RecommendedAsync(1)).GetProperty("model_version").ValueKind == JsonValueKind.String)
            return;
        var location = await Client.RequestTrainingAsync();
        var queue = new EngineStorage(fx.Azurite.ConnectionString).Queue;
        var message = (await queue.ReceiveMessageAsync(TimeSpan.FromMinutes(5))).Value;
        await fx.Factory.Services.GetRequiredService<EngineFunctions>().TrainModel(message, CancellationToken.None);
        await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
        var version = (await Client.GetFromJsonAsync<JsonElement>(location)).GetProperty("model_version").GetString();
        await EngineTestHelpers.WaitForAsync(() => Client.RecommendedAsync(1), b => b.GetProperty("model_version").GetString() == version, TimeSpan.FromSeconds(30));
    }
}
