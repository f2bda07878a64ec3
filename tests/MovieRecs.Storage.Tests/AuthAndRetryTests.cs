using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Azure;
using MovieRecs.Storage.Blobs;
using MovieRecs.Storage.Queues;
using MovieRecs.Storage.Tables;

namespace MovieRecs.Storage.Tests;

[Collection(AzuriteCollection.Name)]
public sealed class AuthAndRetryTests
{
    private readonly AzuriteFixture _azurite;

    public AuthAndRetryTests(AzuriteFixture azurite) => _azurite = azurite;

    // Blob and Queue say AuthenticationFailed; the Table endpoint of Azurite says AuthorizationFailure.
    private static readonly string[] AuthErrorCodes = ["AuthenticationFailed", "AuthorizationFailure"];

    private string WrongKeyConnectionString()
    {
        string wrongKey = Convert.ToBase64String(new byte[64]);
        return _azurite.ConnectionString.Replace(StorageConnectionString.DevelopmentAccountKey, wrongKey);
    }

    [Fact]
    public async Task WrongAccountKey_Gets403_OnEveryService()
    {
        string bad = WrongKeyConnectionString();
        Assert.NotEqual(_azurite.ConnectionString, bad);

        var table = await Assert.ThrowsAsync<RequestFailedException>(() => new TableClient(bad, "anytable").CreateIfNotExistsAsync());
        Assert.Equal(403, table.Status);
        Assert.Contains(table.ErrorCode, AuthErrorCodes);

        var queue = await Assert.ThrowsAsync<RequestFailedException>(() => new QueueClient(bad, "anyqueue").CreateIfNotExistsAsync());
        Assert.Equal(403, queue.Status);
        Assert.Contains(queue.ErrorCode, AuthErrorCodes);

        var blob = await Assert.ThrowsAsync<RequestFailedException>(() => new BlobContainerClient(bad, "anycontainer").CreateIfNotExistsAsync());
        Assert.Equal(403, blob.Status);
        Assert.Contains(blob.ErrorCode, AuthErrorCodes);
    }

    [Fact]
    public async Task RightKey_SignsRequestsWithQueryParametersHeadersAndBodies()
    {
        // A request with many signed parts (query, x-ms-meta-*, conditional headers, body) must pass the check.
        var container = new BlobContainerClient(_azurite.ConnectionString, AzuriteFixture.UniqueName("c"));
        await container.CreateAsync(metadata: new Dictionary<string, string> { ["b"] = "2", ["a"] = "1" });
        BlobClient blob = container.GetBlobClient("dir/with space/ü.txt");
        await blob.UploadAsync(BinaryData.FromString("x"), new BlobUploadOptions
        {
            Metadata = new Dictionary<string, string> { ["zeta"] = "z", ["alpha"] = "a", ["Mixed"] = "m" },
            Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
        });
        await blob.UploadAsync(BinaryData.FromString("y"), new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = "text/plain; charset=utf-8", CacheControl = "no-cache" },
            Conditions = new BlobRequestConditions { IfUnmodifiedSince = DateTimeOffset.UtcNow.AddDays(1) },
        });
        var names = new List<string>();
        await foreach (BlobItem item in container.GetBlobsAsync(BlobTraits.Metadata, prefix: "dir/with space/")) names.Add(item.Name);
        Assert.Equal(["dir/with space/ü.txt"], names);
    }

    [Fact]
    public async Task ClosedPort_FailsFast_WithRequestFailedException()
    {
        int port = UnusedPort();
        string connectionString = StorageConnectionString.ForAzurite("127.0.0.1", port, port, port);
        var options = new TableClientOptions();
        options.Retry.MaxRetries = 2;
        options.Retry.Delay = TimeSpan.FromMilliseconds(100);
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(2);

        var clock = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<RequestFailedException>(() => new TableClient(connectionString, "t", options).GetEntityAsync("p", "r"));
        clock.Stop();

        Assert.Equal(0, ex.Status);
        Assert.Contains("3 attempts", ex.Message);
        Assert.IsType<AggregateException>(ex.InnerException);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");

        // Same for the other services, and with no retries at all.
        var queueOptions = new QueueClientOptions();
        queueOptions.Retry.MaxRetries = 0;
        var queueEx = await Assert.ThrowsAsync<RequestFailedException>(() => new QueueClient(connectionString, "q", queueOptions).ExistsAsync());
        Assert.Equal(0, queueEx.Status);
        var blobOptions = new BlobClientOptions();
        blobOptions.Retry.MaxRetries = 1;
        blobOptions.Retry.Delay = TimeSpan.FromMilliseconds(10);
        await Assert.ThrowsAsync<RequestFailedException>(() => new BlobContainerClient(connectionString, "c", blobOptions).ExistsAsync());
    }

    [Fact]
    public async Task Cancellation_IsNotTurnedIntoRequestFailedException()
    {
        var table = new TableClient(_azurite.ConnectionString, "anytable");
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => table.GetEntityAsync("p", "r", cancellationToken: cts.Token));
    }

    private static int UnusedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
