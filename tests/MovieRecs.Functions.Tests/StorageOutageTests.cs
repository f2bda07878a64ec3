using System.Diagnostics;
using System.Net;
using MovieRecs.Core.Azurite;

namespace MovieRecs.Functions.Tests;

/// <summary>Azurite stops under a running app: storage-backed answers are 503 with Retry-After, fast, and recover by themselves.</summary>
public sealed class StorageOutageTests
{
    [Fact]
    public async Task Endpoints_answer_503_with_retry_after_while_storage_is_down_and_recover_when_it_returns()
    {
        var location = Directory.CreateTempSubdirectory("azurite-outage-").FullName;
        var azurite = await AzuriteProcess.StartAsync(new AzuriteOptions { Location = location });
        var options = new AzuriteOptions { Location = location, BlobPort = azurite.BlobPort, QueuePort = azurite.QueuePort, TablePort = azurite.TablePort };
        await using var factory = new MovieRecsFactory(azurite.ConnectionString);
        var client = await factory.CreateReadyClientAsync();
        var user = await client.CreateUserAsync();
        try
        {
            await azurite.StopAsync();

            // Writes fail fast with 503 + Retry-After (client input never makes a 5xx; storage does, and says when to retry).
            var write = await client.RateAsync(user, 1, 4);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, write.StatusCode);
            Assert.NotNull(write.Headers.RetryAfter);
            Assert.Equal("application/problem+json", write.Content.Headers.ContentType?.MediaType);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.PostJsonAsync($"/api/users/{user}/ratings", Api.Batch((1, 4), (2, 3)))).StatusCode);

            var clock = Stopwatch.StartNew();
            var response = await client.GetAsync("/api/rest/v1/movies/1/avg-rating");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
            Assert.NotNull(response.Headers.RetryAfter);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);

            var health = await client.GetAsync("/api/health");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
            Assert.NotNull(health.Headers.RetryAfter);

            // The catalog is in memory: browsing keeps working during the outage.
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/rest/v1/movies?search=star")).StatusCode);

            azurite = await AzuriteProcess.StartAsync(options);
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while ((await client.GetAsync("/api/health")).StatusCode != HttpStatusCode.OK)
            {
                Assert.True(DateTime.UtcNow < deadline, "did not recover");
                await Task.Delay(200);
            }
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/rest/v1/movies/1/avg-rating")).StatusCode);
            Assert.Equal(HttpStatusCode.Created, (await client.RateAsync(user, 1, 4)).StatusCode);   // the retry succeeds
        }
        finally
        {
            await azurite.DisposeAsync();
        }
    }
}
