using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MovieRecs.Recommender.Data;

namespace MovieRecs.Recommender.Algorithms;

/// <summary>A k-means clustering.</summary>
/// <param name="K">Number of clusters (non-empty, labelled 0..K−1). Fewer than asked when there are fewer distinct points.</param>
/// <param name="Assignments">Cluster of each point.</param>
/// <param name="Centroids">K × dim, row-major: the mean of each cluster's points.</param>
/// <param name="Silhouette">Mean silhouette of the clustering over the seeded sample (0 for K = 1).</param>
/// <param name="Tried">Every K evaluated with its silhouette, ascending K (one entry for a plain <see cref="KMeans.Fit"/>).</param>
public sealed record KMeansResult(int K, int[] Assignments, float[] Centroids, double Silhouette, IReadOnlyList<(int K, double Silhouette)> Tried);

/// <summary>
/// k-means over dense float points (n × dim, row-major, Euclidean): greedy k-means++ seeding, then Lloyd iterations
/// until no assignment changes (or a maximum), with Elkan's bounds so distances that cannot change an assignment are not
/// computed. Deterministic for a seed and independent of the thread count: points are independent within a pass and
/// every sum is taken in a fixed order.
/// </summary>
/// <remarks>
/// k-means++ draws from the seed alone and picks centres one after another, so the seeds of a smaller k are a prefix of
/// a larger k's: <see cref="FitBest"/> seeds once, and its answer for a k equals <see cref="Fit"/> with that k.
/// The silhouette is computed on a seeded sample of at most <see cref="DefaultSilhouetteSample"/> points (the exact
/// value costs n² distances); its pairwise distances are computed once and shared by every k tried.
/// </remarks>
public static class KMeans
{
    public const int DefaultMaxIterations = 100;
    public const int DefaultSilhouetteSample = 2000;
    /// <summary>Candidates per k-means++ step (2 + ln k for the k = 8..30 this is used with).</summary>
    const int SeedTrials = 4;

