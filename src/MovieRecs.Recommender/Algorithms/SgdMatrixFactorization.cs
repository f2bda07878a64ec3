using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MovieRecs.Recommender.Data;

namespace MovieRecs.Recommender.Algorithms;

/// <summary>Settings of <see cref="SgdMatrixFactorization"/>.</summary>
internal sealed record SgdSettings
{
    public int Factors { get; init; } = 64;
    public int Epochs { get; init; } = 60;
    public float LearningRate { get; init; } = 0.007f;
    /// <summary>The learning rate is multiplied by this after every epoch.</summary>
    public float LearningRateDecay { get; init; } = 0.98f;
    public float Regularization { get; init; } = 0.03f;
    public float BiasRegularization { get; init; } = 0.01f;
    /// <summary>Standard deviation of the initial factors: small values act as extra regularisation.</summary>
    public float InitScale { get; init; } = 0.02f;
}

/// <summary>One biased matrix factorisation: r̂ = μ + b_u + b_i + p_u·q_i.</summary>
internal sealed class MfMember
{
    public required int Factors { get; init; }
    public required float[] UserBias { get; init; }
    public required float[] ItemBias { get; init; }
    public required float[] UserFactors { get; init; }
    public required float[] ItemFactors { get; init; }
}

/// <summary>
/// Biased matrix factorisation trained by stochastic gradient descent (Funk / Koren style, as LIBMF), with a decaying
/// learning rate and small initial factors. Ensemble members are trained concurrently, one per thread, each in a fixed
/// order: the result does not depend on scheduling.
/// </summary>
internal static class SgdMatrixFactorization
{
    /// <param name="start">Members to continue from instead of random factors (fitted on the same <paramref name="d"/>), one per member.</param>
    public static MfMember[] FitEnsemble(RatingData d, Holdout hold, float mean, SgdSettings s, int members, ulong seed, int threads,
        MfMember[]? start = null)
    {
        var result = new MfMember[members];
        System.Threading.Tasks.Parallel.For(0, members, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) },
            m => result[m] = Fit(d, hold, mean, s, Hash.Mix(seed, (ulong)m + 1), start?[m]));
        return result;
    }

    /// <summary>
    /// One member. Users are visited in a freshly shuffled order every epoch and each user's ratings in a pseudo-random
    /// affine permutation of their row (no shuffled copy of the data; the user's factors stay in cache).
    /// </summary>
    static MfMember Fit(RatingData d, Holdout hold, float mean, SgdSettings s, ulong seed, MfMember? start)
    {
        var k = s.Factors;
        var rng = new SplitMix(seed);
        var p = new float[d.Users * k];
        var q = new float[d.Items * k];
        for (var i = 0; i < p.Length; i++)
            p[i] = (float)(rng.NextGaussian() * s.InitScale);
        for (var i = 0; i < q.Length; i++)
            q[i] = (float)(rng.NextGaussian() * s.InitScale);
        var bu = start?.UserBias.ToArray() ?? new float[d.Users];
        var bi = start?.ItemBias.ToArray() ?? new float[d.Items];
        if (start is not null)
        {
            start.UserFactors.CopyTo(p, 0);
            start.ItemFactors.CopyTo(q, 0);
        }
        var users = new int[d.Users];
        for (var u = 0; u < users.Length; u++)
            users[u] = u;
        var lr = s.LearningRate;
        for (var epoch = 0; epoch < s.Epochs; epoch++)
        {
            for (var i = users.Length - 1; i > 0; i--)
            {
                var j = rng.NextInt(i + 1);
                (users[i], users[j]) = (users[j], users[i]);
            }
            Epoch(d, hold.ByUser, users, p, q, bu, bi, mean, k, lr, s.Regularization, s.BiasRegularization, ref rng);
            lr *= s.LearningRateDecay;
        }
        return new MfMember { Factors = k, UserBias = bu, ItemBias = bi, UserFactors = p, ItemFactors = q };
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Epoch(RatingData d, bool[] held, int[] users, float[] p, float[] q, float[] bu, float[] bi, float mu, int k,
        float lr, float reg, float regB, ref SplitMix rng)
    {
        var decay = 1 - lr * reg;
        var items = d.UserItems;
        var values = d.UserValues;
        foreach (var u in users)
        {
            var start = d.UserPtr[u];
            var n = d.UserPtr[u + 1] - start;
            if (n == 0)
                continue;
            // visit t → (a·t + b) mod n with a coprime to n: a permutation of the row
            var a = 1 + (long)(rng.Next() % (ulong)n);
            while (Gcd(a, n) != 1)
                a++;
            var b = (long)(rng.Next() % (ulong)n);
            var pu = p.AsSpan(u * k, k);
            var at = b;
            for (var t = 0; t < n; t++)
            {
                var pos = start + (int)at;
                at += a;
                if (at >= n)
                    at %= n;
                if (held[pos])
                    continue;
                var i = items[pos];
                var qi = q.AsSpan(i * k, k);
                var err = values[pos] - (mu + bu[u] + bi[i] + Simd.Dot(pu, qi));
                bu[u] += lr * (err - regB * bu[u]);
                bi[i] += lr * (err - regB * bi[i]);
                Update(pu, qi, lr * err, decay);
            }
        }
    }

    static long Gcd(long a, long b)
    {
        while (b != 0)
            (a, b) = (b, a % b);
        return a;
    }

    /// <summary>p ← decay·p + g·q and q ← decay·q + g·p (both from the old values).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Update(Span<float> pu, Span<float> qi, float g, float decay)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated && pu.Length >= Vector<float>.Count)
        {
            var vg = new Vector<float>(g);
            var vd = new Vector<float>(decay);
            ref var pr = ref MemoryMarshal.GetReference(pu);
            ref var qr = ref MemoryMarshal.GetReference(qi);
            for (; i + Vector<float>.Count <= pu.Length; i += Vector<float>.Count)
            {
                var x = Vector.LoadUnsafe(ref pr, (nuint)i);
                var y = Vector.LoadUnsafe(ref qr, (nuint)i);
                (vd * x + vg * y).StoreUnsafe(ref pr, (nuint)i);
                (vd * y + vg * x).StoreUnsafe(ref qr, (nuint)i);
            }
        }
        for (; i < pu.Length; i++)
        {
            var x = pu[i];
            var y = qi[i];
            pu[i] = decay * x + g * y;
            qi[i] = decay * y + g * x;
        }
    }
}
