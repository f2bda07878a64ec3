using System.Diagnostics;
using MovieRecs.Recommender.Algorithms;
using MovieRecs.Recommender.Data;

namespace MovieRecs.Recommender;

/// <summary>
/// A trained recommender: rating prediction with calibrated like-probabilities, top-N recommendation, fold-in of users'
/// current ratings, item vectors. Immutable once trained or loaded, so any number of threads may use it at once.
/// </summary>
/// <remarks>
/// Rating prediction blends SGD matrix factorisation (one or an averaged ensemble) with an item-kNN on baseline residuals; ranking
/// blends EASE (on a time-aware co-occurrence kernel, restricted to the most rated movies) with implicit ALS, both
/// standardised per user; movies nobody rated enough fall back to ALS alone, users with no ratings to popularity.
/// docs/recommender.md has the reasoning and the measured figures.
/// </remarks>
public sealed partial class RecommenderModel
{
    /// <summary>The newest model file format this code writes and reads.</summary>
    public const int FormatVersion = 1;

    /// <summary>Describes the algorithms in the model file header.</summary>
    public const string Algorithm = "rating: blend(sgd-mf, item-knn baseline) + isotonic calibration; ranking: ease(time kernel, top items) + ials, per-user z-blend; fallback: popularity";

    internal IdMap UserMap { get; init; } = null!;
    internal IdMap ItemMap { get; init; } = null!;
    internal int[] UserPtr { get; init; } = null!;
    internal int[] UserItems { get; init; } = null!;
    internal float[] UserValues { get; init; } = null!;
    /// <summary>When each rating was made: seconds after <see cref="TimeOrigin"/>, aligned with <see cref="UserItems"/>;
    /// null in models trained before the time-local user effects (they predict without them).</summary>
    internal int[]? UserTimes { get; init; }
    internal long TimeOrigin { get; init; }
    internal RatingModel Rating { get; init; } = null!;
    internal int[] EaseItems { get; init; } = null!;
    internal float[] EaseB { get; init; } = null!;
    internal int IalsFactors { get; init; }
    internal float[] IalsUsers { get; init; } = null!;
    internal float[] IalsItems { get; init; } = null!;
    internal float[] Popularity { get; init; } = null!;

    // derived at construction (not stored)
    int[] _easeSlot = null!;
    float[] _ialsGram = null!;       // α0·QᵀQ for fold-in
    int[] _popularOrder = null!;
    IReadOnlyList<int> _userIds = null!, _movieIds = null!;

    /// <summary>The options the model was trained with.</summary>
    public TrainingOptions Options { get; init; } = new();

    /// <summary>Known users, movies and the ratings the model was trained on.</summary>
    public int UserCount => UserMap.Count;
    public int MovieCount => ItemMap.Count;
    public int RatingCount => UserItems.Length;

    /// <summary>Known user ids, ascending.</summary>
    public IReadOnlyList<int> UserIds => _userIds;
    /// <summary>Known movie ids, ascending.</summary>
    public IReadOnlyList<int> MovieIds => _movieIds;

    /// <summary>Length of the vectors <see cref="ItemVector"/> returns.</summary>
    public int ItemVectorDimensions => IalsFactors;

    /// <summary>The blend weights of the rating predictor (intercept, matrix factorisation, item kNN), fitted on the hold-out.</summary>
    public IReadOnlyList<float> RatingBlendWeights => Array.AsReadOnly(Rating.Blend);

    internal int MovieIdAt(int index) => ItemMap.ExternalId(index);

    public bool ContainsUser(int userId) => UserMap.IndexOf(userId) >= 0;
    public bool ContainsMovie(int movieId) => ItemMap.IndexOf(movieId) >= 0;

    /// <summary>Builds the lookup structures that are derived from the stored arrays.</summary>
    internal void Prepare()
    {
        _easeSlot = new int[ItemMap.Count];
        Array.Fill(_easeSlot, -1);
        for (var k = 0; k < EaseItems.Length; k++)
            _easeSlot[EaseItems[k]] = k;
        var ones = new float[ItemMap.Count];
        Array.Fill(ones, 1f);
        _ialsGram = ImplicitAls.Gram(IalsItems, ItemMap.Count, IalsFactors, ones, Options.ResolvedThreads);
        Simd.Scale(_ialsGram, Options.IalsUnobservedWeight);
        _userIds = Array.AsReadOnly(UserMap.Ids);
        _movieIds = Array.AsReadOnly(ItemMap.Ids);
        _popularOrder = Enumerable.Range(0, ItemMap.Count).OrderByDescending(i => Popularity[i]).ThenBy(i => i).ToArray();
    }

