namespace MovieRecs.Storage.Blobs;

public sealed class BlobClientOptions : StorageClientOptions
{
    public BlobClientOptions()
    {
        Retry.NetworkTimeout = TimeSpan.FromSeconds(100); // single Put Blob requests can carry up to 256 MiB
    }

    /// <summary>Blob REST version; Azurite 3.35 accepts up to 2025-11-05.</summary>
    public string ServiceVersion { get; set; } = "2024-11-04";
}
