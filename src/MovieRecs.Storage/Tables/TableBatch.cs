using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Core;
using MovieRecs.Storage.Internal;

namespace MovieRecs.Storage.Tables;

/// <summary>
/// Entity group transactions ($batch): one multipart/mixed request holding one changeset, each part an
/// HTTP request in text form. The response mirrors it: one part per action when all succeed, or a single
/// part with the failing action's error (message prefixed with its index) when the service rolls back.
/// </summary>
internal static class TableBatch
{
    private static readonly JsonWriterOptions JsonOptions = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    public static ReadOnlyMemory<byte> WriteBody(string batchBoundary, string tableUrl, IReadOnlyList<TableTransactionAction> actions)
    {
        string changeset = "changeset_" + Guid.NewGuid().ToString("N");
        var buffer = new ArrayBufferWriter<byte>(256 * actions.Count + 512);
        using var json = new Utf8JsonWriter(buffer, JsonOptions);

        Utf8(buffer, $"--{batchBoundary}\r\nContent-Type: multipart/mixed; boundary={changeset}\r\n\r\n");
        foreach (TableTransactionAction action in actions)
        {
            if (action.Entity is not TableEntity entity)
                throw new NotSupportedException("Transactions take TableEntity instances.");
            string entityUrl = tableUrl + TableClient.EntityKeyPath(entity.PartitionKey, entity.RowKey);
            (string method, string url, string? ifMatch, bool hasBody) = action.ActionType switch
            {
                TableTransactionActionType.Add => ("POST", tableUrl, null, true),
                TableTransactionActionType.UpdateMerge => ("MERGE", entityUrl, IfMatch(action.ETag), true),
                TableTransactionActionType.UpdateReplace => ("PUT", entityUrl, IfMatch(action.ETag), true),
                TableTransactionActionType.Delete => ("DELETE", entityUrl, IfMatch(action.ETag), false),
                TableTransactionActionType.UpsertMerge => ("MERGE", entityUrl, null, true),
                TableTransactionActionType.UpsertReplace => ("PUT", entityUrl, null, true),
                _ => throw new ArgumentOutOfRangeException(nameof(actions), action.ActionType, "Unknown transaction action."),
            };

            var part = new StringBuilder(256);
            part.Append("--").Append(changeset).Append("\r\n")
                .Append("Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n")
                .Append(method).Append(' ').Append(url).Append(" HTTP/1.1\r\n")
                .Append("Accept: application/json;odata=minimalmetadata\r\n")
                .Append("DataServiceVersion: 3.0;\r\n");
            if (hasBody) part.Append("Content-Type: application/json\r\n");
            if (action.ActionType == TableTransactionActionType.Add) part.Append("Prefer: return-no-content\r\n");
            if (ifMatch is not null) part.Append("If-Match: ").Append(ifMatch).Append("\r\n");
            part.Append("\r\n");
            Utf8(buffer, part.ToString());

            if (hasBody)
            {
                // The emulator finds each body with a single-line match: the JSON must stay on one line (it does).
                json.Reset(buffer);
                TableEntityJson.Write(json, entity);
                json.Flush();
                Utf8(buffer, "\r\n");
            }
        }
        Utf8(buffer, $"--{changeset}--\r\n--{batchBoundary}--\r\n");
        return buffer.WrittenMemory;
    }

    private static string IfMatch(ETag etag) => etag == default ? "*" : HeaderValues.ToHeader(etag);

    private static void Utf8(ArrayBufferWriter<byte> buffer, string text)
    {
        Span<byte> span = buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        buffer.Advance(Encoding.UTF8.GetBytes(text, span));
    }

    /// <summary>Splits a $batch response body into the per-action responses.</summary>
    public static List<StoredResponse> ReadResponses(Response response)
    {
        string body = response.Content.ToString();
        var result = new List<StoredResponse>();

        // The changeset boundary is announced inside the batch part; a batch-level error has no changeset.
        string? boundary = FindBoundary(body, "boundary=changesetresponse_")
                           ?? (response.Headers.ContentType is { } ct ? BoundaryFromContentType(ct) : null);
        if (boundary is null) return result;

        string delimiter = "--" + boundary;
        int pos = body.IndexOf(delimiter, StringComparison.Ordinal);
        while (pos >= 0)
        {
            pos += delimiter.Length;
            if (string.CompareOrdinal(body, pos, "--", 0, 2) == 0) break; // closing delimiter
            int next = body.IndexOf(delimiter, pos, StringComparison.Ordinal);
            string part = next < 0 ? body[pos..] : body[pos..next];
            StoredResponse? parsed = ParseHttpPart(part);
            if (parsed is not null) result.Add(parsed);
            pos = next;
        }
        return result;
    }

    private static string? FindBoundary(string body, string marker)
    {
        int i = body.IndexOf(marker, StringComparison.Ordinal);
        if (i < 0) return null;
        i += "boundary=".Length;
        int end = i;
        while (end < body.Length && !char.IsWhiteSpace(body[end]) && body[end] != ';') end++;
        return body[i..end];
    }

    private static string? BoundaryFromContentType(string contentType)
    {
        int i = contentType.IndexOf("boundary=", StringComparison.OrdinalIgnoreCase);
        return i < 0 ? null : contentType[(i + "boundary=".Length)..].Trim().Trim('"');
    }

    // A part: MIME headers, blank line, "HTTP/1.1 204 No Content", headers, blank line, body.
    private static StoredResponse? ParseHttpPart(string part)
    {
        int statusLine = part.IndexOf("HTTP/1.1 ", StringComparison.Ordinal);
        if (statusLine < 0) return null;
        using var reader = new StringReader(part[statusLine..]);
        string[] status = reader.ReadLine()!.Split(' ', 3);
        int code = int.Parse(status[1], CultureInfo.InvariantCulture);
        string reason = status.Length > 2 ? status[2] : "";

        var headers = new List<HttpHeader>();
        string? line;
        while ((line = reader.ReadLine()) is not null && line.Length > 0)
        {
            int colon = line.IndexOf(':');
            if (colon > 0) headers.Add(new HttpHeader(line[..colon].Trim(), line[(colon + 1)..].Trim()));
        }
        string content = reader.ReadToEnd().Trim();
        return new StoredResponse(code, reason, headers, Encoding.UTF8.GetBytes(content));
    }

    /// <summary>"3:The specified entity already exists" → 3.</summary>
    public static int? FailedIndex(Response failed)
    {
        string? message = null, code = null;
        try
        {
            ReadOnlySpan<byte> body = failed.Content.ToMemory().Span;
            if (body.Length > 0 && body[0] == (byte)'{') StorageErrorParser.ReadJsonError(body, ref code, ref message);
        }
        catch (JsonException) { }
        if (message is null) return null;
        int colon = message.IndexOf(':');
        return colon > 0 && int.TryParse(message.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out int index)
            ? index
            : null;
    }
}
