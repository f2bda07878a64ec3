using MovieRecs.Recommender.Algorithms;

namespace MovieRecs.Recommender.Tests;

public class ClusteringTests
{
    /// <summary><paramref name="blobs"/> Gaussian blobs (σ = 0.5) around centres drawn uniformly in [−10, 10]^dim, shuffled
    /// so no blob is contiguous; returns the points and each point's true blob.</summary>
    static (float[] Points, int[] Truth) Blobs(int blobs, int perBlob, int dim, int seed)
    {
        var rng = new Random(seed);
        var centres = new float[blobs * dim];
        for (var t = 0; t < centres.Length; t++)
            centres[t] = (float)(rng.NextDouble() * 20 - 10);
        var n = blobs * perBlob;
        var truth = Enumerable.Range(0, n).Select(i => i % blobs).OrderBy(_ => rng.Next()).ToArray();
        var points = new float[n * dim];
        for (var i = 0; i < n; i++)
            for (var f = 0; f < dim; f++)
            {
                var gauss = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
                points[i * dim + f] = centres[truth[i] * dim + f] + (float)(0.5 * gauss);
            }
        return (points, truth);
    }

    /// <summary>True when the clustering and the truth are the same partition (labels may be permuted).</summary>
    static bool SamePartition(int[] found, int[] truth)
    {
        var map = new Dictionary<int, int>();
        var back = new Dictionary<int, int>();
        for (var i = 0; i < found.Length; i++)
        {
            if (map.TryGetValue(truth[i], out var f) && f != found[i])
                return false;
            if (back.TryGetValue(found[i], out var t) && t != truth[i])
                return false;
            map[truth[i]] = found[i];
            back[found[i]] = truth[i];
        }
        return true;
    }

    [Fact]
    public void RecoversWellSeparatedBlobs()
    {
        var (points, truth) = Blobs(blobs: 6, perBlob: 150, dim: 16, seed: 3);
        var r = Clustering.Fit(points, 16, 6, seed: 1);
        Assert.Equal(6, r.K);
        Assert.True(SamePartition(r.Assignments, truth));
        // every centroid is the mean of its points
        for (var c = 0; c < r.K; c++)
        {
            var members = Enumerable.Range(0, truth.Length).Where(i => r.Assignments[i] == c).ToArray();
            for (var f = 0; f < 16; f++)
                Assert.Equal(members.Average(i => points[i * 16 + f]), r.Centroids[c * 16 + f], 3);
        }
        Assert.True(r.Silhouette > 0.8, $"silhouette {r.Silhouette}");
    }

    [Fact]
    public void FitBestFindsTheTrueNumberOfBlobs()
    {
        foreach (var (blobs, seed) in new[] { (4, 11), (7, 12), (11, 13) })
        {
            var (points, truth) = Blobs(blobs, perBlob: 120, dim: 8, seed);
            var r = Clustering.FitBest(points, 8, 2, 15, seed: 5);
            Assert.Equal(blobs, r.K);
            Assert.True(SamePartition(r.Assignments, truth), $"{blobs} blobs");
            Assert.Equal(Enumerable.Range(2, 14), r.Tried.Select(t => t.K));
            Assert.Equal(r.Tried.Max(t => t.Silhouette), r.Silhouette);
            // the silhouette peaks at the truth: fewer clusters merge blobs, more split them
            Assert.True(r.Tried.Where(t => t.K != blobs).All(t => t.Silhouette < r.Silhouette - 0.05), string.Join(", ", r.Tried));
        }
    }

    [Fact]
    public void FitBestSearchesKOnTheSampleAndFitsTheChosenKOnEveryPoint()
    {
        // 2,100 points, a 500-point sample: k is chosen on the sample, then fitted on all points
        var (points, truth) = Blobs(blobs: 7, perBlob: 300, dim: 8, seed: 31);
        var r = Clustering.FitBest(points, 8, 2, 12, seed: 5, silhouetteSample: 500);
        Assert.Equal(7, r.K);
        Assert.Equal(truth.Length, r.Assignments.Length);
        Assert.True(SamePartition(r.Assignments, truth));
        Assert.Equal(Enumerable.Range(2, 11), r.Tried.Select(t => t.K));
        Assert.Equal(r.Tried.Max(t => t.Silhouette), r.Tried.Single(t => t.K == 7).Silhouette);
        // the final fit is the plain fit of that k on everything
        var single = Clustering.Fit(points, 8, 7, seed: 5, silhouetteSample: 500);
        Assert.Equal(single.Assignments, r.Assignments);
        Assert.Equal(single.Silhouette, r.Silhouette, 6);
    }

