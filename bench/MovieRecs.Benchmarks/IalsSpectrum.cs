using System.Diagnostics;
using MovieRecs.Core.MovieLens;
using MovieRecs.Recommender;
using MovieRecs.Recommender.Algorithms;
using MovieRecs.Recommender.Data;

namespace MovieRecs.Benchmarks;

/// <summary>
/// Why iALS's item vectors collapse on large sparse data, and whether they do: the data's noise edge against the fit's
/// shrinkage threshold, optionally the top singular values of the confidence-weighted ratings C⊙R, and for each noise-edge
/// share κ (∞ = Rendle's λ unchanged) and iteration count a fit with the product's iALS settings (seed 3, all cores):
/// the singular values of the item factors and
/// the mean squared distance between the unit vectors of random pairs of movies with ≥ 10 ratings (2 = orthogonal).
/// </summary>
static class IalsSpectrum
{
    public static int Run(string ratingsFile, IReadOnlyList<float> shares, IReadOnlyList<int>? iterations, bool dataSpectrum)
    {
        var d = RatingData.Build(TrainingRuns.ReadExactly(ratingsFile, new List<ParseIssue>()));
        var o = new TrainingOptions();
        var settings = new ImplicitAlsSettings
        {
            Factors = o.IalsFactors, Iterations = o.IalsIterations, UnobservedWeight = o.IalsUnobservedWeight,
            Regularization = o.IalsRegularization, RatingWeight = o.IalsRatingWeight,
        };
        var confidence = d.UserValues.Select(v => MathF.Max(0.1f, 1 + settings.RatingWeight * (v - (float)d.Mean))).ToArray();
        var frobenius = Math.Sqrt(confidence.Sum(c => (double)c * c));
        var edge = frobenius * (1 / Math.Sqrt(d.Users) + 1 / Math.Sqrt(d.Items));
        var threshold = settings.Regularization * settings.UnobservedWeight * Math.Sqrt((double)d.Users * d.Items);
        Console.WriteLine($"{d.Users:N0} users, {d.Items:N0} movies, {d.Count:N0} ratings (density {d.Count / ((double)d.Users * d.Items):G3}); "
            + $"threshold λ·α0·√(U·I) {threshold:F1}, noise edge ‖C⊙R‖_F·(1/√U + 1/√I) {edge:F1}: {threshold / edge:F3} edges");
        if (dataSpectrum)
            Console.WriteLine("top singular values of C⊙R: " + string.Join(" ", TopSingularValues(d, confidence, settings.RatingWeight, 16).Select(s => s.ToString("F1"))));

        foreach (var share in shares)
        foreach (var iterationCount in iterations ?? [settings.Iterations])
        {
            var s = settings with { NoiseEdgeShare = share, Iterations = iterationCount };
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var (_, items) = ImplicitAls.Fit(d, s, 3, Environment.ProcessorCount);
            cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
            var sv = SingularValues(items, d.Items, s.Factors);
            Console.WriteLine($"κ {share}, {iterationCount} iterations: λ {ImplicitAls.EffectiveRegularization(d, s):G3}, fit {cpu.TotalSeconds:F2} s CPU; "
                + $"mean squared distance {UnitSpread(d, items, s.Factors):G3}; item factors' singular values "
                + string.Join(" ", sv.Take(10).Select(v => v.ToString("G3"))));
        }
        return 0;
    }

    /// <summary>Mean squared distance between the unit vectors of 20,000 random pairs of movies with ≥ 10 ratings.</summary>
    static double UnitSpread(RatingData d, float[] items, int k)
    {
        var core = Enumerable.Range(0, d.Items).Where(i => d.ItemCount(i) >= 10).ToArray();
        var rng = new Random(1);
        double sum = 0;
        for (var t = 0; t < 20_000; t++)
        {
            var a = items.AsSpan(core[rng.Next(core.Length)] * k, k);
            var b = items.AsSpan(core[rng.Next(core.Length)] * k, k);
            sum += 2 - 2 * Simd.Dot(a, b) / Math.Sqrt((double)Simd.Dot(a, a) * Simd.Dot(b, b));
        }
        return sum / 20_000;
    }

