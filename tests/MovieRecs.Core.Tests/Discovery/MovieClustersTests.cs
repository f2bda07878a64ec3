using System.Diagnostics;
using MovieRecs.Core.Discovery;
using MovieRecs.Recommender;
using Xunit.Abstractions;

namespace MovieRecs.Core.Tests.Discovery;

public class MovieClustersTests(ITestOutputHelper output)
{
    static readonly Lazy<MovieClusters> s_clusters = new(() => MovieClusters.Build(DiscoveryData.Model));

    static MovieClusters Clusters => s_clusters.Value;

    [MovieLensFact]
    public void EveryMovieOfTheModelIsPlacedOnceAndTheClustersAreNonTrivial()
    {
        var model = DiscoveryData.Model;
        var c = Clusters;
        Assert.InRange(c.K, MovieClusters.DefaultMinK, MovieClusters.DefaultMaxK);
        Assert.Equal(Enumerable.Range(MovieClusters.DefaultMinK, MovieClusters.DefaultMaxK - MovieClusters.DefaultMinK + 1), c.Tried.Select(t => t.K));
        // k is searched on the silhouette sample (each k fitted on it alone), then fitted on every clustered movie:
        // the chosen k is the best tried, and the silhouette reported is that of the final fit
        Assert.Equal(c.Tried.MaxBy(t => t.Silhouette).K, c.K);
        Assert.InRange(c.Silhouette, 0.01, 1);
        Assert.Equal(model.Options.Seed, c.Seed);

        var core = c.Clusters.SelectMany(x => x.MovieIds).ToArray();
        var assigned = c.Clusters.SelectMany(x => x.AssignedMovieIds).ToArray();
        Assert.Equal(core.Length, core.Distinct().Count());
        Assert.Empty(core.Intersect(assigned));
        Assert.Equal(model.MovieIds.Where(id => model.MovieRatingCount(id) >= MovieClusters.DefaultMinRatings).Order(), core.Order());
        Assert.Equal(model.MovieIds.Where(id => model.MovieRatingCount(id) < MovieClusters.DefaultMinRatings).Order(), assigned.Order());

        // largest first, none empty, none swallowing the catalog
        for (var i = 0; i < c.K; i++)
            Assert.Equal(i, c.Clusters[i].Id);
        Assert.True(c.Clusters.Zip(c.Clusters.Skip(1)).All(p => p.First.MovieIds.Count >= p.Second.MovieIds.Count));
        Assert.All(c.Clusters, x => Assert.True(x.MovieIds.Count >= 20, $"cluster {x.Id} has {x.MovieIds.Count} movies"));
        Assert.True(c.Clusters[0].MovieIds.Count < core.Length * 0.4, $"the largest cluster holds {c.Clusters[0].MovieIds.Count} of {core.Length}");
        Assert.True(c.Silhouette > 0, $"silhouette {c.Silhouette}");

        foreach (var x in c.Clusters)
        {
            Assert.Same(x, c.ClusterOf(x.MovieIds[0]));
            if (x.AssignedMovieIds.Count > 0)
                Assert.Same(x, c.ClusterOf(x.AssignedMovieIds[^1]));
        }
        Assert.Null(c.ClusterOf(-5));
        Assert.Null(c.ClusterOf(1076)); // in the catalog but never rated, so not in the model
    }

    [MovieLensFact]
    public void AnimatedChildrensFilmsAndFranchisesStayTogether()
    {
        var model = DiscoveryData.Model;
        var c = Clusters;
        var clustered = c.Clusters.Sum(x => x.MovieIds.Count);
        var animated = TestData.SmallMovies
            .Where(m => m.Genres.Contains("Animation") && m.Genres.Contains("Children") && model.MovieRatingCount(m.Id) >= c.MinRatings)
            .Select(m => c.ClusterOf(m.Id)!)
            .ToArray();
        Assert.True(animated.Length > 50);
        var home = animated.GroupBy(x => x.Id).OrderByDescending(g => g.Count()).First();
        var share = home.Count() / (double)animated.Length;
        var expected = c.Clusters[home.Key].MovieIds.Count / (double)clustered;
        output.WriteLine($"{home.Count()} of {animated.Length} animated children's films in cluster {home.Key} ({c.Clusters[home.Key].MovieIds.Count} of {clustered} movies)");
        // at least 2.5 times the share a random cluster of that size would get
        Assert.True(share > 2.5 * expected, $"share {share:P0}, expected by size {expected:P0}");

        // trilogies watched by the same people
        foreach (var trilogy in new[] { new[] { 4993, 5952, 7153 }, new[] { 260, 1196, 1210 } })
            Assert.Single(trilogy.Select(id => c.ClusterOf(id)!.Id).Distinct());
    }

    [MovieLensFact]
    public void JsonRoundTrip()
    {
        var c = Clusters;
        var json = c.ToJson();
        Assert.Contains("\"format_version\":1", json);
        Assert.Contains("\"movie_ids\":[", json);
        Assert.Contains("\"assigned_movie_ids\":[", json);
        Assert.Contains("\"min_ratings\":10", json);
        Assert.Contains("\"tried\":[{\"k\":8,\"silhouette\":", json);

        var back = MovieClusters.FromJson(json);
        Assert.Equal(c.K, back.K);
        Assert.Equal(c.Silhouette, back.Silhouette);
        Assert.Equal(c.Tried, back.Tried);
        Assert.Equal(c.Seed, back.Seed);
        Assert.Equal(c.MinRatings, back.MinRatings);
        for (var i = 0; i < c.K; i++)
        {
            Assert.Equal(c.Clusters[i].Id, back.Clusters[i].Id);
            Assert.Equal(c.Clusters[i].MovieIds, back.Clusters[i].MovieIds);
            Assert.Equal(c.Clusters[i].AssignedMovieIds, back.Clusters[i].AssignedMovieIds);
        }
        foreach (var id in DiscoveryData.Model.MovieIds.Take(500))
            Assert.Equal(c.ClusterOf(id)!.Id, back.ClusterOf(id)!.Id);
        Assert.Equal(json, back.ToJson());
    }

