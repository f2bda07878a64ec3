using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MovieRecs.Functions.Admin;
using Xunit.Abstractions;

namespace MovieRecs.Functions.Tests.Reliability;

/// <summary>
/// MovieRecs.Functions.dll run with <c>dotnet</c> from the test's bin folder, as in production: a real separate process on
/// a free loopback port, which a test can kill (SIGKILL) or run several of on one storage.
/// </summary>
public sealed class AppProcess : IAsyncDisposable
{
    readonly Process _process;
    readonly StringBuilder _log = new();
    bool _disposed;

    AppProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
        Client = CreateClient();
    }

    public Uri BaseAddress { get; }

    /// <summary>A client with a 15 s timeout: longer than any answer the app may give, so a hang shows as a measured duration.</summary>
    public HttpClient Client { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public HttpClient CreateClient() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(15) };

    /// <param name="settings">Configuration keys (<c>MovieRecs:Engine:Listener</c>), passed as environment variables.</param>
    public static async Task<AppProcess> StartAsync(string connectionString, ITestOutputHelper output,
        IReadOnlyDictionary<string, string>? settings = null, bool seed = true)
    {
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet", ["MovieRecs.Functions.dll"])
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["AzureWebJobsStorage"] = connectionString;
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        start.Environment["MovieRecs__StartAzurite"] = "false";
        start.Environment["MovieRecs__SeedDemoData"] = seed ? "true" : "false";
        start.Environment["MovieRecs__AdminKey"] = AppFixture.AdminKey;
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            start.Environment[key.Replace(":", "__")] = value;
        var process = Process.Start(start)!;
        var app = new AppProcess(process, new Uri($"http://127.0.0.1:{port}"));
        process.OutputDataReceived += (_, e) => { lock (app._log) app._log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (app._log) app._log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                if ((await app.Client.GetAsync("/api/health")).StatusCode == HttpStatusCode.OK)
                    return app;
            }
            catch (HttpRequestException) { }
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                output.WriteLine(app.Log);
                await app.DisposeAsync();
                throw new InvalidOperationException($"app did not become healthy (exited: {process.HasExited})");
            }
            await Task.Delay(100);
        }
    }

    /// <summary>What the process wrote to stdout and stderr so far (its log).</summary>
    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    /// <summary>A request with the admin key.</summary>
    public static HttpRequestMessage Admin(HttpMethod method, string url)
    {
        var request = new HttpRequestMessage(method, url);
        request.Headers.Add(AdminKey.HeaderName, AppFixture.AdminKey);
        return request;
    }

    /// <summary>SIGKILL: no shutdown, no flushing, nothing.</summary>
    public void Kill()
    {
        if (_process.HasExited)
            return;
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public ValueTask DisposeAsync()
    {
        if (_disposed)
            return ValueTask.CompletedTask;
        _disposed = true;
        Kill();
        _process.Dispose();
        Client.Dispose();
        return ValueTask.CompletedTask;
    }

    static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
