using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using MovieRecs.Recommender.Data;

namespace MovieRecs.Recommender.Algorithms;

/// <summary>A k-means clustering.</summary>
/// <param name="K">Number of clusters (non-empty, labelled 0..K−1). Fewer than asked when there are fewer points, or when a cluster ended empty.</param>
/// <param name="Assignments">Cluster of each point (its nearest centroid).</param>
/// <param name="Centroids">K × dim, row-major.</param>
/// <param name="Silhouette">Mean silhouette of the clustering over the seeded sample (0 for K = 1).</param>
/// <param name="Tried">Every K evaluated with its silhouette, ascending K (one entry for a plain <see cref="Clustering.Fit"/>).</param>
public sealed record KMeansResult(int K, int[] Assignments, float[] Centroids, double Silhouette, IReadOnlyList<(int K, double Silhouette)> Tried);

/// <summary>
/// k-means by ML.NET's <c>KMeansTrainer</c> (k-means++ seeding, one thread per fit so a seed gives one answer), with k
/// chosen by our sampled mean silhouette (ML.NET has no silhouette metric).
/// </summary>
/// <remarks>
/// The silhouette is computed on a seeded sample of at most <see cref="DefaultSilhouetteSample"/> points (the exact value
/// costs n² distances); its pairwise distances are computed once and shared by every k tried. When there are more points
/// than the sample, <see cref="FitBest"/> searches k by fitting the sample alone and fits only the chosen k on all points. <see cref="FitBest"/> fits
/// one k per thread; each fit is single-threaded and seeded, so the result does not depend on the thread count.
/// </remarks>
public static class Clustering
{
    public const int DefaultMaxIterations = 100;
    public const int DefaultSilhouetteSample = 2000;
    /// <summary>Iterations of each fit of the k search on a sample (the chosen k's fit on all points gets the full count).</summary>
    public const int SearchIterations = 20;

    /// <summary>Clusters <paramref name="points"/> (n × dim, row-major) into at most <paramref name="k"/> clusters.</summary>
    /// <param name="threads">0 = all cores.</param>
    public static KMeansResult Fit(float[] points, int dim, int k, int seed,
        int maxIterations = DefaultMaxIterations, int silhouetteSample = DefaultSilhouetteSample, int threads = 0)
    {
        var n = Validate(points, dim);
        if (k < 1)
            throw new ArgumentOutOfRangeException(nameof(k), k, "k must be at least 1");
        threads = threads > 0 ? threads : Parallelism.DefaultThreads;
        if (n == 0)
            return new KMeansResult(0, [], [], 0, [(0, 0)]);
        var (assign, centroids, kk) = FitOne(points, n, dim, Math.Min(k, Distinct(points, n, dim)), seed, maxIterations);
        var s = SilhouetteSample.Create(points, n, dim, silhouetteSample, Hash.Mix((ulong)(uint)seed, SampleSalt), threads).Mean(assign, kk, threads);
        return new KMeansResult(kk, assign, centroids, s, [(kk, s)]);
    }

