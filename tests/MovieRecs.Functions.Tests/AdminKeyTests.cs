using System.Net;

namespace MovieRecs.Functions.Tests;

[Collection(AppCollection.Name)]
public sealed class AdminKeyTests(AppFixture app)
{
    const string Url = "/api/rest/v1/admin/catalog/reload";

    [Fact]
    public async Task Admin_operation_without_a_key_is_401_problem_json()
    {
        var response = await app.Client.PostAsync(Url, null);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Admin_operation_with_a_wrong_key_is_401()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Url);
        request.Headers.Add("x-functions-key", "wrong");
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client.SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task Admin_operation_accepts_the_header_or_the_code_parameter()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Url);
        request.Headers.Add("x-functions-key", AppFixture.AdminKey);
        Assert.Equal(HttpStatusCode.OK, (await app.Client.SendAsync(request)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.Client.PostAsync($"{Url}?code={AppFixture.AdminKey}", null)).StatusCode);
    }

    [Fact]
    public async Task Without_a_configured_key_admin_operations_stay_closed()
    {
        await using var factory = new MovieRecsFactory(app.Azurite.ConnectionString, adminKey: null);
        var client = await factory.CreateReadyClientAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, Url);
        request.Headers.Add("x-functions-key", "anything");
        Assert.Equal(HttpStatusCode.Forbidden, (await client.SendAsync(request)).StatusCode);
    }
}
