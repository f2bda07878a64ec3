using System.Globalization;
using Azure;
using Azure.Core;
using MovieRecs.Storage.Internal;

namespace MovieRecs.Storage.Blobs;

/// <summary>Operations every blob type has: download, properties, exists, delete (as Azure.Storage.Blobs.Specialized.BlobBaseClient).</summary>
public class BlobBaseClient
{
    private protected readonly StorageRestClient Rest;

    public BlobBaseClient(string connectionString, string blobContainerName, string blobName, BlobClientOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(blobContainerName);
        ArgumentException.ThrowIfNullOrEmpty(blobName);
        options ??= new BlobClientOptions();
        Rest = new StorageRestClient(connectionString, StorageService.Blob, options, options.ServiceVersion);
        BlobContainerName = blobContainerName;
        Name = blobName;
    }

    internal BlobBaseClient(StorageRestClient rest, string blobContainerName, string blobName)
    {
        ArgumentException.ThrowIfNullOrEmpty(blobName);
        Rest = rest;
        BlobContainerName = blobContainerName;
        Name = blobName;
    }

    /// <summary>For mocking.</summary>
    protected BlobBaseClient()
    {
        Rest = null!;
        BlobContainerName = null!;
        Name = null!;
    }

    public virtual string Name { get; }

    public virtual string BlobContainerName { get; }

    public virtual string AccountName => Rest.AccountName;

    public virtual Uri Uri => Rest.UriFor(BlobPath);

    /// <summary>'/' in blob names stays a path separator; every segment is percent-encoded.</summary>
    private protected string BlobPath =>
        "/" + Uri.EscapeDataString(BlobContainerName) + "/" + string.Join('/', Name.Split('/').Select(Uri.EscapeDataString));

    public virtual Task<Response<BlobDownloadResult>> DownloadContentAsync() => DownloadContentAsync((BlobDownloadOptions?)null, CancellationToken.None);

    public virtual Task<Response<BlobDownloadResult>> DownloadContentAsync(CancellationToken cancellationToken) => DownloadContentAsync((BlobDownloadOptions?)null, cancellationToken);

    public virtual Task<Response<BlobDownloadResult>> DownloadContentAsync(BlobRequestConditions? conditions, CancellationToken cancellationToken = default) =>
        DownloadContentAsync(new BlobDownloadOptions { Conditions = conditions }, cancellationToken);

    /// <summary>Downloads the whole blob (or <see cref="BlobDownloadOptions.Range"/>) into memory. 304 / 412 throw when conditions fail.</summary>
    public virtual async Task<Response<BlobDownloadResult>> DownloadContentAsync(BlobDownloadOptions? options, CancellationToken cancellationToken = default)
    {
        using HttpMessage message = CreateDownloadMessage(options);
        Response response = await Rest.SendAsync(message, cancellationToken).ConfigureAwait(false);
        StorageRestClient.EnsureStatus(response, 200, 206);
        // BinaryData over the response's own buffer: the bytes are held once.
        return Response.FromValue(new BlobDownloadResult { Content = response.Content, Details = DownloadDetails(response) }, response);
    }

    /// <summary>
    /// Downloads with the body left on the network: read <see cref="BlobDownloadStreamingResult.Content"/> and
    /// dispose it. Use for large files (models of hundreds of MB) so they are never buffered whole.
    /// </summary>
    public virtual async Task<Response<BlobDownloadStreamingResult>> DownloadStreamingAsync(BlobDownloadOptions? options = null, CancellationToken cancellationToken = default)
    {
        HttpMessage message = CreateDownloadMessage(options);
        message.BufferResponse = false;
        try
        {
            Response response = await Rest.SendAsync(message, cancellationToken).ConfigureAwait(false);
            StorageRestClient.EnsureStatus(response, 200, 206);
            // Take the stream out of the message so disposing the message does not close it.
            Stream content = message.ExtractResponseContent() ?? Stream.Null;
            return Response.FromValue(new BlobDownloadStreamingResult { Content = content, Details = DownloadDetails(response) }, response);
        }
        finally
        {
            message.Dispose();
        }
    }

