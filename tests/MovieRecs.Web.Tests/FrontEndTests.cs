using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace MovieRecs.Web.Tests;

/// <summary>The front end in a real Chromium against the real app and Azurite (demo data, a trained model).</summary>
[Collection(WebAppCollection.Name)]
public sealed class FrontEndTests(WebAppFixture app)
{
    // Studio Ghibli films of the demo catalog: all tagged Animation.
    static readonly int[] AnimatedFilms = [337, 225, 240, 374, 420];

    [BrowserFact]
    public async Task Search_as_you_type_finds_Star_Wars_and_pages_from_a_page_on_another_origin()
    {
        var page = await app.NewPageAsync();
        // The page from "localhost", the API at "127.0.0.1": another origin, so every call goes through CORS.
        var apiOrigin = $"http://127.0.0.1:{app.Address.Port}";
        var apiCalls = new List<string>();
        page.Request += (_, r) => { if (r.Url.Contains("/api/rest/")) apiCalls.Add(r.Url); };
        await page.GotoAsync($"http://localhost:{app.Address.Port}/?api={apiOrigin}/api");

        // Keyboard first: the skip link is the first stop, and focus is drawn.
        await page.Keyboard.PressAsync("Tab");
        await Expect(page.Locator(":focus")).ToHaveTextAsync("Skip to content");
        Assert.NotEqual("none", await page.EvaluateAsync<string>("() => getComputedStyle(document.activeElement).outlineStyle"));

        var search = page.GetByLabel("Search titles and genres as you type");
        await search.PressSequentiallyAsync("star wa", new() { Delay = 40 });
        await Expect(page.Locator(".results .card .title").First).ToHaveTextAsync("Star Wars (1977)");
        await Expect(page.Locator(".results .card")).ToHaveCountAsync(3);
        await Screens.TakeAsync(page, "search");
        Assert.All(apiCalls, url => Assert.StartsWith(apiOrigin, url));

        // Paging: a broad search has more than one page; Next shows page 2 and keeps it in the address.
        await search.FillAsync("the");
        await Expect(page.GetByText(new Regex(@"^Page 1 of \d+ · \d+ movies$"))).ToBeVisibleAsync();
        var firstPage = await page.Locator(".results .card .title").AllTextContentsAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Next →" }).ClickAsync();
        await Expect(page.GetByText(new Regex(@"^Page 2 of"))).ToBeVisibleAsync();
        Assert.Empty(firstPage.Intersect(await page.Locator(".results .card .title").AllTextContentsAsync()));
        Assert.Contains("page=2", page.Url);

        // Browse a genre: its page lists only movies of that genre.
        await page.GetByRole(AriaRole.Link, new() { NameRegex = new Regex("^Animation") }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Genre: Animation" })).ToBeVisibleAsync();
        await Expect(page.Locator(".results .card").First).ToBeVisibleAsync();
        foreach (var genres in await page.Locator(".results .card .genres").AllTextContentsAsync())
            Assert.Contains("Animation", genres);
        await Screens.TakeAsync(page, "genre");
    }

    [BrowserFact]
    public async Task Rating_five_animated_films_brings_animation_into_recommended_for_you_without_retraining()
    {
        var page = await app.NewPageAsync();
        await page.GotoAsync(app.Address.ToString());
        var modelsBefore = await ModelCountAsync();

        await page.GetByRole(AriaRole.Link, new() { Name = "Sign in" }).ClickAsync();
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Chihiro");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create a user" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Recommended for you" })).ToBeVisibleAsync();
        await Expect(page.Locator(".card .match").First).ToBeVisibleAsync();
        var before = await page.Locator(".card .title").AllTextContentsAsync();

        foreach (var (id, i) in AnimatedFilms.Select((id, i) => (id, i)))
        {
            await page.GotoAsync($"{app.Address}#/movie/{id}");
            await Expect(page.Locator(".movie-head .chip").GetByText("Animation", new() { Exact = true })).ToBeVisibleAsync();
            if (i < AnimatedFilms.Length - 1)
                await page.GetByTitle("5 stars", new() { Exact = true }).ClickAsync();   // the fifth star, as a person clicks it
            else
            {
                // By keyboard: the stars are a radio group; Tab reaches it, Space picks the focused value.
                await page.GetByRole(AriaRole.Radio, new() { Name = "5 stars", Exact = true }).FocusAsync();
                await page.Keyboard.PressAsync("Space");
            }
            await Expect(page.GetByText("Rated 5 ★")).ToBeVisibleAsync();
            if (i == 0)
            {
                await Expect(page.Locator("section[aria-labelledby=similar-heading] .card").First).ToBeVisibleAsync();
                await Screens.TakeAsync(page, "movie");
            }
        }
        // The movie page shows your stars again on the next visit, and the exact average with its count.
        await page.GotoAsync($"{app.Address}#/movie/{AnimatedFilms[0]}");
        await Expect(page.GetByRole(AriaRole.Radio, new() { Name = "5 stars", Exact = true })).ToBeCheckedAsync();
        await Expect(page.GetByText(new Regex(@"^Average ★ \d\.\d from \d+ ratings?$"))).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Link, new() { Name = "For you" }).ClickAsync();
        await Expect(page.GetByText(new Regex("^5 ratings so far"))).ToBeVisibleAsync();
        var after = await page.Locator(".card .title").AllTextContentsAsync();
        Assert.NotEqual(before, after);
        Assert.Contains(await page.Locator(".card .genres").AllTextContentsAsync(), g => g.Contains("Animation"));
        foreach (var match in await page.Locator(".card .match").AllTextContentsAsync())
            Assert.Matches(@"^\d{1,3}% match$", match);
        Assert.Equal(modelsBefore, await ModelCountAsync());   // no training happened in between
        await Screens.TakeAsync(page, "for-you");
    }

