using System.Globalization;
using System.Xml.Linq;
using Azure;
using Azure.Core;
using MovieRecs.Storage.Internal;

namespace MovieRecs.Storage.Blobs;

/// <summary>The account's blob service; hands out container clients sharing its pipeline.</summary>
public class BlobServiceClient
{
    private readonly StorageRestClient _rest;

    public BlobServiceClient(string connectionString, BlobClientOptions? options = null)
    {
        options ??= new BlobClientOptions();
        _rest = new StorageRestClient(connectionString, StorageService.Blob, options, options.ServiceVersion);
    }

    /// <summary>For mocking.</summary>
    protected BlobServiceClient() => _rest = null!;

    public virtual string AccountName => _rest.AccountName;

    public virtual Uri Uri => _rest.Endpoint;

    public virtual BlobContainerClient GetBlobContainerClient(string blobContainerName) => new(_rest, blobContainerName);
}

/// <summary>One blob container, shaped like Azure.Storage.Blobs.BlobContainerClient.</summary>
public class BlobContainerClient
{
    private readonly StorageRestClient _rest;

    public BlobContainerClient(string connectionString, string blobContainerName, BlobClientOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(blobContainerName);
        options ??= new BlobClientOptions();
        _rest = new StorageRestClient(connectionString, StorageService.Blob, options, options.ServiceVersion);
        Name = blobContainerName;
    }

    internal BlobContainerClient(StorageRestClient rest, string blobContainerName)
    {
        ArgumentException.ThrowIfNullOrEmpty(blobContainerName);
        _rest = rest;
        Name = blobContainerName;
    }

    /// <summary>For mocking.</summary>
    protected BlobContainerClient()
    {
        _rest = null!;
        Name = null!;
    }

    public virtual string Name { get; }

    public virtual string AccountName => _rest.AccountName;

    public virtual Uri Uri => _rest.UriFor(ContainerPath);

    private string ContainerPath => "/" + Uri.EscapeDataString(Name);

    public virtual BlobClient GetBlobClient(string blobName) => new(_rest, Name, blobName);

    /// <summary>An append blob in this container (the SDK has this as an extension method in .Specialized).</summary>
    public virtual AppendBlobClient GetAppendBlobClient(string blobName) => new(_rest, Name, blobName);

    public virtual async Task<Response<BlobContainerInfo>> CreateAsync(PublicAccessType publicAccessType = PublicAccessType.None, IDictionary<string, string>? metadata = null, CancellationToken cancellationToken = default)
    {
        Response response = await SendCreateAsync(publicAccessType, metadata, cancellationToken).ConfigureAwait(false);
        StorageRestClient.EnsureStatus(response, 201);
        return Response.FromValue(ContainerInfo(response), response);
    }

    /// <summary>Creates the container. As in the SDK, returns null (not an error) when it already exists.</summary>
    public virtual async Task<Response<BlobContainerInfo>> CreateIfNotExistsAsync(PublicAccessType publicAccessType = PublicAccessType.None, IDictionary<string, string>? metadata = null, CancellationToken cancellationToken = default)
    {
        Response response = await SendCreateAsync(publicAccessType, metadata, cancellationToken).ConfigureAwait(false);
        if (response.Status == 409 && StorageRestClient.GetErrorCode(response) == "ContainerAlreadyExists") return null!;
        StorageRestClient.EnsureStatus(response, 201);
        return Response.FromValue(ContainerInfo(response), response);
    }

    private async Task<Response> SendCreateAsync(PublicAccessType access, IDictionary<string, string>? metadata, CancellationToken cancellationToken)
    {
        using HttpMessage message = _rest.CreateMessage(RequestMethod.Put, ContainerPath);
        message.Request.Uri.AppendQuery("restype", "container");
        if (access != PublicAccessType.None)
            message.Request.Headers.SetValue("x-ms-blob-public-access", access == PublicAccessType.Blob ? "blob" : "container");
        BlobBaseClient.SetMetadata(message.Request, metadata);
        return await _rest.SendAsync(message, cancellationToken).ConfigureAwait(false);
    }

    public virtual async Task<Response> DeleteAsync(CancellationToken cancellationToken = default)
    {
        Response response = await SendDeleteAsync(cancellationToken).ConfigureAwait(false);
        StorageRestClient.EnsureStatus(response, 202);
        return response;
    }

