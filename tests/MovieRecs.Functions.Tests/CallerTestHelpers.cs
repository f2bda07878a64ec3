using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using MovieRecs.Functions.Admin;

namespace MovieRecs.Functions.Tests;

/// <summary>Accounts and the callers of a permission test: an account's token, another account's, none, an admin's.</summary>
sealed class Callers(HttpClient client)
{
    public const string AdminName = "root";
    public const string AdminPassword = "admin-password-123";

    public static Dictionary<string, string?> AdminSettings(IDictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?> { ["MovieRecs:Admin:Username"] = AdminName, ["MovieRecs:Admin:Password"] = AdminPassword };
        foreach (var (k, v) in more ?? new Dictionary<string, string?>())
            settings[k] = v;
        return settings;
    }

    /// <summary>Signs up (password "password-of-{name}") and returns the new user's id and its access token.</summary>
    public async Task<(int Id, string Token)> SignupAsync(string username)
    {
        var response = await client.PostJsonAsync("/api/rest/v1/accounts",
            JsonSerializer.Serialize(new { username, email = $"{username}@example.com", password = $"password-of-{username}" }));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var id = (await response.ReadJsonAsync()).GetProperty("id").GetInt32();
        return (id, await TokenAsync(username, $"password-of-{username}"));
    }

    public async Task<string> TokenAsync(string username, string password)
    {
        var response = await client.PostJsonAsync("/api/rest/v1/auth/token", JsonSerializer.Serialize(new { username, password }));
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (await response.ReadJsonAsync()).GetProperty("access_token").GetString()!;
    }

    /// <summary>The bootstrap admin's token (the account is created in the background at start: wait for it).</summary>
    public async Task<string> AdminTokenAsync()
    {
        for (var attempt = 0; ; attempt++)
        {
            var response = await client.PostJsonAsync("/api/rest/v1/auth/token", JsonSerializer.Serialize(new { username = AdminName, password = AdminPassword }));
            if (response.StatusCode == HttpStatusCode.OK)
                return (await response.ReadJsonAsync()).GetProperty("access_token").GetString()!;
            Assert.True(attempt < 100, "the bootstrap admin never appeared");
            await Task.Delay(100);
        }
    }

    /// <summary>A request with a bearer token (null: none), or the admin key when <paramref name="token"/> is <see cref="AdminKeyToken"/>.</summary>
    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, string? token, string? json = null, HttpClient? through = null)
    {
        var request = new HttpRequestMessage(method, url);
        if (json is not null)
            request.Content = Api.Json(json);
        if (token == AdminKeyToken)
            request.Headers.Add(AdminKey.HeaderName, AppFixture.AdminKey);
        else if (token is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return (through ?? client).SendAsync(request);
    }

    /// <summary>Stands for "send the admin key instead of a token".</summary>
    public const string AdminKeyToken = "<admin key>";
}
