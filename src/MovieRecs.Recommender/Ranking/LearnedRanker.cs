using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.LightGbm;
using MovieRecs.Recommender.Algorithms;
using MovieRecs.Recommender.Data;
using MovieRecs.Recommender.Evaluation;

namespace MovieRecs.Recommender.Ranking;

/// <summary>A ranker feature with its LightGBM gain importance (normalised to sum 1).</summary>
public sealed record RankerFeatureImportance(string Name, double Importance);

/// <summary>What the ranker's training measured on its time-ordered hold-out (users it did not train on).</summary>
/// <param name="CandidateRecall">Share of the held-out (next) ratings that were among the candidates.</param>
/// <param name="HoldoutNdcg">NDCG@10 of the ranker's order on the calibration users' next ratings.</param>
/// <param name="HoldoutBaseNdcg">The same for the base models' blend order (what the ranker reorders).</param>
/// <param name="Ece">Calibration error of the probabilities over every candidate row of the calibration users
/// (two-fold: each half scored by the map fitted on the other).</param>
/// <param name="EceTop10">The same over each user's top 10 only.</param>
public sealed record RankerReport(
    string Event, int TrainUsers, int CalibrationUsers, int TrainRows, double CandidateRecall, double HoldoutNdcg, double HoldoutBaseNdcg,
    double Ece, double EceTop10, double PositiveRate, IReadOnlyList<RankerFeatureImportance> Features, IReadOnlyDictionary<string, double> Parameters,
    double Seconds);

/// <summary>
/// The evaluation a training run gets from the ranker's own hold-out, so it needs no model of its own: the users kept
/// out of the ranker's training (the calibration users), their latest ratings as the test set, ranked by the ranker
/// over the base model trained on everything before them.
/// </summary>
/// <param name="Result">Ranking metrics of the ranker's lists; RMSE, MAE and ECE of the base model's rating predictions.</param>
/// <param name="TrainRatings">Ratings the hold-out's base model was trained on.</param>
/// <param name="Seconds">Time of the evaluation itself (the models it uses are trained anyway).</param>
public sealed record RankerHoldout(EvaluationResult Result, int TrainRatings, int Users, string Protocol, double Seconds);

/// <summary>
/// The last stage of training: ML.NET's LightGBM LambdaRank reorders candidates from the base models (EASE + iALS),
/// from what was rated around the user's latest activity, and from content (movies nobody rated yet), using features
/// of each (user, movie). It learns from a time-ordered hold-out inside the training data: each user's latest ratings
/// are the labels, the features come from a base model trained on what came before. Its score is mapped to the
/// calibrated probability that the user rates the movie among their next ratings and likes it, so a list ordered by
/// score is in non-increasing order of probability.
/// </summary>
/// <remarks>
/// Two files: the ML.NET model (<see cref="Save"/>: a zip written by <c>mlContext.Model.Save</c>) and ours (the movie
/// statistics the features read, the calibration). Scoring walks the trees copied out of the ML.NET model
/// (<see cref="TreeScorer"/>: thread-safe, no lock); ML.NET's <see cref="PredictionEngine{TSrc,TDst}"/> (pooled, as it is
/// not thread-safe) is kept only to check that both agree.
/// </remarks>
public sealed class LearnedRanker
{
    /// <summary>Version of <see cref="Save"/>'s second file.</summary>
    public const int FormatVersion = 1;
    public const string EventDescription = "rated among the user's next ratings (the latest fifth of a training user's ratings) with at least the like threshold";
    static readonly byte[] Magic = "MRECRNK\0"u8.ToArray();

    readonly FeatureSpace _space;
    readonly IsotonicCalibration _calibration;
    readonly CandidateCounts _counts;
    readonly float _baseWeight;
    readonly MLContext _ml;
    readonly ITransformer _transformer;
    readonly ConcurrentBag<PredictionEngine<Input, Output>> _engines = new();
    readonly TreeScorer _trees;
    volatile RankerContext? _context;

    [ThreadStatic] static RankerFeatures? t_features;

    LearnedRanker(FeatureSpace space, IsotonicCalibration calibration, CandidateCounts counts, float baseWeight, MLContext ml, ITransformer transformer, RankerReport? report)
    {
        _baseWeight = baseWeight;
        _space = space;
        _calibration = calibration;
        _counts = counts;
        _ml = ml;
        _transformer = transformer;
        _trees = TreeScorer.From(transformer);
        Report = report;
    }

    internal CandidateCounts Counts => _counts;

    /// <summary>The training report (null for a ranker loaded from files: the manifest holds it).</summary>
    public RankerReport? Report { get; }

    /// <summary>The evaluation on the ranker's hold-out (null for a ranker loaded from files).</summary>
    public RankerHoldout? Holdout { get; private init; }