    public virtual async Task<Response<bool>> DeleteIfExistsAsync(CancellationToken cancellationToken = default)
    {
        Response response = await SendDeleteAsync(cancellationToken).ConfigureAwait(false);
        if (response.Status == 404) return Response.FromValue(false, response);
        StorageRestClient.EnsureStatus(response, 202);
        return Response.FromValue(true, response);
    }

    private async Task<Response> SendDeleteAsync(CancellationToken cancellationToken)
    {
        using HttpMessage message = _rest.CreateMessage(RequestMethod.Delete, ContainerPath);
        message.Request.Uri.AppendQuery("restype", "container");
        return await _rest.SendAsync(message, cancellationToken).ConfigureAwait(false);
    }

    public virtual async Task<Response<bool>> ExistsAsync(CancellationToken cancellationToken = default)
    {
        using HttpMessage message = _rest.CreateMessage(RequestMethod.Head, ContainerPath);
        message.Request.Uri.AppendQuery("restype", "container");
        Response response = await _rest.SendAsync(message, cancellationToken).ConfigureAwait(false);
        if (response.Status == 404) return Response.FromValue(false, response);
        StorageRestClient.EnsureStatus(response, 200);
        return Response.FromValue(true, response);
    }

    /// <summary>
    /// Lists blobs (flat), optionally under <paramref name="prefix"/>, in name order. Pages hold up to 5,000
    /// blobs; pass a pageSizeHint to AsPages for smaller pages.
    /// </summary>
    public virtual AsyncPageable<BlobItem> GetBlobsAsync(BlobTraits traits = BlobTraits.None, BlobStates states = BlobStates.None, string? prefix = null, CancellationToken cancellationToken = default) =>
        new StoragePageable<BlobItem>((marker, pageSize, ct) => ListPageAsync(traits, prefix, marker, pageSize, ct), null, cancellationToken);

    private async Task<Page<BlobItem>> ListPageAsync(BlobTraits traits, string? prefix, string? marker, int? pageSize, CancellationToken cancellationToken)
    {
        using HttpMessage message = _rest.CreateMessage(RequestMethod.Get, ContainerPath);
        RequestUriBuilder uri = message.Request.Uri;
        uri.AppendQuery("restype", "container");
        uri.AppendQuery("comp", "list");
        if (!string.IsNullOrEmpty(prefix)) uri.AppendQuery("prefix", prefix);
        if (!string.IsNullOrEmpty(marker)) uri.AppendQuery("marker", marker);
        if (pageSize is not null) uri.AppendQuery("maxresults", pageSize.Value.ToString(CultureInfo.InvariantCulture));
        if ((traits & BlobTraits.Metadata) != 0) uri.AppendQuery("include", "metadata");

        Response response = await _rest.SendAsync(message, cancellationToken).ConfigureAwait(false);
        StorageRestClient.EnsureStatus(response, 200);

        XElement root = XDocument.Load(response.Content.ToStream()).Root!;
        var items = new List<BlobItem>();
        foreach (XElement blob in root.Element("Blobs")?.Elements("Blob") ?? [])
        {
            XElement? p = blob.Element("Properties");
            string? Prop(string name) => p?.Element(name)?.Value;
            var metadata = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (XElement m in blob.Element("Metadata")?.Elements() ?? []) metadata[m.Name.LocalName] = m.Value;
            items.Add(new BlobItem
            {
                Name = blob.Element("Name")?.Value ?? "",
                Metadata = metadata,
                Properties = new BlobItemProperties
                {
                    ContentLength = long.TryParse(Prop("Content-Length"), NumberStyles.None, CultureInfo.InvariantCulture, out long len) ? len : null,
                    ContentType = Prop("Content-Type"),
                    ETag = Prop("Etag") is { } etag ? BlobBaseClient.QuotedETag(etag) : null,
                    LastModified = HeaderValues.ParseHttpDate(Prop("Last-Modified")),
                    CreatedOn = HeaderValues.ParseHttpDate(Prop("Creation-Time")),
                    BlobType = BlobBaseClient.ParseBlobType(Prop("BlobType")),
                },
            });
        }
        string? next = root.Element("NextMarker")?.Value;
        return Page<BlobItem>.FromValues(items, string.IsNullOrEmpty(next) ? null : next, response);
    }

    private static BlobContainerInfo ContainerInfo(Response response) => new()
    {
        ETag = BlobBaseClient.ETagHeader(response),
        LastModified = BlobBaseClient.LastModifiedHeader(response),
    };
}
