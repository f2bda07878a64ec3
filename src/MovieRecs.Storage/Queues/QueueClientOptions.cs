namespace MovieRecs.Storage.Queues;

public sealed class QueueClientOptions : StorageClientOptions
{
    /// <summary>Queue REST version; Azurite 3.35 accepts up to 2025-11-05.</summary>
    public string ServiceVersion { get; set; } = "2024-11-04";

    /// <summary>
    /// How message bodies are written to and read from the queue. The Azure Functions queue trigger expects
    /// <see cref="QueueMessageEncoding.Base64"/> by default: producers feeding a Functions queue trigger must use Base64.
    /// </summary>
    public QueueMessageEncoding MessageEncoding { get; set; } = QueueMessageEncoding.None;
}

public enum QueueMessageEncoding
{
    /// <summary>Message text is sent as is (it must be valid XML text).</summary>
    None = 0,

    /// <summary>UTF-8 bytes of the message, base64-encoded (what the Azure Functions queue trigger expects).</summary>
    Base64 = 1,
}
