using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Azure.Data.Tables;
using MovieRecs.Core.Azurite;
using MovieRecs.Core.Store;

namespace MovieRecs.Functions.Tests;

/// <summary>Accounts, tokens and who may write for whom, against a real Azurite; two app instances share it.</summary>
public sealed class AccountsTests : IAsyncLifetime
{
    const string AdminName = "root";
    const string AdminPassword = "admin-password-123";
    AzuriteProcess _azurite = null!;
    MovieRecsFactory _app = null!, _other = null!;
    HttpClient _client = null!, _otherClient = null!;
    MovieStore _store = null!;

    public async Task InitializeAsync()
    {
        _azurite = await AzuriteProcess.StartAsync(new AzuriteOptions { InMemory = true });
        _store = new MovieStore(_azurite.ConnectionString);
        var settings = new Dictionary<string, string?> { ["MovieRecs:Admin:Username"] = AdminName, ["MovieRecs:Admin:Password"] = AdminPassword };
        _app = new MovieRecsFactory(_azurite.ConnectionString, settings: settings);
        _client = await _app.CreateReadyClientAsync();
        _other = new MovieRecsFactory(_azurite.ConnectionString, seed: false);
        _otherClient = await _other.CreateReadyClientAsync();
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _other.DisposeAsync();
        await _azurite.DisposeAsync();
    }

