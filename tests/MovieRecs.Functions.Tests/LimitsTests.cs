using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Azure.Data.Tables;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using MovieRecs.Core.Azurite;
using MovieRecs.Core.Store;
using MovieRecs.Functions.Hosting;
using MovieRecs.Functions.Movies;

namespace MovieRecs.Functions.Tests;

/// <summary>Rate limits, the sign-in lockout, and tokens that must be refused, against a real Azurite.</summary>
public sealed class LimitsTests : IAsyncLifetime
{
    AzuriteProcess _azurite = null!;
    MovieStore _store = null!;
    readonly List<MovieRecsFactory> _apps = [];

    public async Task InitializeAsync()
    {
        _azurite = await AzuriteProcess.StartAsync(new AzuriteOptions { InMemory = true });
        _store = new MovieStore(_azurite.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        foreach (var app in _apps)
            await app.DisposeAsync();
        await _azurite.DisposeAsync();
    }

    /// <summary>An app on this test's Azurite (the first one seeds the demo data) or on another storage account.</summary>
    async Task<(MovieRecsFactory App, HttpClient Client)> StartAsync(Dictionary<string, string?> settings, string? connectionString = null)
    {
        var app = new MovieRecsFactory(connectionString ?? _azurite.ConnectionString, seed: _apps.Count == 0 || connectionString is not null, settings: settings);
        _apps.Add(app);
        return (app, await app.CreateReadyClientAsync());
    }

    [Fact]
    public async Task A_client_beyond_its_rate_gets_429_with_retry_after_and_an_account_has_a_bucket_of_its_own()
    {
        var (app, client) = await StartAsync(new() { ["MovieRecs:RateLimit:RequestsPerSecond"] = "2", ["MovieRecs:RateLimit:Burst"] = "6" });
        await Task.Delay(TimeSpan.FromSeconds(3.5));   // waiting for the app to be ready (polling /api/health) used the bucket
        await SignupAsync(client, "ada");
        var token = await TokenAsync(client, "ada");
        await Task.Delay(TimeSpan.FromSeconds(3.5));   // the address's bucket fills up again (2/s, 6 at most)

        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 20; i++)
            answers.Add(await client.GetAsync("/api/rest/v1/movies?limit=1"));
        // The burst of 6 passes (plus what refills while the requests run); then the bucket is empty.
        Assert.All(answers.Take(6), a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        var refused = answers.Where(a => a.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(refused);
        Assert.Equal(20, answers.Count(a => a.StatusCode is HttpStatusCode.OK or HttpStatusCode.TooManyRequests));
        Api.AssertProblem(refused[0], HttpStatusCode.TooManyRequests);
        Assert.True(refused[0].Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), refused[0].Headers.ToString());

        // The account is a client of its own; a made-up token counts as its address, so inventing tokens buys nothing.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(client, HttpMethod.Get, "/api/rest/v1/movies?limit=1", token)).StatusCode);
        // Ten different made-up tokens: buckets of their own would pass all ten; the address's bucket refills by 2 a
        // second, so on a slow machine one or two may pass, never all.
        var madeUp = new List<HttpResponseMessage>();
        for (var i = 0; i < 10; i++)
            madeUp.Add(await SendAsync(client, HttpMethod.Get, "/api/rest/v1/movies?limit=1", $"made-up-token-{i}"));
        Assert.All(madeUp, a => Assert.True(a.StatusCode is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, a.StatusCode.ToString()));
        var refusedMadeUp = madeUp.FirstOrDefault(a => a.StatusCode == HttpStatusCode.TooManyRequests);
        Assert.NotNull(refusedMadeUp);
        Api.AssertProblem(refusedMadeUp, HttpStatusCode.TooManyRequests);

        // The same limiter runs in front of a function under the Functions host (here called as the host calls it).
        var function = new MoviesFunctions(app.Services.GetRequiredService<FunctionEndpoints>());
        var statuses = new List<int>();
        for (var i = 0; i < 10; i++)
        {
            using var scope = app.Services.CreateScope();
            var http = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
            http.Connection.RemoteIpAddress = IPAddress.Parse("10.1.2.3");
            http.Request.Method = "GET";
            http.Request.Path = "/api/rest/v1/movies";
            http.Request.QueryString = new QueryString("?limit=1");
            http.Response.Body = new MemoryStream();
            await function.ListMovies(http.Request).ExecuteAsync(http);
            statuses.Add(http.Response.StatusCode);
            if (http.Response.StatusCode == 429)
                Assert.Equal("application/problem+json", http.Response.ContentType);
        }
        Assert.Equal(200, statuses[0]);
        Assert.Contains(429, statuses);
    }

    [Fact]
    public async Task Sign_up_and_sign_in_have_a_stricter_bucket_per_address_and_a_refused_sign_up_writes_nothing()
    {
        var (_, client) = await StartAsync(new() { ["MovieRecs:RateLimit:SignInPerMinute"] = "3" });
        await SignupAsync(client, "bob");
        await SignupAsync(client, "bea");
        await TokenAsync(client, "bob");
        var before = await AccountRowsAsync();

        var signup = await client.PostJsonAsync("/api/rest/v1/accounts", """{"username": "ben", "email": "ben@example.com", "password": "long-enough-1"}""");
        Api.AssertProblem(signup, HttpStatusCode.TooManyRequests);
        Assert.True(signup.Headers.RetryAfter?.Delta > TimeSpan.FromSeconds(5), signup.Headers.ToString());   // a minute's bucket refills slowly
        Assert.Contains("sign", (await signup.ReadJsonAsync()).GetProperty("detail").GetString());
        Api.AssertProblem(await client.PostJsonAsync("/api/rest/v1/auth/token", """{"username": "bob", "password": "password-of-bob"}"""), HttpStatusCode.TooManyRequests);
        Assert.Equal(before, await AccountRowsAsync());
        // Everything else is not in that bucket.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/rest/v1/movies?limit=1")).StatusCode);
    }

    [Fact]
    public async Task Wrong_passwords_in_a_row_lock_the_account_for_a_while_on_every_instance()
    {
        var settings = new Dictionary<string, string?> { ["MovieRecs:Accounts:LockoutFailures"] = "3", ["MovieRecs:Accounts:LockoutMinutes"] = "0.06" };
        var (_, client) = await StartAsync(settings);
        var (_, other) = await StartAsync(settings);
        await SignupAsync(client, "cat");
        await SignupAsync(client, "cyd");

        // Failures that a right password interrupts do not add up.
        for (var i = 0; i < 2; i++)
            Api.AssertProblem(await SignInAsync(client, "cat", "wrong-password"), HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.OK, (await SignInAsync(client, "cat", "password-of-cat")).StatusCode);

        // Three in a row, spread over two instances, lock it: even the right password is refused, on both.
        Api.AssertProblem(await SignInAsync(client, "cat", "wrong-password"), HttpStatusCode.Unauthorized);
        Api.AssertProblem(await SignInAsync(other, "cat", "wrong-password"), HttpStatusCode.Unauthorized);
        Api.AssertProblem(await SignInAsync(client, "cat", "wrong-password"), HttpStatusCode.Unauthorized);
        var locked = await SignInAsync(other, "cat", "password-of-cat");
        Api.AssertProblem(locked, HttpStatusCode.TooManyRequests);
        Assert.True(locked.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), locked.Headers.ToString());
        Api.AssertProblem(await SignInAsync(client, "cat", "password-of-cat"), HttpStatusCode.TooManyRequests);
        // Another account is not affected.
        Assert.Equal(HttpStatusCode.OK, (await SignInAsync(client, "cyd", "password-of-cyd")).StatusCode);

        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.Equal(HttpStatusCode.OK, (await SignInAsync(other, "cat", "password-of-cat")).StatusCode);
    }

