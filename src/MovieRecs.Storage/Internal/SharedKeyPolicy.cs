using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Azure.Core;
using Azure.Core.Pipeline;

namespace MovieRecs.Storage.Internal;

/// <summary>
/// Signs each request with the account key (Shared Key authorization). Must run per retry: the signature
/// covers x-ms-date, and the service rejects a request whose date is more than 15 minutes off.
/// </summary>
internal sealed class SharedKeyPolicy : HttpPipelineSynchronousPolicy
{
    private readonly string _accountName;
    private readonly byte[] _key;
    private readonly bool _tableFlavour;

    public SharedKeyPolicy(string accountName, byte[] key, StorageService service)
    {
        _accountName = accountName;
        _key = key;
        _tableFlavour = service == StorageService.Table;
    }

    public override void OnSendingRequest(HttpMessage message)
    {
        Request request = message.Request;
        string date = DateTimeOffset.UtcNow.ToString("r", CultureInfo.InvariantCulture);
        request.Headers.SetValue("x-ms-date", date);

        string stringToSign = _tableFlavour ? TableStringToSign(request, date) : BlobQueueStringToSign(request);
        byte[] signature = HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(stringToSign));
        request.Headers.SetValue("Authorization", $"SharedKey {_accountName}:{Convert.ToBase64String(signature)}");
    }

    // Table service: VERB, Content-MD5, Content-Type, Date (= x-ms-date), then the resource with only ?comp.
    internal string TableStringToSign(Request request, string date)
    {
        Uri uri = request.Uri.ToUri();
        var sb = new StringBuilder(256);
        sb.Append(request.Method.Method).Append('\n');
        sb.Append(Header(request, "Content-MD5")).Append('\n');
        sb.Append(Header(request, "Content-Type")).Append('\n');
        sb.Append(date).Append('\n');
        sb.Append('/').Append(_accountName).Append(uri.AbsolutePath);
        if (uri.Query.Contains("comp=", StringComparison.OrdinalIgnoreCase)) // rare for tables: skip the parse otherwise
        {
            foreach ((string name, string value) in QueryParameters(uri))
            {
                if (name == "comp") { sb.Append("?comp=").Append(value); break; }
            }
        }
        return sb.ToString();
    }

    // Blob and Queue: the full form with the standard headers, every x-ms-* header, and every query parameter.
    internal string BlobQueueStringToSign(Request request)
    {
        Uri uri = request.Uri.ToUri();
        var sb = new StringBuilder(512);
        sb.Append(request.Method.Method).Append('\n');
        sb.Append(Header(request, "Content-Encoding")).Append('\n');
        sb.Append(Header(request, "Content-Language")).Append('\n');
        // Since 2015-02-21 a zero Content-Length is signed as empty.
        long length = 0;
        if (request.Content is not null && !request.Content.TryComputeLength(out length)) length = 0;
        sb.Append(length > 0 ? length.ToString(CultureInfo.InvariantCulture) : "").Append('\n');
        sb.Append(Header(request, "Content-MD5")).Append('\n');
        sb.Append(Header(request, "Content-Type")).Append('\n');
        sb.Append('\n'); // Date: we send x-ms-date instead, which goes in the canonicalized headers
        sb.Append(Header(request, "If-Modified-Since")).Append('\n');
        sb.Append(Header(request, "If-Match")).Append('\n');
        sb.Append(Header(request, "If-None-Match")).Append('\n');
        sb.Append(Header(request, "If-Unmodified-Since")).Append('\n');
        sb.Append(Header(request, "Range")).Append('\n');

        var msHeaders = new List<(string Name, string Value)>(8);
        foreach (HttpHeader header in request.Headers)
        {
            if (header.Name.StartsWith("x-ms-", StringComparison.OrdinalIgnoreCase))
                msHeaders.Add((header.Name.ToLowerInvariant(), header.Value.Trim()));
        }
        msHeaders.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        foreach ((string name, string value) in msHeaders)
            sb.Append(name).Append(':').Append(value).Append('\n');

        sb.Append('/').Append(_accountName).Append(uri.AbsolutePath);
        var parameters = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach ((string name, string value) in QueryParameters(uri))
        {
            if (!parameters.TryGetValue(name, out List<string>? values))
                parameters[name] = values = new List<string>(1);
            values.Add(value);
        }
        foreach ((string name, List<string> values) in parameters)
        {
            values.Sort(StringComparer.Ordinal);
            sb.Append('\n').Append(name).Append(':').AppendJoin(',', values);
        }
        return sb.ToString();
    }

    private static string Header(Request request, string name) =>
        request.Headers.TryGetValue(name, out string? value) ? value : "";

    // Names lower-cased, values decoded: that is how both sides canonicalize.
    private static IEnumerable<(string Name, string Value)> QueryParameters(Uri uri)
    {
        string query = uri.Query;
        if (query.Length <= 1) yield break;
        foreach (string pair in query[1..].Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=');
            string name = eq < 0 ? pair : pair[..eq];
            string value = eq < 0 ? "" : pair[(eq + 1)..];
            yield return (Uri.UnescapeDataString(name).ToLowerInvariant(), Uri.UnescapeDataString(value.Replace('+', ' ')));
        }
    }
}
