namespace MovieRecs.Storage;

/// <summary>
/// A parsed Azure Storage connection string. Understands the forms the Azure SDKs accept:
/// <c>UseDevelopmentStorage=true</c>; <c>DefaultEndpointsProtocol=..;AccountName=..;AccountKey=..[;EndpointSuffix=..]</c>;
/// explicit <c>BlobEndpoint=/QueueEndpoint=/TableEndpoint=</c> (how tests point at Azurite on free ports);
/// and <c>SharedAccessSignature=</c> instead of a key.
/// </summary>
public sealed class StorageConnectionString
{
    /// <summary>The Azurite / storage emulator account (public, well known; not a secret).</summary>
    public const string DevelopmentAccountName = "devstoreaccount1";

    /// <summary>The Azurite / storage emulator key (public, well known; not a secret).</summary>
    public const string DevelopmentAccountKey =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    /// <summary>The connection string for Azurite on its default ports.</summary>
    public const string DevelopmentStorage = "UseDevelopmentStorage=true";

    // Settings that real connection strings carry but this client does not use: accepted, ignored.
    private static readonly HashSet<string> IgnoredSettings = new(StringComparer.OrdinalIgnoreCase)
    {
        "FileEndpoint", "BlobSecondaryEndpoint", "QueueSecondaryEndpoint", "TableSecondaryEndpoint", "FileSecondaryEndpoint",
    };

    private StorageConnectionString() { }

    public string? AccountName { get; private init; }

    /// <summary>Base64 account key, when the string carries one.</summary>
    public string? AccountKey { get; private init; }

    /// <summary>SAS token without the leading '?', when the string carries one.</summary>
    public string? SharedAccessSignature { get; private init; }

    /// <summary>True for <c>UseDevelopmentStorage=true</c> (Azurite on the well-known ports).</summary>
    public bool IsDevelopmentStorage { get; private init; }

    public Uri? BlobEndpoint { get; private init; }
    public Uri? QueueEndpoint { get; private init; }
    public Uri? TableEndpoint { get; private init; }

    internal byte[]? AccountKeyBytes { get; private init; }

    /// <summary>Builds the connection string for an Azurite instance listening on the given ports.</summary>
    public static string ForAzurite(string host, int blobPort, int queuePort, int tablePort) =>
        $"DefaultEndpointsProtocol=http;AccountName={DevelopmentAccountName};AccountKey={DevelopmentAccountKey};" +
        $"BlobEndpoint=http://{host}:{blobPort}/{DevelopmentAccountName};" +
        $"QueueEndpoint=http://{host}:{queuePort}/{DevelopmentAccountName};" +
        $"TableEndpoint=http://{host}:{tablePort}/{DevelopmentAccountName};";

    public static bool TryParse(string? connectionString, out StorageConnectionString? result)
    {
        try
        {
            result = Parse(connectionString!);
            return true;
        }
        catch (FormatException)
        {
            result = null;
            return false;
        }
    }

    /// <exception cref="FormatException">The string is empty, malformed, or names no usable endpoint.</exception>
    public static StorageConnectionString Parse(string connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new FormatException("The storage connection string is empty.");

        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string rawSegment in connectionString.Split(';'))
        {
            string segment = rawSegment.Trim();
            if (segment.Length == 0) continue;
            int eq = segment.IndexOf('=');
            if (eq <= 0)
                throw new FormatException($"Storage connection string segment '{Redact(segment)}' is not of the form Name=Value.");
            string name = segment[..eq].Trim();
            string value = segment[(eq + 1)..].Trim(); // keys and SAS tokens contain '=': split on the first only
            if (!settings.TryAdd(name, value))
                throw new FormatException($"Storage connection string sets '{name}' more than once.");
        }

        if (settings.TryGetValue("UseDevelopmentStorage", out string? useDev))
            return ParseDevelopmentStorage(settings, useDev);

        foreach (string name in settings.Keys)
        {
            if (!IsKnownSetting(name) && !IgnoredSettings.Contains(name))
                throw new FormatException($"Storage connection string has an unknown setting '{name}'.");
        }

        settings.TryGetValue("AccountName", out string? accountName);
        settings.TryGetValue("AccountKey", out string? accountKey);
        settings.TryGetValue("SharedAccessSignature", out string? sas);
        string protocol = settings.GetValueOrDefault("DefaultEndpointsProtocol", "https");
        string suffix = settings.GetValueOrDefault("EndpointSuffix", "core.windows.net");