    /// <summary>Clusters <paramref name="points"/> into (at most) <paramref name="k"/> clusters.</summary>
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
        var seeds = new float[Math.Min(k, n) * dim];
        var seeded = SeedPlusPlus(points, n, dim, Math.Min(k, n), Hash.Mix((ulong)(uint)seed, SeedSalt), seeds, threads);
        var (assign, centroids, kk) = Lloyd(points, n, dim, seeds, seeded, maxIterations, threads);
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
        var hi = Math.Min(maxK, n);
        var lo = Math.Min(minK, hi);
        var count = hi - lo + 1;
        var sample = SilhouetteSample.Create(points, n, dim, silhouetteSample, Hash.Mix((ulong)(uint)seed, SampleSalt), threads);
        // k-means++ picks centres one after another, so the first k of the largest k's centres are the seeds of every
        // smaller k: seed once
        var seeds = new float[hi * dim];
        var seeded = SeedPlusPlus(points, n, dim, hi, Hash.Mix((ulong)(uint)seed, SeedSalt), seeds, threads);
        var fits = new (int[] Assign, float[] Centroids, int K, double Silhouette)[count];
        void FitOne(int t, int innerThreads)
        {
            var k = Math.Min(lo + t, seeded);
            var (a, c, kk) = Lloyd(points, n, dim, seeds.AsSpan(0, k * dim).ToArray(), k, maxIterations, innerThreads);
            fits[t] = (a, c, kk, sample.Mean(a, kk, innerThreads));
        }
        if (count >= threads && threads > 1)
        {
            // one k per thread: no synchronisation inside a fit; the largest k (the slowest) start first
            Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = threads }, t => FitOne(count - 1 - t, 1));
        }
        else
        {
            for (var t = 0; t < count; t++)
                FitOne(t, threads);
        }

        var tried = new List<(int K, double Silhouette)>(count);
        var best = 0;
        for (var t = 0; t < count; t++)
        {
            if (fits[t].Silhouette > fits[best].Silhouette)
                best = t;
            // a k above the number of distinct points gives the same clustering as a smaller one: list it once
            if (tried.Count == 0 || tried[^1].K != fits[t].K)
                tried.Add((fits[t].K, fits[t].Silhouette));
        }
        var f = fits[best];
        return new KMeansResult(f.K, f.Assign, f.Centroids, f.Silhouette, tried.AsReadOnly());
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

    const ulong SampleSalt = 0x5111_0E77E, SeedSalt = 0x5EED;

    static int Validate(float[] points, int dim)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (dim < 1)
            throw new ArgumentOutOfRangeException(nameof(dim), dim, "dim must be at least 1");
        if (points.Length % dim != 0)
            throw new ArgumentException($"{points.Length} values are not a whole number of {dim}-dimensional points", nameof(points));
        return points.Length / dim;
    }

    // ------------------------------------------------------------------ Lloyd with Elkan's bounds

    /// <summary>Runs Lloyd's iterations from the k centres in <paramref name="c"/> (updated in place); returns the assignments, the
    /// centroids and the number of non-empty clusters (labels compacted to 0..K−1).</summary>
    /// <remarks>
    /// Elkan's triangle-inequality bounds: per point an upper bound on the distance to its centre and a lower bound on the
    /// distance to every other centre, loosened by how far the centres moved. A centre is only measured when neither bound
    /// nor half the centre-to-centre distance rules it out. With 64-dimensional item vectors a single lower bound per point
    /// (Hamerly) skipped too little. The bounds are stored anchored to each centre's cumulative drift (bound + drift at the
    /// time it was set), so loosening them costs nothing: without that, updating n·k bounds every iteration cost more
    /// than the distances it saved.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static (int[] Assign, float[] Centroids, int K) Lloyd(float[] x, int n, int dim, float[] c, int k, int maxIterations, int threads)
    {
        if (n == 0)
            return ([], [], 0);
        var assign = new int[n];
        var upper = new float[n];         // upper[i] + drift[assign[i]] ≥ distance from point i to its centre
        var lower = new float[n * k];     // lower[i, j] − drift[j] ≤ distance from point i to centre j
        var drift = new float[k];         // how far each centre has moved in total
        var centreGap = new float[k * k]; // half the distance between two centres
        var halfNearest = new float[k];   // half the distance from a centre to its nearest other centre
        var moved = new float[k];
        var counts = new int[k];
        var sums = new double[k * dim];
        var minChunk = Math.Max(64, 32_768 / (k * dim)); // ~32k flops per chunk at least

        Parallelism.For(n, threads, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end) =>
        {
            for (var i = start; i < end; i++)
            {
                var p = x.AsSpan(i * dim, dim);
                var l = lower.AsSpan(i * k, k);
                var best = 0;
                for (var j = 0; j < k; j++)
                {
                    l[j] = MathF.Sqrt(SquaredDistance(p, c.AsSpan(j * dim, dim)));
                    if (l[j] < l[best])
                        best = j;
                }
                assign[i] = best;
                upper[i] = l[best];
            }
        }, minChunk);
        // cluster sums are kept up to date by the points that change cluster, so a late iteration that moves a handful
        // of points costs no pass over all the data
        for (var i = 0; i < n; i++)
            Move(x, dim, i, -1, assign[i], sums, counts);
        var previous = (int[])assign.Clone();
        var changed = n;
        for (var iteration = 0; ; iteration++)
        {
            MoveCentres(x, n, dim, k, assign, upper, drift, c, sums, counts, moved);
            if (changed == 0 || iteration == maxIterations)
                break;
            for (var j = 0; j < k; j++)
                drift[j] += moved[j];
            for (var j = 0; j < k; j++)
            {
                var nearest = float.PositiveInfinity;
                for (var o = 0; o < k; o++)
                {
                    var half = o == j ? 0 : 0.5f * MathF.Sqrt(SquaredDistance(c.AsSpan(j * dim, dim), c.AsSpan(o * dim, dim)));
                    centreGap[j * k + o] = half;
                    if (o != j)
                        nearest = MathF.Min(nearest, half);
                }
                halfNearest[j] = nearest;
            }

            var changedNow = 0;
            Parallelism.For(n, threads, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end) =>
            {
                var local = 0;
                for (var i = start; i < end; i++)
                {
                    var a = assign[i];
                    var u = upper[i] + drift[a];
                    if (u <= halfNearest[a])
                        continue; // no other centre can be nearer
                    var p = x.AsSpan(i * dim, dim);
                    var l = lower.AsSpan(i * k, k);
                    var exact = false;
                    for (var j = 0; j < k; j++)
                    {
                        if (j == a || u <= l[j] - drift[j] || u <= centreGap[a * k + j])
                            continue;
                        if (!exact)
                        {
                            u = MathF.Sqrt(SquaredDistance(p, c.AsSpan(a * dim, dim)));
                            l[a] = u + drift[a];
                            exact = true;
                            if (u <= l[j] - drift[j] || u <= centreGap[a * k + j])
                                continue;
                        }
                        var d = MathF.Sqrt(SquaredDistance(p, c.AsSpan(j * dim, dim)));
                        l[j] = d + drift[j];
                        if (d < u)
                        {
                            a = j;
                            u = d;
                        }
                    }
                    if (a != assign[i])
                    {
                        assign[i] = a;
                        local++;
                    }
                    upper[i] = u - drift[a];
                }
                if (local > 0)
                    Interlocked.Add(ref changedNow, local);
            }, minChunk);
            changed = changedNow;
            if (changed > 0)
                for (var i = 0; i < n; i++)
                    if (assign[i] != previous[i])
                    {
                        Move(x, dim, i, previous[i], assign[i], sums, counts);
                        previous[i] = assign[i];
                    }
        }
        return Compact(assign, c, counts, k, dim);
    }

    /// <summary>
    /// Greedy k-means++: each next centre is the best, by the total squared distance it leaves, of <see cref="SeedTrials"/>
    /// points drawn with probability ∝ their squared distance to the nearest centre so far (a single draw now and then lands
    /// two centres in one blob, which Lloyd cannot undo). The trials do not depend on k, so the first j centres are the
    /// same whatever k is asked. Stops early (returns fewer centres) when every point coincides with a centre.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static int SeedPlusPlus(float[] x, int n, int dim, int k, ulong seed, float[] c, int threads)
    {
        var rng = new SplitMix(seed);
        var trials = SeedTrials;
        var first = rng.NextInt(n);
        x.AsSpan(first * dim, dim).CopyTo(c.AsSpan(0, dim));
        var nearest = new float[n];
        var candidate = new float[trials * n]; // nearest distances if each candidate were taken
        var minChunk = Math.Max(64, 32_768 / dim);
        Parallelism.For(n, threads, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end) =>
        {
            for (var i = start; i < end; i++)
                nearest[i] = SquaredDistance(x.AsSpan(i * dim, dim), c.AsSpan(0, dim));
        }, minChunk);
        var picks = new int[trials];
        for (var j = 1; j < k; j++)
        {
            double total = 0;
            for (var i = 0; i < n; i++)
                total += nearest[i];
            if (total <= 0)
                return j;
            for (var t = 0; t < trials; t++)
            {
                var target = rng.NextDouble() * total;
                var pick = -1;
                double run = 0;
                for (var i = 0; i < n; i++)
                {
                    if (nearest[i] <= 0)
                        continue;
                    pick = i; // the last point with weight, should rounding leave the target out of reach
                    run += nearest[i];
                    if (run > target)
                        break;
                }
                picks[t] = pick;
            }
            Parallelism.For(n, threads, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end) =>
            {
                for (var t = 0; t < trials; t++)
                {
                    var cand = x.AsSpan(picks[t] * dim, dim);
                    var row = candidate.AsSpan(t * n, n);
                    for (var i = start; i < end; i++)
                        row[i] = MathF.Min(nearest[i], SquaredDistance(x.AsSpan(i * dim, dim), cand));
                }
            }, minChunk);
            var best = 0;
            var bestTotal = double.PositiveInfinity;
            for (var t = 0; t < trials; t++)
            {
                double sum = 0;
                foreach (var v in candidate.AsSpan(t * n, n))
                    sum += v;
                if (sum < bestTotal)
                {
                    bestTotal = sum;
                    best = t;
                }
            }
            x.AsSpan(picks[best] * dim, dim).CopyTo(c.AsSpan(j * dim, dim));
            candidate.AsSpan(best * n, n).CopyTo(nearest);
        }
        return k;
    }

    /// <summary>Moves point i's coordinates from cluster <paramref name="from"/> (−1: none) to <paramref name="to"/> in the sums.</summary>
    static void Move(float[] x, int dim, int i, int from, int to, double[] sums, int[] counts)
    {
        var p = x.AsSpan(i * dim, dim);
        if (from >= 0)
        {
            counts[from]--;
            var s = sums.AsSpan(from * dim, dim);
            for (var f = 0; f < p.Length; f++)
                s[f] -= p[f];
        }
        counts[to]++;
        var t = sums.AsSpan(to * dim, dim);
        for (var f = 0; f < p.Length; f++)
            t[f] += p[f];
    }

    /// <summary>Moves every centre to the mean of its points and records how far it moved. An empty cluster takes the point
    /// farthest from its centre (by the upper bounds), so no centre is wasted; a cluster already down to one point is
    /// not robbed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void MoveCentres(float[] x, int n, int dim, int k, int[] assign, float[] upper, float[] drift, float[] c, double[] sums, int[] counts, float[] moved)
    {
        Span<float> old = dim <= 256 ? stackalloc float[dim] : new float[dim];
        HashSet<int>? taken = null;
        for (var j = 0; j < k; j++)
        {
            var centre = c.AsSpan(j * dim, dim);
            centre.CopyTo(old);
            if (counts[j] > 0)
            {
                var s = sums.AsSpan(j * dim, dim);
                var inv = 1.0 / counts[j];
                for (var f = 0; f < dim; f++)
                    centre[f] = (float)(s[f] * inv);
            }
            else
            {
                var far = -1;
                var farthest = 0f;
                for (var i = 0; i < n; i++)
                {
                    var u = upper[i] + drift[assign[i]];
                    if (counts[assign[i]] > 1 && u > farthest && taken?.Contains(i) != true)
                    {
                        far = i;
                        farthest = u;
                    }
                }
                if (far >= 0)
                {
                    x.AsSpan(far * dim, dim).CopyTo(centre);
                    (taken ??= []).Add(far);
                }
            }
            moved[j] = MathF.Sqrt(SquaredDistance(old, centre));
        }
    }

    /// <summary>Drops empty clusters and relabels the rest 0..K−1 in their order.</summary>
    static (int[] Assign, float[] Centroids, int K) Compact(int[] assign, float[] c, int[] counts, int k, int dim)
    {
        var label = new int[k];
        var kept = 0;
        for (var j = 0; j < k; j++)
            label[j] = counts[j] > 0 ? kept++ : -1;
        var centroids = new float[kept * dim];
        for (var j = 0; j < k; j++)
            if (label[j] >= 0)
                c.AsSpan(j * dim, dim).CopyTo(centroids.AsSpan(label[j] * dim, dim));
        if (kept != k)
            for (var i = 0; i < assign.Length; i++)
                assign[i] = label[assign[i]];
        return (assign, centroids, kept);
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