    /// <summary>The names of the features, in the order of the model's feature vector.</summary>
    public static IReadOnlyList<string> FeatureNames => RankerFeatures.Names;

    /// <summary>Movies the ranker knows (the catalog and every rated movie), for tests and diagnostics.</summary>
    public int MovieCount => _space.Count;

    // ------------------------------------------------------------------ ML.NET rows

    sealed class Row
    {
        public float Label;
        public uint GroupId;
        public float[] Features = [];
    }

    sealed class Input
    {
        public float[] Features = [];
    }

    sealed class Output
    {
        public float Score = 0; // written by ML.NET
    }

    static SchemaDefinition InputSchema()
    {
        var s = SchemaDefinition.Create(typeof(Input));
        s[nameof(Input.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, RankerFeatures.Count);
        return s;
    }

    // ------------------------------------------------------------------ training

    /// <summary>
    /// Trains the ranker for <paramref name="ratings"/> (the data the served model is trained on). Returns null when
    /// there is too little data for a hold-out (fewer than 20 users with 5 ratings).
    /// </summary>
    public static LearnedRanker? Train(ReadOnlySpan<Rating> ratings, IReadOnlyList<MovieInfo> movies, TrainingOptions options, Action<string>? log = null) =>
        TrainReordering(ratings.ToArray(), movies, options, log);

    /// <summary>
    /// <see cref="Train"/> without a copy of the ratings: <paramref name="ratings"/> is sorted and rearranged in place (the
    /// same rows in another order), for a caller done with their order (25M rows would otherwise be held twice). The same
    /// ranker as <see cref="Train"/> on the same rows in the same order.
    /// </summary>
    public static LearnedRanker? TrainReordering(Span<Rating> ratings, IReadOnlyList<MovieInfo> movies, TrainingOptions options, Action<string>? log = null)
    {
        var total = Stopwatch.StartNew();
        var sw = Stopwatch.StartNew();
        // time-ordered hold-out: each user's latest ratings (users with at least 5) are labels
        var sorted = ratings;
        sorted.Sort(static (a, b) => a.User != b.User ? a.User.CompareTo(b.User)
            : a.Timestamp != b.Timestamp ? a.Timestamp.CompareTo(b.Timestamp) : a.Item.CompareTo(b.Item));
        var users = new List<(int User, int Start, int Split, int End)>();
        var seed = (ulong)(uint)options.Seed;
        for (var s = 0; s < sorted.Length;)
        {
            var e = s;
            while (e < sorted.Length && sorted[e].User == sorted[s].User)
                e++;
            var n = e - s;
            var labels = n >= 5 ? Math.Max(1, (int)Math.Round(n * options.RankerHoldoutFraction)) : 0;
            if (labels == 0)
            {
                s = e;
                continue;
            }
            // the latest ratings, and optionally a random share of the earlier ones (a rating the user made but the
            // data lacks, as in a random split), moved behind the split point as labels
            var split = e - labels;
            var moved = new List<Rating>();
            for (var t = s; t < split; t++)
            {
                var r = sorted[t];
                if (options.RankerRandomFraction > 0 && Hash.Mix(seed, (ulong)(uint)r.User, (ulong)(uint)r.Item) % 1_000_000 < options.RankerRandomFraction * 1_000_000)
                    moved.Add(r);
            }
            var kept = split - s - moved.Count;
            var copy = sorted.Slice(s, split - s).ToArray();
            var at = s;
            foreach (var r in copy)
                if (!moved.Contains(r))
                    sorted[at++] = r;
            foreach (var r in moved)
                sorted[at++] = r;
            users.Add((sorted[s].User, s, s + kept, e));
            s = e;
        }
        if (users.Count < 20)
        {
            log?.Invoke($"ranker: skipped ({users.Count} users with 5 ratings, need 20)");
            return null;
        }
        var rng = new Random(options.Seed);
        var order = users.ToArray();
        rng.Shuffle(order); // ML.NET's Shuffle does not reorder an enumerable source: shuffle groups ourselves
        if (order.Length > options.RankerMaxUsers)
            order = order[..options.RankerMaxUsers];
        var calibrationCount = Math.Max(10, (int)(order.Length * options.RankerCalibrationShare));

        // memory: the feature users' rows (histories and labels) are copied out, then everyone's earlier ratings are
        // moved to the front of sorted in place (the labels behind them: every row is kept), and sorted is let go once
        // the base model is fitted
        var picked = new Rating[order.Sum(u => u.End - u.Start)];
        for (int t = 0, at = 0; t < order.Length; t++)
        {
            var u = order[t];
            sorted.Slice(u.Start, u.End - u.Start).CopyTo(picked.AsSpan(at));
            order[t] = (u.User, at, at + u.Split - u.Start, at + u.End - u.Start);
            at += u.End - u.Start;
        }
        var labelRows = new Rating[users.Sum(u => u.End - u.Split)];
        var earlyCount = 0;
        var from = 0;
        var labelCount = 0;
        foreach (var u in users) // in row order
        {
            sorted.Slice(u.Split, u.End - u.Split).CopyTo(labelRows.AsSpan(labelCount));
            labelCount += u.End - u.Split;
            sorted.Slice(from, u.Split - from).CopyTo(sorted.Slice(earlyCount));
            earlyCount += u.Split - from;
            from = u.End;
        }
        sorted.Slice(from).CopyTo(sorted.Slice(earlyCount));
        earlyCount += sorted.Length - from;
        labelRows.CopyTo(sorted.Slice(earlyCount));
        labelRows = null!;

        // ranking only: the features read EASE, iALS and popularity, never a predicted rating, so the rating model's fit is skipped
        var earlySpace = FeatureSpace.Build(sorted.Slice(0, earlyCount), movies);
        var sample = earlyCount <= options.RankerBaseMaxRatings ? null : SampleUsers(sorted.Slice(0, earlyCount), order, options.RankerBaseMaxRatings, options.Seed);
        var baseCount = sample?.Length ?? earlyCount;
        var baseRows = sample is null ? sorted[..earlyCount] : sample;
        sorted = default;
        var earlyModel = RecommenderModel.TrainForRanking(baseRows, options with { RankerEnabled = 0 });
        var large = sample is not null;
        baseRows = default;
        sample = null;
        if (large)
            ReturnGarbage(); // the sample, the movie statistics' sort keys, the base model's training data
        var context = new RankerContext(earlyModel, earlySpace);
        log?.Invoke($"ranker: base model on {baseCount} of {earlyCount} earlier ratings, {users.Count} users' latest {labelCount} as labels: {sw.Elapsed.TotalSeconds:F2} s");
        sw.Restart();

        var counts = new CandidateCounts(options.RankerModelCandidates, options.RankerPopularCandidates, options.RankerContentCandidates);
        var like = options.LikeThreshold;
        var f = RankerFeatures.Count;
        // one user's candidates: (features, label: 0 not rated next, 1 rated next, 2 rated next and liked)
        (float[] X, float[] Y, float[] Blend, int Held, int Found) Build(RankerFeatures b, (int User, int Start, int Split, int End) u)
        {
            var history = new RatedMovie[u.Split - u.Start];
            for (var t = u.Start; t < u.Split; t++)
                history[t - u.Start] = new RatedMovie(picked[t].Item, picked[t].Value, picked[t].Timestamp);
            var count = b.Build(context, earlyModel.ProfileOf(u.User), history, [], includeRated: false, counts);
            var label = new Dictionary<int, float>(u.End - u.Split);
            for (var t = u.Split; t < u.End; t++)
            {
                var j = earlySpace.Movies.IndexOf(picked[t].Item);
                label[j] = picked[t].Value >= like ? 2 : 1; // j = −1 for a movie outside the universe: never a candidate
            }
            var y = new float[count];
            var blend = new float[count];
            var found = 0;
            for (var t = 0; t < count; t++)
            {
                y[t] = label.GetValueOrDefault(b.Candidates[t]);
                blend[t] = b.Features[t * f]; // blend score (Missing off the model)
                if (y[t] > 0)
                    found++;
            }
            return (b.Features.AsSpan(0, count * f).ToArray(), y, blend, u.End - u.Split, found);
        }
        var built = new (float[] X, float[] Y, float[] Blend, int Held, int Found)[order.Length];
        var calibrationCandidates = new int[calibrationCount][]; // the hold-out's lists are made from these rows, not built again
        Parallelism.For(order.Length, options.ResolvedThreads, (from, to) =>
        {
            var b = new RankerFeatures();
            for (var t = from; t < to; t++)
            {
                built[t] = Build(b, order[t]);
                if (t < calibrationCount)
                    calibrationCandidates[t] = b.Candidates.AsSpan(0, built[t].Y.Length).ToArray();
            }
        }, 8);
        var held = built.Sum(x => x.Held);
        var found = built.Sum(x => x.Found);
        log?.Invoke($"ranker: candidates and features for {order.Length} users ({built.Sum(x => x.Y.Length)} rows, {found} of {held} next ratings among them): {sw.Elapsed.TotalSeconds:F2} s");
        sw.Restart();

        // LambdaRank on the training users (groups without a positive carry no gradient: left out), with every positive
        // and a seeded share of the negatives (LightGBM's time grows with the rows; most negatives say the same thing)
        var negativeThreshold = (ulong)(Math.Clamp(options.RankerNegativeShare, 0, 1) * ulong.MaxValue);
        bool KeepNegative(int user, int row) => options.RankerNegativeShare >= 1 || Hash.Mix(seed, (ulong)(uint)user, (ulong)row) < negativeThreshold;
        var rows = new List<Row>();
        uint group = 0;
        for (var t = calibrationCount; t < order.Length; t++)
        {
            var (x, y, _, _, got) = built[t];
            if (got == 0)
                continue;
            group++;
            for (var r = 0; r < y.Length; r++)
                if (y[r] > 0 || KeepNegative(order[t].User, r))
                    rows.Add(new Row { Label = y[r], GroupId = group, Features = x.AsSpan(r * f, f).ToArray() });
        }
        var rowCount = rows.Count;
        if (large)
            ReturnGarbage(); // the features' scratch, before LightGBM's native copy of the rows
        var ml = new MLContext(options.Seed);
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, f);
        schema[nameof(Row.GroupId)].ColumnType = new KeyDataViewType(typeof(uint), group + 1UL);
        var view = ml.Data.LoadFromEnumerable(rows, schema);
        var trainer = ml.Ranking.Trainers.LightGbm(new LightGbmRankingTrainer.Options
        {
            LabelColumnName = nameof(Row.Label),
            FeatureColumnName = nameof(Row.Features),
            RowGroupColumnName = nameof(Row.GroupId),
            NumberOfIterations = options.RankerTrees,
            NumberOfLeaves = options.RankerLeaves,
            LearningRate = options.RankerLearningRate,
            // the same share of the data per leaf as with every negative
            MinimumExampleCountPerLeaf = Math.Max(1, (int)Math.Round(options.RankerMinLeafRows * Math.Min(1, options.RankerNegativeShare))),
            Seed = options.Seed,
            // one thread: with two, LightGBM's OpenMP workers spun against the other threads of a loaded 2-core machine
            // (150 trees took 51 s instead of 4.7 s at load average 10)
            NumberOfThreads = 1,
            Silent = true,
        });
        var transformer = trainer.Fit(view);
        VBuffer<float> weights = default;
        transformer.Model.GetFeatureWeights(ref weights);
        var w = weights.DenseValues().ToArray();
        var wSum = w.Sum(v => (double)Math.Abs(v));
        var importances = RankerFeatures.Names.Select((name, i) => new RankerFeatureImportance(name, wSum > 0 && i < w.Length ? Math.Round(Math.Abs(w[i]) / wSum, 4) : 0))
            .OrderByDescending(x => x.Importance).ToArray();
        log?.Invoke($"ranker: LightGBM LambdaRank on {rowCount} rows of {group} users: {sw.Elapsed.TotalSeconds:F2} s");
        sw.Restart();

        // calibration on the users the ranker did not train on: P(rated next and liked | score), isotonic
        var ranker = new LearnedRanker(earlySpace, new IsotonicCalibration([0f], [0f]), counts, options.RankerBaseWeight, ml, transformer, null);
        var scores = new float[calibrationCount][];
        Parallelism.For(calibrationCount, options.ResolvedThreads, (from, to) =>
        {
            for (var t = from; t < to; t++)
                scores[t] = ranker.ScoreRows(built[t].X, built[t].Y.Length);
        }, 8);
        var half = new bool[calibrationCount];
        for (var t = 0; t < calibrationCount; t++)
            half[t] = (t & 1) == 1;
        IsotonicCalibration FitOn(Func<int, bool> take)
        {
            var s = new List<float>();
            var l = new List<bool>();
            for (var t = 0; t < calibrationCount; t++)
                if (take(t))
                    for (var r = 0; r < scores[t].Length; r++)
                    {
                        s.Add(scores[t][r]);
                        l.Add(built[t].Y[r] >= 2);
                    }
            return IsotonicCalibration.Fit(s.ToArray(), l.ToArray());
        }
        var onA = FitOn(t => !half[t]);
        var onB = FitOn(t => half[t]);
        var calibration = FitOn(_ => true);
        var allP = new List<float>();
        var allL = new List<bool>();
        var topP = new List<float>();
        var topL = new List<bool>();
        var (byRanker, byBase, nextRatings) = (new int[calibrationCount][], new int[calibrationCount][], new IReadOnlySet<int>[calibrationCount]);
        for (var t = 0; t < calibrationCount; t++)
        {
            var map = half[t] ? onA : onB; // the map fitted on the other half
            var y = built[t].Y;
            var byScore = Enumerable.Range(0, y.Length).OrderByDescending(r => scores[t][r]).ThenBy(r => r).ToArray();
            for (var r = 0; r < y.Length; r++)
            {
                allP.Add(map.Map(scores[t][r]));
                allL.Add(y[r] >= 2);
            }
            foreach (var r in byScore.Take(10))
            {
                topP.Add(map.Map(scores[t][r]));
                topL.Add(y[r] >= 2);
            }
            // the user's next ratings: the candidate rows that hold one, and one stand-in (a negative id) for each the candidates missed
            var next = Enumerable.Range(0, y.Length).Where(r => y[r] > 0).ToHashSet();
            for (var missed = 1; next.Count < built[t].Held; missed++)
                next.Add(-missed);
            nextRatings[t] = next;
            byRanker[t] = byScore.Take(10).ToArray();
            byBase[t] = Enumerable.Range(0, y.Length).Where(r => built[t].Blend[r] != RankerFeatures.Missing)
                .OrderByDescending(r => built[t].Blend[r]).ThenBy(r => r).Take(10).ToArray();
        }
        var ece = Metrics.ExpectedCalibrationError(allP.ToArray(), allL.ToArray());
        var ndcg = Metrics.MeanNdcgAtK(byRanker, nextRatings, 10);
        var baseNdcg = Metrics.MeanNdcgAtK(byBase, nextRatings, 10);
        var holdout = EvaluateHoldout(earlyModel, picked, order[..calibrationCount], baseCount, options,
            HoldoutLists([.. order[..calibrationCount].Select(u => u.User)], calibrationCandidates, scores, earlySpace, calibration.Map));
        var eceTop = Metrics.ExpectedCalibrationError(topP.ToArray(), topL.ToArray());
        log?.Invoke($"ranker: calibration on {calibrationCount} held-out users: ECE {ece:F4} (top 10: {eceTop:F4}), NDCG@10 {ndcg:F4} vs base {baseNdcg:F4}: {sw.Elapsed.TotalSeconds:F2} s");

        // served with the final model: the movie statistics of all ratings, the same trees and calibration
        var space = FeatureSpace.Build(ratings, movies);
        var report = new RankerReport(EventDescription, group == 0 ? 0 : (int)group, calibrationCount, rowCount, held == 0 ? 0 : found / (double)held,
            Math.Round(ndcg, 4), Math.Round(baseNdcg, 4), Math.Round(ece, 4), Math.Round(eceTop, 4),
            Math.Round(allL.Count(x => x) / (double)Math.Max(1, allL.Count), 5), importances, Parameters(options), Math.Round(total.Elapsed.TotalSeconds, 3));
        return new LearnedRanker(space, calibration, counts, options.RankerBaseWeight, ml, transformer, report) { Holdout = holdout };
    }

