using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace MovieRecs.Storage.Internal;

/// <summary>
/// What every client shares: the endpoint, the pipeline (retry + signing) and the error mapping.
/// One instance per service client; child clients (TableClient from TableServiceClient, BlobClient
/// from BlobContainerClient) reuse it, so they share the pipeline.
/// </summary>
internal sealed class StorageRestClient
{
    private readonly string _version;
    private readonly (string Name, string Value)[] _sasParameters;

    public StorageRestClient(string connectionString, StorageService service, StorageClientOptions options, string version)
        : this(StorageConnectionString.Parse(connectionString ?? throw new ArgumentNullException(nameof(connectionString))),
               service, options, version)
    {
    }

    public StorageRestClient(StorageConnectionString account, StorageService service, StorageClientOptions options, string version)
    {
        BaseUrl = account.GetEndpoint(service).AbsoluteUri.TrimEnd('/');
        Endpoint = new Uri(BaseUrl);
        AccountName = account.AccountName ?? "";
        _version = version;
        _sasParameters = ParseSas(account.SharedAccessSignature);

        var pipelineOptions = new HttpPipelineOptions(options) { RequestFailedDetailsParser = StorageErrorParser.Instance };
        if (account.AccountKeyBytes is not null)
            pipelineOptions.PerRetryPolicies.Add(new SharedKeyPolicy(account.AccountName!, account.AccountKeyBytes, service));
        Pipeline = HttpPipelineBuilder.Build(pipelineOptions);
    }

    /// <summary>Service endpoint, e.g. http://127.0.0.1:10002/devstoreaccount1 or https://acct.table.core.windows.net/.</summary>
    public Uri Endpoint { get; }

    /// <summary>The endpoint as text without a trailing slash, for appending "/path".</summary>
    public string BaseUrl { get; }

    public Uri UriFor(string escapedPath) => new(BaseUrl + escapedPath);

    public string AccountName { get; }

    public HttpPipeline Pipeline { get; }

    /// <summary>A request to <paramref name="escapedPath"/> (already percent-encoded, starting with '/', or empty).</summary>
    public HttpMessage CreateMessage(RequestMethod method, string escapedPath)
    {
        HttpMessage message = Pipeline.CreateMessage();
        Request request = message.Request;
        request.Method = method;
        request.Uri.Reset(Endpoint);
        if (escapedPath.Length > 0) request.Uri.AppendPath(escapedPath, escape: false); // joins "/" + "/x" as "/x"
        foreach ((string name, string value) in _sasParameters)
            request.Uri.AppendQuery(name, value, escapeValue: false);
        request.Headers.SetValue("x-ms-version", _version);
        return message;
    }

    /// <summary>
    /// Sends the message. After the retry policy gives up on network errors Azure.Core throws an
    /// AggregateException; we surface a RequestFailedException (Status 0) instead so callers have one
    /// exception type to catch for "storage unavailable". The aggregate stays as InnerException.
    /// </summary>
    public async ValueTask<Response> SendAsync(HttpMessage message, CancellationToken cancellationToken)
    {
        try
        {
            await Pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (AggregateException ae) when (!cancellationToken.IsCancellationRequested)
        {
            Exception last = ae.InnerExceptions.Count > 0 ? ae.InnerExceptions[^1] : ae;
            throw new RequestFailedException(0,
                $"{message.Request.Method} {Endpoint.Host}:{Endpoint.Port} failed after {ae.InnerExceptions.Count} attempts: {last.Message}",
                null, ae);
        }
        catch (OperationCanceledException oce) when (!cancellationToken.IsCancellationRequested)
        {
            // Network timeout on the last attempt (when MaxRetries is 0 there is no aggregate).
            throw new RequestFailedException(0, $"{message.Request.Method} {Endpoint.Host}:{Endpoint.Port} timed out.", null, oce);
        }
        return message.Response;
    }

    /// <summary>Throws unless the response status is one of <paramref name="expected"/>.</summary>
    public static void EnsureStatus(Response response, int expected)
    {
        if (response.Status != expected) throw CreateException(response);
    }

    public static void EnsureStatus(Response response, int expected1, int expected2)
    {
        if (response.Status != expected1 && response.Status != expected2) throw CreateException(response);
    }

    public static RequestFailedException CreateException(Response response)
    {
        BufferContent(response);
        return new RequestFailedException(response, null, StorageErrorParser.Instance);
    }

    /// <summary>Reads a streamed (unbuffered) error body into memory so the error parser can see it.</summary>
    public static void BufferContent(Response response)
    {
        if (response.ContentStream is null or MemoryStream) return;
        var buffer = new MemoryStream();
        try { response.ContentStream.CopyTo(buffer); }
        catch (IOException) { }
        response.ContentStream.Dispose();
        buffer.Position = 0;
        response.ContentStream = buffer;
    }

    public static string? GetErrorCode(Response response)
    {
        if (response.Headers.TryGetValue("x-ms-error-code", out string? code)) return code;
        StorageErrorParser.Instance.TryParse(response, out ResponseError? error, out _);
        return error?.Code;
    }

    private static (string, string)[] ParseSas(string? sas)
    {
        if (string.IsNullOrEmpty(sas)) return [];
        var result = new List<(string, string)>();
        foreach (string pair in sas.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=');
            // SAS tokens arrive already URL-encoded: append verbatim.
            result.Add(eq < 0 ? (pair, "") : (pair[..eq], pair[(eq + 1)..]));
        }
        return result.ToArray();
    }
}
