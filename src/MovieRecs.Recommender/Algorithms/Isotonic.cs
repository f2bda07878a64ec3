namespace MovieRecs.Recommender.Algorithms;

/// <summary>
/// A non-decreasing map from a score to a probability, fitted by isotonic regression (pool adjacent
/// violators) and evaluated by linear interpolation between the pooled blocks' mean scores, constant beyond the ends.
/// </summary>
internal sealed class IsotonicCalibration
{
    public float[] X { get; }
    public float[] Y { get; }

    public IsotonicCalibration(float[] x, float[] y)
    {
        if (x.Length != y.Length || x.Length == 0)
            throw new ArgumentException("the calibration needs at least one point");
        X = x;
        Y = y;
    }

    /// <summary>
    /// Fits P(label | score): the points are sorted by score and grouped into equal-count bins of at least
    /// <paramref name="minBin"/> points (so a handful of surprising labels at an extreme cannot drag a long stretch of the
    /// map with them), then pool-adjacent-violators runs on the bins' means.
    /// With no data the map is the constant 0.5.
    /// </summary>
    public static IsotonicCalibration Fit(ReadOnlySpan<float> score, ReadOnlySpan<bool> label, int minBin = 100)
    {
        if (score.Length == 0)
            return new IsotonicCalibration([0f], [0.5f]);
        var order = new int[score.Length];
        for (var i = 0; i < order.Length; i++)
            order[i] = i;
        var keys = score.ToArray();
        Array.Sort(keys, order);
        var n = keys.Length;
        var bins = Math.Clamp(n / Math.Max(1, minBin), 1, 1000);
        var sx = new List<double>(bins);
        var sy = new List<double>(bins);
        var w = new List<double>(bins);
        for (var b = 0; b < bins; b++)
        {
            int from = (int)((long)n * b / bins), to = (int)((long)n * (b + 1) / bins);
            double x = 0, y = 0;
            for (var t = from; t < to; t++)
            {
                x += keys[t];
                if (label[order[t]])
                    y++;
            }
            sx.Add(x);
            sy.Add(y);
            w.Add(to - from);
            while (sx.Count > 1 && sy[^2] / w[^2] >= sy[^1] / w[^1])
            {
                sx[^2] += sx[^1];
                sy[^2] += sy[^1];
                w[^2] += w[^1];
                sx.RemoveAt(sx.Count - 1);
                sy.RemoveAt(sy.Count - 1);
                w.RemoveAt(w.Count - 1);
            }
        }
        var xs = new float[sx.Count];
        var ys = new float[sx.Count];
        for (var b = 0; b < xs.Length; b++)
        {
            xs[b] = (float)(sx[b] / w[b]);
            ys[b] = (float)(sy[b] / w[b]);
        }
        // equal block means (possible after rounding to float) would break the interpolation's strict order
        for (var b = 1; b < xs.Length; b++)
            if (xs[b] <= xs[b - 1])
                xs[b] = MathF.BitIncrement(xs[b - 1]);
        return new IsotonicCalibration(xs, ys);
    }

    public float Map(float score)
    {
        var x = X;
        if (!(score > x[0]))
            return Y[0];
        if (score >= x[^1])
            return Y[^1];
        var hi = Array.BinarySearch(x, score);
        if (hi >= 0)
            return Y[hi];
        hi = ~hi;
        var lo = hi - 1;
        var t = (score - x[lo]) / (x[hi] - x[lo]);
        return Y[lo] + t * (Y[hi] - Y[lo]);
    }
}