    [Fact]
    public async Task An_account_rates_as_itself_with_its_token_and_nobody_else_may_without_admin_rights()
    {
        var ada = await SignupAsync("ada", "ada@example.com");
        var bob = await SignupAsync("bob", "bob@example.com");
        var adaToken = await TokenAsync("ada");
        var bobToken = await TokenAsync("bob");

        // No token: 401 with a challenge, nothing written.
        var none = await RateAsync(ada, null);
        Api.AssertProblem(none, HttpStatusCode.Unauthorized);
        Assert.Contains("Bearer", none.Headers.WwwAuthenticate.ToString());
        // Someone else's valid token: 403.
        Api.AssertProblem(await RateAsync(ada, bobToken), HttpStatusCode.Forbidden);
        Assert.Null(await Stored.RowAsync(_store, ada, 1));

        // Its own token, on this instance and on the other one (the key ring is shared through storage).
        Assert.Equal(HttpStatusCode.Created, (await RateAsync(ada, adaToken)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await RateAsync(ada, adaToken, _otherClient, rating: 3)).StatusCode);
        Assert.Equal(3, (await Stored.RowAsync(_store, ada, 1))!.GetDouble("Rating"));

        // The other writes follow the same rule: batch, watch marks, deletes.
        Api.AssertProblem(await SendAsync(HttpMethod.Post, $"/api/users/{ada}/ratings", bobToken, Api.Batch((2, 4))), HttpStatusCode.Forbidden);
        Api.AssertProblem(await SendAsync(HttpMethod.Post, $"/api/rest/v1/users/{ada}/watched", null, """{"movie_id": 2}"""), HttpStatusCode.Unauthorized);
        Api.AssertProblem(await SendAsync(HttpMethod.Delete, $"/api/rest/v1/ratings/{Api.RatingIdOf(ada, 1)}", bobToken), HttpStatusCode.Forbidden);
        Api.AssertProblem(await SendAsync(HttpMethod.Delete, $"/api/rest/v1/users/{ada}/watched/1", null), HttpStatusCode.Unauthorized);
        Assert.NotNull(await Stored.RowAsync(_store, ada, 1));
        Assert.Null(await Stored.RowAsync(_store, ada, 2));
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Post, $"/api/users/{ada}/ratings", adaToken, Api.Batch((2, 4)))).StatusCode);

        // Admins may: the bootstrap admin's token and the admin key.
        var adminToken = await TokenAsync(AdminName, AdminPassword);
        Assert.Equal(HttpStatusCode.Created, (await RateAsync(bob, adminToken)).StatusCode);
        var byKey = new HttpRequestMessage(HttpMethod.Delete, $"/api/rest/v1/ratings/{Api.RatingIdOf(bob, 1)}");
        byKey.Headers.Add("x-functions-key", AppFixture.AdminKey);
        Assert.Equal(HttpStatusCode.NoContent, (await _client.SendAsync(byKey)).StatusCode);
        var wrongKey = new HttpRequestMessage(HttpMethod.Delete, $"/api/rest/v1/ratings/{Api.RatingIdOf(ada, 1)}");
        wrongKey.Headers.Add("x-functions-key", "not-the-key");
        Api.AssertProblem(await _client.SendAsync(wrongKey), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Users_created_without_an_account_stay_open_to_anyone_as_before()
    {
        var anonymous = await _client.CreateUserAsync();
        Assert.Equal(HttpStatusCode.Created, (await RateAsync(anonymous, null)).StatusCode);
        await SignupAsync("carol", "carol@example.com");
        Assert.Equal(HttpStatusCode.OK, (await RateAsync(anonymous, await TokenAsync("carol"), rating: 2)).StatusCode);
    }

    [Fact]
    public async Task With_anonymous_writes_closed_only_an_admin_writes_for_users_without_an_account()
    {
        await using var closed = new MovieRecsFactory(_azurite.ConnectionString, seed: false,
            settings: new Dictionary<string, string?> { ["MovieRecs:AnonymousWrites"] = "false" });
        var client = await closed.CreateReadyClientAsync();
        var anonymous = await client.CreateUserAsync();
        Api.AssertProblem(await RateAsync(anonymous, null, client), HttpStatusCode.Unauthorized);
        await SignupAsync("dave", "dave@example.com");
        Api.AssertProblem(await RateAsync(anonymous, await TokenAsync("dave"), client), HttpStatusCode.Forbidden);
        Assert.Null(await Stored.RowAsync(_store, anonymous, 1));
        var admin = new HttpRequestMessage(HttpMethod.Post, "/api/rest/v1/ratings") { Content = Api.Json($$"""{"user_id": {{anonymous}}, "movie_id": 1, "rating": 4}""") };
        admin.Headers.Add("x-functions-key", AppFixture.AdminKey);
        Assert.Equal(HttpStatusCode.Created, (await client.SendAsync(admin)).StatusCode);
    }

    [Fact]
    public async Task Sign_in_refuses_a_wrong_password_and_an_unknown_name_alike_and_refresh_renews()
    {
        await SignupAsync("erin", "erin@example.com");
        var wrong = await _client.PostJsonAsync("/api/rest/v1/auth/token", """{"username": "erin", "password": "not-her-password"}""");
        var unknown = await _client.PostJsonAsync("/api/rest/v1/auth/token", """{"username": "nobody", "password": "whatever-123"}""");
        Api.AssertProblem(wrong, HttpStatusCode.Unauthorized);
        Api.AssertProblem(unknown, HttpStatusCode.Unauthorized);
        Assert.Equal((await wrong.ReadJsonAsync()).GetProperty("detail").GetString(), (await unknown.ReadJsonAsync()).GetProperty("detail").GetString());

        // By email too, in any case.
        var byEmail = await _client.PostJsonAsync("/api/rest/v1/auth/token", """{"username": "ERIN@example.com", "password": "password-of-erin"}""");
        Assert.Equal(HttpStatusCode.OK, byEmail.StatusCode);
        var tokens = await byEmail.ReadJsonAsync();
        var refresh = tokens.GetProperty("refresh_token").GetString()!;

        var renewed = await _otherClient.PostJsonAsync("/api/rest/v1/auth/refresh", JsonSerializer.Serialize(new { refresh_token = refresh }));
        Assert.Equal(HttpStatusCode.OK, renewed.StatusCode);
        var renewedToken = (await renewed.ReadJsonAsync()).GetProperty("access_token").GetString();

        var tampered = refresh[..^4] + (refresh.EndsWith("AAAA") ? "BBBB" : "AAAA");
        Api.AssertProblem(await _client.PostJsonAsync("/api/rest/v1/auth/refresh", JsonSerializer.Serialize(new { refresh_token = tampered })), HttpStatusCode.Unauthorized);
        // An access token is not a refresh token.
        var access = tokens.GetProperty("access_token").GetString()!;
        Api.AssertProblem(await _client.PostJsonAsync("/api/rest/v1/auth/refresh", JsonSerializer.Serialize(new { refresh_token = access })), HttpStatusCode.Unauthorized);
        // A tampered or made-up access token is refused on a write, like no token; the renewed one works.
        var erinId = await AccountIdAsync("erin");
        Api.AssertProblem(await RateAsync(erinId, access[..^4] + "AAAA"), HttpStatusCode.Unauthorized);
        Api.AssertProblem(await RateAsync(erinId, "not-a-token-at-all"), HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.Created, (await RateAsync(erinId, renewedToken)).StatusCode);
    }

    [Fact]
    public async Task A_rejected_signup_writes_nothing()
    {
        var before = await CountRowsAsync();
        string[] bodies =
        [
            """{"username": "frank", "email": "frank@example.com", "password": "short"}""",
            """{"username": "f", "email": "frank@example.com", "password": "long-enough-1"}""",
            """{"username": "frank!", "email": "frank@example.com", "password": "long-enough-1"}""",
            """{"username": "frank", "email": "not-an-email", "password": "long-enough-1"}""",
            """{"username": 5, "email": true, "password": ["x"]}""",
            $$"""{"username": "frank", "email": "frank@example.com", "password": "long-enough-1", "display_name": "{{new string('x', 101)}}"}""",
            $$"""{"username": "frank", "email": "{{new string('f', 250)}}@example.com", "password": "long-enough-1"}""",
            $$"""{"username": "frank", "email": "frank@example.com", "password": "{{new string('p', 129)}}"}""",
            """["frank"]""",
            """{"username": "frank", "email": "frank@example.com", "password": """,
        ];
        foreach (var body in bodies)
        {
            var response = await _client.PostJsonAsync("/api/rest/v1/accounts", body);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{body}: {(int)response.StatusCode}");
            Api.AssertProblem(response, HttpStatusCode.BadRequest);
        }
        Assert.Equal(before, await CountRowsAsync());

        // A taken email: 409 naming it, and the username it would have reserved is free again.
        await SignupAsync("gina", "gina@example.com");
        var taken = await _client.PostJsonAsync("/api/rest/v1/accounts", """{"username": "gina2", "email": "GINA@example.com", "password": "long-enough-1"}""");
        await Api.AssertErrorsAsync(taken, HttpStatusCode.Conflict, "email");
        await SignupAsync("gina2", "gina2@example.com");
    }

    [Fact]
    public async Task A_username_raced_by_twenty_clients_on_two_instances_goes_to_exactly_one()
    {
        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            (i % 2 == 0 ? _client : _otherClient).PostJsonAsync("/api/rest/v1/accounts",
                $$"""{"username": "{{(i % 3 == 0 ? "Hana" : "hana")}}", "email": "hana{{i}}@example.com", "password": "long-enough-1"}""")));
        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
        foreach (var r in responses.Where(r => r.StatusCode != HttpStatusCode.Created))
            await Api.AssertErrorsAsync(r, HttpStatusCode.Conflict, "username");
        var accounts = await _store.Accounts.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {"account"}")).ToListAsync();
        Assert.Single(accounts, a => string.Equals(a.GetString("Username"), "hana", StringComparison.OrdinalIgnoreCase));
        // The emails of the losers were released.
        var emails = await _store.Accounts.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {"email"}")).ToListAsync();
        Assert.Single(emails, e => e.RowKey.StartsWith("hana", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_profile_is_read_and_changed_by_its_account_or_an_admin_and_a_new_password_ends_old_tokens()
    {
        var ivy = await SignupAsync("ivy", "ivy@example.com");
        var jon = await SignupAsync("jon", "jon@example.com");
        var ivyToken = await TokenAsync("ivy");
        var jonToken = await TokenAsync("jon");
        var adminToken = await TokenAsync(AdminName, AdminPassword);

        // Read: self and admin see the account's fields; others get 401/403; users without an account stay public.
        var own = await SendAsync(HttpMethod.Get, $"/api/rest/v1/users/{ivy}", ivyToken);
        Assert.Equal("ivy@example.com", (await own.ReadJsonAsync()).GetProperty("account").GetProperty("email").GetString());
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get, $"/api/rest/v1/users/{ivy}", adminToken)).StatusCode);
        Api.AssertProblem(await SendAsync(HttpMethod.Get, $"/api/rest/v1/users/{ivy}", null), HttpStatusCode.Unauthorized);
        Api.AssertProblem(await SendAsync(HttpMethod.Get, $"/api/rest/v1/users/{ivy}", jonToken), HttpStatusCode.Forbidden);
        var anonymous = await _client.CreateUserAsync();
        var open = await SendAsync(HttpMethod.Get, $"/api/rest/v1/users/{anonymous}", null);
        Assert.Equal(HttpStatusCode.OK, open.StatusCode);
        Assert.False((await open.ReadJsonAsync()).TryGetProperty("account", out _));

        // Change: others are refused and nothing changes; a taken email is 409.
        Api.AssertProblem(await SendAsync(HttpMethod.Patch, $"/api/rest/v1/users/{ivy}", jonToken, """{"display_name": "Hacked"}"""), HttpStatusCode.Forbidden);
        Api.AssertProblem(await SendAsync(HttpMethod.Patch, $"/api/rest/v1/users/{ivy}", null, """{"display_name": "Hacked"}"""), HttpStatusCode.Unauthorized);
        await Api.AssertErrorsAsync(await SendAsync(HttpMethod.Patch, $"/api/rest/v1/users/{ivy}", ivyToken, """{"email": "JON@example.com"}"""), HttpStatusCode.Conflict, "email");
        await Api.AssertErrorsAsync(await SendAsync(HttpMethod.Patch, $"/api/rest/v1/users/{ivy}", ivyToken, """{"display_name": 7}"""), HttpStatusCode.BadRequest, "display_name");
        var account = (await _store.Accounts.GetEntityAsync<TableEntity>("account", MovieStore.UserRowKey(ivy))).Value;
        Assert.Equal("IVY", account.GetString("DisplayName"));

        // The own password changes only with the current one.
        await Api.AssertErrorsAsync(await SendAsync(HttpMethod.Patch, $"/api/rest/v1/users/{ivy}", ivyToken, """{"password": "brand-new-pass"}"""), HttpStatusCode.BadRequest, "current_password");
        await Api.AssertErrorsAsync(await SendAsync(HttpMethod.Patch, $"/api/rest/v1/users/{ivy}", ivyToken,
            """{"password": "brand-new-pass", "current_password": "wrong-password"}"""), HttpStatusCode.Forbidden, "current_password");
        var changed = await SendAsync(HttpMethod.Patch, $"/api/rest/v1/users/{ivy}", ivyToken,
            """{"display_name": "Ivy B.", "email": "ivy@example.org", "password": "brand-new-pass", "current_password": "password-of-ivy"}""");
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Equal("ivy@example.org", (await changed.ReadJsonAsync()).GetProperty("email").GetString());

        // The old token and password are dead (on the other instance too, within its 5 s cache); the new ones work; the
        // old email is free again.
        await Task.Delay(TimeSpan.FromSeconds(5.5));
        Api.AssertProblem(await RateAsync(ivy, ivyToken, _otherClient), HttpStatusCode.Unauthorized);
        Api.AssertProblem(await _client.PostJsonAsync("/api/rest/v1/auth/token", """{"username": "ivy", "password": "password-of-ivy"}"""), HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.Created, (await RateAsync(ivy, await TokenAsync("ivy", "brand-new-pass"))).StatusCode);
        await SignupAsync("ivy2", "ivy@example.com");
    }

    [Fact]
    public async Task The_user_list_is_everyone_for_an_admin_only_yourself_for_an_account_and_closed_to_anonymous_callers()
    {
        var kim = await SignupAsync("kim", "kim@example.com");
        Api.AssertProblem(await SendAsync(HttpMethod.Get, "/api/rest/v1/users", null), HttpStatusCode.Unauthorized);
        var mine = await (await SendAsync(HttpMethod.Get, "/api/rest/v1/users", await TokenAsync("kim"))).ReadJsonAsync();
        Assert.Equal(kim, Assert.Single(mine.GetProperty("users").EnumerateArray()).GetProperty("id").GetInt32());
        var all = await (await SendAsync(HttpMethod.Get, "/api/rest/v1/users?limit=100&page=2", await TokenAsync(AdminName, AdminPassword))).ReadJsonAsync();
        Assert.True(all.GetProperty("total").GetInt32() >= 322, all.ToString());   // 320 demo users, the admin and kim
        Assert.Equal(101, all.GetProperty("users")[0].GetProperty("id").GetInt32());
        await Api.AssertErrorsAsync(await SendAsync(HttpMethod.Get, "/api/rest/v1/users?limit=0", null), HttpStatusCode.BadRequest, "limit");
    }

    [Fact]
    public async Task Only_an_admin_grants_or_takes_the_admin_role_and_it_gives_admin_rights()
    {
        var lee = await SignupAsync("lee", "lee@example.com");
        var mia = await SignupAsync("mia", "mia@example.com");
        var leeToken = await TokenAsync("lee");
        var adminToken = await TokenAsync(AdminName, AdminPassword);

        // Not by oneself, and nothing changes.
        Api.AssertProblem(await SendAsync(HttpMethod.Patch, $"/api/rest/v1/users/{lee}", leeToken, """{"is_admin": true}"""), HttpStatusCode.Forbidden);
        await Api.AssertErrorsAsync(await SendAsync(HttpMethod.Patch, $"/api/rest/v1/users/{lee}", adminToken, """{"is_admin": "yes"}"""), HttpStatusCode.BadRequest, "is_admin");
        Assert.False((await _store.Accounts.GetEntityAsync<TableEntity>("account", MovieStore.UserRowKey(lee))).Value.GetBoolean("IsAdmin"));
        Api.AssertProblem(await RateAsync(mia, leeToken), HttpStatusCode.Forbidden);

        // Granted by an admin: the same token now has admin rights.
        var granted = await SendAsync(HttpMethod.Patch, $"/api/rest/v1/users/{lee}", adminToken, """{"is_admin": true}""");
        Assert.Equal(HttpStatusCode.OK, granted.StatusCode);
        Assert.True((await granted.ReadJsonAsync()).GetProperty("is_admin").GetBoolean());
        Assert.Equal(HttpStatusCode.Created, (await RateAsync(mia, leeToken)).StatusCode);

        // Taken back (by the new admin itself here): the rights go with it.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Patch, $"/api/rest/v1/users/{lee}", leeToken, """{"is_admin": false}""")).StatusCode);
        Api.AssertProblem(await RateAsync(mia, leeToken, rating: 2), HttpStatusCode.Forbidden);
    }

    async Task<int> SignupAsync(string username, string email)
    {
        var response = await _client.PostJsonAsync("/api/rest/v1/accounts",
            JsonSerializer.Serialize(new { username, email, password = $"password-of-{username}", display_name = username.ToUpperInvariant() }));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var body = await response.ReadJsonAsync();
        Assert.Equal(username, body.GetProperty("username").GetString());
        Assert.False(body.TryGetProperty("password_hash", out _));
        return body.GetProperty("id").GetInt32();
    }

    async Task<int> AccountIdAsync(string username) =>
        (await _store.Accounts.GetEntityAsync<TableEntity>("username", username)).Value.GetInt32("UserId")!.Value;

    async Task<string> TokenAsync(string username, string? password = null)
    {
        var response = await _client.PostJsonAsync("/api/rest/v1/auth/token", JsonSerializer.Serialize(new { username, password = password ?? $"password-of-{username}" }));
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var body = await response.ReadJsonAsync();
        Assert.Equal("Bearer", body.GetProperty("token_type").GetString());
        return body.GetProperty("access_token").GetString()!;
    }

    Task<HttpResponseMessage> RateAsync(int userId, string? token, HttpClient? client = null, double rating = 4) =>
        SendAsync(HttpMethod.Post, "/api/rest/v1/ratings", token, $$"""{"user_id": {{userId}}, "movie_id": 1, "rating": {{rating}}}""", client);

    Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, string? token, string? json = null, HttpClient? client = null)
    {
        var request = new HttpRequestMessage(method, url);
        if (json is not null)
            request.Content = Api.Json(json);
        if (token is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return (client ?? _client).SendAsync(request);
    }

    async Task<(int Accounts, int Users)> CountRowsAsync() =>
        ((await _store.Accounts.QueryAsync<TableEntity>().ToListAsync()).Count(e => e.PartitionKey != "dataprotection"),
         (await _store.Users.QueryAsync<TableEntity>().ToListAsync()).Count);
}
