using System.Security.Cryptography;
using System.Text;
using Azure;
using MovieRecs.Storage.Blobs;

namespace MovieRecs.Storage.Tests;

[Collection(AzuriteCollection.Name)]
public sealed class BlobClientTests
{
    private readonly AzuriteFixture _azurite;

    public BlobClientTests(AzuriteFixture azurite) => _azurite = azurite;

    private async Task<BlobContainerClient> NewContainerAsync()
    {
        var container = new BlobContainerClient(_azurite.ConnectionString, AzuriteFixture.UniqueName("c"));
        await container.CreateIfNotExistsAsync();
        return container;
    }

    [Fact]
    public async Task Container_CreateIfNotExists_Exists_DeleteIfExists()
    {
        var container = new BlobServiceClient(_azurite.ConnectionString).GetBlobContainerClient(AzuriteFixture.UniqueName("c"));
        Assert.False((await container.ExistsAsync()).Value);
        Response<BlobContainerInfo> created = await container.CreateIfNotExistsAsync();
        Assert.NotNull(created);
        Assert.NotEqual(default, created.Value.ETag);
        Assert.Null(await container.CreateIfNotExistsAsync()); // already there: null, as the SDK
        Assert.True((await container.ExistsAsync()).Value);
        Assert.True((await container.DeleteIfExistsAsync()).Value);
        Assert.False((await container.DeleteIfExistsAsync()).Value);
    }

