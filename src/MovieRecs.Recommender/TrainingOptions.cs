using System.Globalization;

namespace MovieRecs.Recommender;

/// <summary>
/// Everything that shapes a trained model. The defaults are the product defaults (see docs/recommender.md for why
/// each was chosen); they are stored in the model file.
/// </summary>
public sealed record TrainingOptions
{
    /// <summary>Seed of every random choice (initial factors, visiting order, hold-out split). Same data + seed → same model bytes.</summary>
    public int Seed { get; init; } = 42;
    /// <summary>Worker threads; 0 = one per processor.</summary>
    public int Threads { get; init; }
    /// <summary>A rating at or above this means "liked" for the calibrated probabilities.</summary>
    public float LikeThreshold { get; init; } = 4f;
    /// <summary>Share of the ratings held out (per (user, movie) hash) to fit the rating blend and the probability calibration.</summary>
    public double HoldoutFraction { get; init; } = 0.1;
    /// <summary>Share of that hold-out taken as each user's latest ratings instead of at random: the blend and the weights
    /// of the time-local user effects then also learn from the question a live service is asked, the next rating.</summary>
    public double HoldoutLatestShare { get; init; } = 0.5;
    /// <summary>The hold-out never exceeds this many ratings (a smaller fraction on large data).</summary>
    public int HoldoutMaxRatings { get; init; } = 500_000;
    /// <summary>Up to this many ratings, the rating model is fitted again on all ratings after the hold-out fit (about
    /// twice the time); above it, the hold-out model is kept.</summary>
    public int RetrainLimit { get; init; } = 2_000_000;

    // ---- rating prediction: ensemble of SGD matrix factorisations + item kNN on baseline residuals, linearly blended
    public int MfFactors { get; init; } = 64;
    public int MfEpochs { get; init; } = 60;
    /// <summary>The refit on all ratings (<see cref="RetrainLimit"/>) continues the hold-out fit's factors for this many
    /// epochs, the last of the learning-rate schedule (0, or not fewer than <see cref="MfEpochs"/>: fitted anew, every epoch).</summary>
    public int MfRefitEpochs { get; init; } = 25;
    public float MfLearningRate { get; init; } = 0.007f;
    public float MfLearningRateDecay { get; init; } = 0.98f;
    public float MfRegularization { get; init; } = 0.03f;
    public float MfBiasRegularization { get; init; } = 0.01f;
    public float MfInitScale { get; init; } = 0.02f;
    /// <summary>Independently initialised factorisations whose predictions are averaged (trained concurrently).</summary>
    public int MfEnsembleSize { get; init; } = 1;
    /// <summary>Fold-in ridge penalty of a user's factors: this × (ratings + <see cref="MfFoldInRegularizationOffset"/>).</summary>
    public float MfFoldInRegularization { get; init; } = 0.03f;
    public float MfFoldInRegularizationOffset { get; init; } = 5f;
    public float BaselineUserRegularization { get; init; } = 5f;
    public float BaselineItemRegularization { get; init; } = 5f;
    public int KnnNeighbors { get; init; } = 40;
    public int KnnListSize { get; init; } = 200;
    public float KnnShrinkage { get; init; } = 100f;
    public int KnnMaxUserRatings { get; init; } = 500;

    // ---- ranking: EASE with a time-aware co-occurrence kernel + implicit ALS, blended per user
    /// <summary>The dense item-item model covers at most this many of the most rated movies.</summary>
    public int EaseMaxItems { get; init; } = 2000;
    /// <summary>Ridge of EASE. Below the 300 that suits plain binary EASE: the time kernel weights most co-occurrences
    /// down to 0.1, so the same evidence sums to a smaller Gram matrix (docs/recommender.md, session 4).</summary>
    public float EaseLambda { get; init; } = 150f;
    public float EaseRatingWeight { get; init; } = 0.2f;
    /// <summary>τ of the co-occurrence kernel c + (1 − c)·exp(−|Δt|/τ) between two ratings of one user (seconds; 0 = plain EASE).</summary>
    public double EaseTimeScaleSeconds { get; init; } = 600;
    /// <summary>c of the co-occurrence kernel: the weight of two ratings of one user made far apart in time.</summary>
    public float EaseCrossSessionWeight { get; init; } = 0.1f;
    public int IalsFactors { get; init; } = 64;
    public int IalsIterations { get; init; } = 10;
    public float IalsUnobservedWeight { get; init; } = 0.3f;
    public float IalsRegularization { get; init; } = 0.01f;
    public float IalsRatingWeight { get; init; } = 0.2f;
    /// <summary>Weight of the iALS scores against the EASE scores (both standardised per user).</summary>
    public float IalsBlendWeight { get; init; } = 1f;

