using MovieRecs.Recommender.Data;

namespace MovieRecs.Recommender.Algorithms;

/// <summary>
/// r̂ = μ + b_u + b_i with ridge-regularised biases fitted by alternating closed-form updates
/// (b_i = Σ(r − μ − b_u)/(λ_i + n_i), then b_u likewise), skipping held-out ratings.
/// </summary>
internal static class BiasModel
{
    public static (float[] UserBias, float[] ItemBias) Fit(RatingData d, Holdout hold, float mean, double userReg, double itemReg, int iterations)
    {
        var bu = new float[d.Users];
        var bi = new float[d.Items];
        for (var it = 0; it < iterations; it++)
        {
            for (var i = 0; i < d.Items; i++)
            {
                double s = 0;
                var n = 0;
                for (var p = d.ItemPtr[i]; p < d.ItemPtr[i + 1]; p++)
                    if (!hold.ByItem[p])
                    {
                        s += d.ItemValues[p] - mean - bu[d.ItemUsers[p]];
                        n++;
                    }
                bi[i] = (float)(s / (itemReg + n));
            }
            for (var u = 0; u < d.Users; u++)
            {
                double s = 0;
                var n = 0;
                for (var p = d.UserPtr[u]; p < d.UserPtr[u + 1]; p++)
                    if (!hold.ByUser[p])
                    {
                        s += d.UserValues[p] - mean - bi[d.UserItems[p]];
                        n++;
                    }
                bu[u] = (float)(s / (userReg + n));
            }
        }
        return (bu, bi);
    }
}
