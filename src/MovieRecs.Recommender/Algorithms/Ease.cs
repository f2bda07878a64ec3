using System.Runtime.CompilerServices;
using MovieRecs.Recommender.Data;

namespace MovieRecs.Recommender.Algorithms;

/// <summary>Settings of <see cref="Ease"/>.</summary>
internal sealed record EaseSettings
{
    /// <summary>At most this many items (the most rated) take part; the dense N×N solve costs (2/3)·N³.</summary>
    public int MaxItems { get; init; } = 2000;
    /// <summary>Items need at least this many ratings to take part.</summary>
    public int MinItemCount { get; init; } = 2;
    public float Lambda { get; init; } = 300f;
    /// <summary>Input weight 1 + w·(r − μ) (clamped at 0.1): well-liked movies say more about a user's taste.</summary>
    public float RatingWeight { get; init; } = 0.2f;
    /// <summary>When &gt; 0, two ratings of a user co-occur with weight c + (1 − c)·exp(−|Δt|/τ) (τ in seconds,
    /// c = <see cref="CrossSessionWeight"/>) instead of 1: ratings made in one sitting say more about each other.</summary>
    public double TimeScale { get; init; }
    /// <summary>c of the time kernel: the weight of two ratings made far apart.</summary>
    public float CrossSessionWeight { get; init; } = 0.1f;
}

/// <summary>
/// EASE (Steck 2019): B = I − P·diag(1/diag P) with P = (G + λI)⁻¹, restricted to the most rated items so the dense
/// inverse stays affordable; a user's scores are x_u·B. G is XᵀX (x = rating-weighted indicators), or with a time scale
/// Σ_u Σ_{a,b} k(t_a, t_b)·x_a·x_b for the positive-definite kernel k = c + (1 − c)·exp(−|Δt|/τ).
/// </summary>
internal static class Ease
{
    public static (int[] Items, float[] B) Fit(RatingData d, EaseSettings s, int threads)
    {
        var items = SelectItems(d, s.MaxItems, s.MinItemCount);
        var n = items.Length;
        var slot = new int[d.Items];
        Array.Fill(slot, -1);
        for (var k = 0; k < n; k++)
            slot[items[k]] = k;
        var g = Gram(d, s, slot, n, threads);
        for (var k = 0; k < n; k++)
            g[k * n + k] += s.Lambda;
        DenseSpd.InvertInPlace(g, n, threads);
        // B[i, j] = −P[i, j] / P[j, j], B[j, j] = 0
        var diag = new float[n];
        for (var j = 0; j < n; j++)
            diag[j] = g[j * n + j];
        var inv = new float[n];
        for (var j = 0; j < n; j++)
            inv[j] = -1f / diag[j];
        Parallelism.For(n, threads, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end) =>
        {
            for (var i = start; i < end; i++)
            {
                var row = g.AsSpan(i * n, n);
                for (var j = 0; j < n; j++)
                    row[j] *= inv[j];
                row[i] = 0;
            }
        });
        return (items, g);
    }

    /// <summary>The ids of the up-to-<paramref name="max"/> most rated items (ties: lower index), ascending by index.</summary>
    internal static int[] SelectItems(RatingData d, int max, int minCount)
    {
        var selected = Enumerable.Range(0, d.Items).Where(i => d.ItemCount(i) >= minCount)
            .OrderByDescending(d.ItemCount).ThenBy(i => i).Take(max).ToArray();
        Array.Sort(selected);
        return selected;
    }

    /// <summary>The input weight of a rating in EASE's X.</summary>
    internal static float InputWeight(float value, float mean, float ratingWeight) =>
        MathF.Max(0.1f, 1 + ratingWeight * (value - mean));

    static float[] Gram(RatingData d, EaseSettings s, int[] slot, int n, int threads)
    {
        // partial sums per fixed user chunk, added in chunk order
        var mean = (float)d.Mean;
        var chunks = Math.Max(1, Math.Min(2, d.Users / 64 + 1)); // fixed: the sum order must not depend on the thread count
        var partial = new float[chunks][];
        Parallelism.ForChunks(d.Users, chunks, threads, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (c, start, end) =>
        {
            var acc = new float[n * n];
            var order = new List<int>();
            for (var u = start; u < end; u++)
            {
                order.Clear();
                for (var p = d.UserPtr[u]; p < d.UserPtr[u + 1]; p++)
                    if (slot[d.UserItems[p]] >= 0)
                        order.Add(p);
                if (s.TimeScale > 0)
                {
                    order.Sort((a, b) => d.UserTimes[a] != d.UserTimes[b] ? d.UserTimes[a].CompareTo(d.UserTimes[b]) : a.CompareTo(b));
                    AddKernel(acc, n, d, order, slot, mean, s);
                }
                else
                    AddOuter(acc, n, d, order, slot, mean, s);
            }
            partial[c] = acc;
        });
        var g = partial[0];
        for (var c = 1; c < chunks; c++)
            Simd.MultiplyAdd(partial[c], 1f, g);
        return g;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void AddOuter(float[] acc, int n, RatingData d, List<int> order, int[] slot, float mean, EaseSettings s)
    {
        var count = order.Count;
        Span<int> idx = count <= 512 ? stackalloc int[count] : new int[count];
        Span<float> val = count <= 512 ? stackalloc float[count] : new float[count];
        for (var q = 0; q < count; q++)
        {
            var p = order[q];
            idx[q] = slot[d.UserItems[p]];
            val[q] = InputWeight(d.UserValues[p], mean, s.RatingWeight);
        }
        for (var a = 0; a < count; a++)
        {
            var row = acc.AsSpan(idx[a] * n, n);
            var va = val[a];
            for (var b = 0; b < count; b++)
                row[idx[b]] += va * val[b];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void AddKernel(float[] acc, int n, RatingData d, List<int> order, int[] slot, float mean, EaseSettings s)
    {
        var count = order.Count;
        var idx = new int[count];
        var val = new float[count];
        var time = new double[count];
        for (var q = 0; q < count; q++)
        {
            var p = order[q];
            idx[q] = slot[d.UserItems[p]];
            val[q] = InputWeight(d.UserValues[p], mean, s.RatingWeight);
            time[q] = d.UserTimes[p];
        }
        var c = s.CrossSessionWeight;
        var near = 1 - c;
        var horizon = 30 * s.TimeScale; // exp(−30) is below float resolution next to c
        var lo = 0;
        for (var a = 0; a < count; a++)
        {
            var row = acc.AsSpan(idx[a] * n, n);
            var va = val[a];
            if (c > 0)
            {
                var vc = va * c;
                for (var b = 0; b < count; b++)
                    row[idx[b]] += vc * val[b];
            }
            // times ascend: the pairs within the horizon form a window around a
            while (time[a] - time[lo] > horizon)
                lo++;
            var vn = va * near;
            for (var b = lo; b < count && time[b] - time[a] <= horizon; b++)
                row[idx[b]] += vn * val[b] * (float)Math.Exp(-Math.Abs(time[a] - time[b]) / s.TimeScale);
        }
    }
}
