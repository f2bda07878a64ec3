namespace MovieRecs.Storage.Queues;

/// <summary>A received message: hidden from other receivers until <see cref="NextVisibleOn"/>; delete it with its <see cref="PopReceipt"/>.</summary>
public sealed class QueueMessage
{
    public required string MessageId { get; init; }
    public required string PopReceipt { get; init; }
    public required BinaryData Body { get; init; }

    /// <summary>The body as UTF-8 text.</summary>
    public string MessageText => Body.ToString();

    /// <summary>How many times the message has been received, this time included: use it to spot poison messages.</summary>
    public long DequeueCount { get; init; }

    public DateTimeOffset? NextVisibleOn { get; init; }
    public DateTimeOffset? InsertedOn { get; init; }
    public DateTimeOffset? ExpiresOn { get; init; }

    /// <summary>This message with the pop receipt and visibility of an update (as the SDK's QueueMessage.Update).</summary>
    public QueueMessage Update(UpdateReceipt receipt) => new()
    {
        MessageId = MessageId,
        PopReceipt = receipt.PopReceipt,
        Body = Body,
        DequeueCount = DequeueCount,
        NextVisibleOn = receipt.NextVisibleOn,
        InsertedOn = InsertedOn,
        ExpiresOn = ExpiresOn,
    };
}

/// <summary>A message seen by Peek: not dequeued, so no pop receipt.</summary>
public sealed class PeekedMessage
{
    public required string MessageId { get; init; }
    public required BinaryData Body { get; init; }
    public string MessageText => Body.ToString();
    public long DequeueCount { get; init; }
    public DateTimeOffset? InsertedOn { get; init; }
    public DateTimeOffset? ExpiresOn { get; init; }
}

public sealed class SendReceipt
{
    public required string MessageId { get; init; }
    public required string PopReceipt { get; init; }
    public DateTimeOffset InsertionTime { get; init; }
    public DateTimeOffset ExpirationTime { get; init; }
    public DateTimeOffset TimeNextVisible { get; init; }
}

public sealed class UpdateReceipt
{
    public required string PopReceipt { get; init; }
    public DateTimeOffset NextVisibleOn { get; init; }
}

public sealed class QueueProperties
{
    public IDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Approximate: the service counts lazily, and expired/invisible messages may be included.</summary>
    public int ApproximateMessagesCount { get; init; }
}
