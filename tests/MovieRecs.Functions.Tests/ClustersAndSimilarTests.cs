using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using MovieRecs.Core.Demo;
using MovieRecs.Core.Discovery;
using MovieRecs.Core.Engine;
using MovieRecs.Functions.Discovery;
using MovieRecs.Functions.Engine;
using MovieRecs.Functions.Hosting;

namespace MovieRecs.Functions.Tests;

/// <summary>
/// Movie clusters stored by training and served with the model, GET /clusters, the cluster strategy on real clusters, and
/// similar movies; on the demo catalog with an Azurite and app of their own (the tests play the Functions host to train).
/// </summary>
public sealed class ClustersAndSimilarTests(EngineFixture fx) : IClassFixture<EngineFixture>
{
    const int ToyStory = 276, ToyStory2 = 320, ToyStory3 = 433;
    const int User = 7;
    const string Similar = "/api/rest/v1/movies/{0}/similar";

    readonly HttpClient _client = fx.Client;

    async Task<JsonElement> GetAsync(string url)
    {
        var response = await _client.GetAsync(url);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.ReadJsonAsync();
    }

    static string SimilarUrl(int movie, string query = "") => string.Format(Similar, movie) + query;

    static List<int> Ids(JsonElement list, string field = "movie_id") => list.EnumerateArray().Select(m => m.GetProperty(field).GetInt32()).ToList();

    /// <summary>A similar list's invariants: never the movie itself, titles and reasons, best first, at most the limit.</summary>
    static List<int> AssertSimilarList(JsonElement body, int movie, string strategy, int limit)
    {
        Assert.Equal(movie, body.GetProperty("movie_id").GetInt32());
        Assert.Equal(strategy, body.GetProperty("strategy").GetString());
        var items = body.GetProperty("recommendations").EnumerateArray().ToList();
        Assert.InRange(items.Count, 1, limit);
        var ids = Ids(body.GetProperty("recommendations"));
        Assert.DoesNotContain(movie, ids);
        Assert.Equal(ids.Count, ids.Distinct().Count());
        var scores = items.Select(i => i.GetProperty("score").GetDouble()).ToList();
        Assert.Equal(scores.OrderDescending(), scores);
        Assert.All(scores, s => Assert.InRange(s, 0, 1));
        Assert.All(items, i => Assert.False(string.IsNullOrEmpty(i.GetProperty("title").GetString())));
        Assert.All(items, i => Assert.False(string.IsNullOrEmpty(i.GetProperty("reason").GetString())));
        return ids;
    }