    [Fact]
    public async Task Upload_IfNoneMatchAll_CreatesOnlyOnce()
    {
        BlobContainerClient container = await NewContainerAsync();
        BlobClient blob = container.GetBlobClient("models/active.json");
        var createOnly = new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } };

        Response<BlobContentInfo> first = await blob.UploadAsync(BinaryData.FromString("{\"v\":1}"), createOnly);
        Assert.NotEqual(default, first.Value.ETag);

        var second = await Assert.ThrowsAsync<RequestFailedException>(() => blob.UploadAsync(BinaryData.FromString("{\"v\":2}"), createOnly));
        Assert.True(second.Status is 409 or 412, $"status {second.Status}");
        Assert.True(second.ErrorCode is "BlobAlreadyExists" or "ConditionNotMet", second.ErrorCode);

        // The convenience overload without overwrite behaves the same; with overwrite it replaces.
        await Assert.ThrowsAsync<RequestFailedException>(() => blob.UploadAsync(BinaryData.FromString("x")));
        await blob.UploadAsync(BinaryData.FromString("{\"v\":3}"), overwrite: true);
        Assert.Equal("{\"v\":3}", (await blob.DownloadContentAsync()).Value.Content.ToString());
    }

    [Fact]
    public async Task Upload_WithStaleIfMatch_Fails412_WithCurrentIfMatch_Succeeds()
    {
        BlobContainerClient container = await NewContainerAsync();
        BlobClient pointer = container.GetBlobClient("active-model");
        ETag v1 = (await pointer.UploadAsync(BinaryData.FromString("model-1"))).Value.ETag;

        ETag v2 = (await pointer.UploadAsync(BinaryData.FromString("model-2"), new BlobUploadOptions
        {
            Conditions = new BlobRequestConditions { IfMatch = v1 },
        })).Value.ETag;
        Assert.NotEqual(v1, v2);

        var stale = await Assert.ThrowsAsync<RequestFailedException>(() => pointer.UploadAsync(BinaryData.FromString("model-3"), new BlobUploadOptions
        {
            Conditions = new BlobRequestConditions { IfMatch = v1 },
        }));
        Assert.Equal(412, stale.Status);
        Assert.Equal("ConditionNotMet", stale.ErrorCode);
        Assert.Equal("model-2", (await pointer.DownloadContentAsync()).Value.Content.ToString());
    }

    [Fact]
    public async Task Download_AndProperties_CarryETagTypeAndMetadata()
    {
        BlobContainerClient container = await NewContainerAsync();
        BlobClient blob = container.GetBlobClient("runs/2024 run ü/manifest.json");
        byte[] bytes = Encoding.UTF8.GetBytes("{\"rmse\":0.87}");
        Response<BlobContentInfo> uploaded = await blob.UploadAsync(new BinaryData(bytes), new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
            Metadata = new Dictionary<string, string> { ["runid"] = "abc123" },
        });

        BlobDownloadResult download = (await blob.DownloadContentAsync()).Value;
        Assert.Equal(bytes, download.Content.ToArray());
        Assert.Equal(uploaded.Value.ETag, download.Details.ETag);
        Assert.Equal("application/json", download.Details.ContentType);
        Assert.Equal("abc123", download.Details.Metadata["runid"]);

        BlobProperties props = (await blob.GetPropertiesAsync()).Value;
        Assert.Equal(bytes.Length, props.ContentLength);
        Assert.Equal(uploaded.Value.ETag, props.ETag);
        Assert.Equal("application/json", props.ContentType);
        Assert.Equal("abc123", props.Metadata["runid"]);
        Assert.Equal(BlobType.Block, props.BlobType);

        // "Has it changed?" check: If-None-Match with the current ETag answers 304.
        var notModified = await Assert.ThrowsAsync<RequestFailedException>(() =>
            blob.DownloadContentAsync(new BlobRequestConditions { IfNoneMatch = props.ETag }));
        Assert.Equal(304, notModified.Status);

        BlobDownloadResult range = (await blob.DownloadContentAsync(new BlobDownloadOptions { Range = new HttpRange(2, 4) })).Value;
        Assert.Equal(bytes[2..6], range.Content.ToArray());

        Assert.True((await blob.ExistsAsync()).Value);
        Assert.True((await blob.DeleteIfExistsAsync()).Value);
        Assert.False((await blob.ExistsAsync()).Value);
        Assert.False((await blob.DeleteIfExistsAsync()).Value);
        var missing = await Assert.ThrowsAsync<RequestFailedException>(() => blob.DownloadContentAsync());
        Assert.Equal(404, missing.Status);
        Assert.Equal("BlobNotFound", missing.ErrorCode);
        var missingProps = await Assert.ThrowsAsync<RequestFailedException>(() => blob.GetPropertiesAsync());
        Assert.Equal(404, missingProps.Status);
        Assert.Equal("BlobNotFound", missingProps.ErrorCode); // from x-ms-error-code: HEAD has no body
    }

    [Fact]
    public async Task GetBlobs_ByPrefix_FollowsMarkersAcrossPages()
    {
        BlobContainerClient container = await NewContainerAsync();
        for (int i = 0; i < 7; i++) await container.GetBlobClient($"models/{i:D2}/model.bin").UploadAsync(new BinaryData(new byte[i + 1]));
        await container.GetBlobClient("other/a").UploadAsync(BinaryData.FromString("a"));
        await container.GetBlobClient("modelsx").UploadAsync(BinaryData.FromString("b"));

        var pageSizes = new List<int>();
        var names = new List<string>();
        await foreach (Page<BlobItem> page in container.GetBlobsAsync(prefix: "models/").AsPages(pageSizeHint: 3))
        {
            pageSizes.Add(page.Values.Count);
            names.AddRange(page.Values.Select(b => b.Name));
        }
        Assert.Equal([3, 3, 1], pageSizes);
        Assert.Equal(Enumerable.Range(0, 7).Select(i => $"models/{i:D2}/model.bin"), names);

        var all = new List<BlobItem>();
        await foreach (BlobItem item in container.GetBlobsAsync()) all.Add(item);
        Assert.Equal(9, all.Count);
        BlobItem third = all.Single(b => b.Name == "models/02/model.bin");
        Assert.Equal(3, third.Properties.ContentLength);
        Assert.Equal((await container.GetBlobClient(third.Name).GetPropertiesAsync()).Value.ETag, third.Properties.ETag);
        Assert.NotNull(third.Properties.LastModified);
    }

    [Fact]
    public async Task AppendBlob_CreateAppendAndRead_WithAppendPositionCondition()
    {
        BlobContainerClient container = await NewContainerAsync();
        AppendBlobClient log = container.GetAppendBlobClient("ratings/log.csv");

        Assert.NotNull(await log.CreateIfNotExistsAsync());
        Assert.Null(await log.CreateIfNotExistsAsync());

        BlobAppendInfo a = (await log.AppendBlockAsync(BinaryData.FromString("1,10,4.5\n"), new AppendBlobAppendBlockOptions
        {
            Conditions = new AppendBlobRequestConditions { IfAppendPositionEqual = 0 },
        })).Value;
        Assert.Equal("0", a.BlobAppendOffset);

        using var second = new MemoryStream(Encoding.UTF8.GetBytes("2,20,3.0\n"));
        BlobAppendInfo b = (await log.AppendBlockAsync(second, new AppendBlobAppendBlockOptions
        {
            Conditions = new AppendBlobRequestConditions { IfAppendPositionEqual = 9 },
        })).Value;
        Assert.Equal("9", b.BlobAppendOffset);
        Assert.Equal(2, b.BlobCommittedBlockCount);

        // A writer with an outdated view of the length is refused.
        var raced = await Assert.ThrowsAsync<RequestFailedException>(() => log.AppendBlockAsync(BinaryData.FromString("x\n"), new AppendBlobAppendBlockOptions
        {
            Conditions = new AppendBlobRequestConditions { IfAppendPositionEqual = 9 },
        }));
        Assert.Equal(412, raced.Status);

        Assert.Equal("1,10,4.5\n2,20,3.0\n", (await log.DownloadContentAsync()).Value.Content.ToString());
        BlobProperties props = (await log.GetPropertiesAsync()).Value;
        Assert.Equal(BlobType.Append, props.BlobType);
        Assert.Equal(18, props.ContentLength);
        Assert.Equal(2, props.BlobCommittedBlockCount);

        // Read the tail only (what a log follower does).
        Assert.Equal("2,20,3.0\n", (await log.DownloadContentAsync(new BlobDownloadOptions { Range = new HttpRange(9) })).Value.Content.ToString());
    }

    [Fact]
    public async Task LargeUpload_IsStagedAsBlocks_AndStreamsBackIdentically()
    {
        BlobContainerClient container = await NewContainerAsync();
        BlobClient blob = container.GetBlobClient("models/big.bin");
        byte[] data = RandomNumberGenerator.GetBytes(5 * 1024 * 1024 + 123);

        // Small transfer sizes force the Put Block / Put Block List path with 6 blocks.
        var options = new BlobUploadOptions
        {
            TransferOptions = new StorageTransferOptions { InitialTransferSize = 1024 * 1024, MaximumTransferSize = 1024 * 1024 },
            HttpHeaders = new BlobHttpHeaders { ContentType = "application/octet-stream" },
            Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
        };
        await using (var source = new NonSeekableStream(data))
            await blob.UploadAsync(source, options);

        BlobDownloadStreamingResult streamed = (await blob.DownloadStreamingAsync()).Value;
        using (streamed)
        {
            Assert.Equal(data.Length, streamed.Details.ContentLength);
            using var sha = SHA256.Create();
            byte[] hash = await sha.ComputeHashAsync(streamed.Content);
            Assert.Equal(SHA256.HashData(data), hash);
        }

        // The create-only condition applies to the commit of a staged upload too.
        await using (var again = new MemoryStream(data))
        {
            var ex = await Assert.ThrowsAsync<RequestFailedException>(() => blob.UploadAsync(again, options));
            Assert.True(ex.Status is 409 or 412);
        }

        // A seekable stream under the threshold goes in one request.
        await using (var small = new MemoryStream(data, 0, 1000))
            await container.GetBlobClient("small.bin").UploadAsync(small, overwrite: true);
        Assert.Equal(data[..1000], (await container.GetBlobClient("small.bin").DownloadContentAsync()).Value.Content.ToArray());
    }

    /// <summary>A stream that cannot seek (like a network or compression stream).</summary>
    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    }
}