    [Fact]
    public async Task Expired_and_foreign_tokens_are_refused_and_bad_sign_in_input_writes_nothing()
    {
        var (_, client) = await StartAsync(new() { ["MovieRecs:Accounts:AccessTokenMinutes"] = "0.03" });   // 1.8 s
        var dan = await SignupAsync(client, "dan");
        var tokens = await (await SignInAsync(client, "dan", "password-of-dan")).ReadJsonAsync();
        var access = tokens.GetProperty("access_token").GetString()!;
        Assert.Equal(HttpStatusCode.Created, (await RateAsync(client, dan, 1, access)).StatusCode);

        // Expired: refused like no token, nothing written; the refresh token still renews it.
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        var expired = await RateAsync(client, dan, 2, access);
        Api.AssertProblem(expired, HttpStatusCode.Unauthorized);
        Assert.Null(await Stored.RowAsync(_store, dan, 2));
        var renewed = await client.PostJsonAsync("/api/rest/v1/auth/refresh", JsonSerializer.Serialize(new { refresh_token = tokens.GetProperty("refresh_token").GetString() }));
        Assert.Equal(HttpStatusCode.OK, renewed.StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await RateAsync(client, dan, 2, (await renewed.ReadJsonAsync()).GetProperty("access_token").GetString())).StatusCode);

