using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using MovieRecs.Core.Azurite;
using MovieRecs.Core.Store;

namespace MovieRecs.Core.Tests;

/// <summary>The SDK clients as <see cref="StorageAccount"/> configures them, against the pinned Azurite.</summary>
public sealed class StorageAccountTests : IAsyncLifetime
{
    AzuriteProcess _azurite = null!;

    public async Task InitializeAsync() => _azurite = await AzuriteProcess.StartAsync(new AzuriteOptions { InMemory = true });
    public async Task DisposeAsync() => await _azurite.DisposeAsync();

    [Fact]
    public async Task Pinned_service_versions_are_accepted_where_the_SDK_defaults_are_refused()
    {
        var account = StorageAccount.FromConnectionString(_azurite.ConnectionString);
        await account.Blobs.GetBlobContainerClient("pinned").CreateIfNotExistsAsync();
        await account.Queues.GetQueueClient("pinned").CreateIfNotExistsAsync();

        // Why the pin exists: the SDK's default x-ms-version is newer than this Azurite accepts.
        var defaults = new BlobServiceClient(_azurite.ConnectionString).GetBlobContainerClient("unpinned");
        var refused = await Assert.ThrowsAsync<RequestFailedException>(() => defaults.CreateIfNotExistsAsync());
        Assert.Equal(400, refused.Status);
    }

    [Fact]
    public async Task Queue_messages_are_Base64_as_the_Functions_trigger_expects()
    {
        var account = StorageAccount.FromConnectionString(_azurite.ConnectionString);
        var queue = account.Queues.GetQueueClient("encoded");
        await queue.CreateIfNotExistsAsync();
        await queue.SendMessageAsync("{\"run_id\":\"r1\"}");

        var raw = new QueueClient(_azurite.ConnectionString, "encoded", new QueueClientOptions(StorageAccount.PinnedQueueVersion));
        var peeked = (await raw.PeekMessageAsync()).Value;
        Assert.Equal("{\"run_id\":\"r1\"}", System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(peeked.Body.ToString())));
        Assert.Equal("{\"run_id\":\"r1\"}", (await queue.ReceiveMessageAsync()).Value.MessageText);
    }

    [Fact]
    public async Task Filter_values_are_escaped_so_input_cannot_widen_a_query()
    {
        var table = StorageAccount.FromConnectionString(_azurite.ConnectionString).Tables.GetTableClient("filters");
        await table.CreateIfNotExistsAsync();
        await table.AddEntityAsync(new TableEntity("p", "1") { ["Name"] = "O'Brien" });
        await table.AddEntityAsync(new TableEntity("p", "2") { ["Name"] = "Other" });

        var exact = await table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"Name eq {"O'Brien"}")).ToListAsync();
        Assert.Equal("1", Assert.Single(exact).RowKey);
        var injected = await table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"Name eq {"x' or Name ne 'x"}")).ToListAsync();
        Assert.Empty(injected);
    }

    [Theory]
    [InlineData("UseDevelopmentStorage=true", true)]
    [InlineData("usedevelopmentstorage=TRUE;", true)]
    [InlineData("DefaultEndpointsProtocol=https;AccountName=a;AccountKey=a2V5;EndpointSuffix=core.windows.net", false)]
    [InlineData(null, false)]
    public void Development_storage_is_recognised(string? connectionString, bool expected) =>
        Assert.Equal(expected, StorageAccount.IsDevelopmentStorage(connectionString));
}