    // ---- the learned ranker (ML.NET LightGBM LambdaRank) over the candidates, trained on a time-ordered hold-out
    /// <summary>1 = train the ranker as the last stage (needs at least 20 users with 5 ratings); 0 = base models only.</summary>
    public int RankerEnabled { get; init; } = 1;
    /// <summary>Share of each user's ratings (the latest) that are the ranker's labels (users with at least 5 ratings).</summary>
    public double RankerHoldoutFraction { get; init; } = 0.2;
    /// <summary>Share of the earlier ratings of those users also held out as labels, at random (0 = purely time-ordered).</summary>
    public double RankerRandomFraction { get; init; } = 0;
    /// <summary>Users of the hold-out whose candidates are built (a seeded sample above this).</summary>
    public int RankerMaxUsers { get; init; } = 20_000;
    /// <summary>The ranker's model of the earlier ratings is fitted on at most this many: those of the users whose
    /// features are built and a seeded sample of the other users' (on large data; the items are learnt from many users,
    /// they need not be all).</summary>
    public int RankerBaseMaxRatings { get; init; } = 4_000_000;
    /// <summary>Share of those users kept out of the ranker's training to fit and check the calibration.</summary>
    public double RankerCalibrationShare { get; init; } = 0.25;
    /// <summary>Weight of the base models' blend score added to the ranker's score (0 = the ranker alone).</summary>
    public float RankerBaseWeight { get; init; } = 1;
    public int RankerModelCandidates { get; init; } = 100;
    public int RankerPopularCandidates { get; init; } = 30;
    public int RankerContentCandidates { get; init; } = 20;
    public int RankerTrees { get; init; } = 60;
    public int RankerLeaves { get; init; } = 15;
    public float RankerLearningRate { get; init; } = 0.08f;
    public int RankerMinLeafRows { get; init; } = 200;
    /// <summary>Share of the candidates not rated next (negatives) that LightGBM trains on (seeded; every positive is kept).
    /// <see cref="RankerMinLeafRows"/> is scaled by it. 1: with EASE's ridge at 150, half the negatives cost 0.0013-0.0015
    /// NDCG@10 on both protocols (docs/recommender.md), more than the LightGBM time it saves is worth.</summary>
    public double RankerNegativeShare { get; init; } = 1;

    internal int ResolvedThreads => Threads > 0 ? Threads : Math.Max(1, Environment.ProcessorCount);

