namespace MovieRecs.Recommender;

/// <summary>One recommended movie: a ranking score (higher is better; only comparable within one list) and the
/// calibrated probability that the user likes it (rates it at or above the model's like threshold).</summary>
public readonly record struct Recommendation(int MovieId, float Score, float Probability);

/// <summary>
/// What the model knows about one user when scoring: the rated movies and values, and the user's vectors — either the
/// trained ones (a known user, <see cref="RecommenderModel.ProfileOf"/>) or ones solved at request time from the
/// user's current ratings (<see cref="RecommenderModel.FoldIn"/>). Immutable; safe to share between threads.
/// </summary>
public sealed class UserProfile
{
    internal UserProfile(RecommenderModel model, int? userId, int[] items, float[] values, float knnBias,
        float[] mfBias, float[][] mfFactors, float[] ialsVector, int ignored)
        : this(model, userId, items, values, knnBias, null, ialsVector, ignored)
    {
        _mf = new MfVectors(mfBias, mfFactors);
    }

    /// <summary>A profile whose matrix-factorisation vectors are solved by <paramref name="solveMf"/> on first use: only
    /// rating predictions read them, and a ranked list (the learned ranker) never does.</summary>
    internal UserProfile(RecommenderModel model, int? userId, int[] items, float[] values, float knnBias,
        Func<(float[] Bias, float[][] Factors)>? solveMf, float[] ialsVector, int ignored)
    {
        Model = model;
        UserId = userId;
        Items = items;
        Values = values;
        KnnBias = knnBias;
        _solveMf = solveMf;
        IalsVector = ialsVector;
        IgnoredRatings = ignored;
        Residuals = new float[items.Length];
        for (var t = 0; t < items.Length; t++)
            Residuals[t] = values[t] - model.Rating.Knn.Mean - knnBias - model.Rating.Knn.ItemBias[items[t]];
    }

    internal RecommenderModel Model { get; }
    /// <summary>Internal movie indices, ascending.</summary>
    internal int[] Items { get; }
    internal float[] Values { get; }
    /// <summary>r − baseline for each rated movie (for the neighbourhood model).</summary>
    internal float[] Residuals { get; }
    internal float KnnBias { get; }
    internal float[] MfBias => Mf.Bias;
    internal float[][] MfFactors => Mf.Factors;

    sealed record MfVectors(float[] Bias, float[][] Factors);
    MfVectors? _mf;
    readonly Func<(float[] Bias, float[][] Factors)>? _solveMf;

    MfVectors Mf
    {
        get
        {
            if (Volatile.Read(ref _mf) is { } mf)
                return mf;
            var (bias, factors) = _solveMf!();
            mf = new MfVectors(bias, factors); // racing threads solve the same vectors: the first one kept is every reader's
            return Interlocked.CompareExchange(ref _mf, mf, null) ?? mf;
        }
    }

    internal float[] IalsVector { get; }

    /// <summary>The known user this profile belongs to, or null for a profile folded in from ratings.</summary>
    public int? UserId { get; }

    /// <summary>How many of the user's ratings the model could use (movies it knows).</summary>
    public int RatingCount => Items.Length;

    /// <summary>Ratings of movies the model does not know (ignored when scoring).</summary>
    public int IgnoredRatings { get; }

    /// <summary>The movie ids the profile has rated (and the model knows), ascending by internal index.</summary>
    public IEnumerable<int> RatedMovieIds => Items.Select(Model.MovieIdAt);

    /// <summary>True when the profile has rated <paramref name="movieId"/>.</summary>
    public bool HasRated(int movieId)
    {
        var i = Model.ItemMap.IndexOf(movieId);
        return i >= 0 && Array.BinarySearch(Items, i) >= 0;
    }
}