    [BrowserFact]
    public async Task An_invalid_sign_up_shows_the_problem_as_a_message_naming_the_fields_and_the_corrected_one_signs_in()
    {
        var page = await app.NewPageAsync();
        await page.GotoAsync($"{app.Address}#/account");
        var signUp = page.Locator("form", new() { Has = page.GetByRole(AriaRole.Heading, new() { Name = "Sign up" }) });
        await signUp.GetByLabel("Username").FillAsync("x");
        await signUp.GetByLabel("Email").FillAsync("not-an-email");
        await signUp.GetByLabel(new Regex("^Password")).FillAsync("short");
        await signUp.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();

        var alert = signUp.GetByRole(AriaRole.Alert);
        await Expect(alert).ToContainTextAsync("Invalid request");
        await Expect(alert.Locator("li")).ToHaveCountAsync(3);
        await Expect(alert).ToContainTextAsync("username must be 3-32 characters");
        await Expect(alert).ToContainTextAsync("email must be an email address");
        await Expect(alert).ToContainTextAsync("password");
        await Expect(alert).Not.ToContainTextAsync("{");   // a message, not the raw JSON
        await Screens.TakeAsync(page, "error");

        // Corrected, the same form creates the account and signs in with its bearer token; a rating then goes through.
        var username = $"ada{Environment.TickCount64 % 1_000_000}";
        await signUp.GetByLabel("Username").FillAsync(username);
        await signUp.GetByLabel("Email").FillAsync($"{username}@example.com");
        await signUp.GetByLabel(new Regex("^Password")).FillAsync("correct horse battery");
        await signUp.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Recommended for you" })).ToBeVisibleAsync();
        await Expect(page.Locator("#account-link")).ToContainTextAsync(username);
        Assert.NotNull(await page.EvaluateAsync<string?>("() => JSON.parse(localStorage.getItem('movierecs.session')).token"));
        await page.GotoAsync($"{app.Address}#/movie/160");
        await page.GetByTitle("3.5 stars", new() { Exact = true }).ClickAsync();
        await Expect(page.GetByText("Rated 3.5 ★")).ToBeVisibleAsync();

        // A wrong admin key: the 401's title and detail.
        await page.GotoAsync($"{app.Address}#/admin");
        await page.GetByLabel(new Regex("^Admin key")).FillAsync("wrong");
        await page.GetByRole(AriaRole.Button, new() { Name = "Start a training run" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Invalid admin key");
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("is not valid");
    }

    [BrowserFact]
    public async Task The_admin_view_starts_a_training_run_follows_it_and_sees_the_new_version()
    {
        var page = await app.NewPageAsync();
        await page.GotoAsync($"{app.Address}#/admin");
        var rows = page.Locator("table tbody tr");
        await Expect(rows.First).ToBeVisibleAsync();
        var before = await rows.CountAsync();

        await page.GetByLabel(new Regex("^Admin key")).FillAsync(WebAppFixture.AdminKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Start a training run" }).ClickAsync();
        await Expect(page.Locator(".run")).ToContainTextAsync(new Regex("queued|running|succeeded"));
        await Expect(page.Locator(".run")).ToContainTextAsync("succeeded", new() { Timeout = 90_000 });
        await Expect(rows).ToHaveCountAsync(before + 1);
        var newest = (await rows.First.Locator("th code").TextContentAsync())!;
        await Expect(page.Locator(".run code")).ToHaveTextAsync(newest);
        await Expect(rows.First.Locator(".badge")).ToHaveTextAsync("active");
        // The chart draws one point per version on each of its two lines.
        await Expect(page.Locator(".metrics-chart g.ndcg circle")).ToHaveCountAsync(before + 1);
        await Expect(page.Locator(".metrics-chart g.rmse circle")).ToHaveCountAsync(before + 1);
        await Screens.TakeAsync(page, "admin");

        // Roll back: activate the previous version, then the newest again (so other tests see the newest model).
        await rows.Nth(1).GetByRole(AriaRole.Button, new() { Name = "Activate" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "is active" })).ToBeVisibleAsync();
        await Expect(rows.Nth(1).Locator(".badge")).ToHaveTextAsync("active");
        await rows.First.GetByRole(AriaRole.Button, new() { Name = "Activate" }).ClickAsync();
        await Expect(rows.First.Locator(".badge")).ToHaveTextAsync("active");
    }

    [BrowserFact]
    public async Task Charts_show_trending_popular_top_rated_and_most_watched_and_posters_fall_back_to_the_generated_svg()
    {
        var page = await app.NewPageAsync();
        // Where the Functions host serves the page (its HTTP routes all start with api/): the same files, the same API.
        await page.GotoAsync($"{app.Address}api/web/#/charts");
        foreach (var chart in new[] { "Trending", "Popular", "Top rated", "Most watched" })
        {
            var section = page.Locator("section", new() { Has = page.GetByRole(AriaRole.Heading, new() { Name = chart, Exact = true }) });
            await Expect(section.Locator(".card").First).ToBeVisibleAsync();
        }
        await Screens.TakeAsync(page, "charts");

        // A movie whose own poster is broken shows the API's generated poster instead.
        await page.RouteAsync("**/api/rest/v1/movies/160", async route =>
        {
            var response = await route.FetchAsync();
            var movie = JsonNode.Parse(await response.TextAsync())!;
            movie["thumbnail_url"] = "http://127.0.0.1:9/missing.jpg";
            await route.FulfillAsync(new() { Response = response, Body = movie.ToJsonString() });
        });
        await page.GotoAsync($"{app.Address}#/movie/160");
        var poster = page.GetByRole(AriaRole.Img, new() { Name = "Poster of Star Wars (1977)" });
        await Expect(poster).ToHaveAttributeAsync("src", new Regex("/api/rest/v1/movies/160/poster.svg$"));
        Assert.True(await poster.EvaluateAsync<bool>("img => img.complete && img.naturalWidth > 0"));
    }

    [BrowserFact]
    public async Task The_files_are_served_at_the_root_and_under_api_web_and_nothing_outside_wwwroot()
    {
        using var noRedirect = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = app.Address };
        foreach (var path in new[] { "/", "/index.html", "/api/web/", "/api/web/index.html" })
        {
            var page = await noRedirect.GetAsync(path);
            Assert.Equal(System.Net.HttpStatusCode.OK, page.StatusCode);
            Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        }
        Assert.Equal("text/javascript", (await noRedirect.GetAsync("/api/web/js/app.js")).Content.Headers.ContentType?.MediaType);
        // Without the trailing slash the page's relative links would miss: a redirect adds it.
        var bare = await noRedirect.GetAsync("/api/web?api=x");
        Assert.Equal(System.Net.HttpStatusCode.Redirect, bare.StatusCode);
        Assert.Equal("/api/web/?api=x", bare.Headers.Location?.OriginalString);
        foreach (var path in new[] { "/api/web/../appsettings.json", "/api/web/%2e%2e/appsettings.json", "/api/web/%2e%2e%2fappsettings.json", "/api/web/nope.js" })
        {
            var outside = await noRedirect.GetAsync(path);
            Assert.Equal(System.Net.HttpStatusCode.NotFound, outside.StatusCode);
            Assert.Equal("application/problem+json", outside.Content.Headers.ContentType?.MediaType);
        }
    }

    async Task<int> ModelCountAsync()
    {
        using var doc = JsonDocument.Parse(await app.Api.GetStringAsync("/api/rest/v1/recommendation-engine/models"));
        return doc.RootElement.GetProperty("models").GetArrayLength();
    }
}
