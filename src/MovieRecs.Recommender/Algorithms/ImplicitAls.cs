using System.Runtime.CompilerServices;
using MovieRecs.Recommender.Data;

namespace MovieRecs.Recommender.Algorithms;

/// <summary>Settings of <see cref="ImplicitAls"/>.</summary>
internal sealed record ImplicitAlsSettings
{
    public int Factors { get; init; } = 128;
    public int Iterations { get; init; } = 12;
    /// <summary>Weight α0 of every (user, item) pair's squared score (the "unobserved" term).</summary>
    public float UnobservedWeight { get; init; } = 0.3f;
    /// <summary>λ in λ·(n + α0·N)^ν, lowered by <see cref="ImplicitAls.EffectiveRegularization"/> on sparse data.</summary>
    public float Regularization { get; init; } = 0.01f;
    public float RegularizationExponent { get; init; } = 1f;
    /// <summary>κ: the fit's shrinkage threshold is kept at most this share of the data's noise edge.</summary>
    public float NoiseEdgeShare { get; init; } = 1f;
    /// <summary>Observed pair confidence c = max(0.1, 1 + w·(r − μ)).</summary>
    public float RatingWeight { get; init; } = 0.2f;
    /// <summary>Exponent β of the item popularity in the unobserved weight (0 = uniform).</summary>
    public float PopularityExponent { get; init; } = 0f;
    public int ConjugateGradientSteps { get; init; } = 3;
    public float InitScale { get; init; } = 0.1f;
}

/// <summary>
/// Implicit-feedback ALS in the formulation of Rendle et al. 2021 ("Revisiting the performance of iALS"): every
/// observed pair pulls ⟨p_u, q_i⟩ towards 1 with confidence c_ui; every pair (observed or not) is pushed towards 0 with
/// weight α0; regularisation is frequency-scaled. Each row is solved by a few warm-started conjugate-gradient steps
/// against the precomputed Gram matrix, so an epoch costs O(nnz·k + (users + items)·k²). Rows are independent, so the
/// parallel loop is deterministic.
/// </summary>
internal static class ImplicitAls
{
    public static (float[] UserFactors, float[] ItemFactors) Fit(RatingData d, ImplicitAlsSettings s, ulong seed, int threads)
    {
        var k = s.Factors;
        var users = new float[d.Users * k];
        var items = new float[d.Items * k];
        var rng = new SplitMix(seed);
        var scale = s.InitScale / MathF.Sqrt(k);
        for (var i = 0; i < items.Length; i++)
            items[i] = (float)(rng.NextGaussian() * scale);
        for (var i = 0; i < users.Length; i++)
            users[i] = (float)(rng.NextGaussian() * scale);

        var mean = (float)d.Mean;
        var userConf = Confidences(d.UserValues, mean, s.RatingWeight);
        var itemConf = Confidences(d.ItemValues, mean, s.RatingWeight);
        var itemWeight = ItemUnobservedWeights(d, s.PopularityExponent);
        var allUsers = new float[d.Users];
        Array.Fill(allUsers, 1f);
        var itemWeightSum = itemWeight.Sum(x => (double)x);
        var lambda = EffectiveRegularization(d, s);

        for (var it = 0; it < s.Iterations; it++)
        {
            // users: A_u = α0·Σ_i w_i q_i q_iᵀ + Σ_{i∈I_u} c q_i q_iᵀ + λ_u I
            var gItems = Gram(items, d.Items, k, itemWeight, threads);
            SolveRows(users, items, d.Users, k, d.UserPtr, d.UserItems, userConf, gItems, s.UnobservedWeight, 1f, null,
                n => lambda * MathF.Pow((float)(n + s.UnobservedWeight * itemWeightSum), s.RegularizationExponent), s.ConjugateGradientSteps, threads);
            // items: A_i = α0·w_i·Σ_u p_u p_uᵀ + Σ_{u∈U_i} c p_u p_uᵀ + λ_i I
            var gUsers = Gram(users, d.Users, k, allUsers, threads);
            SolveRows(items, users, d.Items, k, d.ItemPtr, d.ItemUsers, itemConf, gUsers, s.UnobservedWeight, 1f, itemWeight,
                null, s.ConjugateGradientSteps, threads, (i, n) => lambda * MathF.Pow((float)(n + s.UnobservedWeight * itemWeight[i] * d.Users), s.RegularizationExponent));
        }
        return (users, items);
    }

    /// <summary>
    /// λ, capped so the fit keeps the data's structure on large sparse sets. With the α0·N part of the regularisation
    /// dominant, the fit is a nuclear-norm shrinkage: it subtracts about τ = √(λ_u·λ_i) = λ·(α0²·U·I)^(ν/2) from every
    /// singular value of the confidence-weighted data C⊙R, and directions below τ vanish. τ grows with √(U·I), but the
    /// singular values of sparse data do not keep up: the sampling noise of C⊙R reaches about
    /// rms(C⊙R)·(√U + √I) = ‖C⊙R‖_F·(1/√U + 1/√I), and the taste directions stand above it. Once τ passes them only
    /// the popularity direction is left and every item vector is parallel (16k users × 55k movies: τ = 4.8 noise edges).
    /// So τ is kept at most κ = 1 noise edge (a threshold above the noise only removes signal); ml-latest-small and its
    /// splits sit at 0.45-0.48 noise edges and keep λ unchanged.
    /// </summary>
    internal static float EffectiveRegularization(RatingData d, ImplicitAlsSettings s)
    {
        var mean = (float)d.Mean;
        double squares = 0;
        foreach (var v in d.UserValues) // as Confidences, without an array of them (25M ratings: 100 MB)
        {
            var c = MathF.Max(0.1f, 1 + s.RatingWeight * (v - mean));
            squares += (double)c * c;
        }
        var noiseEdge = Math.Sqrt(squares) * (1 / Math.Sqrt(d.Users) + 1 / Math.Sqrt(d.Items));
        var perLambda = Math.Pow((double)s.UnobservedWeight * s.UnobservedWeight * d.Users * d.Items, s.RegularizationExponent / 2);
        var cap = s.NoiseEdgeShare * noiseEdge / perLambda;
        return s.Regularization <= cap ? s.Regularization : (float)cap;
    }

