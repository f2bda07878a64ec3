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
/// learning rate and small initial factors. On large data the rating matrix is cut into <see cref="Blocks"/> ×
/// <see cref="Blocks"/> blocks (user ranges × item ranges of about equal rating counts); an epoch runs
/// <see cref="Blocks"/> rounds, and the blocks of one round share no user and no item, so they run on separate threads
/// without locks (LIBMF's scheme). The visiting order comes from the seed alone: the result depends on neither the
/// thread count nor scheduling.
/// </summary>
internal static class SgdMatrixFactorization
{
    /// <summary>Fixed, not the thread count, so that a model's bytes do not depend on the machine; 4 leaves 2 cores
    /// room to even out blocks of unequal size.</summary>
    public const int Blocks = 4;

    /// <summary>Below this many ratings, one thread in one order over all users (the order before the blocks): the
    /// blocked order cost 0.0002-0.0003 RMSE on ml-latest-small (4 seeds), where a fit takes about a second anyway.</summary>
    public const int BlockedMinRatings = 1_000_000;

    /// <summary>Whether data of <paramref name="ratings"/> ratings is fitted in blocks (on every thread) or serially.</summary>
    public static bool FitsInBlocks(int ratings) => ratings >= BlockedMinRatings;

    /// <summary>Small data: the members side by side, one thread each. Large data: one after another, each on all
    /// <paramref name="threads"/>.</summary>
    /// <param name="start">Members to continue from instead of random factors (fitted on the same <paramref name="d"/>), one per member.</param>
    /// <param name="blocked">The blocked order or not (null: by <see cref="FitsInBlocks"/>).</param>
    public static MfMember[] FitEnsemble(RatingData d, Holdout hold, float mean, SgdSettings s, int members, ulong seed, int threads,
        MfMember[]? start = null, bool? blocked = null)
    {
        var result = new MfMember[members];
        if (!(blocked ?? FitsInBlocks(d.Count)))
        {
            Parallel.For(0, members, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) },
                m => result[m] = Fit(d, null, hold, mean, s, Hash.Mix(seed, (ulong)m + 1), 1, start?[m]));
            return result;
        }
        var layout = BlockLayout.Of(d);
        for (var m = 0; m < members; m++)
            result[m] = Fit(d, layout, hold, mean, s, Hash.Mix(seed, (ulong)m + 1), threads, start?[m]);
        return result;
    }

    /// <summary>Where the blocks are: user ranges, and each user's row cut at the item ranges (rows are sorted by item).</summary>
    sealed class BlockLayout
    {
        public required int[] UserStart { get; init; }   // Blocks + 1 entries
        /// <summary>Row positions: user u's ratings of item block c are [Cut[u·(Blocks+1)+c], Cut[u·(Blocks+1)+c+1]).</summary>
        public required int[] Cut { get; init; }

        public static BlockLayout Of(RatingData d)
        {
            var userStart = Split(d.Users, d.Count, u => d.UserCount(u));
            var itemStart = Split(d.Items, d.Count, i => d.ItemCount(i));
            var cut = new int[d.Users * (Blocks + 1)];
            for (var u = 0; u < d.Users; u++)
            {
                int start = d.UserPtr[u], end = d.UserPtr[u + 1];
                var at = start;
                for (var c = 0; c <= Blocks; c++)
                {
                    while (at < end && (c == Blocks || d.UserItems[at] < itemStart[c]))
                        at++;
                    cut[u * (Blocks + 1) + c] = at;
                }
            }
            return new BlockLayout { UserStart = userStart, Cut = cut };
        }

        /// <summary>Boundaries of <see cref="Blocks"/> consecutive ranges of [0, n) with about equal sums of <paramref name="weight"/>.</summary>
        static int[] Split(int n, long total, Func<int, int> weight)
        {
            var start = new int[Blocks + 1];
            long sum = 0;
            var b = 1;
            for (var x = 0; x < n && b < Blocks; x++)
            {
                sum += weight(x);
                while (b < Blocks && sum * Blocks >= total * b)
                    start[b++] = x + 1;
            }
            for (; b <= Blocks; b++)
                start[b] = n;
            return start;
        }
    }

    /// <summary>
    /// One member. In every block, its users are visited in a freshly shuffled order and each user's ratings in a
    /// pseudo-random affine permutation of the row's part in the block (no shuffled copy of the data; the user's factors
    /// stay in cache).
    /// </summary>
    static MfMember Fit(RatingData d, BlockLayout? layout, Holdout hold, float mean, SgdSettings s, ulong seed, int threads, MfMember? start)
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
        var lr = s.LearningRate;
        if (layout is null)
        {
            var all = Enumerable.Range(0, d.Users).ToArray();
            for (var epoch = 0; epoch < s.Epochs; epoch++)
            {
                Shuffle(all, ref rng);
                Block(d, d.UserPtr, 1, 0, hold.ByUser, all, p, q, bu, bi, mean, k, lr, s.Regularization, s.BiasRegularization, ref rng);
                lr *= s.LearningRateDecay;
            }
            return new MfMember { Factors = k, UserBias = bu, ItemBias = bi, UserFactors = p, ItemFactors = q };
        }
        // each user block's users, reshuffled in place by the one block of a round that visits them
        var blockUsers = new int[Blocks][];
        for (var b = 0; b < Blocks; b++)
            blockUsers[b] = Enumerable.Range(layout.UserStart[b], layout.UserStart[b + 1] - layout.UserStart[b]).ToArray();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) };
        for (var epoch = 0; epoch < s.Epochs; epoch++)
        {
            for (var round = 0; round < Blocks; round++)
            {
                var roundSeed = Hash.Mix(seed, (ulong)epoch, (ulong)round);
                var rate = lr;
                Parallel.For(0, Blocks, parallel, b =>
                {
                    var blockRng = new SplitMix(Hash.Mix(roundSeed, (ulong)b));
                    Shuffle(blockUsers[b], ref blockRng);
                    Block(d, layout.Cut, Blocks + 1, (b + round) % Blocks, hold.ByUser, blockUsers[b], p, q, bu, bi, mean, k, rate,
                        s.Regularization, s.BiasRegularization, ref blockRng);
                });
            }
            lr *= s.LearningRateDecay;
        }
        return new MfMember { Factors = k, UserBias = bu, ItemBias = bi, UserFactors = p, ItemFactors = q };
    }

    static void Shuffle(int[] users, ref SplitMix rng)
    {
        for (var i = users.Length - 1; i > 0; i--)
        {
            var j = rng.NextInt(i + 1);
            (users[i], users[j]) = (users[j], users[i]);
        }
    }

    /// <summary>One pass over <paramref name="users"/>' ratings in [bounds[u·stride + c], bounds[u·stride + c + 1]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Block(RatingData d, int[] bounds, int stride, int c, bool[] held, int[] users, float[] p, float[] q, float[] bu, float[] bi,
        float mu, int k, float lr, float reg, float regB, ref SplitMix rng)
    {
        var decay = 1 - lr * reg;
        var items = d.UserItems;
        var values = d.UserValues;
        foreach (var u in users)
        {
            var start = bounds[u * stride + c];
            var n = bounds[u * stride + c + 1] - start;
            if (n == 0)
                continue;
            // visit t → (a·t + b) mod n with a coprime to n: a permutation of the row's part
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
