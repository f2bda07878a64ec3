using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using MovieRecs.Core.Azurite;

namespace MovieRecs.Web.Tests;

/// <summary>
/// The system Chromium (Debian's <c>chromium</c>; Playwright's own browser download cannot work here), or
/// <c>$MOVIERECS_CHROMIUM</c>. Missing: browser tests skip with a message, or fail when MOVIERECS_REQUIRE_BROWSER=1 (CI).
/// </summary>
public static class SystemChromium
{
    public static string? Path { get; } = Find();

    public static bool Required => Environment.GetEnvironmentVariable("MOVIERECS_REQUIRE_BROWSER") == "1";

    static string? Find()
    {
        var configured = Environment.GetEnvironmentVariable("MOVIERECS_CHROMIUM");
        if (!string.IsNullOrWhiteSpace(configured))
            return File.Exists(configured) ? configured : null;
        var names = new[] { "chromium", "chromium-browser" };
        return (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator)
            .SelectMany(dir => names.Select(name => System.IO.Path.Combine(dir, name)))
            .FirstOrDefault(File.Exists);
    }
}

/// <summary>A test that drives Chromium: skipped with a message where it is missing, unless MOVIERECS_REQUIRE_BROWSER=1.</summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    public BrowserFactAttribute()
    {
        if (SystemChromium.Path is null && !SystemChromium.Required)
            Skip = "Chromium not found (apt-get install chromium, or set MOVIERECS_CHROMIUM); MOVIERECS_REQUIRE_BROWSER=1 makes this a failure.";
    }
}

/// <summary>The app on Kestrel (a real port the browser can reach), in-process, against an Azurite of its own.</summary>
sealed class KestrelAppFactory(string connectionString) : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("urls", "http://127.0.0.1:0");   // never the default 7071
        builder.UseSetting("AzureWebJobsStorage", connectionString);
        builder.UseSetting("MovieRecs:AdminKey", WebAppFixture.AdminKey);
        builder.UseSetting("MovieRecs:StartAzurite", "false");
        builder.UseSetting("MovieRecs:SeedDemoData", "true");
        builder.UseSetting("MovieRecs:CatalogRefreshSeconds", "0.5");
    }

    public Uri Address => new(Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
}

/// <summary>
/// One Azurite, one app seeded with the demo data (it holds Star Wars and 56 animated films) and a first trained model,
/// and one headless Chromium, shared by the browser tests.
/// </summary>
public sealed class WebAppFixture : IAsyncLifetime
{
    public const string AdminKey = "web-test-admin-key";

    AzuriteProcess _azurite = null!;
    KestrelAppFactory _app = null!;
    IPlaywright? _playwright;
    IBrowser? _browser;

    /// <summary>The app's address, e.g. http://127.0.0.1:41234/.</summary>
    public Uri Address { get; private set; } = null!;

    public HttpClient Api { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (SystemChromium.Path is null && !SystemChromium.Required)
            return; // every test skips
        if (SystemChromium.Path is null)
            throw new InvalidOperationException("MOVIERECS_REQUIRE_BROWSER=1 but no Chromium was found: apt-get install -y chromium (or set MOVIERECS_CHROMIUM).");

        _azurite = await AzuriteProcess.StartAsync(new AzuriteOptions { InMemory = true });
        _app = new KestrelAppFactory(_azurite.ConnectionString);
        _app.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        _app.StartServer();
        Address = _app.Address;
        Api = new HttpClient { BaseAddress = Address };
        await WaitHealthyAsync();
        await TrainAsync();

        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = SystemChromium.Path, Headless = true });
    }

    /// <summary>A fresh browser context (its own localStorage) at desktop size, with console errors collected.</summary>
    public async Task<IPage> NewPageAsync()
    {
        var context = await _browser!.NewContextAsync(new BrowserNewContextOptions { ViewportSize = Screens.Desktop, Locale = "en-GB" });
        context.SetDefaultTimeout(15_000);
        return await context.NewPageAsync();
    }

    async Task WaitHealthyAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await Api.GetAsync("/api/health")).StatusCode != HttpStatusCode.OK)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The app did not become healthy in 60 s.");
            await Task.Delay(200);
        }
    }

    /// <summary>A first model, so "recommended for you" starts from a trained model as it would in use.</summary>
    async Task TrainAsync()
    {
        using var start = new HttpRequestMessage(HttpMethod.Post, "/api/rest/v1/recommendation-engine");
        start.Headers.Add("x-functions-key", AdminKey);
        var response = await Api.SendAsync(start);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            var run = await Api.GetFromJsonAsync<JsonElement>(response.Headers.Location);
            var status = run.GetProperty("status").GetString();
            if (status == "succeeded") return;
            if (status == "failed" || DateTime.UtcNow > deadline) throw new InvalidOperationException($"The first training run did not succeed: {run}");
            await Task.Delay(300);
        }
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        Api?.Dispose();
        if (_app is not null) await _app.DisposeAsync();
        if (_azurite is not null) await _azurite.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class WebAppCollection : ICollectionFixture<WebAppFixture>
{
    public const string Name = "WebApp";
}

/// <summary>Screenshots at desktop and phone width: into $MOVIERECS_SCREENSHOTS (docs/front-end to refresh the docs), else the test output.</summary>
public static class Screens
{
    public static readonly ViewportSize Desktop = new() { Width = 1280, Height = 860 };
    public static readonly ViewportSize Phone = new() { Width = 390, Height = 844 };

    static readonly string Folder = Environment.GetEnvironmentVariable("MOVIERECS_SCREENSHOTS") is { Length: > 0 } configured
        ? Path.GetFullPath(configured)
        : Path.Combine(AppContext.BaseDirectory, "screenshots");

    public static async Task TakeAsync(IPage page, string name)
    {
        Directory.CreateDirectory(Folder);
        // No caret and no running animations: the same page gives the same picture.
        var options = new PageScreenshotOptions { Animations = ScreenshotAnimations.Disabled, Caret = ScreenshotCaret.Hide };
        options.Path = Path.Combine(Folder, $"{name}-desktop.png");
        await page.ScreenshotAsync(options);
        await page.SetViewportSizeAsync(Phone.Width, Phone.Height);
        await page.WaitForTimeoutAsync(150);   // the layout settles at the new width
        options.Path = Path.Combine(Folder, $"{name}-phone.png");
        await page.ScreenshotAsync(options);
        await page.SetViewportSizeAsync(Desktop.Width, Desktop.Height);
    }
}
