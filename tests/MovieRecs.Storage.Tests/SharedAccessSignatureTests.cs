using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Azure;
using MovieRecs.Storage.Blobs;
using MovieRecs.Storage.Queues;
using MovieRecs.Storage.Tables;

namespace MovieRecs.Storage.Tests;

/// <summary>Connection strings carrying SharedAccessSignature= instead of a key.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class SharedAccessSignatureTests
{
    private readonly AzuriteFixture _azurite;

    public SharedAccessSignatureTests(AzuriteFixture azurite) => _azurite = azurite;

    /// <summary>An account SAS signed with the emulator key (the test needs one; the library only consumes them).</summary>
    private static string AccountSas(string permissions)
    {
        const string version = "2024-11-04";
        string expiry = DateTimeOffset.UtcNow.AddHours(1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        // account, permissions, services, resource types, start, expiry, ip, protocol, version, encryption scope, and a final newline
        string stringToSign = string.Join('\n', StorageConnectionString.DevelopmentAccountName, permissions, "bqt", "sco", "", expiry, "", "", version, "", "");
        string signature = Convert.ToBase64String(HMACSHA256.HashData(
            Convert.FromBase64String(StorageConnectionString.DevelopmentAccountKey), Encoding.UTF8.GetBytes(stringToSign)));
        return $"sv={version}&ss=bqt&srt=sco&sp={permissions}&se={Uri.EscapeDataString(expiry)}&sig={Uri.EscapeDataString(signature)}";
    }

    private string SasConnectionString(string permissions)
    {
        var account = StorageConnectionString.Parse(_azurite.ConnectionString);
        return $"BlobEndpoint={account.BlobEndpoint};QueueEndpoint={account.QueueEndpoint};TableEndpoint={account.TableEndpoint};" +
               $"SharedAccessSignature={AccountSas(permissions)}";
    }

    [Fact]
    public async Task FullSas_WorksForAllThreeServices()
    {
        string cs = SasConnectionString("rwdlacup");

        var table = new TableClient(cs, AzuriteFixture.UniqueName("t"));
        await table.CreateIfNotExistsAsync();
        await table.AddEntityAsync(new TableEntity("p", "r") { ["V"] = 1 });
        Assert.Equal(1, (await table.GetEntityAsync("p", "r")).Value.GetInt32("V"));

        var queue = new QueueClient(cs, AzuriteFixture.UniqueName("q"));
        await queue.CreateIfNotExistsAsync();
        await queue.SendMessageAsync("via sas");
        Assert.Equal("via sas", (await queue.ReceiveMessageAsync()).Value!.MessageText);

        var container = new BlobContainerClient(cs, AzuriteFixture.UniqueName("c"));
        await container.CreateIfNotExistsAsync();
        await container.GetBlobClient("a.txt").UploadAsync(BinaryData.FromString("sas"));
        Assert.Equal("sas", (await container.GetBlobClient("a.txt").DownloadContentAsync()).Value.Content.ToString());
    }

    [Fact]
    public async Task ReadOnlySas_CannotWrite()
    {
        var container = new BlobContainerClient(_azurite.ConnectionString, AzuriteFixture.UniqueName("c"));
        await container.CreateIfNotExistsAsync();
        await container.GetBlobClient("a.txt").UploadAsync(BinaryData.FromString("data"));

        var readOnly = new BlobContainerClient(SasConnectionString("rl"), container.Name);
        Assert.Equal("data", (await readOnly.GetBlobClient("a.txt").DownloadContentAsync()).Value.Content.ToString());
        var ex = await Assert.ThrowsAsync<RequestFailedException>(() => readOnly.GetBlobClient("b.txt").UploadAsync(BinaryData.FromString("x")));
        Assert.Equal(403, ex.Status);
    }
}