    // ------------------------------------------------------------------ files

    /// <summary>Writes the model in the versioned binary format (see <see cref="Serialization.ModelFile"/>). Same model → same bytes.</summary>
    public void Save(Stream stream) => Serialization.ModelFile.Write(this, stream);

    /// <summary>Reads a model; throws <see cref="Serialization.ModelFormatException"/> for a file that is not a model, is corrupt,
    /// or has a newer format version than <see cref="FormatVersion"/> ("model format version N is newer than this reader (max M)").</summary>
    public static RecommenderModel Load(Stream stream) => Serialization.ModelFile.Read(stream);

    public void Save(string path)
    {
        using var f = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        Save(f);
    }

    public static RecommenderModel Load(string path)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return Load(f);
    }

    // ------------------------------------------------------------------ training

    /// <summary>Trains a model on <paramref name="ratings"/> (duplicates of a (user, movie) pair keep the latest).</summary>
    /// <param name="log">Receives one line per training stage with its wall and processor time.</param>
    public static RecommenderModel Train(ReadOnlySpan<Rating> ratings, TrainingOptions? options = null, Action<string>? log = null)
    {
        var sw = Stopwatch.StartNew();
        var d = RatingData.Build(ratings);
        return Train(d, options ?? new TrainingOptions(), log, sw.Elapsed);
    }

    /// <summary>Trains a model on streamed ratings, without a caller-side copy of them (for large files).</summary>
    /// <param name="expectedCount">How many ratings to expect (sizes the buffers; 0 = unknown).</param>
    public static RecommenderModel Train(IEnumerable<Rating> ratings, TrainingOptions? options = null, Action<string>? log = null, int expectedCount = 0)
    {
        ArgumentNullException.ThrowIfNull(ratings);
        var sw = Stopwatch.StartNew();
        var columns = new RatingColumns(expectedCount > 0 ? expectedCount : ratings.TryGetNonEnumeratedCount(out var n) ? n : 1 << 16);
        foreach (var r in ratings)
            columns.Add(r);
        var d = RatingData.Build(columns);
        return Train(d, options ?? new TrainingOptions(), log, sw.Elapsed);
    }

    /// <summary>A model for ranking only (EASE, iALS, popularity; ratings predicted by the baseline alone): what the
    /// learned ranker's features need from the earlier ratings, without the cost of the rating model.</summary>
    internal static RecommenderModel TrainForRanking(ReadOnlySpan<Rating> ratings, TrainingOptions options) =>
        Train(RatingData.Build(ratings), options, null, TimeSpan.Zero, rankingOnly: true);

    /// <summary>How the rating model did on its own hold-out (null for a loaded or ranking-only model).</summary>
    public RatingHoldoutResult? RatingHoldout { get; private init; }

    static RecommenderModel Train(RatingData d, TrainingOptions options, Action<string>? log, TimeSpan dataTime, bool rankingOnly = false)
    {
        if (d.Count == 0)
            throw new ArgumentException("there are no ratings to train on");
        var threads = options.ResolvedThreads;
        var seed = (ulong)(uint)options.Seed;
        var sw = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        void Stage(string what)
        {
            if (log is not null)
            {
                var now = Process.GetCurrentProcess().TotalProcessorTime;
                log($"{what}: {sw.Elapsed.TotalSeconds:F2} s (cpu {(now - cpu).TotalSeconds:F2} s)");
                cpu = now;
            }
            sw.Restart();
        }
        log?.Invoke($"data ({d.Users} users, {d.Items} movies, {d.Count} ratings): {dataTime.TotalSeconds:F2} s");

        RatingModel rating;
        RatingHoldoutResult? ratingHoldout = null;
        if (rankingOnly)
        {
            rating = RatingModel.BaselineOnly(d, options);
            Stage("baseline rating model");
        }
        else
        {
            // rating model on the data minus a hold-out → blend weights and calibration from the hold-out; on data small
            // enough it is fitted again on everything (the held-out tenth matters there), on large data it is kept
            var fraction = Math.Min(options.HoldoutFraction, options.HoldoutMaxRatings / (double)d.Count);
            var hold = Holdout.Create(d, fraction, options.Seed, options.HoldoutLatestShare);
            if (hold.Count == d.Count)
                hold = Holdout.None(d); // tiny data: nothing would be left to fit on
            rating = RatingModel.Fit(d, hold, options, Hash.Mix(seed, 1), threads);
            var comps = rating.HoldoutComponents(d, hold);
            rating.FitBlend(comps, hold.Values);
            var holdPred = rating.HoldoutPredictions(comps, hold.Users, hold.Items);
            var liked = hold.Values.Select(v => v >= options.LikeThreshold).ToArray();
            var calibration = IsotonicCalibration.Fit(holdPred, liked);
            var platt = PlattCalibration.Fit(holdPred, liked, options.Seed);
            rating.Calibration = calibration;
            rating.Platt = platt;
            if (hold.Count > 0)
                ratingHoldout = RatingHoldoutResult.Measure(holdPred, hold.Values, options.LikeThreshold, options.Seed);
            Stage($"rating model on {d.Count - hold.Count} ratings, blend and calibration on {hold.Count} held out");
            if (d.Count <= options.RetrainLimit && hold.Count > 0)
            {
                var (blend, drift, support, mf) = (rating.Blend, rating.Drift, rating.Support, rating.Mf);
                rating = null!;
                comps = null!;
                rating = RatingModel.Fit(d, Holdout.None(d), options, Hash.Mix(seed, 2), threads, warmStart: mf);
                rating.Blend = blend;
                rating.Drift = drift;
                rating.Support = support;
                rating.Calibration = calibration;
                rating.Platt = platt;
                Stage("rating model refitted on all ratings");
            }
            hold = null!;
        }

        var (easeItems, easeB) = Ease.Fit(d, new EaseSettings
        {
            MaxItems = options.EaseMaxItems, MinItemCount = 2, Lambda = options.EaseLambda, RatingWeight = options.EaseRatingWeight,
            TimeScale = options.EaseTimeScaleSeconds, CrossSessionWeight = options.EaseCrossSessionWeight,
        }, threads);
        Stage($"EASE over {easeItems.Length} movies");

        var ials = new ImplicitAlsSettings
        {
            Factors = options.IalsFactors, Iterations = options.IalsIterations, UnobservedWeight = options.IalsUnobservedWeight,
            Regularization = options.IalsRegularization, RatingWeight = options.IalsRatingWeight,
        };
        var (ialsUsers, ialsItems) = ImplicitAls.Fit(d, ials, Hash.Mix(seed, 3), threads);
        Stage($"iALS k={options.IalsFactors}, λ {ImplicitAls.EffectiveRegularization(d, ials):G3}");

        var popularity = new float[d.Items];
        for (var i = 0; i < d.Items; i++)
            popularity[i] = MathF.Log(1 + d.ItemCount(i));
        var model = new RecommenderModel
        {
            Options = options,
            UserMap = d.UserMap,
            ItemMap = d.ItemMap,
            UserPtr = d.UserPtr,
            UserItems = d.UserItems,
            UserValues = d.UserValues,
            UserTimes = d.UserTimes,
            TimeOrigin = d.TimeOrigin,
            Rating = rating,
            EaseItems = easeItems,
            EaseB = easeB,
            IalsFactors = options.IalsFactors,
            IalsUsers = ialsUsers,
            IalsItems = ialsItems,
            Popularity = popularity,
            RatingHoldout = ratingHoldout,
        };
        model.Prepare();
        Stage("finish");
        return model;
    }
}

