using System.Buffers;
using System.Security;
using System.Text;
using Azure;
using Azure.Core;
using MovieRecs.Storage.Internal;

namespace MovieRecs.Storage.Blobs;

/// <summary>A block blob (as Azure.Storage.Blobs.BlobClient): upload whole content, download, properties.</summary>
public class BlobClient : BlobBaseClient
{
    private const long DefaultInitialTransferSize = 256L * 1024 * 1024;
    private const long DefaultBlockSize = 8L * 1024 * 1024;
    private const long MaxBlockSize = 100L * 1024 * 1024; // we buffer one block in memory

    public BlobClient(string connectionString, string blobContainerName, string blobName, BlobClientOptions? options = null)
        : base(connectionString, blobContainerName, blobName, options)
    {
    }

    internal BlobClient(StorageRestClient rest, string blobContainerName, string blobName) : base(rest, blobContainerName, blobName)
    {
    }

    /// <summary>For mocking.</summary>
    protected BlobClient()
    {
    }

    /// <summary>Uploads; fails (409 BlobAlreadyExists) if the blob exists, as the SDK's overload without options does.</summary>
    public virtual Task<Response<BlobContentInfo>> UploadAsync(BinaryData content) => UploadAsync(content, overwrite: false, CancellationToken.None);

    public virtual Task<Response<BlobContentInfo>> UploadAsync(BinaryData content, CancellationToken cancellationToken) => UploadAsync(content, overwrite: false, cancellationToken);

    /// <summary><paramref name="overwrite"/> false sends If-None-Match: * (create only).</summary>
    public virtual Task<Response<BlobContentInfo>> UploadAsync(BinaryData content, bool overwrite = false, CancellationToken cancellationToken = default) =>
        UploadAsync(content, OverwriteOptions(overwrite), cancellationToken);

    public virtual Task<Response<BlobContentInfo>> UploadAsync(Stream content) => UploadAsync(content, overwrite: false, CancellationToken.None);

    public virtual Task<Response<BlobContentInfo>> UploadAsync(Stream content, CancellationToken cancellationToken) => UploadAsync(content, overwrite: false, cancellationToken);

    public virtual Task<Response<BlobContentInfo>> UploadAsync(Stream content, bool overwrite = false, CancellationToken cancellationToken = default) =>
        UploadAsync(content, OverwriteOptions(overwrite), cancellationToken);

