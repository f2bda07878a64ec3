namespace MovieRecs.Recommender.Evaluation;

/// <summary>The offline evaluation of a model on a test set.</summary>
/// <param name="Rmse">Root mean squared error of <see cref="RecommenderModel.PredictRating(int, int, long?)"/> at each row's time over every test row (fallbacks included).</param>
/// <param name="Mae">Mean absolute error over every test row.</param>
/// <param name="PrecisionAtK">Mean over test users of hits@K / K.</param>
/// <param name="RecallAtK">Mean over test users of hits@K / |relevant|.</param>
/// <param name="NdcgAtK">Mean binary NDCG@K (ideal DCG over min(K, |relevant|)).</param>
/// <param name="MapAtK">Mean AP@K (normalised by min(K, |relevant|)).</param>
/// <param name="Ece">Expected calibration error of the like-probabilities over every test row (10 equal-width bins).</param>
/// <param name="TestRatings">Test rows scored.</param>
/// <param name="RankedUsers">Test users ranked (all test users: every one has at least one relevant row).</param>
/// <param name="Hits">Relevant movies in the top K lists, summed over users.</param>
/// <param name="ColdHits">Of those, movies the model has no training rating of (only content can find them).</param>
public sealed record EvaluationResult(
    double Rmse, double Mae, double PrecisionAtK, double RecallAtK, double NdcgAtK, double MapAtK, double Ece,
    int K, int TestRatings, int RankedUsers, int Hits = 0, int ColdHits = 0);

/// <summary>
/// The evaluation protocol of the project's splits: every test row is scored for RMSE, MAE and calibration (like = rating
/// at or above the model's threshold); for ranking, every test row is relevant, each test user gets the top K of the
/// movies not in their training rows (the model's known ratings), users unknown to the model get the popularity list.
/// </summary>
public static class Evaluator
{
    /// <param name="recommend">The top K for a test user (default: <paramref name="model"/>'s own ranking), e.g. a learned ranker's.</param>
    public static EvaluationResult Evaluate(RecommenderModel model, ReadOnlySpan<Rating> test, int k = 10, int threads = 0,
        Func<int, int, IReadOnlyList<Recommendation>>? recommend = null)
    {
        recommend ??= (user, count) => model.Recommend(user, count);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var rows = test.ToArray();
        var predicted = new float[rows.Length];
        var probability = new float[rows.Length];
        var actual = new float[rows.Length];
        var liked = new bool[rows.Length];
        threads = threads > 0 ? threads : Environment.ProcessorCount;
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads };
        Parallel.For(0, rows.Length, options, t =>
        {
            var r = rows[t];
            predicted[t] = model.PredictRating(r.User, r.Item, r.Timestamp > 0 ? r.Timestamp : null);
            probability[t] = model.ProbabilityOfLike(predicted[t]);
            actual[t] = r.Value;
            liked[t] = r.Value >= model.Options.LikeThreshold;
        });

        // relevant sets per user (ascending user id for a stable order)
        var relevant = new SortedDictionary<int, HashSet<int>>();
        foreach (var r in rows)
        {
            if (!relevant.TryGetValue(r.User, out var set))
                relevant[r.User] = set = [];
            set.Add(r.Item);
        }
        var users = relevant.Keys.ToArray();
        var perUser = new (double P, double R, double Ap, int Hits, int Cold)[users.Length];
        var lists = new int[users.Length][];
        Parallel.For(0, users.Length, options, t =>
        {
            var set = relevant[users[t]];
            var recs = recommend(users[t], k);
            var ids = new int[Math.Min(k, recs.Count)];
            int hits = 0, cold = 0;
            for (var j = 0; j < ids.Length; j++)
            {
                ids[j] = recs[j].MovieId;
                if (set.Contains(ids[j]))
                {
                    hits++;
                    if (!model.ContainsMovie(ids[j]))
                        cold++;
                }
            }
            lists[t] = ids;
            perUser[t] = (Metrics.PrecisionAtK(ids, set, k), Metrics.RecallAtK(ids, set, k), Metrics.AveragePrecisionAtK(ids, set, k), hits, cold);
        });
        double p = 0, rc = 0, ap = 0;
        foreach (var x in perUser)
        {
            p += x.P;
            rc += x.R;
            ap += x.Ap;
        }
        var n = Math.Max(1, users.Length);
        var ndcg = users.Length == 0 ? 0 : Metrics.MeanNdcgAtK(lists, users.Select(u => (IReadOnlySet<int>)relevant[u]).ToArray(), k);
        var (rmse, mae) = Metrics.RatingErrors(predicted, actual);
        return new EvaluationResult(
            rmse, mae,
            p / n, rc / n, ndcg, ap / n,
            Metrics.ExpectedCalibrationError(probability, liked), k, rows.Length, users.Length,
            perUser.Sum(x => x.Hits), perUser.Sum(x => x.Cold));
    }
}