    private HttpMessage CreateDownloadMessage(BlobDownloadOptions? options)
    {
        HttpMessage message = Rest.CreateMessage(RequestMethod.Get, BlobPath);
        if (options is not null)
        {
            if (options.Range != default) message.Request.Headers.SetValue("x-ms-range", options.Range.ToString());
            ApplyConditions(message.Request, options.Conditions);
        }
        return message;
    }

    public virtual async Task<Response<BlobProperties>> GetPropertiesAsync(BlobRequestConditions? conditions = null, CancellationToken cancellationToken = default)
    {
        using HttpMessage message = Rest.CreateMessage(RequestMethod.Head, BlobPath);
        ApplyConditions(message.Request, conditions);
        Response response = await Rest.SendAsync(message, cancellationToken).ConfigureAwait(false);
        StorageRestClient.EnsureStatus(response, 200);
        response.Headers.TryGetValue("x-ms-blob-committed-block-count", out string? blocks);
        return Response.FromValue(new BlobProperties
        {
            BlobType = ParseBlobType(Header(response, "x-ms-blob-type")) ?? BlobType.Block,
            ContentLength = response.Headers.ContentLength ?? 0,
            ContentType = Header(response, "Content-Type"),
            ContentEncoding = Header(response, "Content-Encoding"),
            ETag = ETagHeader(response),
            LastModified = LastModifiedHeader(response),
            CreatedOn = HeaderValues.ParseHttpDate(Header(response, "x-ms-creation-time")) ?? default,
            Metadata = ReadMetadata(response),
            BlobCommittedBlockCount = int.TryParse(blocks, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : 0,
        }, response);
    }

    public virtual async Task<Response<bool>> ExistsAsync(CancellationToken cancellationToken = default)
    {
        using HttpMessage message = Rest.CreateMessage(RequestMethod.Head, BlobPath);
        Response response = await Rest.SendAsync(message, cancellationToken).ConfigureAwait(false);
        if (response.Status == 404) return Response.FromValue(false, response);
        StorageRestClient.EnsureStatus(response, 200);
        return Response.FromValue(true, response);
    }

    public virtual async Task<Response> DeleteAsync(DeleteSnapshotsOption snapshotsOption = DeleteSnapshotsOption.None, BlobRequestConditions? conditions = null, CancellationToken cancellationToken = default)
    {
        Response response = await SendDeleteAsync(snapshotsOption, conditions, cancellationToken).ConfigureAwait(false);
        StorageRestClient.EnsureStatus(response, 202);
        return response;
    }

    /// <summary>Deletes the blob; false when it (or its container) does not exist.</summary>
    public virtual async Task<Response<bool>> DeleteIfExistsAsync(DeleteSnapshotsOption snapshotsOption = DeleteSnapshotsOption.None, BlobRequestConditions? conditions = null, CancellationToken cancellationToken = default)
    {
        Response response = await SendDeleteAsync(snapshotsOption, conditions, cancellationToken).ConfigureAwait(false);
        if (response.Status == 404) return Response.FromValue(false, response);
        StorageRestClient.EnsureStatus(response, 202);
        return Response.FromValue(true, response);
    }

    private async Task<Response> SendDeleteAsync(DeleteSnapshotsOption snapshots, BlobRequestConditions? conditions, CancellationToken cancellationToken)
    {
        using HttpMessage message = Rest.CreateMessage(RequestMethod.Delete, BlobPath);
        if (snapshots != DeleteSnapshotsOption.None)
            message.Request.Headers.SetValue("x-ms-delete-snapshots", snapshots == DeleteSnapshotsOption.OnlySnapshots ? "only" : "include");
        ApplyConditions(message.Request, conditions);
        return await Rest.SendAsync(message, cancellationToken).ConfigureAwait(false);
    }

    internal static void ApplyConditions(Request request, BlobRequestConditions? conditions)
    {
        if (conditions is null) return;
        if (conditions.IfMatch is { } ifMatch) request.Headers.SetValue("If-Match", HeaderValues.ToHeader(ifMatch));
        if (conditions.IfNoneMatch is { } ifNoneMatch) request.Headers.SetValue("If-None-Match", HeaderValues.ToHeader(ifNoneMatch));
        if (conditions.IfModifiedSince is { } since) request.Headers.SetValue("If-Modified-Since", HeaderValues.ToHttpDate(since));
        if (conditions.IfUnmodifiedSince is { } unmodified) request.Headers.SetValue("If-Unmodified-Since", HeaderValues.ToHttpDate(unmodified));
        if (conditions is AppendBlobRequestConditions append)
        {
            if (append.IfAppendPositionEqual is { } pos)
                request.Headers.SetValue("x-ms-blob-condition-appendpos", pos.ToString(CultureInfo.InvariantCulture));
            if (append.IfMaxSizeLessThanOrEqual is { } max)
                request.Headers.SetValue("x-ms-blob-condition-maxsize", max.ToString(CultureInfo.InvariantCulture));
        }
    }

    internal static void ApplyHttpHeaders(Request request, BlobHttpHeaders? headers)
    {
        if (headers is null) return;
        if (headers.ContentType is not null) request.Headers.SetValue("x-ms-blob-content-type", headers.ContentType);
        if (headers.ContentEncoding is not null) request.Headers.SetValue("x-ms-blob-content-encoding", headers.ContentEncoding);
        if (headers.ContentLanguage is not null) request.Headers.SetValue("x-ms-blob-content-language", headers.ContentLanguage);
        if (headers.ContentDisposition is not null) request.Headers.SetValue("x-ms-blob-content-disposition", headers.ContentDisposition);
        if (headers.CacheControl is not null) request.Headers.SetValue("x-ms-blob-cache-control", headers.CacheControl);
    }

    internal static void SetMetadata(Request request, IDictionary<string, string>? metadata)
    {
        if (metadata is null) return;
        foreach ((string key, string value) in metadata) request.Headers.SetValue("x-ms-meta-" + key, value);
    }

    private static BlobDownloadDetails DownloadDetails(Response response) => new()
    {
        BlobType = ParseBlobType(Header(response, "x-ms-blob-type")) ?? BlobType.Block,
        ContentLength = response.Headers.ContentLength ?? 0,
        ContentType = Header(response, "Content-Type"),
        ContentEncoding = Header(response, "Content-Encoding"),
        ContentRange = Header(response, "Content-Range"),
        ETag = ETagHeader(response),
        LastModified = LastModifiedHeader(response),
        Metadata = ReadMetadata(response),
    };

    private static Dictionary<string, string> ReadMetadata(Response response)
    {
        var metadata = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (HttpHeader header in response.Headers)
        {
            if (header.Name.StartsWith("x-ms-meta-", StringComparison.OrdinalIgnoreCase))
                metadata[header.Name["x-ms-meta-".Length..]] = header.Value;
        }
        return metadata;
    }

    private static string? Header(Response response, string name) => response.Headers.TryGetValue(name, out string? v) ? v : null;

    // Blob ETags are kept in their quoted header form everywhere (headers have quotes, list XML does not),
    // so an ETag from a listing equals the one from GetProperties and can be sent back as If-Match.
    internal static ETag QuotedETag(string value) => new(value.StartsWith('"') ? value : "\"" + value + "\"");

    internal static ETag ETagHeader(Response response) =>
        response.Headers.TryGetValue("ETag", out string? etag) ? QuotedETag(etag) : default;

    internal static DateTimeOffset LastModifiedHeader(Response response) =>
        HeaderValues.ParseHttpDate(Header(response, "Last-Modified")) ?? default;

    internal static BlobType? ParseBlobType(string? value) => value switch
    {
        "BlockBlob" => BlobType.Block,
        "AppendBlob" => BlobType.Append,
        "PageBlob" => BlobType.Page,
        _ => null,
    };

    internal static BlobContentInfo ContentInfo(Response response) => new()
    {
        ETag = ETagHeader(response),
        LastModified = LastModifiedHeader(response),
        ContentHash = response.Headers.TryGetValue("Content-MD5", out string? md5) ? Convert.FromBase64String(md5) : null,
    };
}
