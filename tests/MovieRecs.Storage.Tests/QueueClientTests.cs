using Azure;
using MovieRecs.Storage.Queues;

namespace MovieRecs.Storage.Tests;

[Collection(AzuriteCollection.Name)]
public sealed class QueueClientTests
{
    private readonly AzuriteFixture _azurite;

    public QueueClientTests(AzuriteFixture azurite) => _azurite = azurite;

    private async Task<QueueClient> NewQueueAsync(QueueMessageEncoding encoding = QueueMessageEncoding.None, string? name = null)
    {
        var queue = new QueueClient(_azurite.ConnectionString, name ?? AzuriteFixture.UniqueName("q"), new QueueClientOptions { MessageEncoding = encoding });
        await queue.CreateIfNotExistsAsync();
        return queue;
    }

    [Fact]
    public async Task CreateIfNotExists_Exists_DeleteIfExists()
    {
        var queue = new QueueClient(_azurite.ConnectionString, AzuriteFixture.UniqueName("q"));
        Assert.False((await queue.ExistsAsync()).Value);
        Assert.Equal(201, (await queue.CreateIfNotExistsAsync()).Status);
        Assert.Equal(204, (await queue.CreateIfNotExistsAsync()).Status);
        Assert.True((await queue.ExistsAsync()).Value);
        Assert.True((await queue.DeleteIfExistsAsync()).Value);
        Assert.False((await queue.DeleteIfExistsAsync()).Value);
        Assert.False((await queue.ExistsAsync()).Value);

        var ex = await Assert.ThrowsAsync<RequestFailedException>(() => queue.SendMessageAsync("x"));
        Assert.Equal(404, ex.Status);
        Assert.Equal("QueueNotFound", ex.ErrorCode);
    }