    /// <summary>
    /// A full, compacting collection that returns the free memory to the system. On large data the GC otherwise lets a
    /// stage's garbage pile up to twice the live heap before it collects (25M ratings: 2.5 GB committed for 1.3 GB live),
    /// and that high-water mark is the process's peak.
    /// </summary>
    public static void ReturnGarbage() => GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);

    /// <summary>The earlier ratings of <paramref name="featureUsers"/> and of other users taken in a seeded random order
    /// while the total stays within <paramref name="maxRatings"/> (<paramref name="early"/> is grouped by user).</summary>
    static Rating[] SampleUsers(ReadOnlySpan<Rating> early, (int User, int Start, int Split, int End)[] featureUsers, int maxRatings, int seed)
    {
        var keep = featureUsers.Select(u => u.User).ToHashSet();
        var kept = 0;
        var others = new List<(int User, int Count)>();
        for (var s = 0; s < early.Length;)
        {
            var e = s;
            while (e < early.Length && early[e].User == early[s].User)
                e++;
            if (keep.Contains(early[s].User))
                kept += e - s;
            else
                others.Add((early[s].User, e - s));
            s = e;
        }
        var order = others.ToArray();
        new Random(seed).Shuffle(order);
        foreach (var (user, count) in order)
        {
            if (kept + count > maxRatings)
                break;
            keep.Add(user);
            kept += count;
        }
        var sample = new Rating[kept];
        var at = 0;
        foreach (var r in early)
            if (keep.Contains(r.User))
                sample[at++] = r;
        return sample;
    }

    /// <summary>The calibration users' lists as <see cref="Recommend"/> makes them (by score, ties by movie id), from the
    /// candidate rows and scores the calibration already has: the same candidates, features and trees.</summary>
    internal static Func<int, int, IReadOnlyList<Recommendation>> HoldoutLists(IReadOnlyList<int> users, int[][] candidates,
        float[][] scores, FeatureSpace space, Func<float, float> probability)
    {
        var byUser = new Dictionary<int, int>(users.Count);
        for (var t = 0; t < users.Count; t++)
            byUser[users[t]] = t;
        return (user, count) =>
        {
            var t = byUser[user];
            var (ids, s) = (candidates[t], scores[t]);
            var rows = new int[ids.Length];
            for (var r = 0; r < rows.Length; r++)
                rows[r] = r;
            Array.Sort(rows, (x, y) => s[y] != s[x] ? s[y].CompareTo(s[x]) : space.Movies.ExternalId(ids[x]).CompareTo(space.Movies.ExternalId(ids[y])));
            var list = new Recommendation[Math.Min(count, rows.Length)];
            for (var r = 0; r < list.Length; r++)
                list[r] = new Recommendation(space.Movies.ExternalId(ids[rows[r]]), s[rows[r]], probability(s[rows[r]]));
            return list;
        };
    }

    /// <summary>The calibration users' next ratings as a test set: the ranker's lists (over the base model trained on what
    /// came before) for the ranking metrics, the base model's predictions for RMSE, MAE and ECE.</summary>
    static RankerHoldout EvaluateHoldout(RecommenderModel earlyModel, Rating[] rows, (int User, int Start, int Split, int End)[] users,
        int trainRatings, TrainingOptions options, Func<int, int, IReadOnlyList<Recommendation>> lists)
    {
        var sw = Stopwatch.StartNew();
        var test = new List<Rating>();
        foreach (var u in users)
            test.AddRange(rows.AsSpan(u.Split, u.End - u.Split));
        var result = Evaluator.Evaluate(earlyModel, CollectionsMarshal.AsSpan(test), 10, options.Threads, lists);
        var protocol = $"time-ordered hold-out: each user's latest {options.RankerHoldoutFraction:P0} of ratings (users with at least 5) are "
            + $"held out; metrics over the {users.Length} users the ranker did not train on (seed {options.Seed}), ranked by the ranker over a "
            + "base model trained on the earlier ratings; the served model is trained on all ratings";
        return new RankerHoldout(result, trainRatings, users.Length, protocol, sw.Elapsed.TotalSeconds);
    }

    static IReadOnlyDictionary<string, double> Parameters(TrainingOptions o) => o.ToParameters()
        .Where(p => p.Key.StartsWith("ranker", StringComparison.Ordinal) || p.Key == "likeThreshold" || p.Key == "seed")
        .ToDictionary(p => p.Key, p => p.Value);

    // ------------------------------------------------------------------ scoring

    internal float[] ScoreRows(float[] x, int count)
    {
        var f = RankerFeatures.Count;
        var scores = new float[count];
        for (var r = 0; r < count; r++)
        {
            var row = x.AsSpan(r * f, f);
            scores[r] = _trees.Score(row) + _baseWeight * (row[0] == RankerFeatures.Missing ? 0f : row[0]); // a movie off the base model: no prior either way
        }
        return scores;
    }

    /// <summary>The same scores through ML.NET's <c>PredictionEngine</c> (pooled: not thread-safe), to check <see cref="TreeScorer"/>.</summary>
    internal float[] ScoreRowsWithMlNet(float[] x, int count)
    {
        var f = RankerFeatures.Count;
        var scores = new float[count];
        var engine = Rent();
        try
        {
            var input = new Input { Features = new float[f] };
            var output = new Output();
            for (var r = 0; r < count; r++)
            {
                x.AsSpan(r * f, f).CopyTo(input.Features);
                engine.Predict(input, ref output);
                var blend = x[r * f];
                scores[r] = output.Score + _baseWeight * (blend == RankerFeatures.Missing ? 0f : blend);
            }
        }
        finally
        {
            _engines.Add(engine);
        }
        return scores;
    }

    PredictionEngine<Input, Output> Rent() =>
        _engines.TryTake(out var e) ? e : _ml.Model.CreatePredictionEngine<Input, Output>(_transformer, inputSchemaDefinition: InputSchema());

    internal RankerContext ContextFor(RecommenderModel model)
    {
        var c = _context;
        if (c is not null && ReferenceEquals(c.Model, model))
            return c;
        return _context = new RankerContext(model, _space);
    }

    /// <summary>
    /// The best <paramref name="count"/> movies for a user, best first, reordered by the ranker: each with its ranker
    /// score and the calibrated probability of the ranked event (non-increasing along the list).
    /// </summary>
    /// <param name="model">The base model this ranker was trained with (the one in the same model version).</param>
    /// <param name="profile">The user's profile under <paramref name="model"/> (trained or folded in); null = none of the ratings is known to it.</param>
    /// <param name="history">The user's ratings with their times, any order.</param>
    public IReadOnlyList<Recommendation> Recommend(RecommenderModel model, UserProfile? profile, IReadOnlyList<RatedMovie> history, int count,
        IEnumerable<int>? exclude = null, bool includeRated = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(history);
        if (count <= 0)
            return [];
        var c = ContextFor(model);
        var byTime = history.ToArray();
        byTime.AsSpan().Sort(new ByTime()); // ties on all three fields are equal values: the order is that of a stable sort
        var excluded = new List<int>();
        if (exclude is not null)
            foreach (var id in exclude)
                if (_space.Movies.IndexOf(id) is var j and >= 0)
                    excluded.Add(j);
        var b = t_features ??= new RankerFeatures();
        var n = b.Build(c, profile, byTime, CollectionsMarshal.AsSpan(excluded), includeRated, _counts);
        if (n == 0)
            return [];
        var scores = ScoreRows(b.Features, n);
        var order = new int[n];
        for (var t = 0; t < n; t++)
            order[t] = t;
        var candidates = b.Candidates;
        Array.Sort(order, (x, y) => scores[y] != scores[x] ? scores[y].CompareTo(scores[x]) : _space.Movies.ExternalId(candidates[x]).CompareTo(_space.Movies.ExternalId(candidates[y])));
        var result = new Recommendation[Math.Min(count, n)];
        for (var t = 0; t < result.Length; t++)
        {
            var r = order[t];
            result[t] = new Recommendation(_space.Movies.ExternalId(candidates[r]), scores[r], _calibration.Map(scores[r]));
        }
        return result;
    }

    /// <summary>Oldest first, then by movie id and rating (a struct comparer: the sort is specialised, no delegate call per comparison).</summary>
    readonly struct ByTime : IComparer<RatedMovie>
    {
        public int Compare(RatedMovie x, RatedMovie y) =>
            x.Time != y.Time ? x.Time.CompareTo(y.Time) : x.MovieId != y.MovieId ? x.MovieId.CompareTo(y.MovieId) : x.Rating.CompareTo(y.Rating);
    }

    /// <summary>
    /// Top-K lists for the users of <paramref name="ratings"/> (the data <paramref name="model"/> was trained on), as
    /// <see cref="Evaluator.Evaluate"/> takes them: each user's trained profile and rating history; users without ratings
    /// get the model's own (popularity) list.
    /// </summary>
    public Func<int, int, IReadOnlyList<Recommendation>> ListsFor(RecommenderModel model, ReadOnlySpan<Rating> ratings)
    {
        // counted first, so each history is an array of its exact size (growing lists held up to twice 25M rows)
        var counts = new Dictionary<int, int>();
        foreach (var r in ratings)
            CollectionsMarshal.GetValueRefOrAddDefault(counts, r.User, out _)++;
        var histories = new Dictionary<int, (RatedMovie[] Rows, int Count)>(counts.Count);
        foreach (var (user, count) in counts)
            histories[user] = (new RatedMovie[count], 0);
        counts = null;
        foreach (var r in ratings)
        {
            ref var h = ref CollectionsMarshal.GetValueRefOrNullRef(histories, r.User);
            h.Rows[h.Count++] = new RatedMovie(r.Item, r.Value, r.Timestamp);
        }
        return (user, k) => histories.TryGetValue(user, out var h) ? Recommend(model, model.ProfileOf(user), h.Rows, k) : model.Recommend(user, k);
    }

    /// <summary>A user's candidate rows scored by <see cref="TreeScorer"/> and by ML.NET (for tests), and how many feature values were NaN.</summary>
    internal (float[] Trees, float[] MlNet, int Missing) CompareScoring(RecommenderModel model, UserProfile? profile, IReadOnlyList<RatedMovie> history)
    {
        var b = new RankerFeatures();
        var n = b.Build(ContextFor(model), profile, history.OrderBy(r => r.Time).ToArray(), [], false, _counts);
        var missing = b.Features.AsSpan(0, n * RankerFeatures.Count).ToArray().Count(v => v == RankerFeatures.Missing);
        return (ScoreRows(b.Features, n), ScoreRowsWithMlNet(b.Features, n), missing);
    }

    /// <summary>The calibrated probability of the ranked event for a ranker score.</summary>
    public float Probability(float score) => _calibration.Map(score);

    // ------------------------------------------------------------------ files

    /// <summary><see cref="Save"/> into two byte arrays: the ML.NET zip and the ranker's own data.</summary>
    public (byte[] MlNetZip, byte[] Data) SaveToBytes()
    {
        using var zip = new MemoryStream();
        using var data = new MemoryStream();
        Save(zip, data);
        return (zip.ToArray(), data.ToArray());
    }

    /// <summary>Writes the ML.NET model (<paramref name="mlnetZip"/>) and the ranker's own data (<paramref name="data"/>).</summary>
    public void Save(Stream mlnetZip, Stream data)
    {
        var schema = _ml.Data.LoadFromEnumerable(Array.Empty<Input>(), InputSchema()).Schema;
        _ml.Model.Save(_transformer, schema, mlnetZip);
        using var w = new BinaryWriter(data, System.Text.Encoding.UTF8, leaveOpen: true);
        w.Write(Magic);
        w.Write(FormatVersion);
        w.Write(RankerFeatures.Count);
        foreach (var name in RankerFeatures.Names)
            w.Write(name);
        w.Write(_counts.Model);
        w.Write(_counts.Popular);
        w.Write(_counts.Content);
        w.Write(_baseWeight);
        var s = _space;
        Ints(w, s.Movies.Ids);
        Floats(w, s.Year);
        w.Write(s.Genres.Length);
        w.Write(MemoryMarshal.AsBytes(s.Genres.AsSpan()));
        w.Write(s.GenreNames.Length);
        foreach (var g in s.GenreNames)
            w.Write(g);
        Ints(w, s.MonthPtr);
        Ints(w, s.Months);
        Ints(w, s.Cum);
        Floats(w, s.MeanRating);
        Ints(w, s.ByMonthPtr);
        Ints(w, s.ByMonthMovie);
        Ints(w, s.ByMonthCount);
        w.Write(s.FirstDataMonth);
        w.Write(s.MaxTime);
        w.Write(s.GlobalMean);
        Floats(w, _calibration.X);
        Floats(w, _calibration.Y);
    }

    /// <summary>Reads what <see cref="Save"/> wrote; throws <see cref="FormatException"/> for anything else.</summary>
    public static LearnedRanker Load(Stream mlnetZip, Stream data)
    {
        using var r = new BinaryReader(data, System.Text.Encoding.UTF8, leaveOpen: true);
        try
        {
            if (!r.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic))
                throw new FormatException("not a ranker file");
            var version = r.ReadInt32();
            if (version > FormatVersion || version < 1)
                throw new FormatException($"ranker format version {version} is newer than this reader (max {FormatVersion})");
            var f = r.ReadInt32();
            var names = Enumerable.Range(0, f).Select(_ => r.ReadString()).ToArray();
            if (!names.SequenceEqual(RankerFeatures.Names))
                throw new FormatException($"the ranker's features ({string.Join(", ", names)}) are not the ones this code computes");
            var counts = new CandidateCounts(r.ReadInt32(), r.ReadInt32(), r.ReadInt32());
            var baseWeight = r.ReadSingle();
            var ids = ReadInts(r);
            var year = ReadFloats(r);
            var genres = MemoryMarshal.Cast<byte, ulong>(r.ReadBytes(r.ReadInt32() * 8)).ToArray();
            var genreNames = Enumerable.Range(0, r.ReadInt32()).Select(_ => r.ReadString()).ToArray();
            var space = new FeatureSpace
            {
                Movies = new IdMap(ids), Year = year, Genres = genres, GenreNames = genreNames,
                MonthPtr = ReadInts(r), Months = ReadInts(r), Cum = ReadInts(r), MeanRating = ReadFloats(r),
                ByMonthPtr = ReadInts(r), ByMonthMovie = ReadInts(r), ByMonthCount = ReadInts(r), FirstDataMonth = r.ReadInt32(),
                MaxTime = r.ReadInt64(), GlobalMean = r.ReadSingle(),
            };
            var calibration = new IsotonicCalibration(ReadFloats(r), ReadFloats(r));
            var ml = new MLContext();
            var transformer = ml.Model.Load(mlnetZip, out _);
            return new LearnedRanker(space, calibration, counts, baseWeight, ml, transformer, null);
        }
        catch (EndOfStreamException e)
        {
            throw new FormatException("the ranker file is truncated", e);
        }
    }

    static void Ints(BinaryWriter w, int[] a)
    {
        w.Write(a.Length);
        w.Write(MemoryMarshal.AsBytes(a.AsSpan()));
    }

    static void Floats(BinaryWriter w, float[] a)
    {
        w.Write(a.Length);
        w.Write(MemoryMarshal.AsBytes(a.AsSpan()));
    }

    static int[] ReadInts(BinaryReader r)
    {
        var n = r.ReadInt32();
        var bytes = r.ReadBytes(checked(n * 4));
        if (bytes.Length != n * 4)
            throw new EndOfStreamException();
        return MemoryMarshal.Cast<byte, int>(bytes).ToArray();
    }

    static float[] ReadFloats(BinaryReader r)
    {
        var n = r.ReadInt32();
        var bytes = r.ReadBytes(checked(n * 4));
        if (bytes.Length != n * 4)
            throw new EndOfStreamException();
        return MemoryMarshal.Cast<byte, float>(bytes).ToArray();
    }
}
