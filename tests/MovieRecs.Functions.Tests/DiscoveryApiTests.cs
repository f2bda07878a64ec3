using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using MovieRecs.Core.Demo;
using MovieRecs.Functions.Discovery;
using MovieRecs.Functions.Engine;
using MovieRecs.Functions.Hosting;

namespace MovieRecs.Functions.Tests;

/// <summary>
/// Discovery endpoints on the demo catalog (ratings up to now), with the queue listener off so a test can train a model
/// by playing the Functions host (<see cref="EngineFixture"/>).
/// </summary>
public sealed class DiscoveryApiTests(EngineFixture fx) : IClassFixture<EngineFixture>
{
    readonly HttpClient _client = fx.Client;

    static readonly HashSet<int> SciFi = DemoData.Movies().Where(m => m.Genres.Contains("Sci-Fi")).Select(m => m.Id).ToHashSet();
    static readonly HashSet<int> Comedy = DemoData.Movies().Where(m => m.Genres.Contains("Comedy") && !m.Genres.Contains("Sci-Fi")).Select(m => m.Id).ToHashSet();

    async Task<JsonElement> GetAsync(string url)
    {
        var response = await _client.GetAsync(url);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.ReadJsonAsync();
    }

    static List<int> MovieIds(JsonElement list, string idField = "movie_id") =>
        list.EnumerateArray().Select(m => m.GetProperty(idField).GetInt32()).ToList();

    /// <summary>
    /// Popularity orders are re-sorted in the background at most once a second after ratings change; wait for that so
    /// two consecutive lists are computed from the same orders.
    /// </summary>
    async Task SettleRankingsAsync()
    {
        await Task.Delay(1100);
        await GetAsync("/api/rest/v1/recommendations/genre/drama?limit=1");   // triggers the re-sort
        await Task.Delay(500);
    }

    /// <summary>The trending list (503 until the rating activity has loaded after start).</summary>
    async Task<JsonElement> TrendingAsync(string query = "") =>
        await EngineTestHelpers.WaitForAsync(async () =>
        {
            var response = await _client.GetAsync("/api/rest/v1/movies/trending" + query);
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
                return default;
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return await response.ReadJsonAsync();
        }, b => b.ValueKind == JsonValueKind.Object, TimeSpan.FromSeconds(30));

    /// <summary>A new user who loves five Sci-Fi films and dislikes two comedies.</summary>
    async Task<(int User, int[] Rated)> SciFiFanAsync()
    {
        var user = await _client.CreateUserAsync();
        var loved = SciFi.Order().Take(5).ToArray();
        var disliked = Comedy.Order().Take(2).ToArray();
        var response = await _client.PostJsonAsync($"/api/users/{user}/ratings",
            Api.Batch([.. loved.Select(m => (m, 5.0)), .. disliked.Select(m => (m, 1.0))]));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (user, [.. loved, .. disliked]);
    }

    [Fact]
    public async Task Genre_charts_rank_by_weighted_rating_and_match_genre_names_in_any_spelling()
    {
        var chart = await GetAsync("/api/rest/v1/recommendations/genre/Sci-Fi");
        Assert.Equal("Sci-Fi", chart.GetProperty("genre").GetString());
        var movies = chart.GetProperty("movies").EnumerateArray().ToList();
        Assert.Equal(10, movies.Count);
        var weighted = movies.Select(m => m.GetProperty("weighted_rating").GetDouble()).ToList();
        Assert.Equal(weighted.OrderDescending(), weighted);
        foreach (var movie in movies)
        {
            Assert.Contains("Sci-Fi", movie.GetProperty("genres").EnumerateArray().Select(g => g.GetString()));
            // The listing's movie object: same figures as the movie itself.
            var details = await _client.MovieAsync(movie.GetProperty("id").GetInt32());
            foreach (var field in new[] { "title", "year", "thumbnail_url", "avg_rating", "total_ratings" })
                Assert.Equal(details.GetProperty(field).ToString(), movie.GetProperty(field).ToString());
        }

        // Case, accents and separators do not matter.
        foreach (var spelling in new[] { "sci-fi", "SCI%20FI", "scifi", "sc%C3%AD-fi" })
            Assert.Equal(chart.ToString(), (await GetAsync($"/api/rest/v1/recommendations/genre/{spelling}")).ToString());
        Assert.Equal("Drama", (await GetAsync("/api/rest/v1/recommendations/genre/DR%C3%81MA")).GetProperty("genre").GetString());

        Assert.Equal(3, (await GetAsync("/api/rest/v1/recommendations/genre/comedy?limit=3")).GetProperty("movies").GetArrayLength());
        Assert.InRange((await GetAsync("/api/rest/v1/recommendations/genre/sci-fi?limit=100")).GetProperty("movies").GetArrayLength(), 11, SciFi.Count);
    }

