namespace MovieRecs.Storage.Tests;

public sealed class ConnectionStringTests
{
    private const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    [Fact]
    public void DevelopmentStorage_UsesAzuriteWellKnownAccountAndPorts()
    {
        var cs = StorageConnectionString.Parse("UseDevelopmentStorage=true");
        Assert.True(cs.IsDevelopmentStorage);
        Assert.Equal("devstoreaccount1", cs.AccountName);
        Assert.Equal(StorageConnectionString.DevelopmentAccountKey, cs.AccountKey);
        Assert.Equal("http://127.0.0.1:10000/devstoreaccount1", cs.BlobEndpoint!.AbsoluteUri);
        Assert.Equal("http://127.0.0.1:10001/devstoreaccount1", cs.QueueEndpoint!.AbsoluteUri);
        Assert.Equal("http://127.0.0.1:10002/devstoreaccount1", cs.TableEndpoint!.AbsoluteUri);
    }

    [Fact]
    public void AccountAndKey_DeriveEndpointsFromProtocolAndSuffix()
    {
        var cs = StorageConnectionString.Parse($"DefaultEndpointsProtocol=https;AccountName=movierecs;AccountKey={Key};EndpointSuffix=core.windows.net");
        Assert.Equal("movierecs", cs.AccountName);
        Assert.False(cs.IsDevelopmentStorage);
        Assert.Equal(Key, cs.AccountKey); // the '=' padding survives: only the first '=' splits
        Assert.Equal("https://movierecs.blob.core.windows.net/", cs.BlobEndpoint!.AbsoluteUri);
        Assert.Equal("https://movierecs.queue.core.windows.net/", cs.QueueEndpoint!.AbsoluteUri);
        Assert.Equal("https://movierecs.table.core.windows.net/", cs.TableEndpoint!.AbsoluteUri);

        var sovereign = StorageConnectionString.Parse($"AccountName=x;AccountKey={Key};EndpointSuffix=core.chinacloudapi.cn;DefaultEndpointsProtocol=http");
        Assert.Equal("http://x.table.core.chinacloudapi.cn/", sovereign.TableEndpoint!.AbsoluteUri);
    }

    [Fact]
    public void ExplicitEndpoints_Win_AndSettingNamesAreCaseInsensitive()
    {
        var cs = StorageConnectionString.Parse(
            $"defaultendpointsprotocol=http;accountname=devstoreaccount1;accountkey={Key};" +
            "BlobEndpoint=http://127.0.0.1:51000/devstoreaccount1;TableEndpoint=http://127.0.0.1:51002/devstoreaccount1/;");
        Assert.Equal("http://127.0.0.1:51000/devstoreaccount1", cs.BlobEndpoint!.AbsoluteUri);
        Assert.Equal("http://127.0.0.1:51002/devstoreaccount1", cs.TableEndpoint!.AbsoluteUri);
        Assert.Equal("http://devstoreaccount1.queue.core.windows.net/", cs.QueueEndpoint!.AbsoluteUri);
    }

    [Fact]
    public void SharedAccessSignature_IsKeptWithoutLeadingQuestionMark()
    {
        var cs = StorageConnectionString.Parse("BlobEndpoint=https://a.blob.core.windows.net;SharedAccessSignature=?sv=2024-11-04&ss=b&sig=abc%2Bdef%3D");
        Assert.Equal("sv=2024-11-04&ss=b&sig=abc%2Bdef%3D", cs.SharedAccessSignature);
        Assert.Null(cs.AccountKey);
        Assert.Null(cs.TableEndpoint);
        Assert.Throws<InvalidOperationException>(() => new Tables.TableClient(
            "BlobEndpoint=https://a.blob.core.windows.net;SharedAccessSignature=sv=1", "t"));
    }

    [Fact]
    public void ForAzurite_RoundTrips()
    {
        var cs = StorageConnectionString.Parse(StorageConnectionString.ForAzurite("127.0.0.1", 1, 2, 3));
        Assert.Equal(("http://127.0.0.1:1/devstoreaccount1", "http://127.0.0.1:2/devstoreaccount1", "http://127.0.0.1:3/devstoreaccount1"),
            (cs.BlobEndpoint!.AbsoluteUri, cs.QueueEndpoint!.AbsoluteUri, cs.TableEndpoint!.AbsoluteUri));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("just some text")]
    [InlineData("AccountName=x;AccountKey=not base64!!")]
    [InlineData("AccountKey=abcd")]
    [InlineData("AcountName=typo;AccountKey=abcd")]
    [InlineData("AccountName=a;AccountName=b")]
    [InlineData("UseDevelopmentStorage=false")]
    [InlineData("UseDevelopmentStorage=true;AccountName=x")]
    [InlineData("BlobEndpoint=/relative/path")]
    [InlineData("DefaultEndpointsProtocol=ftp;AccountName=x")]
    [InlineData("SharedAccessSignature=sv=1")]
    public void Malformed_ThrowsFormatException(string connectionString)
    {
        var ex = Assert.Throws<FormatException>(() => StorageConnectionString.Parse(connectionString));
        Assert.False(string.IsNullOrWhiteSpace(ex.Message));
        Assert.False(StorageConnectionString.TryParse(connectionString, out _));
    }

    [Fact]
    public void ErrorMessages_DoNotLeakTheKey()
    {
        var ex = Assert.Throws<FormatException>(() => StorageConnectionString.Parse($"AccountName=x;AccountKey={Key};Garbage{Key}"));
        Assert.DoesNotContain(Key, ex.Message);
        Assert.DoesNotContain(Key, StorageConnectionString.Parse($"AccountName=x;AccountKey={Key}").ToString());
    }

    [Fact]
    public void ClientUris_JoinRootAndPathStyleEndpointsWithoutDoubleSlashes()
    {
        string azure = $"AccountName=movierecs;AccountKey={Key}";
        Assert.Equal("https://movierecs.table.core.windows.net/ratings", new Tables.TableClient(azure, "ratings").Uri.AbsoluteUri);
        Assert.Equal("https://movierecs.queue.core.windows.net/train", new Queues.QueueClient(azure, "train").Uri.AbsoluteUri);
        Assert.Equal("https://movierecs.blob.core.windows.net/models/a%20b/m.bin",
            new Blobs.BlobContainerClient(azure, "models").GetBlobClient("a b/m.bin").Uri.AbsoluteUri);

        string azurite = StorageConnectionString.ForAzurite("127.0.0.1", 1, 2, 3);
        Assert.Equal("http://127.0.0.1:3/devstoreaccount1/ratings", new Tables.TableClient(azurite, "ratings").Uri.AbsoluteUri);
        Assert.Equal("http://127.0.0.1:1/devstoreaccount1/models", new Blobs.BlobContainerClient(azurite, "models").Uri.AbsoluteUri);
    }
}
