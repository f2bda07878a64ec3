namespace MovieRecs.Recommender.Algorithms;

/// <summary>Solves small dense symmetric positive-definite systems (k ≤ a few hundred) by Cholesky in double precision.</summary>
internal static class SmallSolve
{
    /// <summary>Solves A·x = b for SPD <paramref name="a"/> (n×n row-major, destroyed); x overwrites <paramref name="b"/>. False if not SPD.</summary>
    public static bool SolveInPlace(double[] a, double[] b, int n)
    {
        for (var j = 0; j < n; j++)
        {
            var s = a[j * n + j];
            for (var k = 0; k < j; k++)
                s -= a[j * n + k] * a[j * n + k];
            if (!(s > 0))
                return false;
            var l = Math.Sqrt(s);
            a[j * n + j] = l;
            for (var i = j + 1; i < n; i++)
            {
                var t = a[i * n + j];
                for (var k = 0; k < j; k++)
                    t -= a[i * n + k] * a[j * n + k];
                a[i * n + j] = t / l;
            }
        }
        for (var i = 0; i < n; i++)
        {
            var s = b[i];
            for (var k = 0; k < i; k++)
                s -= a[i * n + k] * b[k];
            b[i] = s / a[i * n + i];
        }
        for (var i = n - 1; i >= 0; i--)
        {
            var s = b[i];
            for (var k = i + 1; k < n; k++)
                s -= a[k * n + i] * b[k];
            b[i] = s / a[i * n + i];
        }
        return true;
    }
}