    [Fact]
    public async Task Training_stores_clusters_next_to_the_model_and_they_drive_the_clusters_list_the_cluster_strategy_and_similar_movies()
    {
        // ---- before any model: no clusters (200, empty, saying why); similar is content only; cluster strategy falls back
        var none = await GetAsync("/api/rest/v1/clusters");
        Assert.Equal(JsonValueKind.Null, none.GetProperty("model_version").ValueKind);
        Assert.Equal(0, none.GetProperty("k").GetInt32());
        Assert.Empty(none.GetProperty("clusters").EnumerateArray());
        Assert.StartsWith(SimilarAndClustersApi.NoModelNote, none.GetProperty("note").GetString());

        var collaborativeBefore = await GetAsync(SimilarUrl(ToyStory, "?strategy=collaborative"));
        Assert.Equal("collaborative", collaborativeBefore.GetProperty("strategy").GetString());
        Assert.Empty(collaborativeBefore.GetProperty("recommendations").EnumerateArray());
        Assert.StartsWith(SimilarAndClustersApi.NoModelNote, collaborativeBefore.GetProperty("note").GetString());
        var hybridBefore = await GetAsync(SimilarUrl(ToyStory));
        AssertSimilarList(hybridBefore, ToyStory, "hybrid", 10);
        Assert.Equal("content", hybridBefore.GetProperty("source").GetString());
        Assert.Equal(JsonValueKind.Null, hybridBefore.GetProperty("model_version").ValueKind);
        Assert.Contains(ToyStory2, Ids(hybridBefore.GetProperty("recommendations")));
        Assert.True(hybridBefore.TryGetProperty("note", out _));

        var clusterBefore = await GetAsync($"/api/users/{User}/recommendations?strategy=cluster&top=10");
        Assert.Equal("popularity", clusterBefore.GetProperty("source").GetString());
        Assert.Equal(PersonalStrategies.NoClustersNote, clusterBefore.GetProperty("note").GetString());

        // ---- a training run, as the Functions host delivers it
        var location = await _client.RequestTrainingAsync();
        var (status, error) = await fx.DeliverQueuedMessageAsync();
        Assert.True(status == HttpStatusCode.OK, error);
        var run = await _client.GetFromJsonAsync<JsonElement>(location);
        Assert.Equal("succeeded", run.GetProperty("status").GetString());
        var version = run.GetProperty("model_version").GetString()!;

        // clusters.json next to model.bin, and the manifest summarises it with its cost beside the training's
        Assert.True(await fx.Storage.Models.GetBlobClient($"{version}/model.bin").ExistsAsync());
        var stored = MovieClusters.FromJson((await fx.Storage.Models.GetBlobClient($"{version}/clusters.json").DownloadContentAsync()).Value.Content.ToString());
        var manifestText = (await fx.Storage.Models.GetBlobClient($"{version}/manifest.json").DownloadContentAsync()).Value.Content.ToString();
        var manifest = JsonDocument.Parse(manifestText).RootElement;
        var summary = manifest.GetProperty("clusters");
        Assert.InRange(stored.K, MovieClusters.DefaultMinK, MovieClusters.DefaultMaxK);
        Assert.Equal(stored.K, summary.GetProperty("k").GetInt32());
        Assert.Equal(Math.Round(stored.Silhouette, 4), summary.GetProperty("silhouette").GetDouble());
        Assert.Equal(42, summary.GetProperty("seed").GetInt32());   // the run's seed (TrainingOptions default)
        Assert.Equal(MovieClusters.DefaultMinRatings, summary.GetProperty("min_ratings").GetInt32());
        var clusteredCount = stored.Clusters.Sum(c => c.MovieIds.Count);
        Assert.Equal(clusteredCount, summary.GetProperty("clustered_movies").GetInt32());
        Assert.Equal(stored.Clusters.Sum(c => c.AssignedMovieIds.Count), summary.GetProperty("assigned_movies").GetInt32());
        Assert.Equal(stored.Tried.Select(t => t.K), summary.GetProperty("tried").EnumerateArray().Select(t => t.GetProperty("k").GetInt32()));
        Assert.Contains(summary.GetProperty("tried").EnumerateArray(), t => t.GetProperty("k").GetInt32() == stored.K);
        Assert.True(summary.GetProperty("bytes").GetInt64() > 100);
        Assert.True(manifest.GetProperty("cluster_seconds").GetDouble() > 0);
        Assert.True(manifest.GetProperty("train_seconds").GetDouble() > 0);
        var listed = (await GetAsync($"{EngineTestHelpers.Engine}/models")).GetProperty("models")[0];
        Assert.Equal(version, listed.GetProperty("version").GetString());
        Assert.Equal(stored.K, listed.GetProperty("cluster_k").GetInt32());
        Assert.Equal(manifest.GetProperty("cluster_seconds").GetDouble(), listed.GetProperty("cluster_seconds").GetDouble());
        Assert.Equal(stored.K, (await GetAsync($"{EngineTestHelpers.Engine}/models/{version}")).GetProperty("manifest").GetProperty("clusters").GetProperty("k").GetInt32());

        // ---- GET /clusters: the served model's clusters, sizes adding up to the clustered movies
        var clusters = await EngineTestHelpers.WaitForAsync(() => GetAsync("/api/rest/v1/clusters"),
            b => b.GetProperty("model_version").ToString() == version, TimeSpan.FromSeconds(30));
        Assert.False(clusters.TryGetProperty("note", out _));
        Assert.Equal(stored.K, clusters.GetProperty("k").GetInt32());
        Assert.Equal(Math.Round(stored.Silhouette, 4), clusters.GetProperty("silhouette").GetDouble());
        Assert.Equal(MovieClusters.DefaultMinRatings, clusters.GetProperty("min_ratings").GetInt32());
        var items = clusters.GetProperty("clusters").EnumerateArray().ToList();
        Assert.Equal(stored.K, items.Count);
        Assert.Equal(clusteredCount, items.Sum(c => c.GetProperty("size").GetInt32()));
        var genreCounts = DemoData.Movies().ToDictionary(m => m.Id, m => m.Genres);
        for (var c = 0; c < items.Count; c++)
        {
            var item = items[c];
            Assert.Equal(c, item.GetProperty("id").GetInt32());
            Assert.Equal(stored.Clusters[c].MovieIds.Count, item.GetProperty("size").GetInt32());
            Assert.Equal(stored.Clusters[c].AssignedMovieIds.Count, item.GetProperty("assigned_movies").GetInt32());
            var members = stored.Clusters[c].MovieIds.Concat(stored.Clusters[c].AssignedMovieIds).ToHashSet();
            var top = item.GetProperty("top_movies").EnumerateArray().ToList();
            Assert.Equal(Math.Min(5, members.Count), top.Count);   // every member is a demo catalog movie
            Assert.All(top, m => Assert.Contains(m.GetProperty("id").GetInt32(), members));
            Assert.All(top, m => Assert.False(string.IsNullOrEmpty(m.GetProperty("thumbnail_url").GetString())));   // the listing's movie object
            var genres = item.GetProperty("dominant_genres").EnumerateArray().ToList();
            Assert.InRange(genres.Count, 1, ClusterOverview.MaxDominantGenres);
            foreach (var g in genres)
            {
                // the share is the cluster's clustered movies listing the genre
                var name = g.GetProperty("genre").GetString()!;
                var expected = (double)stored.Clusters[c].MovieIds.Count(id => genreCounts[id].Contains(name)) / stored.Clusters[c].MovieIds.Count;
                Assert.Equal(Math.Round(expected, 4), g.GetProperty("share").GetDouble());
                Assert.True(g.GetProperty("lift").GetDouble() > 0);
            }
            if (genres.Count > 1)
                Assert.All(genres, g => Assert.True(g.GetProperty("share").GetDouble() >= ClusterOverview.MinGenreShare));
        }
        Assert.All((await GetAsync("/api/rest/v1/clusters?movies=1")).GetProperty("clusters").EnumerateArray(),
            c => Assert.Equal(1, c.GetProperty("top_movies").GetArrayLength()));
        Assert.Equal(stored.Clusters.Select(c => Math.Min(20, c.MovieIds.Count + c.AssignedMovieIds.Count)),
            (await GetAsync("/api/rest/v1/clusters?movies=20")).GetProperty("clusters").EnumerateArray().Select(c => c.GetProperty("top_movies").GetArrayLength()));

        // ---- the cluster strategy and the Portuguese route now answer from the clusters
        var rated = await _client.UserRatingsAsync(User);
        foreach (var url in new[] { $"/api/users/{User}/recommendations?strategy=cluster&top=10", $"/api/filmes/{User}/recomendacoes" })
        {
            var body = await GetAsync(url);
            Assert.Equal("cluster", body.GetProperty("strategy").GetString());
            Assert.Equal("cluster", body.GetProperty("source").GetString());
            Assert.Equal(version, body.GetProperty("model_version").GetString());
            Assert.False(body.TryGetProperty("note", out _));
            var recs = body.GetProperty("recommendations").EnumerateArray().ToList();
            Assert.Equal(10, recs.Count);
            Assert.DoesNotContain(Ids(body.GetProperty("recommendations")), rated.ContainsKey);
            Assert.All(recs, r => Assert.InRange(r.GetProperty("match").GetDouble(), 0, 1));
        }

        // ---- similar movies with the model: every strategy
        var content = await GetAsync(SimilarUrl(ToyStory, "?strategy=content"));
        var contentIds = AssertSimilarList(content, ToyStory, "content", 10);
        Assert.Equal("content", content.GetProperty("source").GetString());
        Assert.Equal(JsonValueKind.Null, content.GetProperty("model_version").ValueKind);
        Assert.Contains(ToyStory2, contentIds);
        Assert.Contains(ToyStory3, contentIds);
        Assert.Contains("title: 'toy', 'story'", content.GetProperty("recommendations")[0].GetProperty("reason").GetString());

        var collaborative = await GetAsync(SimilarUrl(ToyStory, "?strategy=COLLABORATIVE&limit=20"));
        AssertSimilarList(collaborative, ToyStory, "collaborative", 20);
        Assert.Equal("collaborative", collaborative.GetProperty("source").GetString());
        Assert.Equal(version, collaborative.GetProperty("model_version").GetString());
        Assert.False(collaborative.TryGetProperty("note", out _));
        Assert.All(collaborative.GetProperty("recommendations").EnumerateArray(), i => Assert.Equal("liked by the same people", i.GetProperty("reason").GetString()));

        var hybrid = await GetAsync(SimilarUrl(ToyStory, "?strategy=hybrid&limit=5"));
        Assert.Equal(5, AssertSimilarList(hybrid, ToyStory, "hybrid", 5).Count);
        Assert.Equal("hybrid", hybrid.GetProperty("source").GetString());
        Assert.Equal(version, hybrid.GetProperty("model_version").GetString());
        Assert.Equal(Ids(hybrid.GetProperty("recommendations")), Ids((await GetAsync(SimilarUrl(ToyStory, "?limit=5"))).GetProperty("recommendations")));
        Assert.Equal(100, (await GetAsync(SimilarUrl(ToyStory, "?strategy=content&limit=100"))).GetProperty("recommendations").GetArrayLength());

        // a catalog movie the model has no ratings of (if the demo data leaves one unrated): content, saying so
        var served = fx.Factory.Services.GetRequiredService<ModelHolder>().Current!;
        Assert.NotNull(served.Ranker); // loaded with its version
        if (DemoData.Movies().Select(m => m.Id).FirstOrDefault(id => !served.Model.ContainsMovie(id)) is var unseen and > 0)
        {
            var cold = await GetAsync(SimilarUrl(unseen, "?strategy=collaborative"));
            Assert.Empty(cold.GetProperty("recommendations").EnumerateArray());
            Assert.Contains("no ratings of this movie", cold.GetProperty("note").GetString());
            Assert.Equal("content", (await GetAsync(SimilarUrl(unseen))).GetProperty("source").GetString());
        }

        // ---- a version written before training clustered (no clusters.json, no cluster fields) still loads and serves
        var legacy = $"{DateTime.UtcNow:yyyyMMdd'T'HHmmss'Z'}-noclusters";
        var old = JsonNode.Parse(manifestText)!.AsObject();
        old.Remove("clusters");
        old.Remove("cluster_seconds");
        old["version"] = legacy;
        var modelBytes = (await fx.Storage.Models.GetBlobClient($"{version}/model.bin").DownloadContentAsync()).Value.Content;
        await fx.Storage.Models.GetBlobClient($"{legacy}/model.bin").UploadAsync(modelBytes);
        await fx.Storage.Models.GetBlobClient($"{legacy}/manifest.json").UploadAsync(BinaryData.FromString(old.ToJsonString()));
        Assert.Equal(HttpStatusCode.OK, (await _client.SendAsync(EngineTestHelpers.Admin(HttpMethod.Post, $"{EngineTestHelpers.Engine}/models/{legacy}/activate"))).StatusCode);
        await EngineTestHelpers.WaitForAsync(() => _client.RecommendedAsync(User), b => b.GetProperty("model_version").GetString() == legacy, TimeSpan.FromSeconds(30));
        // ... without a ranker (none in the version): the base models' list
        Assert.Null(fx.Factory.Services.GetRequiredService<ModelHolder>().Current!.Ranker);
        var legacyList = await _client.RecommendedAsync(User);
        Assert.Equal("model", legacyList.GetProperty("source").GetString());
        Assert.NotEmpty(legacyList.Ids());
        var legacyModel = await GetAsync($"{EngineTestHelpers.Engine}/models/{legacy}");
        Assert.Equal(JsonValueKind.Null, legacyModel.GetProperty("manifest").GetProperty("clusters").ValueKind);
        var noClusters = await GetAsync("/api/rest/v1/clusters");
        Assert.Equal(legacy, noClusters.GetProperty("model_version").GetString());
        Assert.Empty(noClusters.GetProperty("clusters").EnumerateArray());
        Assert.Equal(SimilarAndClustersApi.NoClustersForVersionNote, noClusters.GetProperty("note").GetString());
        var fallback = await GetAsync($"/api/users/{User}/recommendations?strategy=cluster&top=10");
        Assert.Equal("popularity", fallback.GetProperty("source").GetString());
        Assert.Equal(PersonalStrategies.NoClustersNote, fallback.GetProperty("note").GetString());
        var legacyCollaborative = await GetAsync(SimilarUrl(ToyStory, "?strategy=collaborative"));
        Assert.Equal(legacy, legacyCollaborative.GetProperty("model_version").GetString());
        Assert.Equal(Ids(collaborative.GetProperty("recommendations")).Take(10), Ids(legacyCollaborative.GetProperty("recommendations")));

        // and rolling forward brings the clusters back with their model
        Assert.Equal(HttpStatusCode.OK, (await _client.SendAsync(EngineTestHelpers.Admin(HttpMethod.Post, $"{EngineTestHelpers.Engine}/models/{version}/activate"))).StatusCode);
        var back = await GetAsync("/api/rest/v1/clusters");
        Assert.Equal(version, back.GetProperty("model_version").GetString());
        Assert.Equal(stored.K, back.GetProperty("k").GetInt32());
    }

