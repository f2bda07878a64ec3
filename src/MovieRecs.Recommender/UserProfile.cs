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
    {
        Model = model;
        UserId = userId;
        Items = items;
        Values = values;
        KnnBias = knnBias;
        MfBias = mfBias;
        MfFactors = mfFactors;
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
    internal float[] MfBias { get; }
    internal float[][] MfFactors { get; }
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
