using System.Globalization;
using System.Security;
using System.Text;
using System.Xml;
using Azure;
using Azure.Core;
using MovieRecs.Storage.Internal;

namespace MovieRecs.Storage.Queues;

/// <summary>
/// One storage queue, shaped like Azure.Storage.Queues.QueueClient. Message bodies are encoded per
/// <see cref="QueueClientOptions.MessageEncoding"/>; use Base64 for queues read by the Azure Functions queue trigger.
/// </summary>
public class QueueClient
{
    /// <summary>Most messages one Receive/Peek call returns.</summary>
    public const int MaxPeekableMessages = 32;

    /// <summary>Largest message the service accepts (after encoding).</summary>
    public const int MessageMaxBytes = 64 * 1024;

    private readonly StorageRestClient _rest;
    private readonly QueueMessageEncoding _encoding;

    public QueueClient(string connectionString, string queueName, QueueClientOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(queueName);
        options ??= new QueueClientOptions();
        _rest = new StorageRestClient(connectionString, StorageService.Queue, options, options.ServiceVersion);
        _encoding = options.MessageEncoding;
        Name = queueName;
    }

    /// <summary>For mocking.</summary>
    protected QueueClient()
    {
        _rest = null!;
        Name = null!;
    }

    public virtual string Name { get; }

    public virtual string AccountName => _rest.AccountName;

    public virtual Uri Uri => _rest.UriFor(QueuePath);

    public virtual QueueMessageEncoding MessageEncoding => _encoding;

    private string QueuePath => "/" + Uri.EscapeDataString(Name);

    private string MessagesPath => QueuePath + "/messages";

    public virtual async Task<Response> CreateAsync(IDictionary<string, string>? metadata = null, CancellationToken cancellationToken = default)
    {
        Response response = await SendCreateAsync(metadata, cancellationToken).ConfigureAwait(false);
        StorageRestClient.EnsureStatus(response, 201, 204);
        return response;
    }

    /// <summary>Creates the queue; an existing queue is not an error (201 created, 204 already there).</summary>
    public virtual async Task<Response> CreateIfNotExistsAsync(IDictionary<string, string>? metadata = null, CancellationToken cancellationToken = default)
    {
        Response response = await SendCreateAsync(metadata, cancellationToken).ConfigureAwait(false);
        // 409 QueueAlreadyExists comes only when the existing queue has different metadata: it still exists.
        if (response.Status != 409) StorageRestClient.EnsureStatus(response, 201, 204);
        return response;
    }

    private async Task<Response> SendCreateAsync(IDictionary<string, string>? metadata, CancellationToken cancellationToken)
    {
        using HttpMessage message = _rest.CreateMessage(RequestMethod.Put, QueuePath);
        if (metadata is not null)
        {
            foreach ((string key, string value) in metadata) message.Request.Headers.SetValue("x-ms-meta-" + key, value);
        }
        return await _rest.SendAsync(message, cancellationToken).ConfigureAwait(false);
    }

    public virtual async Task<Response> DeleteAsync(CancellationToken cancellationToken = default)
    {
        Response response = await SendDeleteAsync(cancellationToken).ConfigureAwait(false);
        StorageRestClient.EnsureStatus(response, 204);
        return response;
    }

    public virtual async Task<Response<bool>> DeleteIfExistsAsync(CancellationToken cancellationToken = default)
    {
        Response response = await SendDeleteAsync(cancellationToken).ConfigureAwait(false);
        if (response.Status == 404) return Response.FromValue(false, response);
        StorageRestClient.EnsureStatus(response, 204);
        return Response.FromValue(true, response);
    }

    private async Task<Response> SendDeleteAsync(CancellationToken cancellationToken)
    {
        using HttpMessage message = _rest.CreateMessage(RequestMethod.Delete, QueuePath);
        return await _rest.SendAsync(message, cancellationToken).ConfigureAwait(false);
    }

    public virtual async Task<Response<bool>> ExistsAsync(CancellationToken cancellationToken = default)
    {
        Response response = await SendGetMetadataAsync(cancellationToken).ConfigureAwait(false);
        if (response.Status == 404) return Response.FromValue(false, response);
        StorageRestClient.EnsureStatus(response, 200);
        return Response.FromValue(true, response);
    }