    [Fact]
    public async Task ReceivedMessage_IsInvisible_ThenVisibleAgain_WithHigherDequeueCount()
    {
        QueueClient queue = await NewQueueAsync();
        SendReceipt sent = (await queue.SendMessageAsync("train run 42")).Value;
        Assert.False(string.IsNullOrEmpty(sent.MessageId));

        QueueMessage first = Assert.Single((await queue.ReceiveMessagesAsync(maxMessages: 5, visibilityTimeout: TimeSpan.FromSeconds(1))).Value);
        Assert.Equal(sent.MessageId, first.MessageId);
        Assert.Equal("train run 42", first.MessageText);
        Assert.Equal(1, first.DequeueCount);
        Assert.NotNull(first.NextVisibleOn);

        Assert.Empty((await queue.ReceiveMessagesAsync(5, TimeSpan.FromSeconds(1))).Value);
        Assert.Empty((await queue.PeekMessagesAsync(5)).Value);

        await Task.Delay(TimeSpan.FromMilliseconds(2200));
        QueueMessage second = Assert.Single((await queue.ReceiveMessagesAsync(5, TimeSpan.FromSeconds(30))).Value);
        Assert.Equal(sent.MessageId, second.MessageId);
        Assert.Equal(2, second.DequeueCount);
        Assert.NotEqual(first.PopReceipt, second.PopReceipt);

        // The first receipt is dead once the message was received again.
        var staleDelete = await Assert.ThrowsAsync<RequestFailedException>(() => queue.DeleteMessageAsync(first.MessageId, first.PopReceipt));
        Assert.True(staleDelete.Status is 400 or 404, $"status {staleDelete.Status}");

        await queue.DeleteMessageAsync(second.MessageId, second.PopReceipt);
        Assert.Null((await queue.ReceiveMessageAsync()).Value);
        Assert.Equal(0, (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount);
    }

    [Fact]
    public async Task SendWithVisibilityTimeout_HidesTheMessageUntilThen()
    {
        QueueClient queue = await NewQueueAsync();
        SendReceipt receipt = (await queue.SendMessageAsync("later", visibilityTimeout: TimeSpan.FromSeconds(2), timeToLive: TimeSpan.FromMinutes(5))).Value;
        Assert.True(receipt.TimeNextVisible > receipt.InsertionTime);
        Assert.True(receipt.ExpirationTime > receipt.InsertionTime.AddMinutes(4));

        Assert.Empty((await queue.ReceiveMessagesAsync(1, null)).Value);
        await Task.Delay(TimeSpan.FromMilliseconds(3000));
        Assert.Equal("later", (await queue.ReceiveMessageAsync()).Value!.MessageText);
    }

    [Fact]
    public async Task UpdateMessage_GivesNewPopReceipt_AndNewText()
    {
        QueueClient queue = await NewQueueAsync();
        await queue.SendMessageAsync("v1");
        QueueMessage received = (await queue.ReceiveMessageAsync(TimeSpan.FromSeconds(30))).Value!;

        UpdateReceipt update = (await queue.UpdateMessageAsync(received.MessageId, received.PopReceipt, "v2 <xml> & 'quotes'", TimeSpan.Zero)).Value;
        Assert.NotEqual(received.PopReceipt, update.PopReceipt);

        await Assert.ThrowsAsync<RequestFailedException>(() => queue.DeleteMessageAsync(received.MessageId, received.PopReceipt));

        QueueMessage again = (await queue.ReceiveMessageAsync(TimeSpan.FromSeconds(30))).Value!;
        Assert.Equal(received.MessageId, again.MessageId);
        Assert.Equal("v2 <xml> & 'quotes'", again.MessageText);
        Assert.Equal(2, again.DequeueCount);

        // Extend the lease without changing the text.
        UpdateReceipt extended = (await queue.UpdateMessageAsync(again.MessageId, again.PopReceipt, visibilityTimeout: TimeSpan.FromSeconds(60))).Value;
        Assert.True(extended.NextVisibleOn > DateTimeOffset.UtcNow.AddSeconds(30));
        Assert.Null((await queue.ReceiveMessageAsync()).Value);
        await queue.DeleteMessageAsync(again.MessageId, extended.PopReceipt);
    }

    [Fact]
    public async Task Base64Encoding_IsWhatTheWireCarries_AndDecodesOnReceive()
    {
        string name = AzuriteFixture.UniqueName("q");
        QueueClient base64 = await NewQueueAsync(QueueMessageEncoding.Base64, name);
        QueueClient raw = await NewQueueAsync(QueueMessageEncoding.None, name);
        const string json = "{\"runId\":\"abc\",\"note\":\"héllo <&>\"}";

        await base64.SendMessageAsync(json);
        PeekedMessage onTheWire = Assert.Single((await raw.PeekMessagesAsync()).Value);
        Assert.Equal(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(json)), onTheWire.MessageText);

        QueueMessage decoded = (await base64.ReceiveMessageAsync()).Value!;
        Assert.Equal(json, decoded.MessageText);
        Assert.Equal(json, decoded.Body.ToString());
        await base64.DeleteMessageAsync(decoded.MessageId, decoded.PopReceipt);

        // Binary bodies survive too.
        byte[] bytes = [0, 1, 2, 200, 255];
        await base64.SendMessageAsync(new BinaryData(bytes));
        Assert.Equal(bytes, (await base64.ReceiveMessageAsync()).Value!.Body.ToArray());
    }

    [Fact]
    public async Task GetProperties_CountsMessages_AndPeekDoesNotDequeue()
    {
        QueueClient queue = await NewQueueAsync();
        for (int i = 0; i < 3; i++) await queue.SendMessageAsync($"m{i}");

        Assert.Equal(3, (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount);
        PeekedMessage[] peeked = (await queue.PeekMessagesAsync(32)).Value;
        Assert.Equal(["m0", "m1", "m2"], peeked.Select(m => m.MessageText).ToArray());
        Assert.All(peeked, m => Assert.Equal(0, m.DequeueCount));

        Assert.Equal(3, (await queue.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(30))).Value.Length);
        await queue.ClearMessagesAsync();
        Assert.Equal(0, (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount);
    }
}
