using System.Net;
using System.Text;
using System.Text.Json;
using Azure.Storage.Queues.Models;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using MovieRecs.Core.Azurite;
using MovieRecs.Core.Engine;
using MovieRecs.Functions.Admin;
using MovieRecs.Functions.Discovery;
using MovieRecs.Functions.Engine;
using MovieRecs.Functions.Health;
using MovieRecs.Functions.Hosting;
using MovieRecs.Functions.Movies;
using MovieRecs.Functions.Ratings;
using MovieRecs.Functions.Users;
using MovieRecs.Functions.WebApp;

namespace MovieRecs.Functions.Tests;

/// <summary>The app (demo data) with its standalone queue listener off, so only the tests deliver training messages.</summary>
public sealed class FunctionClassFixture : IAsyncLifetime
{
    public AzuriteProcess Azurite { get; private set; } = null!;
    public MovieRecsFactory Factory { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Azurite = await AzuriteProcess.StartAsync(new AzuriteOptions { InMemory = true });
        Factory = new MovieRecsFactory(Azurite.ConnectionString, settings: new Dictionary<string, string?> { ["MovieRecs:Engine:Listener"] = "false" });
        await Factory.CreateReadyClientAsync();
    }

    public async Task DisposeAsync()
    {
        await Factory.DisposeAsync();
        await Azurite.DisposeAsync();
    }
}

/// <summary>
/// The function classes called as the Functions host calls them, without a host: a real HttpContext, the returned
/// IResult executed against it (what ASP.NET Core integration does), storage in a real Azurite.
/// </summary>
public sealed class FunctionClassTests(FunctionClassFixture fx) : IClassFixture<FunctionClassFixture>
{
    IServiceProvider Services => fx.Factory.Services;
    FunctionEndpoints Endpoints => Services.GetRequiredService<FunctionEndpoints>();

    sealed record Answer(int Status, string? ContentType, string Body, IHeaderDictionary Headers)
    {
        public JsonElement Json => JsonDocument.Parse(Body).RootElement;
    }

    async Task<Answer> InvokeAsync(Func<HttpRequest, IResult> function, string method, string pathAndQuery, string? json = null,
        IDictionary<string, string>? headers = null)
    {
        using var scope = Services.CreateScope();
        var http = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        var uri = new Uri("http://localhost" + pathAndQuery);
        http.Request.Method = method;
        http.Request.Scheme = "http";
        http.Request.Host = new HostString("localhost");
        http.Request.Path = Uri.UnescapeDataString(uri.AbsolutePath);
        http.Request.QueryString = new QueryString(uri.Query);
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
            http.Request.Headers[name] = value;
        if (json is not null)
        {
            var bytes = Encoding.UTF8.GetBytes(json);
            http.Request.Body = new MemoryStream(bytes);
            http.Request.ContentType = "application/json";
            http.Request.ContentLength = bytes.Length;
        }
        var body = new MemoryStream();
        http.Response.Body = body;

        await function(http.Request).ExecuteAsync(http);
        return new Answer(http.Response.StatusCode, http.Response.ContentType, Encoding.UTF8.GetString(body.ToArray()), http.Response.Headers);
    }

    [Fact]
    public async Task Movies_functions_answer_a_movie_a_search_and_a_problem_naming_the_bad_parameter()
    {
        var movies = new MoviesFunctions(Endpoints);
        var movie = await InvokeAsync(movies.GetMovie, "GET", "/api/rest/v1/movies/1");
        Assert.Equal(200, movie.Status);
        Assert.Equal(1, movie.Json.GetProperty("id").GetInt32());

        var search = await InvokeAsync(movies.ListMovies, "GET", "/api/rest/v1/movies?search=star%20wa&limit=5");
        Assert.Equal(200, search.Status);
        Assert.Contains(search.Json.GetProperty("movies").EnumerateArray(), m => m.GetProperty("title").GetString()!.StartsWith("Star Wars"));

        var bad = await InvokeAsync(movies.ListMovies, "GET", "/api/rest/v1/movies?limit=101");
        Assert.Equal(400, bad.Status);
        Assert.Equal("application/problem+json", bad.ContentType);
        Assert.True(bad.Json.GetProperty("errors").TryGetProperty("limit", out _));

        var missing = await InvokeAsync(movies.GetMovie, "GET", "/api/rest/v1/movies/999999999");
        Assert.Equal(404, missing.Status);
        Assert.Equal("application/problem+json", missing.ContentType);
    }

    [Fact]
    public async Task WebApp_function_serves_the_front_end_under_api_web_and_nothing_outside_wwwroot()
    {
        var web = new WebAppFunctions(Endpoints);
        var page = await InvokeAsync(web.WebApp, "GET", "/api/web/");
        Assert.Equal(200, page.Status);
        Assert.Equal("text/html", page.ContentType);
        Assert.Contains("<script type=\"module\" src=\"js/app.js\">", page.Body);
        var module = await InvokeAsync(web.WebApp, "GET", "/api/web/js/views/admin.js");
        Assert.Equal("text/javascript", module.ContentType);
        Assert.Contains("export async function adminView", module.Body);

        var bare = await InvokeAsync(web.WebApp, "GET", "/api/web?api=https://example.net/api");
        Assert.Equal(302, bare.Status);
        Assert.Equal("/api/web/?api=https://example.net/api", bare.Headers.Location.ToString());
        foreach (var outside in new[] { "/api/web/../appsettings.json", "/api/web/%2e%2e/MovieRecs.Functions.dll", "/api/web/js/nope.js" })
        {
            var missing = await InvokeAsync(web.WebApp, "GET", outside);
            Assert.Equal(404, missing.Status);
            Assert.Equal("application/problem+json", missing.ContentType);
        }
    }