    /// <summary>Metadata and the approximate number of messages.</summary>
    public virtual async Task<Response<QueueProperties>> GetPropertiesAsync(CancellationToken cancellationToken = default)
    {
        Response response = await SendGetMetadataAsync(cancellationToken).ConfigureAwait(false);
        StorageRestClient.EnsureStatus(response, 200);
        var metadata = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (HttpHeader header in response.Headers)
        {
            if (header.Name.StartsWith("x-ms-meta-", StringComparison.OrdinalIgnoreCase))
                metadata[header.Name["x-ms-meta-".Length..]] = header.Value;
        }
        response.Headers.TryGetValue("x-ms-approximate-messages-count", out string? count);
        return Response.FromValue(new QueueProperties
        {
            Metadata = metadata,
            ApproximateMessagesCount = int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : 0,
        }, response);
    }

    private async Task<Response> SendGetMetadataAsync(CancellationToken cancellationToken)
    {
        using HttpMessage message = _rest.CreateMessage(RequestMethod.Get, QueuePath);
        message.Request.Uri.AppendQuery("comp", "metadata");
        return await _rest.SendAsync(message, cancellationToken).ConfigureAwait(false);
    }

    public virtual Task<Response<SendReceipt>> SendMessageAsync(string messageText) =>
        SendMessageAsync(messageText, null, null, CancellationToken.None);

    public virtual Task<Response<SendReceipt>> SendMessageAsync(string messageText, CancellationToken cancellationToken) =>
        SendMessageAsync(messageText, null, null, cancellationToken);

