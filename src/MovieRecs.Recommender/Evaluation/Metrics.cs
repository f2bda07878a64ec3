using Microsoft.ML;
using Microsoft.ML.Data;

namespace MovieRecs.Recommender.Evaluation;

/// <summary>
/// Accuracy and ranking metrics. Ranking metrics take one user's recommended list (best first) and that user's
/// relevant set; the protocol's averaging over the test users is in <see cref="Evaluator"/>.
/// </summary>
/// <remarks>
/// Conventions: Precision@K = hits in the top K / K (a list shorter than K still divides by K).
/// Recall@K = hits / |relevant| (the plain definition, so a user with more than K relevant items cannot reach 1).
/// NDCG@K: binary gains, DCG = Σ 1/log2(rank+1) over hits, ideal DCG over min(K, |relevant|) hits.
/// RMSE, MAE and NDCG are ML.NET's evaluators; precision, recall, AP and ECE are ours (ML.NET has none of them).
/// AP@K = Σ over hit ranks r of Precision@r, divided by min(K, |relevant|); MAP@K is its mean over users.
/// ECE: equal-width bins over the predicted probability (10 by default, p = 1 in the last bin), Σ (n_b / N)·|mean p_b − positive fraction_b|.
/// </remarks>
public static class Metrics
{
    public static double Rmse(ReadOnlySpan<float> predicted, ReadOnlySpan<float> actual) => RatingErrors(predicted, actual).Rmse;

    public static double Mae(ReadOnlySpan<float> predicted, ReadOnlySpan<float> actual) => RatingErrors(predicted, actual).Mae;

    /// <summary>RMSE and MAE, by ML.NET's regression evaluator (the two columns are copied once and streamed to it as rows).</summary>
    public static (double Rmse, double Mae) RatingErrors(ReadOnlySpan<float> predicted, ReadOnlySpan<float> actual)
    {
        Check(predicted.Length, actual.Length);
        if (predicted.IsEmpty)
            return (double.NaN, double.NaN);
        var (p, a) = (predicted.ToArray(), actual.ToArray());
        var ml = new MLContext(0);
        var metrics = ml.Regression.Evaluate(ml.Data.LoadFromEnumerable(Pairs(p, a)), nameof(ScoredRow.Label), nameof(ScoredRow.Score));
        return (metrics.RootMeanSquaredError, metrics.MeanAbsoluteError);

        static IEnumerable<ScoredRow> Pairs(float[] p, float[] a)
        {
            for (var i = 0; i < p.Length; i++)
                yield return new ScoredRow { Score = p[i], Label = a[i] };
        }
    }

    /// <summary>Expected calibration error over <paramref name="bins"/> equal-width probability bins.</summary>
    public static double ExpectedCalibrationError(ReadOnlySpan<float> probability, ReadOnlySpan<bool> positive, int bins = 10)
    {
        Check(probability.Length, positive.Length);
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        if (probability.IsEmpty)
            return double.NaN;
        var count = new long[bins];
        var sumP = new double[bins];
        var pos = new long[bins];
        for (var i = 0; i < probability.Length; i++)
        {
            var p = Math.Clamp((double)probability[i], 0, 1);
            var b = Math.Min(bins - 1, (int)(p * bins));
            count[b]++;
            sumP[b] += p;
            if (positive[i])
                pos[b]++;
        }
        double ece = 0;
        for (var b = 0; b < bins; b++)
            if (count[b] > 0)
                ece += (double)count[b] / probability.Length * Math.Abs(sumP[b] / count[b] - (double)pos[b] / count[b]);
        return ece;
    }

    public static int Hits(ReadOnlySpan<int> recommended, IReadOnlySet<int> relevant, int k)
    {
        var hits = 0;
        var n = Math.Min(k, recommended.Length);
        for (var i = 0; i < n; i++)
            if (relevant.Contains(recommended[i]))
                hits++;
        return hits;
    }

