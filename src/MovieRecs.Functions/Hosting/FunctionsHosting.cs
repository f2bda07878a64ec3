namespace MovieRecs.Functions.Hosting;

public static class FunctionsHosting
{
    public const string DefaultUrl = "http://localhost:7071";

    /// <summary>True in a worker process started by the Functions host (func start, Azure); false standalone.</summary>
    public static bool RunsUnderFunctionsHost { get; private set; }

    /// <summary>
    /// The host starts its worker with <c>--functions-uri http://127.0.0.1:N/</c> (and <c>--host</c>, <c>--port</c>,
    /// <c>--functions-worker-id</c>, ...). The worker maps it to <c>Functions:Worker:HostEndpoint</c>, which it also reads
    /// from the environment, and cannot start without it: that key is the test.
    /// </summary>
    public static bool DetectFunctionsHost(string[] args)
    {
        var configuration = new ConfigurationBuilder()
            .AddEnvironmentVariables()
            .AddCommandLine(args, new Dictionary<string, string> { ["--functions-uri"] = "Functions:Worker:HostEndpoint" })
            .Build();
        return RunsUnderFunctionsHost = !string.IsNullOrEmpty(configuration["Functions:Worker:HostEndpoint"]);
    }

    /// <summary>Standalone: the configured URLs, or the Functions default port, so URLs are the same in both modes.</summary>
    public static void UseFunctionsDefaultUrl(this WebApplicationBuilder builder)
    {
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
            builder.WebHost.UseUrls(DefaultUrl);
    }
}