    public virtual async Task<Response<BlobContentInfo>> UploadAsync(BinaryData content, BlobUploadOptions? options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        long initial = options?.TransferOptions.InitialTransferSize ?? DefaultInitialTransferSize;
        if (content.ToMemory().Length <= initial)
            return await PutBlobAsync(RequestContent.Create(content), options, cancellationToken).ConfigureAwait(false);
        return await UploadAsync(content.ToStream(), options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Uploads a stream: one Put Blob when it fits <see cref="StorageTransferOptions.InitialTransferSize"/> (streamed,
    /// not copied, when the stream can seek); otherwise staged as blocks and committed with Put Block List, so the
    /// upload of a large model needs one block of memory. Conditions apply to the final commit.
    /// </summary>
    public virtual async Task<Response<BlobContentInfo>> UploadAsync(Stream content, BlobUploadOptions? options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        long initial = options?.TransferOptions.InitialTransferSize ?? DefaultInitialTransferSize;
        int blockSize = (int)Math.Clamp(options?.TransferOptions.MaximumTransferSize ?? DefaultBlockSize, 1, MaxBlockSize);

        if (content.CanSeek && content.Length - content.Position <= initial)
            return await PutBlobAsync(RequestContent.Create(content), options, cancellationToken).ConfigureAwait(false);

        byte[] buffer = ArrayPool<byte>.Shared.Rent(blockSize);
        try
        {
            var blockIds = new List<string>();
            // Same length for every id of a blob (a service rule); the random prefix keeps a concurrent upload's blocks apart.
            string prefix = Guid.NewGuid().ToString("N")[..8];
            while (true)
            {
                int read = await ReadBlockAsync(content, buffer, blockSize, cancellationToken).ConfigureAwait(false);
                if (blockIds.Count == 0 && read < blockSize && read <= initial)
                {
                    // A non-seekable stream that turned out small: one request after all.
                    return await PutBlobAsync(RequestContent.Create(buffer.AsMemory(0, read)), options, cancellationToken).ConfigureAwait(false);
                }
                if (read == 0) break;
                string blockId = Convert.ToBase64String(Encoding.ASCII.GetBytes($"{prefix}-{blockIds.Count:D6}"));
                await PutBlockAsync(blockId, buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                blockIds.Add(blockId);
                if (read < blockSize) break;
            }
            return await PutBlockListAsync(blockIds, options, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task<Response<BlobContentInfo>> PutBlobAsync(RequestContent content, BlobUploadOptions? options, CancellationToken cancellationToken)
    {
        using HttpMessage message = Rest.CreateMessage(RequestMethod.Put, BlobPath);
        message.Request.Headers.SetValue("x-ms-blob-type", "BlockBlob");
        ApplyUploadOptions(message.Request, options);
        message.Request.Content = content;
        Response response = await Rest.SendAsync(message, cancellationToken).ConfigureAwait(false);
        StorageRestClient.EnsureStatus(response, 201);
        return Response.FromValue(ContentInfo(response), response);
    }

    private async Task PutBlockAsync(string blockId, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        using HttpMessage message = Rest.CreateMessage(RequestMethod.Put, BlobPath);
        message.Request.Uri.AppendQuery("comp", "block");
        message.Request.Uri.AppendQuery("blockid", blockId);
        message.Request.Content = RequestContent.Create(data);
        Response response = await Rest.SendAsync(message, cancellationToken).ConfigureAwait(false);
        StorageRestClient.EnsureStatus(response, 201);
    }

    private async Task<Response<BlobContentInfo>> PutBlockListAsync(List<string> blockIds, BlobUploadOptions? options, CancellationToken cancellationToken)
    {
        var xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>", 64 + blockIds.Count * 40);
        foreach (string id in blockIds) xml.Append("<Latest>").Append(SecurityElement.Escape(id)).Append("</Latest>");
        xml.Append("</BlockList>");

        using HttpMessage message = Rest.CreateMessage(RequestMethod.Put, BlobPath);
        message.Request.Uri.AppendQuery("comp", "blocklist");
        ApplyUploadOptions(message.Request, options);
        message.Request.Headers.SetValue("Content-Type", "application/xml; charset=utf-8");
        message.Request.Content = RequestContent.Create(Encoding.UTF8.GetBytes(xml.ToString()));
        Response response = await Rest.SendAsync(message, cancellationToken).ConfigureAwait(false);
        StorageRestClient.EnsureStatus(response, 201);
        return Response.FromValue(ContentInfo(response), response);
    }

    private static void ApplyUploadOptions(Request request, BlobUploadOptions? options)
    {
        if (options is null) return;
        ApplyHttpHeaders(request, options.HttpHeaders);
        SetMetadata(request, options.Metadata);
        ApplyConditions(request, options.Conditions);
    }

    private static BlobUploadOptions OverwriteOptions(bool overwrite) =>
        overwrite ? new BlobUploadOptions() : new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } };

    private static async Task<int> ReadBlockAsync(Stream stream, byte[] buffer, int count, CancellationToken cancellationToken)
    {
        int total = 0;
        while (total < count)
        {
            int read = await stream.ReadAsync(buffer.AsMemory(total, count - total), cancellationToken).ConfigureAwait(false);
            if (read == 0) break;
            total += read;
        }
        return total;
    }
}

/// <summary>An append blob (as Azure.Storage.Blobs.Specialized.AppendBlobClient): blocks can only be added at the end.</summary>
public class AppendBlobClient : BlobBaseClient
{
    public AppendBlobClient(string connectionString, string blobContainerName, string blobName, BlobClientOptions? options = null)
        : base(connectionString, blobContainerName, blobName, options)
    {
    }

    internal AppendBlobClient(StorageRestClient rest, string blobContainerName, string blobName) : base(rest, blobContainerName, blobName)
    {
    }

    /// <summary>For mocking.</summary>
    protected AppendBlobClient()
    {
    }

    /// <summary>Largest block one append may carry (4 MiB, the limit every service version accepts).</summary>
    public virtual int AppendBlobMaxAppendBlockBytes => 4 * 1024 * 1024;

    /// <summary>Creates an empty append blob, replacing any blob of that name (unless Conditions say otherwise).</summary>
    public virtual async Task<Response<BlobContentInfo>> CreateAsync(AppendBlobCreateOptions? options = null, CancellationToken cancellationToken = default)
    {
        Response response = await SendCreateAsync(options?.HttpHeaders, options?.Metadata, options?.Conditions, cancellationToken).ConfigureAwait(false);
        StorageRestClient.EnsureStatus(response, 201);
        return Response.FromValue(ContentInfo(response), response);
    }

    /// <summary>Creates the blob unless it exists. As in the SDK, returns null (not an error) when it already exists.</summary>
    public virtual async Task<Response<BlobContentInfo>> CreateIfNotExistsAsync(AppendBlobCreateOptions? options = null, CancellationToken cancellationToken = default)
    {
        var conditions = new BlobRequestConditions { IfNoneMatch = ETag.All };
        Response response = await SendCreateAsync(options?.HttpHeaders, options?.Metadata, conditions, cancellationToken).ConfigureAwait(false);
        if (response.Status == 409 && StorageRestClient.GetErrorCode(response) == "BlobAlreadyExists") return null!;
        StorageRestClient.EnsureStatus(response, 201);
        return Response.FromValue(ContentInfo(response), response);
    }

    private async Task<Response> SendCreateAsync(BlobHttpHeaders? headers, IDictionary<string, string>? metadata, BlobRequestConditions? conditions, CancellationToken cancellationToken)
    {
        using HttpMessage message = Rest.CreateMessage(RequestMethod.Put, BlobPath);
        message.Request.Headers.SetValue("x-ms-blob-type", "AppendBlob");
        ApplyHttpHeaders(message.Request, headers);
        SetMetadata(message.Request, metadata);
        ApplyConditions(message.Request, conditions);
        message.Request.Content = RequestContent.Create(ReadOnlyMemory<byte>.Empty);
        return await Rest.SendAsync(message, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Appends one block (at most <see cref="AppendBlobMaxAppendBlockBytes"/>). Use
    /// <see cref="AppendBlobRequestConditions.IfAppendPositionEqual"/> to detect concurrent appenders (412).
    /// </summary>
    public virtual async Task<Response<BlobAppendInfo>> AppendBlockAsync(Stream content, AppendBlobAppendBlockOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        return await AppendBlockAsync(RequestContent.Create(content), options, cancellationToken).ConfigureAwait(false);
    }

    public virtual async Task<Response<BlobAppendInfo>> AppendBlockAsync(BinaryData content, AppendBlobAppendBlockOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        return await AppendBlockAsync(RequestContent.Create(content), options, cancellationToken).ConfigureAwait(false);
    }

    private async Task<Response<BlobAppendInfo>> AppendBlockAsync(RequestContent content, AppendBlobAppendBlockOptions? options, CancellationToken cancellationToken)
    {
        using HttpMessage message = Rest.CreateMessage(RequestMethod.Put, BlobPath);
        message.Request.Uri.AppendQuery("comp", "appendblock");
        ApplyConditions(message.Request, options?.Conditions);
        message.Request.Content = content;
        Response response = await Rest.SendAsync(message, cancellationToken).ConfigureAwait(false);
        StorageRestClient.EnsureStatus(response, 201);
        response.Headers.TryGetValue("x-ms-blob-append-offset", out string? offset);
        response.Headers.TryGetValue("x-ms-blob-committed-block-count", out string? count);
        return Response.FromValue(new BlobAppendInfo
        {
            ETag = ETagHeader(response),
            LastModified = LastModifiedHeader(response),
            BlobAppendOffset = offset ?? "",
            BlobCommittedBlockCount = int.TryParse(count, out int n) ? n : 0,
        }, response);
    }
}
