using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Azure;
using MovieRecs.Core.Store;

namespace MovieRecs.Functions.Infrastructure;

/// <summary>
/// The storage account, read from the Functions host's own setting <c>AzureWebJobsStorage</c> the way the host reads it:
/// either a connection string, or identity-based settings under it (<c>AzureWebJobsStorage__accountName</c>, or
/// <c>__blobServiceUri</c> / <c>__queueServiceUri</c> / <c>__tableServiceUri</c>, with <c>__credential</c>
/// = <c>managedidentity</c> and an optional <c>__clientId</c>). Nothing set means Azurite (development storage).
/// </summary>
public sealed record StorageConnection(string? ConnectionString, Uri? TableUri, Uri? BlobUri, Uri? QueueUri, TokenCredential? Credential)
{
    public const string Setting = "AzureWebJobsStorage";

    public bool IsDevelopmentStorage => StorageAccount.IsDevelopmentStorage(ConnectionString);

    public static StorageConnection From(IConfiguration configuration)
    {
        var section = configuration.GetSection(Setting);
        if (section.Value is { Length: > 0 } connectionString)
            return new(connectionString, null, null, null, null);
        var accountName = section["accountName"];
        if (accountName is null && section["blobServiceUri"] is null && section["queueServiceUri"] is null && section["tableServiceUri"] is null)
            return new(StorageAccount.DevelopmentStorage, null, null, null, null);

        Uri ServiceUri(string key, string service) =>
            section[key] is { Length: > 0 } uri ? new Uri(uri)
            : accountName is { Length: > 0 } ? new Uri($"https://{accountName}.{service}.core.windows.net")
            : throw new InvalidOperationException($"{Setting}__{key} or {Setting}__accountName must be set.");

        var clientId = section["clientId"];
        TokenCredential credential = string.Equals(section["credential"], "managedidentity", StringComparison.OrdinalIgnoreCase)
            ? new ManagedIdentityCredential(clientId is { Length: > 0 } ? ManagedIdentityId.FromUserAssignedClientId(clientId) : ManagedIdentityId.SystemAssigned)
            : section["clientSecret"] is { Length: > 0 } secret
                ? new ClientSecretCredential(section["tenantId"], clientId, secret)
                : new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = clientId });
        return new(null, ServiceUri("tableServiceUri", "table"), ServiceUri("blobServiceUri", "blob"), ServiceUri("queueServiceUri", "queue"), credential);
    }
}

public static class StorageClientsExtensions
{
    /// <summary>Registers the three service clients once, with the options and pinned versions of <see cref="StorageAccount"/>.</summary>
    public static void AddStorageClients(this IServiceCollection services, IConfiguration configuration)
    {
        var connection = StorageConnection.From(configuration);
        services.AddSingleton(connection);
        services.AddAzureClients(clients =>
        {
            clients.AddClient<TableServiceClient, TableClientOptions>(o => connection.ConnectionString is { } cs
                    ? new TableServiceClient(cs, o) : new TableServiceClient(connection.TableUri!, connection.Credential!, o))
                .ConfigureOptions(o => StorageAccount.ConfigureTables(o));
            clients.AddClient<BlobServiceClient, BlobClientOptions>(o => connection.ConnectionString is { } cs
                    ? new BlobServiceClient(cs, o) : new BlobServiceClient(connection.BlobUri!, connection.Credential!, o))
                .WithVersion(StorageAccount.PinnedBlobVersion)
                .ConfigureOptions(o => StorageAccount.ConfigureBlobs(o));
            clients.AddClient<QueueServiceClient, QueueClientOptions>(o => connection.ConnectionString is { } cs
                    ? new QueueServiceClient(cs, o) : new QueueServiceClient(connection.QueueUri!, connection.Credential!, o))
                .WithVersion(StorageAccount.PinnedQueueVersion)
                .ConfigureOptions((o, sp) =>
                {
                    StorageAccount.ConfigureQueues(o);
                    // a message that is not Base64 is handed to the listener, which retries and then poisons it
                    o.MessageDecodingFailed += args => sp.GetRequiredService<Engine.TrainingQueueListener>().OnUndecodableMessageAsync(args);
                });
        });
        services.AddSingleton(sp => new StorageAccount(sp.GetRequiredService<TableServiceClient>(), sp.GetRequiredService<BlobServiceClient>(),
            sp.GetRequiredService<QueueServiceClient>()));
    }
}