    [Fact]
    public void FitBestAgreesWithFitForTheChosenK()
    {
        var (points, _) = Blobs(5, 80, 8, seed: 21);
        var best = Clustering.FitBest(points, 8, 3, 9, seed: 9);
        var single = Clustering.Fit(points, 8, best.K, seed: 9);
        Assert.Equal(single.Assignments, best.Assignments);
        Assert.Equal(single.Centroids, best.Centroids);
        Assert.Equal(single.Silhouette, best.Silhouette);
    }

    [Fact]
    public void SameSeedSameResultWhateverTheThreadCount()
    {
        // overlapping blobs, so the result depends on the initialisation and many iterations run
        var rng = new Random(4);
        var points = Enumerable.Range(0, 3000 * 12).Select(_ => (float)rng.NextDouble()).ToArray();
        var a = Clustering.FitBest(points, 12, 5, 9, seed: 7, silhouetteSample: 500, threads: 1);
        var b = Clustering.FitBest(points, 12, 5, 9, seed: 7, silhouetteSample: 500, threads: 2);
        var c = Clustering.FitBest(points, 12, 5, 9, seed: 7, silhouetteSample: 500, threads: 2);
        foreach (var other in new[] { b, c })
        {
            Assert.Equal(a.K, other.K);
            Assert.Equal(a.Assignments, other.Assignments);
            Assert.Equal(a.Centroids, other.Centroids);
            Assert.Equal(a.Tried, other.Tried);
        }
        var single1 = Clustering.Fit(points, 12, 8, seed: 7, threads: 1);
        var single2 = Clustering.Fit(points, 12, 8, seed: 7, threads: 2);
        Assert.Equal(single1.Assignments, single2.Assignments);
        Assert.Equal(single1.Silhouette, single2.Silhouette);
        // another seed starts elsewhere: on uniform noise it ends in another local optimum
        var otherSeed = Clustering.Fit(points, 12, 8, seed: 8, threads: 2);
        Assert.NotEqual(single1.Assignments, otherSeed.Assignments);
    }

    [Fact]
    public void EveryPointSitsWithItsNearestCentroid()
    {
        var rng = new Random(5);
        var points = Enumerable.Range(0, 2000 * 4).Select(_ => (float)rng.NextDouble()).ToArray();
        var r = Clustering.Fit(points, 4, 10, seed: 3);
        // every point sits with its nearest centroid
        for (var i = 0; i < 2000; i++)
        {
            var p = points.AsSpan(i * 4, 4);
            var own = Clustering.SquaredDistance(p, r.Centroids.AsSpan(r.Assignments[i] * 4, 4));
            for (var c = 0; c < r.K; c++)
                Assert.True(own <= Clustering.SquaredDistance(p, r.Centroids.AsSpan(c * 4, 4)) + 1e-5f);
        }
    }

    [Fact]
    public void FewerPointsThanClusters()
    {
        float[] points = [0, 0, 1, 0, 10, 0];
        var r = Clustering.Fit(points, 2, 5, seed: 1);
        Assert.Equal(3, r.K);
        Assert.Equal(3, r.Assignments.Distinct().Count());
        Assert.Equal(0, r.Silhouette); // every point alone in its cluster

        var best = Clustering.FitBest(points, 2, 2, 10, seed: 1);
        Assert.Equal([2, 3], best.Tried.Select(t => t.K));
        Assert.Equal(2, best.K); // the two nearer points together beat three singletons
        Assert.Equal(best.Assignments[0], best.Assignments[1]);
    }

    [Fact]
    public void IdenticalPointsMakeOneCluster()
    {
        var points = Enumerable.Repeat(new[] { 1.5f, -2f, 3f }, 40).SelectMany(p => p).ToArray();
        var r = Clustering.Fit(points, 3, 4, seed: 2);
        Assert.Equal(1, r.K);
        Assert.All(r.Assignments, a => Assert.Equal(0, a));
        Assert.Equal([1.5f, -2f, 3f], r.Centroids);
        Assert.Equal(0, r.Silhouette);
        Assert.Equal(1, Clustering.FitBest(points, 3, 2, 6, seed: 2).K);

        // two distinct values repeated: never more clusters than distinct points
        var two = Enumerable.Range(0, 30).SelectMany(i => i % 2 == 0 ? new[] { 0f, 0f } : new[] { 1f, 1f }).ToArray();
        var r2 = Clustering.Fit(two, 2, 5, seed: 2);
        Assert.Equal(2, r2.K);
        Assert.Equal(1, r2.Silhouette, 6);
    }