    [Fact]
    public async Task Similar_and_clusters_bad_input_is_400_naming_the_parameter_and_unknown_movies_404()
    {
        var missing = await _client.GetAsync(SimilarUrl(99999999));
        Api.AssertProblem(missing, HttpStatusCode.NotFound);
        Assert.Contains("99999999", (await missing.ReadJsonAsync()).GetProperty("detail").GetString());
        Api.AssertProblem(await _client.GetAsync(SimilarUrl(99999999, "?strategy=collaborative")), HttpStatusCode.NotFound);
        Api.AssertProblem(await _client.GetAsync("/api/rest/v1/movies/abc/similar"), HttpStatusCode.NotFound);
        Api.AssertProblem(await _client.GetAsync("/api/rest/v1/movies/99999999999/similar"), HttpStatusCode.NotFound);

        var errors = await Api.AssertErrorsAsync(await _client.GetAsync(SimilarUrl(ToyStory, "?strategy=best")), HttpStatusCode.BadRequest, "strategy");
        Assert.Contains("hybrid, content, collaborative", errors.GetProperty("strategy")[0].GetString());
        Assert.Contains("best", errors.GetProperty("strategy")[0].GetString());
        foreach (var bad in new[] { "0", "101", "-1", "ten", "" })
            await Api.AssertErrorsAsync(await _client.GetAsync(SimilarUrl(ToyStory, $"?limit={bad}")), HttpStatusCode.BadRequest, "limit");
        await Api.AssertErrorsAsync(await _client.GetAsync(SimilarUrl(ToyStory, "?strategy=&limit=0")), HttpStatusCode.BadRequest, "strategy", "limit");
        // bad parameters are reported before an unknown movie
        await Api.AssertErrorsAsync(await _client.GetAsync(SimilarUrl(99999999, "?limit=500")), HttpStatusCode.BadRequest, "limit");

        foreach (var bad in new[] { "0", "21", "x" })
            await Api.AssertErrorsAsync(await _client.GetAsync($"/api/rest/v1/clusters?movies={bad}"), HttpStatusCode.BadRequest, "movies");
    }

    [Fact]
    public async Task The_new_endpoints_are_functions_in_the_metadata_table_and_in_the_openapi_document()
    {
        var openApi = await GetAsync("/api/openapi/v1.json");
        foreach (var path in new[] { "/api/rest/v1/movies/{id}/similar", "/api/rest/v1/clusters" })
            Assert.True(openApi.GetProperty("paths").TryGetProperty(path, out var item) && item.GetProperty("get").TryGetProperty("summary", out _), path);

        var functions = FunctionsMetadataFile.Http().ToDictionary(f => f.Name);
        foreach (var (name, route) in new[] { ("GetSimilarMovies", "rest/v1/movies/{id:int}/similar"), ("ListMovieClusters", "rest/v1/clusters") })
        {
            Assert.True(functions.TryGetValue(name, out var function), name);
            Assert.Equal(route, function!.Route);
            Assert.Equal(new[] { "get" }, function.Methods);
            Assert.Equal("anonymous", function.AuthLevel);
        }
        // the movie itself still answers: "/similar" did not shadow a sibling route
        Assert.Equal(ToyStory, (await GetAsync($"/api/rest/v1/movies/{ToyStory}")).GetProperty("id").GetInt32());
    }
}