    public static double PrecisionAtK(ReadOnlySpan<int> recommended, IReadOnlySet<int> relevant, int k) =>
        k <= 0 ? 0 : (double)Hits(recommended, relevant, k) / k;

    public static double RecallAtK(ReadOnlySpan<int> recommended, IReadOnlySet<int> relevant, int k) =>
        relevant.Count == 0 ? 0 : (double)Hits(recommended, relevant, k) / relevant.Count;

    public static double NdcgAtK(ReadOnlySpan<int> recommended, IReadOnlySet<int> relevant, int k) =>
        MeanNdcgAtK([recommended.ToArray()], [relevant], k);

    /// <summary>
    /// Mean NDCG@K over the users (0 for a user without relevant items), by ML.NET's ranking evaluator: each list's
    /// movies are scored by their rank (a short list padded with misses to K), and the relevant movies the list missed are
    /// appended below them, so its ideal DCG runs over min(K, |relevant|) hits as the protocol's does (binary gains,
    /// 1/log2(rank + 1)).
    /// </summary>
    public static double MeanNdcgAtK(IReadOnlyList<int[]> recommended, IReadOnlyList<IReadOnlySet<int>> relevant, int k)
    {
        Check(recommended.Count, relevant.Count);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (recommended.Count == 0)
            return double.NaN;
        var groups = 0;
        for (var u = 0; u < relevant.Count; u++)
            if (relevant[u].Count > 0)
                groups++;
        if (groups == 0)
            return 0;
        var ml = new MLContext(0);
        var schema = SchemaDefinition.Create(typeof(ScoredRow));
        schema[nameof(ScoredRow.Group)].ColumnType = new KeyDataViewType(typeof(uint), (ulong)groups + 1);
        var view = ml.Data.LoadFromEnumerable(Rows(recommended, relevant, k), schema);
        var metrics = ml.Ranking.Evaluate(view, new RankingEvaluatorOptions { DcgTruncationLevel = k, LabelGains = "0,1" },
            nameof(ScoredRow.Label), nameof(ScoredRow.Group), nameof(ScoredRow.Score));
        return metrics.NormalizedDiscountedCumulativeGains[k - 1] * groups / recommended.Count;

        static IEnumerable<ScoredRow> Rows(IReadOnlyList<int[]> recommended, IReadOnlyList<IReadOnlySet<int>> relevant, int k)
        {
            uint group = 0;
            for (var u = 0; u < recommended.Count; u++)
            {
                var set = relevant[u];
                if (set.Count == 0)
                    continue;
                group++;
                var list = recommended[u].AsSpan(0, Math.Min(k, recommended[u].Length)).ToArray();
                // a list shorter than K is padded with misses, so that no missed relevant movie counts within the top K
                for (var i = 0; i < k; i++)
                    yield return new ScoredRow { Group = group, Score = k - i, Label = i < list.Length && set.Contains(list[i]) ? 1 : 0 };
                var below = 0f;
                foreach (var movie in set)
                    if (Array.IndexOf(list, movie) < 0)
                        yield return new ScoredRow { Group = group, Score = --below, Label = 1 };
            }
        }
    }

    public static double AveragePrecisionAtK(ReadOnlySpan<int> recommended, IReadOnlySet<int> relevant, int k)
    {
        var denom = Math.Min(k, relevant.Count);
        if (denom == 0)
            return 0;
        double sum = 0;
        var hits = 0;
        var n = Math.Min(k, recommended.Length);
        for (var i = 0; i < n; i++)
            if (relevant.Contains(recommended[i]))
            {
                hits++;
                sum += (double)hits / (i + 1);
            }
        return sum / denom;
    }

    sealed class ScoredRow
    {
        public uint Group { get; set; }
        public float Score { get; set; }
        public float Label { get; set; }
    }

    static void Check(int a, int b)
    {
        if (a != b)
            throw new ArgumentException($"the spans differ in length ({a} vs {b})");
    }
}