    [Fact]
    public async Task Genre_chart_bad_input_unknown_genre_404_listing_the_genres_and_limit_outside_1_to_100_400()
    {
        var errors = await Api.AssertErrorsAsync(await _client.GetAsync("/api/rest/v1/recommendations/genre/nouvelle-vague"), HttpStatusCode.NotFound, "genre");
        var message = errors.GetProperty("genre")[0].GetString()!;
        Assert.Contains("nouvelle-vague", message);
        foreach (var genre in new[] { "Sci-Fi", "Drama", "Film-Noir", "Western" })
            Assert.Contains(genre, message);
        foreach (var bad in new[] { "0", "101", "ten", "-5" })
            await Api.AssertErrorsAsync(await _client.GetAsync($"/api/rest/v1/recommendations/genre/drama?limit={bad}"), HttpStatusCode.BadRequest, "limit");
    }

    [Fact]
    public async Task Trending_follows_ratings_made_through_the_api_and_is_not_taken_for_a_movie_id()
    {
        var week = await TrendingAsync();
        Assert.Equal("week", week.GetProperty("window").GetString());
        Assert.Equal("now", week.GetProperty("anchor").GetString());   // the demo data's ratings run up to now
        Assert.Equal(42, week.GetProperty("half_life_hours").GetDouble());
        Assert.True((DateTime.UtcNow - week.GetProperty("as_of").GetDateTime()).Duration() < TimeSpan.FromMinutes(1));
        Assert.EndsWith("Z", week.GetProperty("as_of").GetString());
        var movies = week.GetProperty("movies").EnumerateArray().ToList();
        Assert.InRange(movies.Count, 1, 10);
        var scores = movies.Select(m => m.GetProperty("trending_score").GetDouble()).ToList();
        Assert.Equal(scores.OrderDescending(), scores);
        Assert.True(movies[0].TryGetProperty("avg_rating", out _) && movies[0].TryGetProperty("total_ratings", out _));

        // Three new users rate one movie: within the day it is on the list with (at least) their three ratings.
        const int Movie = 4;
        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.Created, (await _client.RateAsync(await _client.CreateUserAsync(), Movie, 4.5)).StatusCode);
        var day = await EngineTestHelpers.WaitForAsync(() => TrendingAsync("?window=day&limit=100"),
            b => b.GetProperty("movies").EnumerateArray().Any(m => m.GetProperty("id").GetInt32() == Movie), TimeSpan.FromSeconds(30));
        Assert.Equal("day", day.GetProperty("window").GetString());
        Assert.Equal("now", day.GetProperty("anchor").GetString());
        var entry = day.GetProperty("movies").EnumerateArray().Single(m => m.GetProperty("id").GetInt32() == Movie);
        Assert.True(entry.GetProperty("ratings_in_window").GetInt32() >= 3, entry.ToString());