    /// <param name="visibilityTimeout">Delay before the message can be received (default: immediately).</param>
    /// <param name="timeToLive">How long the message lives (service default 7 days; <c>TimeSpan.FromSeconds(-1)</c> = forever).</param>
    public virtual Task<Response<SendReceipt>> SendMessageAsync(string messageText, TimeSpan? visibilityTimeout = null, TimeSpan? timeToLive = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messageText);
        return SendMessageAsync(BinaryData.FromString(messageText), visibilityTimeout, timeToLive, cancellationToken);
    }

    public virtual async Task<Response<SendReceipt>> SendMessageAsync(BinaryData message, TimeSpan? visibilityTimeout = null, TimeSpan? timeToLive = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        using HttpMessage request = _rest.CreateMessage(RequestMethod.Post, MessagesPath);
        if (visibilityTimeout is not null) request.Request.Uri.AppendQuery("visibilitytimeout", Seconds(visibilityTimeout.Value));
        if (timeToLive is not null)
        {
            request.Request.Uri.AppendQuery("messagettl",
                timeToLive.Value < TimeSpan.Zero || timeToLive.Value == TimeSpan.MaxValue ? "-1" : Seconds(timeToLive.Value));
        }
        SetMessageContent(request, message);
        Response response = await _rest.SendAsync(request, cancellationToken).ConfigureAwait(false);
        StorageRestClient.EnsureStatus(response, 201);

        Dictionary<string, string> fields = ReadMessages(response).FirstOrDefault()
            ?? throw new RequestFailedException(response.Status, "Put Message returned no receipt.");
        return Response.FromValue(new SendReceipt
        {
            MessageId = fields["MessageId"],
            PopReceipt = fields["PopReceipt"],
            InsertionTime = Date(fields, "InsertionTime") ?? default,
            ExpirationTime = Date(fields, "ExpirationTime") ?? default,
            TimeNextVisible = Date(fields, "TimeNextVisible") ?? default,
        }, response);
    }

    public virtual Task<Response<QueueMessage[]>> ReceiveMessagesAsync() => ReceiveMessagesAsync(null, null, CancellationToken.None);

    public virtual Task<Response<QueueMessage[]>> ReceiveMessagesAsync(CancellationToken cancellationToken) => ReceiveMessagesAsync(null, null, cancellationToken);

    /// <param name="maxMessages">1..32 (service default 1).</param>
    /// <param name="visibilityTimeout">How long received messages stay hidden (service default 30 s).</param>
    public virtual async Task<Response<QueueMessage[]>> ReceiveMessagesAsync(int? maxMessages = null, TimeSpan? visibilityTimeout = null, CancellationToken cancellationToken = default)
    {
        using HttpMessage message = _rest.CreateMessage(RequestMethod.Get, MessagesPath);
        if (maxMessages is not null) message.Request.Uri.AppendQuery("numofmessages", maxMessages.Value.ToString(CultureInfo.InvariantCulture));
        if (visibilityTimeout is not null) message.Request.Uri.AppendQuery("visibilitytimeout", Seconds(visibilityTimeout.Value));
        Response response = await _rest.SendAsync(message, cancellationToken).ConfigureAwait(false);
        StorageRestClient.EnsureStatus(response, 200);

        QueueMessage[] messages = ReadMessages(response).Select(fields => new QueueMessage
        {
            MessageId = fields["MessageId"],
            PopReceipt = fields["PopReceipt"],
            Body = DecodeBody(fields.GetValueOrDefault("MessageText")),
            DequeueCount = long.TryParse(fields.GetValueOrDefault("DequeueCount"), NumberStyles.None, CultureInfo.InvariantCulture, out long n) ? n : 0,
            InsertedOn = Date(fields, "InsertionTime"),
            ExpiresOn = Date(fields, "ExpirationTime"),
            NextVisibleOn = Date(fields, "TimeNextVisible"),
        }).ToArray();
        return Response.FromValue(messages, response);
    }

    /// <summary>Receives one message; the value is null when the queue has none visible.</summary>
    public virtual async Task<Response<QueueMessage?>> ReceiveMessageAsync(TimeSpan? visibilityTimeout = null, CancellationToken cancellationToken = default)
    {
        Response<QueueMessage[]> many = await ReceiveMessagesAsync(1, visibilityTimeout, cancellationToken).ConfigureAwait(false);
        return Response.FromValue(many.Value.FirstOrDefault(), many.GetRawResponse());
    }

    /// <summary>Looks at messages from the front of the queue without hiding them or counting a dequeue.</summary>
    public virtual async Task<Response<PeekedMessage[]>> PeekMessagesAsync(int? maxMessages = null, CancellationToken cancellationToken = default)
    {
        using HttpMessage message = _rest.CreateMessage(RequestMethod.Get, MessagesPath);
        message.Request.Uri.AppendQuery("peekonly", "true");
        if (maxMessages is not null) message.Request.Uri.AppendQuery("numofmessages", maxMessages.Value.ToString(CultureInfo.InvariantCulture));
        Response response = await _rest.SendAsync(message, cancellationToken).ConfigureAwait(false);
        StorageRestClient.EnsureStatus(response, 200);

        PeekedMessage[] messages = ReadMessages(response).Select(fields => new PeekedMessage
        {
            MessageId = fields["MessageId"],
            Body = DecodeBody(fields.GetValueOrDefault("MessageText")),
            DequeueCount = long.TryParse(fields.GetValueOrDefault("DequeueCount"), NumberStyles.None, CultureInfo.InvariantCulture, out long n) ? n : 0,
            InsertedOn = Date(fields, "InsertionTime"),
            ExpiresOn = Date(fields, "ExpirationTime"),
        }).ToArray();
        return Response.FromValue(messages, response);
    }

    /// <summary>
    /// Changes a received message's visibility (e.g. to extend a lease while working on it) and optionally its text.
    /// The old pop receipt stops working: use the returned one.
    /// </summary>
    public virtual async Task<Response<UpdateReceipt>> UpdateMessageAsync(string messageId, string popReceipt, string? messageText = null, TimeSpan visibilityTimeout = default, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(messageId);
        ArgumentException.ThrowIfNullOrEmpty(popReceipt);
        using HttpMessage message = _rest.CreateMessage(RequestMethod.Put, MessagesPath + "/" + Uri.EscapeDataString(messageId));
        message.Request.Uri.AppendQuery("popreceipt", popReceipt);
        message.Request.Uri.AppendQuery("visibilitytimeout", Seconds(visibilityTimeout));
        if (messageText is not null) SetMessageContent(message, BinaryData.FromString(messageText));
        Response response = await _rest.SendAsync(message, cancellationToken).ConfigureAwait(false);
        StorageRestClient.EnsureStatus(response, 204);

        response.Headers.TryGetValue("x-ms-popreceipt", out string? newReceipt);
        response.Headers.TryGetValue("x-ms-time-next-visible", out string? nextVisible);
        return Response.FromValue(new UpdateReceipt
        {
            PopReceipt = newReceipt ?? throw new RequestFailedException(response.Status, "Update Message returned no pop receipt."),
            NextVisibleOn = HeaderValues.ParseHttpDate(nextVisible) ?? default,
        }, response);
    }

    public virtual async Task<Response> DeleteMessageAsync(string messageId, string popReceipt, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(messageId);
        ArgumentException.ThrowIfNullOrEmpty(popReceipt);
        using HttpMessage message = _rest.CreateMessage(RequestMethod.Delete, MessagesPath + "/" + Uri.EscapeDataString(messageId));
        message.Request.Uri.AppendQuery("popreceipt", popReceipt);
        Response response = await _rest.SendAsync(message, cancellationToken).ConfigureAwait(false);
        StorageRestClient.EnsureStatus(response, 204);
        return response;
    }

    /// <summary>Deletes every message in the queue.</summary>
    public virtual async Task<Response> ClearMessagesAsync(CancellationToken cancellationToken = default)
    {
        using HttpMessage message = _rest.CreateMessage(RequestMethod.Delete, MessagesPath);
        Response response = await _rest.SendAsync(message, cancellationToken).ConfigureAwait(false);
        StorageRestClient.EnsureStatus(response, 204);
        return response;
    }

    private void SetMessageContent(HttpMessage message, BinaryData body)
    {
        string text = _encoding == QueueMessageEncoding.Base64
            ? Convert.ToBase64String(body.ToMemory().Span)
            : body.ToString();
        string xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?><QueueMessage><MessageText>" +
                     SecurityElement.Escape(text) + "</MessageText></QueueMessage>";
        message.Request.Headers.SetValue("Content-Type", "application/xml; charset=utf-8");
        message.Request.Content = RequestContent.Create(Encoding.UTF8.GetBytes(xml));
    }

    private BinaryData DecodeBody(string? text)
    {
        text ??= "";
        if (_encoding != QueueMessageEncoding.Base64) return BinaryData.FromString(text);
        // A message some other producer wrote without base64 is passed through as text rather than failing the whole receive.
        byte[] buffer = new byte[text.Length * 3 / 4 + 3];
        return Convert.TryFromBase64String(text, buffer, out int written)
            ? new BinaryData(buffer.AsMemory(0, written))
            : BinaryData.FromString(text);
    }

    /// <summary>Each &lt;QueueMessage&gt; of a QueueMessagesList as element name → text.</summary>
    private static List<Dictionary<string, string>> ReadMessages(Response response)
    {
        var result = new List<Dictionary<string, string>>();
        if (response.ContentStream is null) return result;
        response.ContentStream.Position = 0;
        using var reader = XmlReader.Create(response.ContentStream, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, IgnoreWhitespace = true });
        Dictionary<string, string>? current = null;
        reader.MoveToContent();
        while (!reader.EOF)
        {
            if (reader.NodeType == XmlNodeType.Element && reader.Name == "QueueMessage")
            {
                current = new Dictionary<string, string>(8, StringComparer.Ordinal);
                result.Add(current);
                reader.Read();
            }
            else if (reader.NodeType == XmlNodeType.Element && current is not null && reader.Depth >= 2)
            {
                string name = reader.Name;
                current[name] = reader.ReadElementContentAsString(); // moves past the element
            }
            else
            {
                reader.Read();
            }
        }
        return result;
    }

    private static DateTimeOffset? Date(Dictionary<string, string> fields, string name) =>
        HeaderValues.ParseHttpDate(fields.GetValueOrDefault(name));

    private static string Seconds(TimeSpan value) =>
        ((long)Math.Ceiling(value.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
}