    // name → (get, set) for the model header; a reader ignores names it does not know
    static readonly (string Name, Func<TrainingOptions, double> Get, Func<TrainingOptions, double, TrainingOptions> Set)[] s_fields =
    [
        ("seed", o => o.Seed, (o, v) => o with { Seed = (int)v }),
        ("likeThreshold", o => o.LikeThreshold, (o, v) => o with { LikeThreshold = (float)v }),
        ("holdoutFraction", o => o.HoldoutFraction, (o, v) => o with { HoldoutFraction = v }),
        ("holdoutLatestShare", o => o.HoldoutLatestShare, (o, v) => o with { HoldoutLatestShare = v }),
        ("holdoutMaxRatings", o => o.HoldoutMaxRatings, (o, v) => o with { HoldoutMaxRatings = (int)v }),
        ("retrainLimit", o => o.RetrainLimit, (o, v) => o with { RetrainLimit = (int)v }),
        ("mfFactors", o => o.MfFactors, (o, v) => o with { MfFactors = (int)v }),
        ("mfEpochs", o => o.MfEpochs, (o, v) => o with { MfEpochs = (int)v }),
        ("mfRefitEpochs", o => o.MfRefitEpochs, (o, v) => o with { MfRefitEpochs = (int)v }),
        ("mfLearningRate", o => o.MfLearningRate, (o, v) => o with { MfLearningRate = (float)v }),
        ("mfLearningRateDecay", o => o.MfLearningRateDecay, (o, v) => o with { MfLearningRateDecay = (float)v }),
        ("mfRegularization", o => o.MfRegularization, (o, v) => o with { MfRegularization = (float)v }),
        ("mfBiasRegularization", o => o.MfBiasRegularization, (o, v) => o with { MfBiasRegularization = (float)v }),
        ("mfInitScale", o => o.MfInitScale, (o, v) => o with { MfInitScale = (float)v }),
        ("mfEnsembleSize", o => o.MfEnsembleSize, (o, v) => o with { MfEnsembleSize = (int)v }),
        ("mfFoldInRegularization", o => o.MfFoldInRegularization, (o, v) => o with { MfFoldInRegularization = (float)v }),
        ("mfFoldInRegularizationOffset", o => o.MfFoldInRegularizationOffset, (o, v) => o with { MfFoldInRegularizationOffset = (float)v }),
        ("baselineUserRegularization", o => o.BaselineUserRegularization, (o, v) => o with { BaselineUserRegularization = (float)v }),
        ("baselineItemRegularization", o => o.BaselineItemRegularization, (o, v) => o with { BaselineItemRegularization = (float)v }),
        ("knnNeighbors", o => o.KnnNeighbors, (o, v) => o with { KnnNeighbors = (int)v }),
        ("knnListSize", o => o.KnnListSize, (o, v) => o with { KnnListSize = (int)v }),
        ("knnShrinkage", o => o.KnnShrinkage, (o, v) => o with { KnnShrinkage = (float)v }),
        ("knnMaxUserRatings", o => o.KnnMaxUserRatings, (o, v) => o with { KnnMaxUserRatings = (int)v }),
        ("easeMaxItems", o => o.EaseMaxItems, (o, v) => o with { EaseMaxItems = (int)v }),
        ("easeLambda", o => o.EaseLambda, (o, v) => o with { EaseLambda = (float)v }),
        ("easeRatingWeight", o => o.EaseRatingWeight, (o, v) => o with { EaseRatingWeight = (float)v }),
        ("easeTimeScaleSeconds", o => o.EaseTimeScaleSeconds, (o, v) => o with { EaseTimeScaleSeconds = v }),
        ("easeCrossSessionWeight", o => o.EaseCrossSessionWeight, (o, v) => o with { EaseCrossSessionWeight = (float)v }),
        ("ialsFactors", o => o.IalsFactors, (o, v) => o with { IalsFactors = (int)v }),
        ("ialsIterations", o => o.IalsIterations, (o, v) => o with { IalsIterations = (int)v }),
        ("ialsUnobservedWeight", o => o.IalsUnobservedWeight, (o, v) => o with { IalsUnobservedWeight = (float)v }),
        ("ialsRegularization", o => o.IalsRegularization, (o, v) => o with { IalsRegularization = (float)v }),
        ("ialsRatingWeight", o => o.IalsRatingWeight, (o, v) => o with { IalsRatingWeight = (float)v }),
        ("ialsBlendWeight", o => o.IalsBlendWeight, (o, v) => o with { IalsBlendWeight = (float)v }),
        ("rankerEnabled", o => o.RankerEnabled, (o, v) => o with { RankerEnabled = (int)v }),
        ("rankerHoldoutFraction", o => o.RankerHoldoutFraction, (o, v) => o with { RankerHoldoutFraction = v }),
        ("rankerRandomFraction", o => o.RankerRandomFraction, (o, v) => o with { RankerRandomFraction = v }),
        ("rankerMaxUsers", o => o.RankerMaxUsers, (o, v) => o with { RankerMaxUsers = (int)v }),
        ("rankerBaseMaxRatings", o => o.RankerBaseMaxRatings, (o, v) => o with { RankerBaseMaxRatings = (int)v }),
        ("rankerCalibrationShare", o => o.RankerCalibrationShare, (o, v) => o with { RankerCalibrationShare = v }),
        ("rankerBaseWeight", o => o.RankerBaseWeight, (o, v) => o with { RankerBaseWeight = (float)v }),
        ("rankerModelCandidates", o => o.RankerModelCandidates, (o, v) => o with { RankerModelCandidates = (int)v }),
        ("rankerPopularCandidates", o => o.RankerPopularCandidates, (o, v) => o with { RankerPopularCandidates = (int)v }),
        ("rankerContentCandidates", o => o.RankerContentCandidates, (o, v) => o with { RankerContentCandidates = (int)v }),
        ("rankerTrees", o => o.RankerTrees, (o, v) => o with { RankerTrees = (int)v }),
        ("rankerLeaves", o => o.RankerLeaves, (o, v) => o with { RankerLeaves = (int)v }),
        ("rankerLearningRate", o => o.RankerLearningRate, (o, v) => o with { RankerLearningRate = (float)v }),
        ("rankerMinLeafRows", o => o.RankerMinLeafRows, (o, v) => o with { RankerMinLeafRows = (int)v }),
        ("rankerNegativeShare", o => o.RankerNegativeShare, (o, v) => o with { RankerNegativeShare = v }),
    ];

    /// <summary>The stored parameters as (name, value) pairs (threads excluded: they do not change the result).</summary>
    public IReadOnlyList<KeyValuePair<string, double>> ToParameters() =>
        s_fields.Select(f => new KeyValuePair<string, double>(f.Name, f.Get(this))).ToArray();

    /// <summary>Options from stored (name, value) pairs; unknown names are ignored, missing ones keep their defaults.</summary>
    public static TrainingOptions FromParameters(IEnumerable<KeyValuePair<string, double>> parameters)
    {
        var o = new TrainingOptions();
        foreach (var (name, value) in parameters)
        {
            var f = Array.FindIndex(s_fields, x => x.Name == name);
            if (f >= 0)
                o = s_fields[f].Set(o, value);
        }
        return o;
    }

    /// <summary>Sets one option by its parameter name (as in <see cref="ToParameters"/>, case-insensitive), e.g. from a command line.</summary>
    public TrainingOptions With(string name, string value)
    {
        var f = Array.FindIndex(s_fields, x => string.Equals(x.Name, name, StringComparison.OrdinalIgnoreCase));
        if (f < 0)
            throw new ArgumentException($"unknown training option '{name}'; known: {string.Join(", ", s_fields.Select(x => x.Name))}");
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
            throw new ArgumentException($"training option '{name}' needs a number, not '{value}'");
        return s_fields[f].Set(this, v);
    }
}
