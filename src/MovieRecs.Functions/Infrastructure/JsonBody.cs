using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;

namespace MovieRecs.Functions.Infrastructure;

/// <summary>A request body read as JSON: the document, nothing (empty body), or the problem to answer with.</summary>
public sealed class JsonBodyResult(JsonDocument? document, ProblemHttpResult? problem) : IDisposable
{
    public JsonDocument? Document { get; } = document;
    public ProblemHttpResult? Problem { get; } = problem;
    public bool IsEmpty => Document is null && Problem is null;
    public void Dispose() => Document?.Dispose();
}

/// <summary>
/// Reads JSON request bodies ourselves (not model binding), so validation can name every bad field: at most
/// 64 KiB (413 beyond), malformed JSON and duplicate property names are a 400, unknown properties are ignored.
/// </summary>
public static class JsonBody
{
    public const int MaxBytes = 64 * 1024;

    static readonly JsonDocumentOptions Options = new() { MaxDepth = 32, AllowDuplicateProperties = false };

    public static async Task<JsonBodyResult> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBytes)
            return new(null, TooLarge());
        var buffer = ArrayPool<byte>.Shared.Rent(MaxBytes + 1);
        try
        {
            var total = 0;
            while (true)
            {
                var n = await request.Body.ReadAsync(buffer.AsMemory(total, MaxBytes + 1 - total), cancellationToken);
                if (n == 0)
                    break;
                total += n;
                if (total > MaxBytes)
                    return new(null, TooLarge());
            }
            var bytes = buffer.AsMemory(0, total);
            if (bytes.Span.Trim(" \t\r\n"u8).IsEmpty)
                return new(null, null);
            try
            {
                // A copy: the document reads the memory it is given for its whole life, and the pooled buffer goes
                // back to the pool (to be overwritten) as soon as this method returns.
                return new(JsonDocument.Parse(bytes.ToArray(), Options), null);
            }
            catch (JsonException e)
            {
                var errors = new ProblemErrors();
                errors.Add("body", $"is not valid JSON ({Describe(e)})");
                return new(null, errors.ToProblem(StatusCodes.Status400BadRequest, "Invalid request"));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    static string Describe(JsonException e)
    {
        var message = e.Message;
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut < 0) cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut > 0) message = message[..cut];
        return e.LineNumber is { } line && e.BytePositionInLine is { } pos
            ? string.Create(CultureInfo.InvariantCulture, $"line {line + 1}, byte {pos + 1}: {message.TrimEnd('.')}")
            : message;
    }

    static ProblemHttpResult TooLarge() =>
        Problems.Status(StatusCodes.Status413PayloadTooLarge, "Request body too large", $"The request body must be at most {MaxBytes / 1024} KiB.");
}

/// <summary>Typed reads of JSON properties that record a precise error (field path and reason) instead of throwing.</summary>
public static class JsonFields
{
    /// <summary>An integer property within [min, max]; null (with an error recorded) when missing or invalid.</summary>
    public static long? Integer(JsonElement obj, string name, string path, ProblemErrors errors, long min, long max)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            errors.Add(path, "is required");
            return null;
        }
        if (value.ValueKind != JsonValueKind.Number)
        {
            errors.Add(path, $"must be an integer (got {KindName(value)})");
            return null;
        }
        if (!value.TryGetInt64(out var n))
        {
            errors.Add(path, $"must be a whole number (got {Raw(value)})");
            return null;
        }
        if (n < min || n > max)
        {
            errors.Add(path, max == long.MaxValue ? $"must be at least {min} (got {n})" : $"must be from {min} to {max} (got {n})");
            return null;
        }
        return n;
    }

    /// <summary>A number property; null (with an error recorded) when missing or not a number.</summary>
    public static double? Number(JsonElement obj, string name, string path, ProblemErrors errors)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            errors.Add(path, "is required");
            return null;
        }
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var d) || !double.IsFinite(d))
        {
            errors.Add(path, $"must be a number (got {KindName(value)})");
            return null;
        }
        return d;
    }

    /// <summary>An optional string property (absent or null gives null).</summary>
    public static string? OptionalString(JsonElement obj, string name, string path, ProblemErrors errors, int maxLength)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            return null;
        if (value.ValueKind != JsonValueKind.String)
        {
            errors.Add(path, $"must be a string (got {KindName(value)})");
            return null;
        }
        var s = value.GetString()!.Trim();
        if (s.Length > maxLength)
        {
            errors.Add(path, $"must be at most {maxLength} characters (got {s.Length})");
            return null;
        }
        if (s.Any(char.IsControl))
        {
            errors.Add(path, "must not contain control characters");
            return null;
        }
        return s.Length == 0 ? null : s;
    }

    /// <summary>The body as an object, recording an error otherwise.</summary>
    public static bool RequireObject(JsonElement root, ProblemErrors errors, string example)
    {
        if (root.ValueKind == JsonValueKind.Object)
            return true;
        errors.Add("body", $"must be a JSON object like {example} (got {KindName(root)})");
        return false;
    }

    public static string KindName(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"the string {Raw(value)}",
        JsonValueKind.Number => Raw(value),
        JsonValueKind.True or JsonValueKind.False => Raw(value),
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        JsonValueKind.Null => "null",
        _ => value.ValueKind.ToString(),
    };

    static string Raw(JsonElement value)
    {
        var raw = value.GetRawText();
        return raw.Length <= 40 ? raw : raw[..40] + "…";
    }
}

public static class JsonBodyEndpointExtensions
{
    /// <summary>
    /// Documents a JSON request body of type <typeparamref name="T"/> in OpenAPI without <c>Accepts</c>, which would
    /// make routing refuse other Content-Types with 415: bodies are parsed as JSON whatever the Content-Type says
    /// (older front ends post text/plain to avoid a CORS preflight).
    /// </summary>
    public static RouteHandlerBuilder DocumentsJsonBody<T>(this RouteHandlerBuilder builder, bool required = true) =>
        builder.AddOpenApiOperationTransformer(async (operation, context, cancellationToken) =>
        {
            var schema = await context.GetOrCreateSchemaAsync(typeof(T), null, cancellationToken);
            operation.RequestBody = new Microsoft.OpenApi.OpenApiRequestBody
            {
                Required = required,
                Description = $"JSON, at most {JsonBody.MaxBytes / 1024} KiB; unknown properties are ignored.",
                Content = new Dictionary<string, Microsoft.OpenApi.OpenApiMediaType> { ["application/json"] = new() { Schema = schema } },
            };
        });
}