        // Foreign: a valid token of another deployment (its own storage, so its own key ring), for an account of the
        // same name and even the same user id there.
        await using var elsewhere = await AzuriteProcess.StartAsync(new AzuriteOptions { InMemory = true });
        var (_, foreignClient) = await StartAsync(new(), elsewhere.ConnectionString);
        var foreignDan = await SignupAsync(foreignClient, "dan");
        var foreignToken = await TokenAsync(foreignClient, "dan");
        Assert.Equal(HttpStatusCode.Created, (await RateAsync(foreignClient, foreignDan, 3, foreignToken)).StatusCode);
        Api.AssertProblem(await RateAsync(client, dan, 3, foreignToken), HttpStatusCode.Unauthorized);
        Assert.Null(await Stored.RowAsync(_store, dan, 3));

        // Bad sign-in input: 400 naming the field, and no sign-in state or account row is written.
        var before = await AccountRowsAsync();
        (string Body, string Field)[] bad =
        [
            ($$"""{"username": "{{new string('d', 300)}}", "password": "password-of-dan"}""", "username"),
            ($$"""{"username": "dan", "password": "{{new string('p', 129)}}"}""", "password"),
            ("""{"username": "dan", "password": 12345678}""", "password"),
            ("""{"username": ["dan"], "password": "password-of-dan"}""", "username"),
            ("""{"username": "dan"}""", "password"),
        ];
        foreach (var (body, field) in bad)
            await Api.AssertErrorsAsync(await client.PostJsonAsync("/api/rest/v1/auth/token", body), HttpStatusCode.BadRequest, field);
        await Api.AssertErrorsAsync(await client.PostJsonAsync("/api/rest/v1/auth/refresh", """{"refresh_token": 42}"""), HttpStatusCode.BadRequest, "refresh_token");
        await Api.AssertErrorsAsync(await client.PostJsonAsync("/api/rest/v1/auth/token", "[1, 2]"), HttpStatusCode.BadRequest, "body");
        Assert.Equal(before, await AccountRowsAsync());
    }

    static async Task<int> SignupAsync(HttpClient client, string username)
    {
        var response = await client.PostJsonAsync("/api/rest/v1/accounts",
            JsonSerializer.Serialize(new { username, email = $"{username}@example.com", password = $"password-of-{username}" }));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.ReadJsonAsync()).GetProperty("id").GetInt32();
    }

    static Task<HttpResponseMessage> SignInAsync(HttpClient client, string username, string password) =>
        client.PostJsonAsync("/api/rest/v1/auth/token", JsonSerializer.Serialize(new { username, password }));

    static async Task<string> TokenAsync(HttpClient client, string username)
    {
        var response = await SignInAsync(client, username, $"password-of-{username}");
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (await response.ReadJsonAsync()).GetProperty("access_token").GetString()!;
    }

    static Task<HttpResponseMessage> RateAsync(HttpClient client, int userId, int movieId, string? token) =>
        SendAsync(client, HttpMethod.Post, "/api/rest/v1/ratings", token, $$"""{"user_id": {{userId}}, "movie_id": {{movieId}}, "rating": 4}""");

    static Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string url, string? token, string? json = null)
    {
        var request = new HttpRequestMessage(method, url);
        if (json is not null)
            request.Content = Api.Json(json);
        if (token is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client.SendAsync(request);
    }

    /// <summary>Rows of the accounts table other than the key ring (accounts, name reservations, sign-in state).</summary>
    async Task<int> AccountRowsAsync() =>
        (await _store.Accounts.QueryAsync<TableEntity>().ToListAsync()).Count(e => e.PartitionKey != "dataprotection");
}