    /// <summary>
    /// Fits every k in [<paramref name="minK"/>, <paramref name="maxK"/>] (capped at n) and keeps the one with the highest
    /// mean silhouette (ties: the smaller k). <see cref="KMeansResult.Tried"/> lists every k with its silhouette.
    /// </summary>
    public static KMeansResult FitBest(float[] points, int dim, int minK, int maxK, int seed,
        int maxIterations = DefaultMaxIterations, int silhouetteSample = DefaultSilhouetteSample, int threads = 0)
    {
        var n = Validate(points, dim);
        if (minK < 1 || maxK < minK)
            throw new ArgumentOutOfRangeException(nameof(minK), $"need 1 <= minK <= maxK (got {minK}..{maxK})");
        threads = threads > 0 ? threads : Parallelism.DefaultThreads;
        if (n == 0)
            return new KMeansResult(0, [], [], 0, []);
        var hi = Math.Min(maxK, Distinct(points, n, dim));
        var lo = Math.Min(minK, hi);
        var count = hi - lo + 1;
        var sample = SilhouetteSample.Create(points, n, dim, silhouetteSample, Hash.Mix((ulong)(uint)seed, SampleSalt), threads);
        // Above the sample size, every k is fitted on the sample alone (the silhouette only looks at it) and only the
        // chosen k on all points: the search then costs about sample/n of fitting every k on everything.
        var searchOnSample = sample.Count < n;
        var searchPoints = searchOnSample ? sample.Gather(points, dim) : points;
        var searchN = searchOnSample ? sample.Count : n;
        var searchDistinct = searchOnSample ? Distinct(searchPoints, searchN, dim) : hi;
        var fits = new (int[] Assign, float[] Centroids, int K, double Silhouette)[count];
        // largest k first: they take longest, so the threads finish together
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            var k = hi - t;
            var (a, c, kk) = FitOne(searchPoints, searchN, dim, Math.Min(k, searchDistinct), seed, searchOnSample ? Math.Min(maxIterations, SearchIterations) : maxIterations);
            fits[k - lo] = (a, c, kk, searchOnSample ? sample.MeanOfSampleLabels(a, kk, 1) : sample.Mean(a, kk, 1));
        });

        var tried = new List<(int K, double Silhouette)>(count);
        var best = 0;
        for (var t = 0; t < count; t++)
        {
            if (fits[t].Silhouette > fits[best].Silhouette)
                best = t;
            // a k that came back smaller (empty clusters dropped) gives the same clustering as that smaller k: list it once
            if (tried.Count == 0 || tried[^1].K != fits[t].K)
                tried.Add((fits[t].K, fits[t].Silhouette));
        }
        var f = fits[best];
        if (!searchOnSample)
            return new KMeansResult(f.K, f.Assign, f.Centroids, f.Silhouette, tried.AsReadOnly());
        var (assign, centroids, kFinal) = FitOne(points, n, dim, f.K, seed, maxIterations);
        return new KMeansResult(kFinal, assign, centroids, sample.Mean(assign, kFinal, threads), tried.AsReadOnly());
    }

    /// <summary>Distinct points (ML.NET's k-means++ refuses a k above it).</summary>
    static int Distinct(float[] x, int n, int dim)
    {
        var seen = new HashSet<string>();
        for (var i = 0; i < n; i++)
            seen.Add(Convert.ToBase64String(System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.AsSpan(i * dim, dim))));
        return seen.Count;
    }

    sealed class Point
    {
        public float[] Features = [];
    }

    /// <summary>One seeded, single-threaded ML.NET fit; points are assigned to their nearest centroid and empty clusters dropped.</summary>
    static (int[] Assign, float[] Centroids, int K) FitOne(float[] x, int n, int dim, int k, int seed, int maxIterations)
    {
        var ml = new MLContext(seed);
        var schema = SchemaDefinition.Create(typeof(Point));
        schema[nameof(Point.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, dim);
        var rows = new Point[n];
        for (var i = 0; i < n; i++)
            rows[i] = new Point { Features = x.AsSpan(i * dim, dim).ToArray() };
        var data = ml.Data.LoadFromEnumerable(rows, schema);
        KMeansModelParameters model;
        while (true)
        {
            try
            {
                model = ml.Clustering.Trainers.KMeans(new KMeansTrainer.Options
                {
                    FeatureColumnName = nameof(Point.Features),
                    NumberOfClusters = k,
                    InitializationAlgorithm = KMeansTrainer.InitializationAlgorithm.KMeansYinyang,
                    MaximumNumberOfIterations = maxIterations,
                    NumberOfThreads = 1,
                }).Fit(data).Model;
                break;
            }
            // The seeding throws when no point lies at a distance above ~1e-15 from the seeds chosen so far: the points
            // are fewer than k to float precision although their bytes differ (vectors that all point one way, 25M
            // synthetic ratings). The data holds fewer clusters than k: ask for one fewer.
            catch (InvalidOperationException e) when (k > 1 && e.Message.Contains("too few examples", StringComparison.Ordinal))
            {
                k--;
            }
        }
        VBuffer<float>[] centres = [];
        model.GetClusterCentroids(ref centres, out var got);
        var all = new float[got * dim];
        for (var c = 0; c < got; c++)
            centres[c].DenseValues().ToArray().CopyTo(all, c * dim);

        var assign = new int[n];
        var size = new int[got];
        for (var i = 0; i < n; i++)
            size[assign[i] = Nearest(x.AsSpan(i * dim, dim), all, out _)]++;
        var label = new int[got];
        var kept = 0;
        for (var c = 0; c < got; c++)
            label[c] = size[c] > 0 ? kept++ : -1;
        if (kept == got)
            return (assign, all, got);
        var centroids = new float[kept * dim];
        for (var c = 0; c < got; c++)
            if (label[c] >= 0)
                all.AsSpan(c * dim, dim).CopyTo(centroids.AsSpan(label[c] * dim, dim));
        for (var i = 0; i < n; i++)
            assign[i] = label[assign[i]];
        return (assign, centroids, kept);
    }

    /// <summary>
    /// Mean silhouette of a labelling over a seeded sample of at most <paramref name="sampleSize"/> points (all of them
    /// when n ≤ sampleSize): s = (b − a) / max(a, b), with a the mean distance to the point's own cluster and b the
    /// smallest mean distance to another cluster; 0 for a point alone in its cluster and for a single cluster.
    /// </summary>
    public static double Silhouette(float[] points, int dim, int[] assignments, int sampleSize = DefaultSilhouetteSample, int seed = 0, int threads = 0)
    {
        var n = Validate(points, dim);
        ArgumentNullException.ThrowIfNull(assignments);
        if (assignments.Length != n)
            throw new ArgumentException($"{assignments.Length} assignments for {n} points", nameof(assignments));
        if (n == 0)
            return 0;
        var k = assignments.Max() + 1;
        if (assignments.Min() < 0)
            throw new ArgumentException("assignments must be >= 0", nameof(assignments));
        threads = threads > 0 ? threads : Parallelism.DefaultThreads;
        return SilhouetteSample.Create(points, n, dim, sampleSize, Hash.Mix((ulong)(uint)seed, SampleSalt), threads).Mean(assignments, k, threads);
    }

    const ulong SampleSalt = 0x5111_0E77E;

    static int Validate(float[] points, int dim)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (dim < 1)
            throw new ArgumentOutOfRangeException(nameof(dim), dim, "dim must be at least 1");
        if (points.Length % dim != 0)
            throw new ArgumentException($"{points.Length} values are not a whole number of {dim}-dimensional points", nameof(points));
        return points.Length / dim;
    }

    /// <summary>The centroid (row of <paramref name="centroids"/>, k × dim) nearest to <paramref name="point"/>, lowest index on a tie;
    /// −1 when there are none.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int Nearest(ReadOnlySpan<float> point, ReadOnlySpan<float> centroids, out float squaredDistance)
    {
        var dim = point.Length;
        var best = -1;
        squaredDistance = float.PositiveInfinity;
        for (var c = 0; dim > 0 && (c + 1) * dim <= centroids.Length; c++)
        {
            var d = SquaredDistance(point, centroids.Slice(c * dim, dim));
            if (d < squaredDistance)
            {
                squaredDistance = d;
                best = c;
            }
        }
        return best;
    }

    /// <summary>Σ (a − b)², vectorised.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public static float SquaredDistance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
            throw new ArgumentException($"lengths differ ({a.Length} and {b.Length})", nameof(b));
        var n = a.Length;
        ref var ar = ref MemoryMarshal.GetReference(a);
        ref var br = ref MemoryMarshal.GetReference(b);
        var i = 0;
        var w = Vector<float>.Count;
        float s = 0;
        if (Vector.IsHardwareAccelerated && n >= w)
        {
            var acc0 = Vector<float>.Zero;
            var acc1 = Vector<float>.Zero;
            for (; i + 2 * w <= n; i += 2 * w)
            {
                var d0 = Vector.LoadUnsafe(ref ar, (nuint)i) - Vector.LoadUnsafe(ref br, (nuint)i);
                var d1 = Vector.LoadUnsafe(ref ar, (nuint)(i + w)) - Vector.LoadUnsafe(ref br, (nuint)(i + w));
                acc0 += d0 * d0;
                acc1 += d1 * d1;
            }
            for (; i + w <= n; i += w)
            {
                var d = Vector.LoadUnsafe(ref ar, (nuint)i) - Vector.LoadUnsafe(ref br, (nuint)i);
                acc0 += d * d;
            }
            s = Vector.Sum(acc0 + acc1);
        }
        for (; i < n; i++)
        {
            var d = Unsafe.Add(ref ar, i) - Unsafe.Add(ref br, i);
            s += d * d;
        }
        return s;
    }

    // ------------------------------------------------------------------ silhouette

    /// <summary>A seeded sample of the points with its pairwise distances, computed once and reused for every labelling.</summary>
    sealed class SilhouetteSample
    {
        const int Chunks = 16; // fixed, so the double sum does not depend on the thread count

        readonly int[] _points;     // sampled point indices, ascending
        readonly float[] _distance; // s × s

        SilhouetteSample(int[] points, float[] distance)
        {
            _points = points;
            _distance = distance;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static SilhouetteSample Create(float[] x, int n, int dim, int maxSample, ulong seed, int threads)
        {
            int[] chosen;
            if (n <= maxSample)
                chosen = Enumerable.Range(0, n).ToArray();
            else
            {
                // partial Fisher–Yates over the indices
                var all = Enumerable.Range(0, n).ToArray();
                var rng = new SplitMix(seed);
                for (var t = 0; t < maxSample; t++)
                {
                    var r = t + rng.NextInt(n - t);
                    (all[t], all[r]) = (all[r], all[t]);
                }
                chosen = all[..Math.Max(0, maxSample)];
                Array.Sort(chosen);
            }
            var s = chosen.Length;
            var distance = new float[(long)s * s];
            Parallelism.For(s, threads, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end) =>
            {
                for (var a = start; a < end; a++)
                {
                    var pa = x.AsSpan(chosen[a] * dim, dim);
                    // the upper triangle, mirrored: each cell is written by one row's thread only
                    for (var b = a + 1; b < s; b++)
                        distance[(long)a * s + b] = distance[(long)b * s + a] = MathF.Sqrt(SquaredDistance(pa, x.AsSpan(chosen[b] * dim, dim)));
                }
            }, Math.Max(8, 65_536 / Math.Max(1, s * dim)));
            return new SilhouetteSample(chosen, distance);
        }

        public int Count => _points.Length;

        /// <summary>The sampled points' coordinates (Count × dim).</summary>
        public float[] Gather(float[] x, int dim)
        {
            var result = new float[_points.Length * dim];
            for (var t = 0; t < _points.Length; t++)
                x.AsSpan(_points[t] * dim, dim).CopyTo(result.AsSpan(t * dim, dim));
            return result;
        }

        /// <summary><see cref="Mean"/> of a labelling of the sample itself (label t for the t-th sampled point).</summary>
        public double MeanOfSampleLabels(int[] sampleAssign, int k, int threads)
        {
            var max = _points.Length == 0 ? 0 : _points[^1] + 1;
            var full = new int[max];
            for (var t = 0; t < _points.Length; t++)
                full[_points[t]] = sampleAssign[t];
            return Mean(full, k, threads);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public double Mean(int[] assign, int k, int threads)
        {
            var s = _points.Length;
            if (s == 0 || k <= 1)
                return 0;
            // sample positions grouped by cluster (counting sort), so each row is summed cluster by cluster with no
            // scattered writes
            var label = new int[s];
            var start = new int[k + 1];
            for (var t = 0; t < s; t++)
                start[(label[t] = assign[_points[t]]) + 1]++;
            for (var j = 0; j < k; j++)
                start[j + 1] += start[j];
            var byCluster = new int[s];
            var fill = start[..k];
            for (var t = 0; t < s; t++)
                byCluster[fill[label[t]]++] = t;
            var partial = new double[Chunks];
            Parallelism.ForChunks(s, Chunks, threads, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (chunk, from, to) =>
            {
                double total = 0;
                for (var a = from; a < to; a++)
                {
                    var own = label[a];
                    var ownSize = start[own + 1] - start[own];
                    if (ownSize <= 1)
                        continue; // a point alone in its cluster scores 0
                    var row = _distance.AsSpan(a * s, s);
                    double within = 0;
                    var between = double.PositiveInfinity;
                    for (var j = 0; j < k; j++)
                    {
                        int first = start[j], last = start[j + 1];
                        if (first == last)
                            continue;
                        float sum = 0;
                        for (var t = first; t < last; t++)
                            sum += row[byCluster[t]];
                        if (j == own)
                            within = sum / (double)(ownSize - 1);
                        else
                            between = Math.Min(between, sum / (double)(last - first));
                    }
                    if (double.IsPositiveInfinity(between))
                        continue; // the sample holds a single cluster
                    var scale = Math.Max(within, between);
                    if (scale > 0)
                        total += (between - within) / scale;
                }
                partial[chunk] = total;
            });
            double mean = 0;
            foreach (var p in partial)
                mean += p;
            return mean / s;
        }
    }
}