/// <summary>
/// The rating model measured on the ratings it held out to fit its blend and calibration (a random share of every
/// rating, <see cref="TrainingOptions.HoldoutFraction"/>): RMSE and MAE of the blended predictions (three blend weights
/// are fitted on the same rows: negligible optimism), and the ECE of the like-probabilities two-fold (each half mapped
/// by a calibration fitted on the other half, since the served calibration is fitted on all of them).
/// </summary>
public sealed record RatingHoldoutResult(double Rmse, double Mae, double Ece, int Ratings)
{
    internal static RatingHoldoutResult Measure(float[] predicted, float[] actual, float likeThreshold, int seed)
    {
        var liked = actual.Select(v => v >= likeThreshold).ToArray();
        var probability = new float[predicted.Length];
        for (var half = 0; half < 2; half++)
        {
            var fit = Enumerable.Range(0, predicted.Length).Where(t => (t & 1) != half).ToArray();
            var (x, y) = (fit.Select(t => predicted[t]).ToArray(), fit.Select(t => liked[t]).ToArray());
            Func<float, float> map = PlattCalibration.Fit(x, y, seed) is { } platt ? platt.Map : IsotonicCalibration.Fit(x, y).Map;
            for (var t = half; t < predicted.Length; t += 2)
                probability[t] = map(predicted[t]);
        }
        var (rmse, mae) = Evaluation.Metrics.RatingErrors(predicted, actual);
        return new RatingHoldoutResult(rmse, mae,
            Evaluation.Metrics.ExpectedCalibrationError(probability, liked), predicted.Length);
    }
}
