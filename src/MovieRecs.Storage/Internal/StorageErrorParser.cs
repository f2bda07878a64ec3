using System.Text.Json;
using System.Xml;
using Azure;
using Azure.Core;

namespace MovieRecs.Storage.Internal;

/// <summary>
/// Fills RequestFailedException.ErrorCode and message from what the storage services return:
/// the x-ms-error-code header (the only source for HEAD responses), the Blob/Queue XML
/// <c>&lt;Error&gt;&lt;Code/&gt;&lt;Message/&gt;&lt;/Error&gt;</c>, or the Table OData JSON
/// <c>{"odata.error":{"code":..,"message":{"value":..}}}</c>.
/// </summary>
internal sealed class StorageErrorParser : RequestFailedDetailsParser
{
    public static readonly StorageErrorParser Instance = new();

    public override bool TryParse(Response response, out ResponseError? error, out IDictionary<string, string>? data)
    {
        data = null;
        response.Headers.TryGetValue("x-ms-error-code", out string? code);
        string? message = null;

        // Only look at bodies already in memory; a streamed body was buffered by StorageRestClient before we get here.
        if (response.ContentStream is MemoryStream)
        {
            ReadOnlySpan<byte> body = response.Content.ToMemory().Span;
            body = TrimStart(body);
            try
            {
                if (body.Length > 0 && body[0] == (byte)'{') ReadJsonError(body, ref code, ref message);
                else if (body.Length > 0 && body[0] == (byte)'<') ReadXmlError(response.Content, ref code, ref message);
            }
            catch (Exception e) when (e is JsonException or XmlException)
            {
                // A body we cannot read still leaves the status and header code.
            }
        }

        error = code is null && message is null ? null : new ResponseError(code, message);
        return error is not null;
    }

    internal static void ReadJsonError(ReadOnlySpan<byte> body, ref string? code, ref string? message)
    {
        using JsonDocument doc = JsonDocument.Parse(body.ToArray());
        JsonElement root = doc.RootElement;
        if (!root.TryGetProperty("odata.error", out JsonElement error) && !root.TryGetProperty("error", out error))
            return;
        if (error.TryGetProperty("code", out JsonElement c) && c.ValueKind == JsonValueKind.String)
            code ??= c.GetString();
        if (error.TryGetProperty("message", out JsonElement m))
        {
            if (m.ValueKind == JsonValueKind.String) message = m.GetString();
            else if (m.ValueKind == JsonValueKind.Object && m.TryGetProperty("value", out JsonElement v)) message = v.GetString();
        }
    }

    private static void ReadXmlError(BinaryData body, ref string? code, ref string? message)
    {
        using var reader = XmlReader.Create(body.ToStream(), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit });
        reader.MoveToContent();
        while (!reader.EOF)
        {
            // ReadElementContentAsString moves past the element, so it must run on every match (no ??=).
            if (reader.NodeType == XmlNodeType.Element && reader.Name == "Code")
            {
                string bodyCode = reader.ReadElementContentAsString();
                code ??= bodyCode;
            }
            else if (reader.NodeType == XmlNodeType.Element && reader.Name == "Message")
            {
                message = reader.ReadElementContentAsString();
            }
            else
            {
                reader.Read();
            }
        }
    }

    private static ReadOnlySpan<byte> TrimStart(ReadOnlySpan<byte> span)
    {
        // UTF-8 BOM and whitespace.
        if (span.StartsWith("\uFEFF"u8)) span = span[3..];
        int i = 0;
        while (i < span.Length && (span[i] == ' ' || span[i] == '\r' || span[i] == '\n' || span[i] == '\t')) i++;
        return span[i..];
    }
}