    /// <summary>Singular values of a rows×k matrix: square roots of the eigenvalues of its Gram matrix.</summary>
    static double[] SingularValues(float[] x, int rows, int k)
    {
        var g = new double[k, k];
        for (var r = 0; r < rows; r++)
            for (var a = 0; a < k; a++)
                for (var c = 0; c < k; c++)
                    g[a, c] += (double)x[r * k + a] * x[r * k + c];
        return Eigenvalues(g, k).Select(v => Math.Sqrt(Math.Max(0, v))).ToArray();
    }

    /// <summary>Top singular values of C⊙R: 40 block power iterations on RᵀR, then Rayleigh-Ritz.</summary>
    static double[] TopSingularValues(RatingData d, float[] userConfidence, float ratingWeight, int b)
    {
        var mean = (float)d.Mean;
        var itemConfidence = d.ItemValues.Select(v => MathF.Max(0.1f, 1 + ratingWeight * (v - mean))).ToArray();
        var rng = new Random(1);
        var v = Enumerable.Range(0, b).Select(_ => Enumerable.Range(0, d.Items).Select(_ => rng.NextDouble() - 0.5).ToArray()).ToArray();
        for (var it = 0; it < 40; it++)
        {
            Orthonormalise(v);
            v = v.AsParallel().AsOrdered().Select(Apply).ToArray();
        }
        Orthonormalise(v);
        var av = v.AsParallel().AsOrdered().Select(Apply).ToArray();
        var m = new double[b, b];
        for (var a = 0; a < b; a++)
            for (var c = 0; c < b; c++)
                m[a, c] = Dot(v[a], av[c]);
        return Eigenvalues(m, b).Select(x => Math.Sqrt(Math.Max(0, x))).ToArray();

        double[] Apply(double[] x) // (C⊙R)ᵀ(C⊙R)·x
        {
            var y = new double[d.Users];
            for (var u = 0; u < d.Users; u++)
                for (var q = d.UserPtr[u]; q < d.UserPtr[u + 1]; q++)
                    y[u] += userConfidence[q] * x[d.UserItems[q]];
            var z = new double[d.Items];
            for (var i = 0; i < d.Items; i++)
                for (var q = d.ItemPtr[i]; q < d.ItemPtr[i + 1]; q++)
                    z[i] += itemConfidence[q] * y[d.ItemUsers[q]];
            return z;
        }
    }

    static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (var i = 0; i < a.Length; i++)
            s += a[i] * b[i];
        return s;
    }

    static void Orthonormalise(double[][] v)
    {
        for (var j = 0; j < v.Length; j++)
        {
            for (var i = 0; i < j; i++)
            {
                var dot = Dot(v[i], v[j]);
                for (var t = 0; t < v[j].Length; t++)
                    v[j][t] -= dot * v[i][t];
            }
            var norm = Math.Sqrt(Dot(v[j], v[j]));
            for (var t = 0; t < v[j].Length; t++)
                v[j][t] /= norm;
        }
    }

    /// <summary>Eigenvalues of a symmetric matrix, largest first (cyclic Jacobi).</summary>
    static double[] Eigenvalues(double[,] matrix, int n)
    {
        var a = (double[,])matrix.Clone();
        for (var sweep = 0; sweep < 60; sweep++)
        {
            double off = 0;
            for (var p = 0; p < n; p++)
                for (var q = p + 1; q < n; q++)
                    off += a[p, q] * a[p, q];
            if (off < 1e-22)
                break;
            for (var p = 0; p < n; p++)
                for (var q = p + 1; q < n; q++)
                {
                    if (a[p, q] == 0)
                        continue;
                    var theta = (a[q, q] - a[p, p]) / (2 * a[p, q]);
                    var t = (theta >= 0 ? 1 : -1) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    var c = 1 / Math.Sqrt(t * t + 1);
                    var s = t * c;
                    for (var r = 0; r < n; r++)
                    {
                        var (arp, arq) = (a[r, p], a[r, q]);
                        a[r, p] = c * arp - s * arq;
                        a[r, q] = s * arp + c * arq;
                    }
                    for (var r = 0; r < n; r++)
                    {
                        var (apr, aqr) = (a[p, r], a[q, r]);
                        a[p, r] = c * apr - s * aqr;
                        a[q, r] = s * apr + c * aqr;
                    }
                }
        }
        return Enumerable.Range(0, n).Select(i => a[i, i]).OrderDescending().ToArray();
    }
}