    [Fact]
    public void BadJsonIsRejected()
    {
        Assert.Throws<FormatException>(() => MovieClusters.FromJson("not json"));
        Assert.Throws<FormatException>(() => MovieClusters.FromJson("null"));
        Assert.Throws<FormatException>(() => MovieClusters.FromJson("{\"format_version\":1}"));
        const string two = "{\"format_version\":VERSION,\"k\":2,\"silhouette\":0.5,\"seed\":1,\"min_ratings\":10,\"tried\":[{\"k\":2,\"silhouette\":0.5}]," +
            "\"clusters\":[{\"id\":0,\"movie_ids\":[1,2],\"assigned_movie_ids\":[]},{\"id\":1,\"movie_ids\":[3],\"assigned_movie_ids\":[MORE]}]}";
        var ok = MovieClusters.FromJson(two.Replace("VERSION", "1").Replace("MORE", "4"));
        Assert.Equal(1, ok.ClusterOf(4)!.Id);
        Assert.Equal(0, ok.ClusterOf(2)!.Id);
        var newer = Assert.Throws<FormatException>(() => MovieClusters.FromJson(two.Replace("VERSION", "2").Replace("MORE", "4")));
        Assert.Contains("version 2", newer.Message);
        // a movie in two clusters
        Assert.Throws<FormatException>(() => MovieClusters.FromJson(two.Replace("VERSION", "1").Replace("MORE", "1")));
        // k disagreeing with the clusters
        Assert.Throws<FormatException>(() => MovieClusters.FromJson(two.Replace("VERSION", "1").Replace("MORE", "4").Replace("\"k\":2,\"silhouette\":0.5,\"seed\"", "\"k\":3,\"silhouette\":0.5,\"seed\"")));
    }

    [MovieLensFact]
    public void SameModelAndSeedGiveTheSameClustersWhateverTheThreads()
    {
        var model = DiscoveryData.Model;
        var one = MovieClusters.Build(model, threads: 1).ToJson();
        var two = MovieClusters.Build(model, threads: 2).ToJson();
        Assert.Equal(Clusters.ToJson(), one);
        Assert.Equal(one, two);
        var otherSeed = MovieClusters.Build(model, seed: 7);
        Assert.Equal(7, otherSeed.Seed);
        Assert.NotEqual(one, otherSeed.ToJson());
    }

    [MovieLensFact]
    public void ClusteringCostsLittleNextToTraining()
    {
        var model = DiscoveryData.Model;
        var train = DiscoveryData.TrainTime;
        var times = new List<double>();
        var cpu = new List<double>();
        for (var i = 0; i < 3; i++)
        {
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            var built = MovieClusters.Build(model);
            output.WriteLine($"k = {built.K}, silhouette {built.Silhouette:F4}; tried " + string.Join(" ", built.Tried.Select(t => $"{t.K}:{t.Silhouette:F3}")));
            times.Add(sw.Elapsed.TotalMilliseconds);
            cpu.Add((Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMilliseconds);
        }
        // reported, not asserted: the machine is shared
        output.WriteLine($"training {train.TotalMilliseconds:F0} ms; clustering {string.Join(" / ", times.Select(t => $"{t:F0}"))} ms wall, " +
            $"{string.Join(" / ", cpu.Select(t => $"{t:F0}"))} ms cpu (first run includes JIT); best {times.Min() / train.TotalMilliseconds:P0} of training");
    }

    [Fact]
    public void SyntheticTasteGroupsBecomeTheClusters()
    {
        // 4 groups of 25 movies (ids g·100 + 1…); each user rates most of one group high and a few others low
        var rng = new Random(3);
        var ratings = new List<Rating>();
        for (var u = 1; u <= 240; u++)
        {
            var group = u % 4;
            var t = 1_000_000_000L + u * 10_000L;
            for (var j = 0; j < 25; j++)
                if (rng.NextDouble() < 0.6)
                    ratings.Add(new Rating(u, group * 100 + j + 1, rng.NextDouble() < 0.8 ? 5f : 4f, t += 60));
            for (var x = 0; x < 3; x++)
                ratings.Add(new Rating(u, (group + 1 + rng.Next(3)) % 4 * 100 + rng.Next(25) + 1, 1.5f, t += 60));
        }
        var model = RecommenderModel.Train(ratings.ToArray(), new TrainingOptions
        {
            MfFactors = 8, MfEpochs = 10, IalsFactors = 16, IalsIterations = 8, EaseMaxItems = 100, Threads = 2,
        });
        var c = MovieClusters.Build(model, minRatings: 5, minK: 2, maxK: 8);
        Assert.Equal(4, c.K);
        Assert.All(c.Clusters, x =>
        {
            Assert.Single(x.MovieIds.Concat(x.AssignedMovieIds).Select(id => (id - 1) / 100).Distinct());
            Assert.Equal(25, x.MovieIds.Count + x.AssignedMovieIds.Count);
        });
    }
}