    [Fact]
    public async Task Users_and_ratings_functions_create_a_user_and_store_a_rating_that_reads_back()
    {
        var created = await InvokeAsync(new UsersFunctions(Endpoints).CreateUser, "POST", "/api/rest/v1/users", """{"name": "Function caller"}""");
        Assert.Equal(201, created.Status);
        var user = created.Json.GetProperty("id").GetInt32();

        var ratings = new RatingsFunctions(Endpoints);
        var rated = await InvokeAsync(ratings.CreateRating, "POST", "/api/rest/v1/ratings", $$"""{"user_id": {{user}}, "movie_id": 1, "rating": 4.5}""");
        Assert.True(rated.Status is 200 or 201, rated.Body);
        var back = await InvokeAsync(ratings.GetUserRatings, "GET", $"/api/users/{user}/ratings");
        Assert.Equal(200, back.Status);
        Assert.Contains("4.5", back.Body);

        var invalid = await InvokeAsync(ratings.CreateRating, "POST", "/api/rest/v1/ratings", $$"""{"user_id": {{user}}, "movie_id": 1, "rating": 9}""");
        Assert.Equal(400, invalid.Status);
        Assert.True(invalid.Json.GetProperty("errors").TryGetProperty("rating", out _), invalid.Body);
    }

    [Fact]
    public async Task Discovery_health_and_docs_functions_answer()
    {
        var trending = await InvokeAsync(new DiscoveryFunctions(Endpoints).ListTrendingMovies, "GET", "/api/rest/v1/movies/trending?window=week&limit=3");
        Assert.Equal(200, trending.Status);
        Assert.Equal("week", trending.Json.GetProperty("window").GetString());

        var health = await InvokeAsync(new HealthFunctions(Endpoints).Health, "GET", "/api/health");
        Assert.Equal(200, health.Status);

        var openApi = await InvokeAsync(new ApiDocsFunctions(Endpoints).OpenApiDocument, "GET", "/api/openapi/v1.json");
        Assert.Equal(200, openApi.Status);
        Assert.True(openApi.Json.GetProperty("paths").TryGetProperty("/api/rest/v1/movies", out _));
    }

    [Fact]
    public async Task Admin_functions_without_the_key_are_refused_standalone_and_nothing_is_queued()
    {
        var storage = Services.GetRequiredService<EngineStorage>();
        await storage.EnsureCreatedAsync();
        var queuedBefore = (await storage.Queue.GetPropertiesAsync()).Value.ApproximateMessagesCount;

        var engine = Services.GetRequiredService<EngineFunctions>();
        var noKey = await InvokeAsync(engine.RequestTraining, "POST", "/api/rest/v1/recommendation-engine");
        Assert.Equal(401, noKey.Status);
        Assert.Equal("application/problem+json", noKey.ContentType);
        var wrongKey = await InvokeAsync(new AdminFunctions(Endpoints).ReloadCatalog, "POST", "/api/rest/v1/admin/catalog/reload",
            headers: new Dictionary<string, string> { [AdminKey.HeaderName] = "wrong" });
        Assert.Equal(401, wrongKey.Status);
        Assert.Equal(queuedBefore, (await storage.Queue.GetPropertiesAsync()).Value.ApproximateMessagesCount);

        var withKey = await InvokeAsync(new AdminFunctions(Endpoints).ReloadCatalog, "POST", "/api/rest/v1/admin/catalog/reload",
            headers: new Dictionary<string, string> { [AdminKey.HeaderName] = AppFixture.AdminKey });
        Assert.Equal(200, withKey.Status);
    }

    [Fact]
    public async Task TrainModel_given_a_queue_message_trains_the_run_and_the_new_version_is_served()
    {
        var engine = Services.GetRequiredService<EngineFunctions>();
        var queued = await InvokeAsync(engine.RequestTraining, "POST", "/api/rest/v1/recommendation-engine",
            headers: new Dictionary<string, string> { [AdminKey.HeaderName] = AppFixture.AdminKey });
        Assert.Equal(202, queued.Status);
        var runId = queued.Headers.Location.ToString().Split('/')[^1];

        // The message the host would deliver: the queued one, as the Queues SDK decodes it.
        var storage = Services.GetRequiredService<EngineStorage>();
        var received = (await storage.Queue.ReceiveMessageAsync(TimeSpan.FromMinutes(5))).Value;
        Assert.Equal(runId, TrainingMessage.TryParse(received.MessageText)!.RunId);
        await engine.TrainModel(received, CancellationToken.None);
        await storage.Queue.DeleteMessageAsync(received.MessageId, received.PopReceipt);

        var run = await InvokeAsync(engine.GetTrainingRun, "GET", $"/api/rest/v1/recommendation-engine/runs/{runId}");
        Assert.Equal("succeeded", run.Json.GetProperty("status").GetString());
        var version = run.Json.GetProperty("model_version").GetString();
        var recommended = await InvokeAsync(engine.GetRecommendedMovies, "GET", "/api/rest/v1/user/1/recommended-movies?n=5");
        Assert.Equal(200, recommended.Status);
        Assert.Equal(version, recommended.Json.GetProperty("model_version").GetString());

        // A message that is not a training message throws: the host retries it, then moves it to the poison queue.
        var junk = QueuesModelFactory.QueueMessage("id-1", "pop-1", BinaryData.FromString("not json"), dequeueCount: 1);
        await Assert.ThrowsAsync<FormatException>(() => engine.TrainModel(junk, CancellationToken.None));
    }
}
