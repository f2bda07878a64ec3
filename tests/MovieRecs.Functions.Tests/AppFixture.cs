using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using MovieRecs.Core.Store;
using MovieRecs.Core.Azurite;

namespace MovieRecs.Functions.Tests;

/// <summary>The app in-process (TestServer) against a real Azurite of its own.</summary>
public sealed class MovieRecsFactory(string connectionString, string? adminKey = AppFixture.AdminKey, bool seed = true,
    IReadOnlyDictionary<string, string?>? settings = null) : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("AzureWebJobsStorage", connectionString);
        builder.UseSetting("MovieRecs:AdminKey", adminKey ?? "");
        builder.UseSetting("MovieRecs:StartAzurite", "false");
        builder.UseSetting("MovieRecs:SeedDemoData", seed ? "true" : "false");
        builder.UseSetting("MovieRecs:CatalogRefreshSeconds", "0.5");
        builder.UseSetting("MovieRecs:RateLimit:SignInPerMinute", "100000");   // tests sign up many accounts from one client; LimitsTests sets its own
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            builder.UseSetting(key, value);
    }

    /// <summary>Waits until the app reports healthy (storage reachable, catalog loaded).</summary>
    public async Task<HttpClient> CreateReadyClientAsync(TimeSpan? timeout = null)
    {
        var client = CreateClient();
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var response = await client.GetAsync("/api/health");
            if (response.StatusCode == HttpStatusCode.OK)
                return client;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"App not healthy: {await response.Content.ReadAsStringAsync()}");
            await Task.Delay(100);
        }
    }
}

/// <summary>One Azurite and one app seeded with the demo data, shared by the tests of the "App" collection.</summary>
public sealed class AppFixture : IAsyncLifetime
{
    public const string AdminKey = "test-admin-key";

    public AzuriteProcess Azurite { get; private set; } = null!;
    public MovieRecsFactory Factory { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;
    public MovieStore Store { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Azurite = await AzuriteProcess.StartAsync(new AzuriteOptions { InMemory = true });
        Store = new MovieStore(Azurite.ConnectionString);
        Factory = new MovieRecsFactory(Azurite.ConnectionString);
        Client = await Factory.CreateReadyClientAsync();
    }

    public async Task DisposeAsync()
    {
        await Factory.DisposeAsync();
        await Azurite.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class AppCollection : ICollectionFixture<AppFixture>
{
    public const string Name = "App";
}

static class Json
{
    public static async Task<JsonElement> ReadJsonAsync(this HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>());
}
