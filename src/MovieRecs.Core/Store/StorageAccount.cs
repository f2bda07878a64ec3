using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;

namespace MovieRecs.Core.Store;

/// <summary>
/// The storage account's three service clients (official SDKs), and the one place that says how they are configured.
/// The app registers them once with <c>AddAzureClients</c> from <c>AzureWebJobsStorage</c>; the CLI and tests build
/// them from a connection string with <see cref="FromConnectionString"/>.
/// </summary>
public sealed record StorageAccount(TableServiceClient Tables, BlobServiceClient Blobs, QueueServiceClient Queues)
{
    /// <summary>Azurite's account (public and well known: not a secret).</summary>
    public const string DevelopmentAccountName = "devstoreaccount1";

    public const string DevelopmentAccountKey =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    public const string DevelopmentStorage = "UseDevelopmentStorage=true";

    public static StorageAccount FromConnectionString(string connectionString) => new(
        new TableServiceClient(connectionString, ConfigureTables(new TableClientOptions())),
        new BlobServiceClient(connectionString, ConfigureBlobs(new BlobClientOptions(PinnedBlobVersion))),
        new QueueServiceClient(connectionString, ConfigureQueues(new QueueClientOptions(PinnedQueueVersion))));

    // Blob and Queue clients default to x-ms-version 2026-10-06; Azurite 3.35.0 (the newest on Node 20, pinned in
    // tools/azurite) refuses anything newer than 2025-11-05 with 400 InvalidHeaderValue. Azure accepts both.
    // Tables works with its default version.
    public const BlobClientOptions.ServiceVersion PinnedBlobVersion = BlobClientOptions.ServiceVersion.V2025_11_05;
    public const QueueClientOptions.ServiceVersion PinnedQueueVersion = QueueClientOptions.ServiceVersion.V2025_11_05;

    /// <summary>Fail fast: a request whose storage is down should get its 503 in about a second, not after a minute of retries.</summary>
    static void FailFast(RetryOptions retry, TimeSpan networkTimeout)
    {
        retry.MaxRetries = 2;
        retry.Delay = TimeSpan.FromMilliseconds(100);
        retry.MaxDelay = TimeSpan.FromSeconds(1);
        retry.Mode = RetryMode.Exponential;
        retry.NetworkTimeout = networkTimeout;
    }

    public static TableClientOptions ConfigureTables(TableClientOptions options)
    {
        FailFast(options.Retry, TimeSpan.FromSeconds(10));
        return options;
    }

    /// <summary>Blobs carry model files (a few MB): a longer network timeout than tables.</summary>
    public static BlobClientOptions ConfigureBlobs(BlobClientOptions options)
    {
        FailFast(options.Retry, TimeSpan.FromSeconds(30));
        return options;
    }

    /// <summary>The Functions queue trigger reads Base64 message text by default, so every message we send is Base64.</summary>
    public static QueueClientOptions ConfigureQueues(QueueClientOptions options)
    {
        FailFast(options.Retry, TimeSpan.FromSeconds(30));
        options.MessageEncoding = QueueMessageEncoding.Base64;
        return options;
    }

    /// <summary>Explicit endpoints for an Azurite listening on the given ports.</summary>
    public static string ForAzurite(string host, int blobPort, int queuePort, int tablePort) =>
        $"DefaultEndpointsProtocol=http;AccountName={DevelopmentAccountName};AccountKey={DevelopmentAccountKey};" +
        $"BlobEndpoint=http://{host}:{blobPort}/{DevelopmentAccountName};" +
        $"QueueEndpoint=http://{host}:{queuePort}/{DevelopmentAccountName};" +
        $"TableEndpoint=http://{host}:{tablePort}/{DevelopmentAccountName};";

    /// <summary>True for <c>UseDevelopmentStorage=true</c>: Azurite on its well-known ports.</summary>
    public static bool IsDevelopmentStorage(string? connectionString) =>
        connectionString is not null && connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Any(part => part.Equals(DevelopmentStorage, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The ports of a local Azurite that <paramref name="connectionString"/> names: 10000-10002 for
    /// <c>UseDevelopmentStorage=true</c>; with <paramref name="explicitEndpoints"/>, also the account devstoreaccount1
    /// with all three endpoints on 127.0.0.1 or localhost. Null for anything else.
    /// </summary>
    public static (int Blob, int Queue, int Table)? LocalAzuritePorts(string? connectionString, bool explicitEndpoints)
    {
        if (IsDevelopmentStorage(connectionString))
            return (10000, 10001, 10002);
        if (!explicitEndpoints || connectionString is null)
            return null;
        var parts = connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => p.Split('=', 2)).Where(p => p.Length == 2)
            .GroupBy(p => p[0], StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.Last()[1], StringComparer.OrdinalIgnoreCase);
        int? Port(string key) =>
            parts.TryGetValue(key, out var value) && Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Host is "127.0.0.1" or "localhost" ? uri.Port : null;
        return parts.GetValueOrDefault("AccountName") == DevelopmentAccountName
            && Port("BlobEndpoint") is { } blob && Port("QueueEndpoint") is { } queue && Port("TableEndpoint") is { } table
            ? (blob, queue, table) : null;
    }
}
