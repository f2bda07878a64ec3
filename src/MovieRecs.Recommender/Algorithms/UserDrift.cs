namespace MovieRecs.Recommender.Algorithms;

/// <summary>
/// Time-local user effects for rating prediction: how far a user's ratings near a point in time run above or below the
/// baseline μ + b_u + b_i. Each term is a shrunk mean of residuals: the same sitting (weights exp(−|Δt| / 10 min)) and
/// the user's mood of the period (the ratings nearest in time, two window sizes). Asked at a rating's own time inside
/// the user's timeline they pick up that sitting and period; asked after the user's latest rating (the next ratings, or
/// "now") they are the user's recent mood. Their weights are fitted with the rating blend on the hold-out.
/// </summary>
internal static class UserDrift
{
    public const int Terms = 3;
    const double SessionSeconds = 600;
    const int Near = 30, Far = 200;
    const float Shrink = 3;
    const double Horizon = 20 * SessionSeconds; // exp(−20): nothing left to add

    /// <summary>Days from <paramref name="t"/> to the user's nearest rating in time (0 without ratings).</summary>
    public static float GapDays(ReadOnlySpan<int> times, long t)
    {
        if (times.Length == 0)
            return 0;
        var at = FirstAtOrAfter(times, t);
        var gap = long.MaxValue;
        if (at < times.Length)
            gap = times[at] - t;
        if (at > 0)
            gap = Math.Min(gap, t - times[at - 1]);
        return (float)(gap / 86400.0);
    }

    /// <summary>The terms at time <paramref name="t"/> into <paramref name="terms"/> (length <see cref="Terms"/>).
    /// <paramref name="times"/> ascending (seconds, the same origin as <paramref name="t"/>), <paramref name="residuals"/>
    /// r − baseline in the same order.</summary>
    public static void At(ReadOnlySpan<int> times, ReadOnlySpan<float> residuals, long t, Span<float> terms)
    {
        terms[..Terms].Clear();
        var n = times.Length;
        if (n == 0)
            return;
        var lo = FirstAtOrAfter(times, t);
        double sw = 0, s = 0;
        for (var k = lo - 1; k >= 0 && t - times[k] < Horizon; k--)
        {
            var w = Math.Exp(-(t - times[k]) / SessionSeconds);
            sw += w;
            s += w * residuals[k];
        }
        for (var k = lo; k < n && times[k] - t < Horizon; k++)
        {
            var w = Math.Exp(-(times[k] - t) / SessionSeconds);
            sw += w;
            s += w * residuals[k];
        }
        terms[0] = (float)(s / (sw + Shrink));
        // the nearest ratings in time: grow a window out from t
        int left = lo - 1, right = lo, taken = 0;
        double d = 0;
        while (taken < Far && (left >= 0 || right < n))
        {
            if (right >= n || (left >= 0 && t - times[left] <= times[right] - t))
                d += residuals[left--];
            else
                d += residuals[right++];
            if (++taken == Near)
                terms[1] = (float)(d / (taken + Shrink));
        }
        if (taken < Near)
            terms[1] = (float)(d / (taken + Shrink));
        terms[2] = (float)(d / (taken + Shrink));
    }

    /// <summary>For each user's row of a CSR matrix, the positions of the row sorted by time (ties by position).</summary>
    public static int[] TimeOrder(int[] userPtr, int[] times)
    {
        var order = new int[times.Length];
        for (var p = 0; p < order.Length; p++)
            order[p] = p;
        var keys = new long[times.Length];
        for (var p = 0; p < keys.Length; p++)
            keys[p] = ((long)times[p] << 32) | (uint)p;
        for (var u = 0; u + 1 < userPtr.Length; u++)
            Array.Sort(keys, order, userPtr[u], userPtr[u + 1] - userPtr[u]);
        return order;
    }

    /// <summary>The first index whose time is ≥ <paramref name="t"/> (binary search; <c>times.Length</c> if none).</summary>
    static int FirstAtOrAfter(ReadOnlySpan<int> times, long t)
    {
        int lo = 0, hi = times.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (times[mid] < t)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo;
    }
}