        if (protocol is not ("http" or "https"))
            throw new FormatException($"DefaultEndpointsProtocol must be http or https, not '{protocol}'.");
        if (accountKey is not null && string.IsNullOrEmpty(accountName))
            throw new FormatException("The storage connection string has an AccountKey but no AccountName.");

        byte[]? keyBytes = null;
        if (accountKey is not null)
        {
            try { keyBytes = Convert.FromBase64String(accountKey); }
            catch (FormatException) { throw new FormatException("The storage connection string's AccountKey is not valid base64."); }
        }

        Uri? Endpoint(string explicitName, string service)
        {
            if (settings.TryGetValue(explicitName, out string? value))
                return ParseEndpoint(explicitName, value);
            return string.IsNullOrEmpty(accountName) ? null : new Uri($"{protocol}://{accountName}.{service}.{suffix}");
        }

        var result = new StorageConnectionString
        {
            AccountName = string.IsNullOrEmpty(accountName) ? null : accountName,
            AccountKey = accountKey,
            AccountKeyBytes = keyBytes,
            SharedAccessSignature = string.IsNullOrEmpty(sas) ? null : sas.TrimStart('?'),
            BlobEndpoint = Endpoint("BlobEndpoint", "blob"),
            QueueEndpoint = Endpoint("QueueEndpoint", "queue"),
            TableEndpoint = Endpoint("TableEndpoint", "table"),
        };
        if (result.BlobEndpoint is null && result.QueueEndpoint is null && result.TableEndpoint is null)
            throw new FormatException("The storage connection string names no AccountName and no explicit endpoint.");
        return result;
    }

    private static StorageConnectionString ParseDevelopmentStorage(Dictionary<string, string> settings, string useDev)
    {
        if (!string.Equals(useDev, "true", StringComparison.OrdinalIgnoreCase))
            throw new FormatException($"UseDevelopmentStorage must be 'true', not '{useDev}'.");
        foreach (string name in settings.Keys)
        {
            if (!name.Equals("UseDevelopmentStorage", StringComparison.OrdinalIgnoreCase) &&
                !name.Equals("DevelopmentStorageProxyUri", StringComparison.OrdinalIgnoreCase))
                throw new FormatException($"'{name}' cannot be combined with UseDevelopmentStorage=true.");
        }

        string host = "http://127.0.0.1";
        if (settings.TryGetValue("DevelopmentStorageProxyUri", out string? proxy))
        {
            Uri proxyUri = ParseEndpoint("DevelopmentStorageProxyUri", proxy);
            host = $"{proxyUri.Scheme}://{proxyUri.Host}";
        }
        return new StorageConnectionString
        {
            IsDevelopmentStorage = true,
            AccountName = DevelopmentAccountName,
            AccountKey = DevelopmentAccountKey,
            AccountKeyBytes = Convert.FromBase64String(DevelopmentAccountKey),
            BlobEndpoint = new Uri($"{host}:10000/{DevelopmentAccountName}"),
            QueueEndpoint = new Uri($"{host}:10001/{DevelopmentAccountName}"),
            TableEndpoint = new Uri($"{host}:10002/{DevelopmentAccountName}"),
        };
    }

    private static bool IsKnownSetting(string name) => name.ToLowerInvariant() switch
    {
        "defaultendpointsprotocol" or "accountname" or "accountkey" or "endpointsuffix" or "sharedaccesssignature"
            or "blobendpoint" or "queueendpoint" or "tableendpoint" => true,
        _ => false,
    };

    private static Uri ParseEndpoint(string name, string value)
    {
        if (!Uri.TryCreate(value.TrimEnd('/'), UriKind.Absolute, out Uri? uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            throw new FormatException($"{name} '{value}' is not an absolute http(s) URI.");
        return uri;
    }

    // Never echo secrets into exception messages.
    private static string Redact(string segment) => segment.Length > 24 ? segment[..24] + "..." : segment;

    internal Uri GetEndpoint(StorageService service) => service switch
    {
        StorageService.Blob => BlobEndpoint,
        StorageService.Queue => QueueEndpoint,
        _ => TableEndpoint,
    } ?? throw new InvalidOperationException($"The storage connection string has no {service} endpoint.");

    public override string ToString() =>
        $"AccountName={AccountName}; BlobEndpoint={BlobEndpoint}; QueueEndpoint={QueueEndpoint}; TableEndpoint={TableEndpoint}; " +
        $"Credential={(AccountKey is not null ? "SharedKey" : SharedAccessSignature is not null ? "SAS" : "none")}";
}

internal enum StorageService { Blob, Queue, Table }
