using System.Diagnostics.CodeAnalysis;
using Azure;
using Azure.Core;

namespace MovieRecs.Storage.Internal;

/// <summary>Pages fetched on demand; continuation token and page size flow through <see cref="AsPages"/> like the SDK's.</summary>
internal sealed class StoragePageable<T> : AsyncPageable<T> where T : notnull
{
    private readonly Func<string?, int?, CancellationToken, Task<Page<T>>> _fetchPage;
    private readonly int? _defaultPageSize;

    public StoragePageable(Func<string?, int?, CancellationToken, Task<Page<T>>> fetchPage, int? defaultPageSize, CancellationToken cancellationToken)
        : base(cancellationToken)
    {
        _fetchPage = fetchPage;
        _defaultPageSize = defaultPageSize;
    }

    public override async IAsyncEnumerable<Page<T>> AsPages(string? continuationToken = null, int? pageSizeHint = null)
    {
        do
        {
            Page<T> page = await _fetchPage(continuationToken, pageSizeHint ?? _defaultPageSize, CancellationToken).ConfigureAwait(false);
            yield return page;
            continuationToken = page.ContinuationToken;
        }
        while (!string.IsNullOrEmpty(continuationToken));
    }
}

/// <summary>The "no value" answer of the *IfExists methods.</summary>
internal sealed class NoValueResponse<T> : NullableResponse<T>
{
    private readonly Response _response;

    public NoValueResponse(Response response) => _response = response;

    public override bool HasValue => false;

    public override T? Value => throw new InvalidOperationException($"The resource does not exist (status {_response.Status}); check HasValue first.");

    public override Response GetRawResponse() => _response;
}

/// <summary>A response held in memory: the parts of a multipart batch response.</summary>
internal sealed class StoredResponse : Response
{
    private readonly List<HttpHeader> _headers;

    public StoredResponse(int status, string reasonPhrase, List<HttpHeader> headers, byte[] body)
    {
        Status = status;
        ReasonPhrase = reasonPhrase;
        _headers = headers;
        ContentStream = new MemoryStream(body, 0, body.Length, writable: false, publiclyVisible: true);
        ClientRequestId = TryGetHeader("x-ms-client-request-id", out string? id) ? id : "";
    }

    public override int Status { get; }
    public override string ReasonPhrase { get; }
    public override Stream? ContentStream { get; set; }
    public override string ClientRequestId { get; set; }
    public override bool IsError => Status >= 400;

    public override void Dispose() => ContentStream?.Dispose();

    protected override bool TryGetHeader(string name, [NotNullWhen(true)] out string? value)
    {
        foreach (HttpHeader header in _headers)
        {
            if (string.Equals(header.Name, name, StringComparison.OrdinalIgnoreCase)) { value = header.Value; return true; }
        }
        value = null;
        return false;
    }

    protected override bool TryGetHeaderValues(string name, [NotNullWhen(true)] out IEnumerable<string>? values)
    {
        bool found = TryGetHeader(name, out string? value);
        values = found ? [value!] : null;
        return found;
    }

    protected override bool ContainsHeader(string name) => TryGetHeader(name, out _);

    protected override IEnumerable<HttpHeader> EnumerateHeaders() => _headers;
}

internal static class HeaderValues
{
    /// <summary>ETag as sent in If-Match / If-None-Match: "*" stays bare, everything else keeps or gains its quotes.</summary>
    public static string ToHeader(ETag etag)
    {
        string value = etag.ToString();
        if (value == "*" || value.StartsWith('"') || value.StartsWith("W/\"", StringComparison.Ordinal)) return value;
        return "\"" + value + "\"";
    }

    public static DateTimeOffset? ParseHttpDate(string? value) =>
        DateTimeOffset.TryParseExact(value, "r", System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal, out DateTimeOffset date) ? date : null;

    public static string ToHttpDate(DateTimeOffset value) =>
        value.ToUniversalTime().ToString("r", System.Globalization.CultureInfo.InvariantCulture);
}