    [Fact]
    public void PointsCloserThanFloatPrecisionDoNotFailTheFit()
    {
        // three distinct points, two of them 1e-30 apart: their squared distance is 0 in floats, so ML.NET's seeding finds
        // no third seed and throws; the fit then settles for the clusters the points hold
        var points = Enumerable.Range(0, 120).SelectMany(i => (i % 3) switch
        {
            0 => new[] { 1f, 0f, 0f },
            1 => new[] { 1f, 1e-30f, 0f },
            _ => new[] { 0f, 1f, 0f },
        }).ToArray();
        var r = Clustering.Fit(points, 3, 3, seed: 2);
        Assert.Equal(2, r.K);
        Assert.Equal(r.Assignments[0], r.Assignments[1]);
        Assert.NotEqual(r.Assignments[0], r.Assignments[2]);
        Assert.Equal(2, Clustering.FitBest(points, 3, 2, 5, seed: 2).K);
    }

    [Fact]
    public void OneClusterIsTheMean()
    {
        var (points, _) = Blobs(3, 50, 5, seed: 8);
        var r = Clustering.Fit(points, 5, 1, seed: 1);
        Assert.Equal(1, r.K);
        Assert.All(r.Assignments, a => Assert.Equal(0, a));
        for (var f = 0; f < 5; f++)
            Assert.Equal(Enumerable.Range(0, 150).Average(i => points[i * 5 + f]), r.Centroids[f], 3);
        Assert.Equal(0, r.Silhouette);
    }

    [Fact]
    public void EmptyInputAndBadArguments()
    {
        var r = Clustering.FitBest([], 4, 2, 5, seed: 1);
        Assert.Equal(0, r.K);
        Assert.Empty(r.Assignments);
        Assert.Equal(0, Clustering.Fit([], 4, 3, seed: 1).K);
        Assert.Throws<ArgumentException>(() => Clustering.SquaredDistance([1, 2], [1, 2, 3]));
        Assert.Equal(-1, Clustering.Nearest([1, 2], [], out _));
        Assert.Equal(1, Clustering.Nearest([1, 2], [0, 0, 1, 3, 1, 1], out var d));
        Assert.Equal(1f, d);
        Assert.Throws<ArgumentException>(() => Clustering.Fit([1, 2, 3], 2, 1, seed: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Clustering.Fit([1, 2], 2, 0, seed: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Clustering.FitBest([1, 2], 2, 5, 4, seed: 1));
    }

    [Fact]
    public void SilhouetteMatchesAHandComputedCase()
    {
        // clusters {0, 1} and {10, 11} on a line
        float[] points = [0, 1, 10, 11];
        var s = Clustering.Silhouette(points, 1, [0, 0, 1, 1]);
        // point 0: a = 1, b = 10.5; point 1: a = 1, b = 9.5; the others mirror them
        var expected = ((10.5 - 1) / 10.5 + (9.5 - 1) / 9.5) / 2;
        Assert.Equal(expected, s, 6);
        // a point alone in its cluster contributes 0
        // (point 0: a = 1, b = 10; point 1: a = 1, b = 9)
        Assert.Equal((0.9 + 8 / 9.0) / 4, Clustering.Silhouette([0, 1, 10, 20], 1, [0, 0, 1, 2]), 6);
    }

    [Fact]
    public void SampledSilhouetteIsCloseToTheExactOne()
    {
        var (points, truth) = Blobs(4, 500, 6, seed: 30);
        // overlap the blobs by labelling a tenth of the points wrongly, so the value is not near 1
        var labels = truth.Select((t, i) => i % 10 == 0 ? (t + 1) % 4 : t).ToArray();
        var exact = Clustering.Silhouette(points, 6, labels, sampleSize: 2000);
        var sampled = Clustering.Silhouette(points, 6, labels, sampleSize: 400, seed: 3);
        Assert.InRange(exact, 0.3, 0.95);
        Assert.Equal(exact, sampled, 1);
        Assert.NotEqual(exact, sampled);
    }
}