    static float[] Confidences(float[] values, float mean, float w)
    {
        var c = new float[values.Length];
        for (var p = 0; p < values.Length; p++)
            c[p] = MathF.Max(0.1f, 1 + w * (values[p] - mean));
        return c;
    }

    /// <summary>Per-item weights of the unobserved term, (n_i / mean n)^β normalised to mean 1 (all 1 when β = 0).</summary>
    internal static float[] ItemUnobservedWeights(RatingData d, float beta)
    {
        var w = new float[d.Items];
        if (beta == 0)
        {
            Array.Fill(w, 1f);
            return w;
        }
        double sum = 0;
        for (var i = 0; i < d.Items; i++)
            sum += w[i] = MathF.Pow(Math.Max(1, d.ItemCount(i)), beta);
        var norm = (float)(d.Items / sum);
        for (var i = 0; i < d.Items; i++)
            w[i] *= norm;
        return w;
    }

    /// <summary>Σ_r w_r x_r x_rᵀ (k×k, full symmetric): float partial sums per fixed chunk of rows, reduced in double in chunk order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float[] Gram(float[] x, int rows, int k, float[] weights, int threads)
    {
        var chunks = Math.Max(1, Math.Min(64, rows / 512 + 1)); // fixed: the sum order must not depend on the thread count
        var partial = new float[chunks][];
        Parallelism.ForChunks(rows, chunks, threads, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (c, start, end) =>
        {
            var acc = new float[k * k];
            for (var r = start; r < end; r++)
            {
                var xr = x.AsSpan(r * k, k);
                var w = weights[r];
                for (var a = 0; a < k; a++)
                {
                    var row = acc.AsSpan(a * k + a, k - a);
                    Simd.MultiplyAdd(xr[a..], w * xr[a], row);
                }
            }
            partial[c] = acc;
        });
        var g = new float[k * k];
        for (var a = 0; a < k; a++)
            for (var b = a; b < k; b++)
            {
                double v = 0;
                for (var c = 0; c < chunks; c++)
                    v += partial[c][a * k + b];
                g[a * k + b] = g[b * k + a] = (float)v;
            }
        return g;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void SolveRows(float[] x, float[] y, int rows, int k, int[] ptr, int[] idx, float[] conf, float[] gram,
        float alpha0, float target, float[]? rowUnobservedWeight, Func<int, float>? reg, int cgSteps, int threads,
        Func<int, int, float>? regOfRow = null)
    {
        Parallelism.For(rows, threads, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end) =>
        {
            var b = new float[k];
            var r = new float[k];
            var p = new float[k];
            var ap = new float[k];
            for (var row = start; row < end; row++)
            {
                var n = ptr[row + 1] - ptr[row];
                var lambda = regOfRow is not null ? regOfRow(row, n) : reg!(n);
                var gw = alpha0 * (rowUnobservedWeight is null ? 1f : rowUnobservedWeight[row]);
                var xr = x.AsSpan(row * k, k);

                // b = Σ c·target·y_j
                Array.Clear(b);
                for (var q = ptr[row]; q < ptr[row + 1]; q++)
                    Simd.MultiplyAdd(y.AsSpan(idx[q] * k, k), conf[q] * target, b);
                // r = b − A x
                MultiplyA(xr, ap, y, gram, gw, lambda, ptr[row], ptr[row + 1], idx, conf, k);
                for (var t = 0; t < k; t++)
                    p[t] = r[t] = b[t] - ap[t];
                var rr = Simd.Dot(r, r);
                for (var step = 0; step < cgSteps && rr > 1e-20f; step++)
                {
                    MultiplyA(p, ap, y, gram, gw, lambda, ptr[row], ptr[row + 1], idx, conf, k);
                    var pap = Simd.Dot(p, ap);
                    if (pap <= 0)
                        break;
                    var alpha = rr / pap;
                    Simd.MultiplyAdd(p, alpha, xr);
                    Simd.MultiplyAdd(ap, -alpha, r);
                    var rrNew = Simd.Dot(r, r);
                    Simd.ScaleAdd(p, rrNew / rr, r);
                    rr = rrNew;
                }
            }
        }, minChunk: 16);
    }

    /// <summary>out = (gw·G + λI)·v + Σ_q c_q (y_q·v) y_q.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void MultiplyA(ReadOnlySpan<float> v, Span<float> result, float[] y, float[] gram, float gw, float lambda,
        int start, int end, int[] idx, float[] conf, int k)
    {
        MatVec(gram, v, result, k);
        Simd.Scale(result, gw);
        Simd.MultiplyAdd(v, lambda, result);
        for (var q = start; q < end; q++)
        {
            var yq = y.AsSpan(idx[q] * k, k);
            var s = conf[q] * Simd.Dot(yq, v);
            Simd.MultiplyAdd(yq, s, result);
        }
    }

    /// <summary>result = M·v for a row-major k×k matrix.</summary>
    internal static void MatVec(float[] m, ReadOnlySpan<float> v, Span<float> result, int k) => Simd.MatVec(m, v, result, k, k);
}