        Assert.Equal("month", (await GetAsync("/api/rest/v1/movies/trending?window=MONTH&limit=1")).GetProperty("window").GetString());
        Assert.Equal(1, (await GetAsync("/api/rest/v1/movies/trending?window=month&limit=1")).GetProperty("movies").GetArrayLength());
        Assert.Equal(Movie, (await GetAsync($"/api/rest/v1/movies/{Movie}")).GetProperty("id").GetInt32());   // /movies/{id} still answers
    }

    [Fact]
    public async Task Trending_bad_window_lists_the_valid_ones_and_limit_is_1_to_100()
    {
        var errors = await Api.AssertErrorsAsync(await _client.GetAsync("/api/rest/v1/movies/trending?window=year"), HttpStatusCode.BadRequest, "window");
        Assert.Contains("day, week, month", errors.GetProperty("window")[0].GetString());
        foreach (var bad in new[] { "0", "101", "x" })
            await Api.AssertErrorsAsync(await _client.GetAsync($"/api/rest/v1/movies/trending?limit={bad}"), HttpStatusCode.BadRequest, "limit");
        await Api.AssertErrorsAsync(await _client.GetAsync("/api/rest/v1/movies/trending?window=&limit=0"), HttpStatusCode.BadRequest, "window", "limit");
    }

    [Fact]
    public async Task Every_strategy_lists_unwatched_movies_and_says_where_its_list_came_from()
    {
        var (user, rated) = await SciFiFanAsync();
        await SettleRankingsAsync();
        var liked = DemoData.Movies().Where(m => rated.Take(5).Contains(m.Id)).SelectMany(m => m.Genres).ToHashSet();
        var genres = DemoData.Movies().ToDictionary(m => m.Id, m => m.Genres);

        // Another test of this class trains a model (with clusters): what strategy=cluster gives depends on whether it ran first.
        var clustered = fx.Factory.Services.GetRequiredService<ModelHolder>().Current?.ClusterMembers is not null;
        JsonElement last = default;
        foreach (var strategy in new[] { "model", "genre-weighted", "cluster", "popular", "hybrid" })
        {
            var body = last = await GetAsync($"/api/users/{user}/recommendations?strategy={strategy}&top=10");
            Assert.Equal(strategy, body.GetProperty("strategy").GetString());
            var items = body.GetProperty("recommendations").EnumerateArray().ToList();
            Assert.Equal(10, items.Count);
            Assert.Equal(10, MovieIds(body.GetProperty("recommendations")).Distinct().Count());
            Assert.DoesNotContain(MovieIds(body.GetProperty("recommendations")), rated.Contains);
            Assert.All(items, i => Assert.False(string.IsNullOrEmpty(i.GetProperty("movie_name").GetString())));
            switch (strategy)
            {
                case "genre-weighted":
                    Assert.Equal("genre-weighted", body.GetProperty("source").GetString());
                    Assert.All(items, i => Assert.Equal(JsonValueKind.Null, i.GetProperty("match").ValueKind));
                    // Every pick fills a place of a genre the user likes.
                    Assert.All(items, i => Assert.Contains(genres[i.GetProperty("movie_id").GetInt32()], liked.Contains));
                    break;
                case "popular":
                    Assert.Equal("popularity", body.GetProperty("source").GetString());
                    break;
                case "cluster" when clustered:
                    Assert.Equal("cluster", body.GetProperty("source").GetString());
                    Assert.False(body.TryGetProperty("note", out _));
                    break;
                case "cluster":
                    // No clusters yet: the popularity fallback, and the response says so.
                    Assert.Equal("popularity", body.GetProperty("source").GetString());
                    Assert.Equal(PersonalStrategies.NoClustersNote, body.GetProperty("note").GetString());
                    Assert.Equal(JsonValueKind.Null, body.GetProperty("model_version").ValueKind);
                    break;
                case "hybrid":
                    Assert.Equal("hybrid", body.GetProperty("source").GetString());
                    var matches = items.Select(i => i.GetProperty("match").GetDouble()).ToList();
                    Assert.All(matches, m => Assert.InRange(m, 0, 1));
                    Assert.Equal(matches.OrderDescending(), matches);
                    break;
                case "model":
                    Assert.False(body.TryGetProperty("note", out _));   // today's shape, plus "strategy"
                    break;
            }
        }
        if (!clustered)
            Assert.Equal(
                MovieIds((await GetAsync($"/api/users/{user}/recommendations?strategy=cluster&top=10")).GetProperty("recommendations")),
                MovieIds((await GetAsync($"/api/users/{user}/recommendations?strategy=popular&top=10")).GetProperty("recommendations")));
        Assert.Equal(last.ToString(), (await GetAsync($"/api/users/{user}/recommendations?strategy=Hybrid&top=10")).ToString());
        Assert.Equal(3, (await GetAsync($"/api/users/{user}/recommendations?strategy=popular")).GetProperty("recommendations").GetArrayLength());

        // Without likes genre-weighted is the most popular unwatched movies, i.e. the popular strategy.
        var newcomer = await _client.CreateUserAsync();
        var fallback = await GetAsync($"/api/users/{newcomer}/recommendations?strategy=genre-weighted&top=20");
        Assert.Equal("popularity", fallback.GetProperty("source").GetString());
        Assert.Equal(MovieIds(fallback.GetProperty("recommendations")),
            MovieIds((await GetAsync($"/api/users/{newcomer}/recommendations?strategy=popular&top=20")).GetProperty("recommendations")));
    }

    [Fact]
    public async Task Strategy_bad_input_is_400_naming_the_parameter_and_unknown_users_404()
    {
        var errors = await Api.AssertErrorsAsync(await _client.GetAsync("/api/users/7/recommendations?strategy=best"), HttpStatusCode.BadRequest, "strategy");
        Assert.Contains("model, genre-weighted, cluster, popular, hybrid", errors.GetProperty("strategy")[0].GetString());
        await Api.AssertErrorsAsync(await _client.GetAsync("/api/users/7/recommendations?strategy=&top=0"), HttpStatusCode.BadRequest, "strategy", "top");
        foreach (var bad in new[] { "0", "101", "many" })
            await Api.AssertErrorsAsync(await _client.GetAsync($"/api/users/7/recommendations?strategy=genre-weighted&top={bad}"), HttpStatusCode.BadRequest, "top");
        await Api.AssertErrorsAsync(await _client.GetAsync("/api/users/7/recommendations?strategy=popular&include_rated=true"), HttpStatusCode.BadRequest, "include_rated");
        foreach (var strategy in new[] { "genre-weighted", "cluster", "popular", "hybrid" })
            Api.AssertProblem(await _client.GetAsync($"/api/users/99999999/recommendations?strategy={strategy}"), HttpStatusCode.NotFound);

        foreach (var bad in new[] { "0", "101", "x" })
            await Api.AssertErrorsAsync(await _client.GetAsync($"/api/rest/v1/users/7/recommendations/personalized?limit={bad}"), HttpStatusCode.BadRequest, "limit");
        Api.AssertProblem(await _client.GetAsync("/api/rest/v1/users/99999999/recommendations/personalized"), HttpStatusCode.NotFound);
        Api.AssertProblem(await _client.GetAsync("/api/rest/v1/users/99999999/analytics"), HttpStatusCode.NotFound);
        Api.AssertProblem(await _client.GetAsync("/api/rest/v1/users/abc/analytics"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Personalized_is_the_hybrid_list_with_reasons_and_takes_the_model_in_once_trained_and_model_versions_show_their_metrics()
    {
        var (user, rated) = await SciFiFanAsync();
        await SettleRankingsAsync();
        async Task AssertSameAsHybridAsync(int limit)
        {
            var personalized = await GetAsync($"/api/rest/v1/users/{user}/recommendations/personalized?limit={limit}");
            var hybrid = await GetAsync($"/api/users/{user}/recommendations?strategy=hybrid&top={limit}");
            Assert.Equal(user, personalized.GetProperty("user_id").GetInt32());
            var items = personalized.GetProperty("recommendations").EnumerateArray().ToList();
            Assert.Equal(limit, items.Count);
            Assert.Equal(MovieIds(hybrid.GetProperty("recommendations")), MovieIds(personalized.GetProperty("recommendations")));
            Assert.Equal(hybrid.GetProperty("recommendations").EnumerateArray().Select(i => i.GetProperty("match").GetDouble()),
                items.Select(i => i.GetProperty("score").GetDouble()));
            Assert.Equal(hybrid.GetProperty("model_version").ToString(), personalized.GetProperty("model_version").ToString());
            Assert.All(items, i => Assert.False(string.IsNullOrEmpty(i.GetProperty("title").GetString())));
            Assert.All(items, i => Assert.False(string.IsNullOrEmpty(i.GetProperty("reason").GetString())));
            Assert.DoesNotContain(MovieIds(personalized.GetProperty("recommendations")), rated.Contains);
        }

        // Before a model: genre and popularity only.
        var before = await GetAsync($"/api/rest/v1/users/{user}/recommendations/personalized");
        Assert.Equal(10, before.GetProperty("recommendations").GetArrayLength());
        if (before.GetProperty("model_version").ValueKind == JsonValueKind.Null)
        {
            Assert.DoesNotContain(before.GetProperty("recommendations").EnumerateArray(), i => i.GetProperty("reason").GetString() == "matches your taste");
            Assert.Contains(before.GetProperty("recommendations").EnumerateArray(), i => i.GetProperty("reason").GetString()!.StartsWith("you like "));
        }
        await AssertSameAsHybridAsync(7);

        // Train, as the Functions host would deliver the queue message; every instance then serves the new model.
        var location = await _client.RequestTrainingAsync();
        var (status, _) = await fx.DeliverQueuedMessageAsync();
        Assert.Equal(HttpStatusCode.OK, status);
        var run = await _client.GetFromJsonAsync<JsonElement>(location);
        Assert.Equal("succeeded", run.GetProperty("status").GetString());
        var version = run.GetProperty("model_version").GetString()!;
        await EngineTestHelpers.WaitForAsync(() => GetAsync($"/api/rest/v1/users/{user}/recommendations/personalized"),
            b => b.GetProperty("model_version").ToString() == version, TimeSpan.FromSeconds(30));
        var after = await GetAsync($"/api/rest/v1/users/{user}/recommendations/personalized?limit=20");
        Assert.Contains(after.GetProperty("recommendations").EnumerateArray(), i => i.GetProperty("reason").GetString() == "matches your taste");
        await AssertSameAsHybridAsync(12);

        // The version's manifest with its hold-out metrics.
        var model = await GetAsync($"{EngineTestHelpers.Engine}/models/{version}");
        Assert.Equal(version, model.GetProperty("version").GetString());
        Assert.True(model.GetProperty("active").GetBoolean());
        var manifest = model.GetProperty("manifest");
        Assert.Equal(version, manifest.GetProperty("version").GetString());
        var metrics = manifest.GetProperty("metrics");
        foreach (var metric in new[] { "rmse", "mae", "precision_at10", "recall_at10", "ndcg_at10", "map_at10", "ece" })
            Assert.True(metrics.TryGetProperty(metric, out var value) && value.GetDouble() >= 0, $"{metric} missing: {metrics}");
        Assert.True(manifest.GetProperty("data").GetProperty("ratings").GetInt32() > 0);
        Api.AssertProblem(await _client.GetAsync($"{EngineTestHelpers.Engine}/models/20990101T000000Z-deadbeef"), HttpStatusCode.NotFound);
        Api.AssertProblem(await _client.GetAsync($"{EngineTestHelpers.Engine}/models/..%2factive.json"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Analytics_summarise_a_users_ratings()
    {
        var empty = await GetAsync($"/api/rest/v1/users/{await _client.CreateUserAsync()}/analytics");
        Assert.Equal(0, empty.GetProperty("rating_count").GetInt32());
        Assert.Equal(JsonValueKind.Null, empty.GetProperty("mean_rating").ValueKind);
        Assert.Equal(JsonValueKind.Null, empty.GetProperty("first_rated_at").ValueKind);
        Assert.Empty(empty.GetProperty("favourite_genres").EnumerateArray());
        Assert.All(empty.GetProperty("rating_distribution").EnumerateObject(), p => Assert.Equal(0, p.Value.GetInt32()));

        var user = await _client.CreateUserAsync();
        var start = DateTime.UtcNow.AddSeconds(-2);
        // 8 Metropolis (Drama|Sci-Fi) 5, 67 Forbidden Planet (Adventure|Sci-Fi) 4.5, 4 Sherlock Jr. (Comedy) 1.
        Assert.True((await _client.PostJsonAsync($"/api/users/{user}/ratings", Api.Batch((8, 5), (67, 4.5)))).IsSuccessStatusCode);
        Assert.Equal(HttpStatusCode.Created, (await _client.RateAsync(user, 4, 1)).StatusCode);
        var body = await GetAsync($"/api/rest/v1/users/{user}/analytics");
        Assert.Equal(user, body.GetProperty("user_id").GetInt32());
        Assert.Equal(3, body.GetProperty("rating_count").GetInt32());
        Assert.Equal(3.5, body.GetProperty("mean_rating").GetDouble());
        var distribution = body.GetProperty("rating_distribution").EnumerateObject().ToList();
        Assert.Equal(["0.5", "1.0", "1.5", "2.0", "2.5", "3.0", "3.5", "4.0", "4.5", "5.0"], distribution.Select(p => p.Name));
        Assert.Equal([0, 1, 0, 0, 0, 0, 0, 0, 1, 1], distribution.Select(p => p.Value.GetInt32()));
        var first = body.GetProperty("first_rated_at").GetDateTime();
        var lastRated = body.GetProperty("last_rated_at").GetDateTime();
        Assert.EndsWith("Z", body.GetProperty("first_rated_at").GetString());
        Assert.InRange(first, start, lastRated);
        Assert.InRange(lastRated, first, DateTime.UtcNow.AddSeconds(2));

        var genres = body.GetProperty("favourite_genres").EnumerateArray().ToList();
        Assert.Equal(["Sci-Fi", "Drama", "Adventure", "Comedy"], genres.Select(g => g.GetProperty("genre").GetString()));
        Assert.Equal(9.5, genres[0].GetProperty("score").GetDouble());
        Assert.Equal(2, genres[0].GetProperty("count").GetInt32());
        Assert.Equal(4.75, genres[0].GetProperty("mean_rating").GetDouble());
        Assert.Equal(Math.Round(9.5 / 20, 4), genres[0].GetProperty("share").GetDouble());
    }

    [Fact]
    public async Task The_portuguese_routes_page_the_movies_and_recommend_by_cluster()
    {
        // /api/filmes pages exactly as the listing does.
        Assert.Equal((await GetAsync("/api/rest/v1/movies?page=2&limit=5")).ToString(), (await GetAsync("/api/filmes?page=2&limit=5")).ToString());
        var page = await GetAsync("/api/filmes");
        Assert.Equal(10, page.GetProperty("movies").GetArrayLength());
        Assert.Equal(DemoData.Movies().Count, page.GetProperty("total").GetInt32());
        Assert.Equal(1, page.GetProperty("page").GetInt32());
        Assert.Empty((await GetAsync("/api/filmes?page=9999&limit=100")).GetProperty("movies").EnumerateArray());
        foreach (var (query, field) in new[] { ("limit=0", "limit"), ("limit=101", "limit"), ("page=0", "page"), ("page=x", "page") })
            await Api.AssertErrorsAsync(await _client.GetAsync($"/api/filmes?{query}"), HttpStatusCode.BadRequest, field);

        var (user, rated) = await SciFiFanAsync();
        var recs = await GetAsync($"/api/filmes/{user}/recomendacoes");
        Assert.Equal("cluster", recs.GetProperty("strategy").GetString());
        Assert.Equal(10, recs.GetProperty("recommendations").GetArrayLength());
        Assert.DoesNotContain(MovieIds(recs.GetProperty("recommendations")), rated.Contains);
        Assert.Equal(5, (await GetAsync($"/api/filmes/{user}/recomendacoes?limit=5")).GetProperty("recommendations").GetArrayLength());
        await Api.AssertErrorsAsync(await _client.GetAsync($"/api/filmes/{user}/recomendacoes?limit=101"), HttpStatusCode.BadRequest, "limit");

        var missing = await _client.GetAsync("/api/filmes/99999999/recomendacoes");
        Api.AssertProblem(missing, HttpStatusCode.NotFound);
        var problem = await missing.ReadJsonAsync();
        Assert.Equal("Usuário não encontrado", problem.GetProperty("title").GetString());
        Assert.Contains("99999999", problem.GetProperty("detail").GetString());
        Api.AssertProblem(await _client.GetAsync("/api/filmes/abc/recomendacoes"), HttpStatusCode.NotFound);
    }

    /// <summary>Hand-made clusters in place of the trained ones: Sci-Fi, other comedies, the rest.</summary>
    sealed class DemoClusters : ClusterSource
    {
        readonly IReadOnlyList<IReadOnlyList<int>> _clusters =
        [
            [.. SciFi],
            [.. Comedy],
            [.. DemoData.Movies().Select(m => m.Id).Where(id => !SciFi.Contains(id) && !Comedy.Contains(id))],
        ];

        public override IReadOnlyList<IReadOnlyList<int>>? Clusters(ServedModel? served) => _clusters;
    }

    [Fact]
    public async Task Once_the_cluster_seam_gives_clusters_the_cluster_strategy_recommends_from_the_best_liked_cluster()
    {
        await using var withClusters = fx.Factory.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<ClusterSource>(new DemoClusters())));
        var client = withClusters.CreateClient();
        await EngineTestHelpers.WaitForAsync(async () => JsonSerializer.SerializeToElement((int)(await client.GetAsync("/api/health")).StatusCode),
            s => s.GetInt32() == 200, TimeSpan.FromSeconds(60));

        var (user, rated) = await SciFiFanAsync();
        foreach (var url in new[] { $"/api/users/{user}/recommendations?strategy=cluster&top=10", $"/api/filmes/{user}/recomendacoes" })
        {
            var body = await client.GetFromJsonAsync<JsonElement>(url);
            Assert.Equal("cluster", body.GetProperty("source").GetString());
            Assert.False(body.TryGetProperty("note", out _));
            var items = body.GetProperty("recommendations").EnumerateArray().ToList();
            Assert.Equal(10, items.Count);
            Assert.All(items, i => Assert.Contains(i.GetProperty("movie_id").GetInt32(), SciFi));
            Assert.DoesNotContain(MovieIds(body.GetProperty("recommendations")), rated.Contains);
            // (5 × 5 + 3 × mean 3.857) ÷ 8 = 4.5714 stars → 0.9143
            Assert.All(items, i => Assert.Equal(0.9143, i.GetProperty("match").GetDouble()));
        }
    }

    [Fact]
    public async Task Every_new_endpoint_is_a_function_in_the_metadata_table_and_in_the_openapi_document()
    {
        var openApi = await GetAsync("/api/openapi/v1.json");
        foreach (var path in new[] { "/api/rest/v1/recommendations/genre/{genre}", "/api/rest/v1/movies/trending", "/api/rest/v1/users/{id}/analytics",
            "/api/rest/v1/users/{id}/recommendations/personalized", "/api/rest/v1/recommendation-engine/models/{version}", "/api/filmes",
            "/api/filmes/{user_id}/recomendacoes" })
            Assert.True(openApi.GetProperty("paths").TryGetProperty(path, out var item) && item.GetProperty("get").TryGetProperty("summary", out _), path);

        var functions = FunctionsMetadataFile.Http().ToDictionary(f => f.Name);
        foreach (var (name, route) in new[]
        {
            ("GetGenreChart", "rest/v1/recommendations/genre/{genre}"),
            ("ListTrendingMovies", "rest/v1/movies/trending"),
            ("GetPersonalizedRecommendations", "rest/v1/users/{id:int}/recommendations/personalized"),
            ("GetUserAnalytics", "rest/v1/users/{id:int}/analytics"),
            ("GetModel", "rest/v1/recommendation-engine/models/{version}"),
            ("ListFilmes", "filmes"),
            ("GetRecomendacoes", "filmes/{user_id:int}/recomendacoes"),
        })
        {
            Assert.True(functions.TryGetValue(name, out var function), name);
            Assert.Equal(route, function!.Route);
            Assert.Equal(new[] { "get" }, function.Methods);
            Assert.Equal("anonymous", function.AuthLevel);
        }
    }
}

/// <summary>Discovery on the designed six-movie catalog (<see cref="SmallCatalogFixture"/>), whose ratings are from November 2023.</summary>
public sealed class DiscoverySmallCatalogTests(SmallCatalogFixture app) : IClassFixture<SmallCatalogFixture>
{
    readonly HttpClient _client = app.Client;

    [Fact]
    public async Task Trending_over_an_old_data_set_is_relative_to_the_newest_rating_and_says_so()
    {
        var body = await EngineTestHelpers.WaitForAsync(async () =>
        {
            var response = await _client.GetAsync("/api/rest/v1/movies/trending?window=day");
            return response.StatusCode == HttpStatusCode.OK ? await response.ReadJsonAsync() : default;   // 503 while it loads
        }, b => b.ValueKind == JsonValueKind.Object, TimeSpan.FromSeconds(30));
        Assert.Equal("newest_rating", body.GetProperty("anchor").GetString());
        Assert.Equal("2023-11-14T22:14:01Z", body.GetProperty("as_of").GetString());   // 1,700,000,041: the last imported rating
        var movies = body.GetProperty("movies").EnumerateArray().ToList();
        Assert.Equal([4, 5, 3, 2, 1], movies.Select(m => m.GetProperty("id").GetInt32()));
        Assert.Equal([20, 10, 6, 5, 1], movies.Select(m => m.GetProperty("ratings_in_window").GetInt32()));
    }

    [Fact]
    public async Task Genre_charts_rank_by_the_bayesian_average_and_a_known_genre_without_ratings_is_an_empty_chart()
    {
        // m = 25 ratings of the global mean C = 127 / 42 added to each movie's own.
        static double Weighted(double sum, int n) => Math.Round((sum + 25 * (127.0 / 42)) / (n + 25), 4);
        var comedy = await _client.GetFromJsonAsync<JsonElement>("/api/rest/v1/recommendations/genre/COMEDY");
        Assert.Equal("Comedy", comedy.GetProperty("genre").GetString());
        Assert.Equal(25, comedy.GetProperty("min_ratings").GetInt32());
        var movies = comedy.GetProperty("movies").EnumerateArray().ToList();
        Assert.Equal([5, 2], movies.Select(m => m.GetProperty("id").GetInt32()));
        Assert.Equal([Weighted(40, 10), Weighted(15, 5)], movies.Select(m => m.GetProperty("weighted_rating").GetDouble()));
        Assert.Equal([4.0, 3.0], movies.Select(m => m.GetProperty("avg_rating").GetDouble()));
        Assert.Equal([10, 5], movies.Select(m => m.GetProperty("total_ratings").GetInt32()));

        var drama = await _client.GetFromJsonAsync<JsonElement>("/api/rest/v1/recommendations/genre/drama");
        Assert.Equal([3, 1], drama.GetProperty("movies").EnumerateArray().Select(m => m.GetProperty("id").GetInt32()));

        var horror = await _client.GetFromJsonAsync<JsonElement>("/api/rest/v1/recommendations/genre/horror");
        Assert.Empty(horror.GetProperty("movies").EnumerateArray());

        var errors = await Api.AssertErrorsAsync(await _client.GetAsync("/api/rest/v1/recommendations/genre/sci-fi"), HttpStatusCode.NotFound, "genre");
        Assert.Contains("Action, Comedy, Drama, Horror", errors.GetProperty("genre")[0].GetString());
    }

    [Fact]
    public async Task Analytics_of_an_imported_user_carry_the_imported_rating_time()
    {
        var body = await _client.GetFromJsonAsync<JsonElement>($"/api/rest/v1/users/{SmallCatalogFixture.MaxImportedUserId}/analytics");
        Assert.Equal(1, body.GetProperty("rating_count").GetInt32());
        Assert.Equal(4.0, body.GetProperty("mean_rating").GetDouble());
        Assert.Equal("2023-11-14T22:14:01Z", body.GetProperty("first_rated_at").GetString());
        Assert.Equal("2023-11-14T22:14:01Z", body.GetProperty("last_rated_at").GetString());
        Assert.Equal(1, body.GetProperty("rating_distribution").GetProperty("4.0").GetInt32());
        var genre = Assert.Single(body.GetProperty("favourite_genres").EnumerateArray());
        Assert.Equal("Comedy", genre.GetProperty("genre").GetString());
        Assert.Equal(1.0, genre.GetProperty("share").GetDouble());
    }
}
