using Azure;

namespace MovieRecs.Storage.Blobs;

public enum BlobType { Block, Page, Append }

public enum PublicAccessType { None, BlobContainer, Blob }

public enum DeleteSnapshotsOption { None, IncludeSnapshots, OnlySnapshots }

/// <summary>Extra data to include when listing blobs.</summary>
[Flags]
public enum BlobTraits { None = 0, Metadata = 2 }

/// <summary>Which blobs to list besides the current ones (only None is supported).</summary>
[Flags]
public enum BlobStates { None = 0 }

/// <summary>Conditions the service checks before acting (412 / 304 when they do not hold).</summary>
public class BlobRequestConditions
{
    /// <summary>Act only if the blob's ETag is this one (optimistic concurrency).</summary>
    public ETag? IfMatch { get; set; }

    /// <summary>Act only if the blob's ETag is not this one; <see cref="ETag.All"/> = only if the blob does not exist.</summary>
    public ETag? IfNoneMatch { get; set; }

    public DateTimeOffset? IfModifiedSince { get; set; }
    public DateTimeOffset? IfUnmodifiedSince { get; set; }
}

public sealed class AppendBlobRequestConditions : BlobRequestConditions
{
    /// <summary>Append only if the blob's current length is this (detects a concurrent appender).</summary>
    public long? IfAppendPositionEqual { get; set; }

    /// <summary>Append only if the blob would not grow beyond this many bytes.</summary>
    public long? IfMaxSizeLessThanOrEqual { get; set; }
}

public sealed class BlobHttpHeaders
{
    public string? ContentType { get; set; }
    public string? ContentEncoding { get; set; }
    public string? ContentLanguage { get; set; }
    public string? ContentDisposition { get; set; }
    public string? CacheControl { get; set; }
}

/// <summary>How uploads are split. Content up to <see cref="InitialTransferSize"/> goes in one Put Blob; larger content as blocks of <see cref="MaximumTransferSize"/>.</summary>
public struct StorageTransferOptions
{
    /// <summary>Largest upload sent as a single request (default 256 MiB).</summary>
    public long? InitialTransferSize { get; set; }

    /// <summary>Block size for staged uploads (default 8 MiB; each block is buffered in memory once).</summary>
    public long? MaximumTransferSize { get; set; }

    /// <summary>Accepted for SDK compatibility; blocks are uploaded one at a time.</summary>
    public int? MaximumConcurrency { get; set; }
}

public sealed class BlobUploadOptions
{
    public BlobHttpHeaders? HttpHeaders { get; set; }
    public IDictionary<string, string>? Metadata { get; set; }
    public BlobRequestConditions? Conditions { get; set; }
    public StorageTransferOptions TransferOptions { get; set; }
}

public sealed class BlobDownloadOptions
{
    public HttpRange Range { get; set; }
    public BlobRequestConditions? Conditions { get; set; }
}

public sealed class AppendBlobCreateOptions
{
    public BlobHttpHeaders? HttpHeaders { get; set; }
    public IDictionary<string, string>? Metadata { get; set; }
    public BlobRequestConditions? Conditions { get; set; }
}

public sealed class AppendBlobAppendBlockOptions
{
    public AppendBlobRequestConditions? Conditions { get; set; }
}

public sealed class BlobContainerInfo
{
    public ETag ETag { get; init; }
    public DateTimeOffset LastModified { get; init; }
}

public sealed class BlobContentInfo
{
    public ETag ETag { get; init; }
    public DateTimeOffset LastModified { get; init; }
    public byte[]? ContentHash { get; init; }
}

public sealed class BlobAppendInfo
{
    public ETag ETag { get; init; }
    public DateTimeOffset LastModified { get; init; }

    /// <summary>Offset at which this block was appended (as the SDK, a string).</summary>
    public string BlobAppendOffset { get; init; } = "";

    public int BlobCommittedBlockCount { get; init; }
}

public sealed class BlobDownloadDetails
{
    public BlobType BlobType { get; init; }
    public long ContentLength { get; init; }
    public string? ContentType { get; init; }
    public string? ContentEncoding { get; init; }
    public string? ContentRange { get; init; }
    public ETag ETag { get; init; }
    public DateTimeOffset LastModified { get; init; }
    public IDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
}

public sealed class BlobDownloadResult
{
    public required BinaryData Content { get; init; }
    public required BlobDownloadDetails Details { get; init; }
}

/// <summary>A download whose body is read from the network as you read <see cref="Content"/>. Dispose it.</summary>
public sealed class BlobDownloadStreamingResult : IDisposable
{
    public required Stream Content { get; init; }
    public required BlobDownloadDetails Details { get; init; }

    public void Dispose() => Content.Dispose();
}

public sealed class BlobProperties
{
    public BlobType BlobType { get; init; }
    public long ContentLength { get; init; }
    public string? ContentType { get; init; }
    public string? ContentEncoding { get; init; }
    public ETag ETag { get; init; }
    public DateTimeOffset LastModified { get; init; }
    public DateTimeOffset CreatedOn { get; init; }
    public IDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Append blobs: number of blocks appended so far.</summary>
    public int BlobCommittedBlockCount { get; init; }
}

public sealed class BlobItem
{
    public required string Name { get; init; }
    public required BlobItemProperties Properties { get; init; }
    public IDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
}

public sealed class BlobItemProperties
{
    public long? ContentLength { get; init; }
    public string? ContentType { get; init; }
    public ETag? ETag { get; init; }
    public DateTimeOffset? LastModified { get; init; }
    public DateTimeOffset? CreatedOn { get; init; }
    public BlobType? BlobType { get; init; }
}
