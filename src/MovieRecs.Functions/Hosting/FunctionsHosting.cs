namespace MovieRecs.Functions.Hosting;

public static class FunctionsHosting
{
    /// <summary>Set by the Azure Functions host when it runs us as a custom handler.</summary>
    public const string CustomHandlerPortVariable = "FUNCTIONS_CUSTOMHANDLER_PORT";

    public const string DefaultUrl = "http://localhost:7071";

    public static bool RunsUnderFunctionsHost =>
        !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(CustomHandlerPortVariable));

    /// <summary>
    /// Under the Functions host, listen where it forwards requests; standalone, on the configured
    /// URLs or the Functions default port, so URLs are the same in both modes.
    /// </summary>
    public static void UseFunctionsCustomHandlerPort(this WebApplicationBuilder builder)
    {
        var port = Environment.GetEnvironmentVariable(CustomHandlerPortVariable);
        if (!string.IsNullOrEmpty(port))
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        else if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
            builder.WebHost.UseUrls(DefaultUrl);
    }
}
