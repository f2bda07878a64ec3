using System.Buffers;
using System.Numerics.Tensors;
using MovieRecs.Recommender.Algorithms;

namespace MovieRecs.Recommender;

public sealed partial class RecommenderModel
{
    // ------------------------------------------------------------------ profiles

    /// <summary>The trained profile of a known user, or null when the model does not know <paramref name="userId"/>.</summary>
    public UserProfile? ProfileOf(int userId)
    {
        var u = UserMap.IndexOf(userId);
        if (u < 0)
            return null;
        var items = UserItems.AsSpan(UserPtr[u], UserPtr[u + 1] - UserPtr[u]).ToArray();
        var values = UserValues.AsSpan(UserPtr[u], UserPtr[u + 1] - UserPtr[u]).ToArray();
        var members = Rating.Members;
        var k = Rating.Factors;
        var mfBias = new float[members];
        var mfFactors = new float[members][];
        for (var m = 0; m < members; m++)
        {
            mfBias[m] = Rating.Mf[m].UserBias[u];
            mfFactors[m] = Rating.Mf[m].UserFactors.AsSpan(u * k, k).ToArray();
        }
        var ials = IalsUsers.AsSpan(u * IalsFactors, IalsFactors).ToArray();
        return new UserProfile(this, userId, items, values, Rating.Knn.UserBias[u], mfBias, mfFactors, ials, 0);
    }

    /// <summary>
    /// A profile solved from a user's current ratings at request time, against the fixed movie factors: the user's biases
    /// and matrix-factorisation vectors by ridge regression, the implicit-ALS vector by its closed form
    /// (α0·QᵀQ + Σ c·q qᵀ + λI)⁻¹·Σ c·q. Works for new users and for known users whose ratings changed after training.
    /// Ratings of movies the model does not know are counted in <see cref="UserProfile.IgnoredRatings"/>; a movie rated
    /// twice keeps the later entry. The matrix-factorisation vectors are solved on the profile's first rating prediction:
    /// a ranked list never reads them, and they cost as much as the implicit-ALS vector.
    /// </summary>
    public UserProfile FoldIn(IReadOnlyList<(int MovieId, float Rating)> ratings)
    {
        ArgumentNullException.ThrowIfNull(ratings);
        var byIndex = new Dictionary<int, float>(ratings.Count);
        var ignored = 0;
        foreach (var (movieId, value) in ratings)
        {
            var i = ItemMap.IndexOf(movieId);
            if (i < 0 || !float.IsFinite(value))
                ignored++;
            else
                byIndex[i] = value;
        }
        var items = byIndex.Keys.ToArray();
        Array.Sort(items);
        var values = items.Select(i => byIndex[i]).ToArray();
        var n = items.Length;

        var knn = Rating.Knn;
        double bias = 0;
        for (var t = 0; t < n; t++)
            bias += values[t] - knn.Mean - knn.ItemBias[items[t]];
        var knnBias = n == 0 ? 0f : (float)(bias / (Options.BaselineUserRegularization + n));

        var ials = SolveIals(items, values);
        return new UserProfile(this, null, items, values, knnBias, () => SolveMf(items, values), ials, ignored);
    }

    /// <summary>Every member's fold-in (see <see cref="SolveMf(MfMember, int[], float[])"/>).</summary>
    (float[] Bias, float[][] Factors) SolveMf(int[] items, float[] values)
    {
        var members = Rating.Members;
        var mfBias = new float[members];
        var mfFactors = new float[members][];
        for (var m = 0; m < members; m++)
            (mfBias[m], mfFactors[m]) = SolveMf(Rating.Mf[m], items, values);
        return (mfBias, mfFactors);
    }

    /// <summary>Ridge regression of (r − μ − b_i) on [1, q_i] with the penalty the SGD training applied per rating.</summary>
    internal (float Bias, float[] Factors) SolveMf(MfMember member, int[] items, float[] values)
    {
        var k = member.Factors;
        var n = items.Length;
        var factors = new float[k];
        if (n == 0)
            return (0, factors);
        var dim = k + 1;
        var s = FoldInScratch.For(dim);
        var a = s.A;
        var b = s.B;
        Array.Clear(a, 0, dim * dim);
        Array.Clear(b, 0, dim);
        var mean = Rating.Knn.Mean;
        // Σ z zᵀ over z = [1, q_i], the ratings a chunk at a time
        for (var t0 = 0; t0 < n; t0 += FoldInScratch.Chunk)
        {
            var rows = Math.Min(FoldInScratch.Chunk, n - t0);
            for (var t = 0; t < rows; t++)
            {
                var i = items[t0 + t];
                var z = s.U.AsSpan(t * dim, dim);
                z[0] = 1;
                var q = member.ItemFactors.AsSpan(i * k, k);
                for (var f = 0; f < k; f++)
                    z[f + 1] = q[f];
                var target = values[t0 + t] - mean - member.ItemBias[i];
                for (var r = 0; r < dim; r++)
                    b[r] += z[r] * target;
            }
            Simd.AddLowerProducts(a, dim, s.U, s.U, rows);
        }
        for (var r = 0; r < dim; r++)
            for (var c = r + 1; c < dim; c++)
                a[r * dim + c] = a[c * dim + r];
        var lambda = FoldInFactorPenalty(n);
        a[0] += Options.BaselineUserRegularization; // the bias: the same shrinkage as the baseline
        for (var f = 1; f < dim; f++)
            a[f * dim + f] += lambda;
        if (!SmallSolve.SolveInPlace(a, b, dim))
            return (0, factors);
        for (var f = 0; f < k; f++)
            factors[f] = (float)b[f + 1];
        return ((float)b[0], factors);
    }

    /// <summary>Ridge penalty of the fold-in factors for a user with <paramref name="n"/> ratings.</summary>
    internal float FoldInFactorPenalty(int n) => Options.MfFoldInRegularization * (n + Options.MfFoldInRegularizationOffset);

    internal float[] SolveIals(int[] items, float[] values)
    {
        var k = IalsFactors;
        var p = new float[k];
        var n = items.Length;
        if (n == 0 || k == 0)
            return p;
        var s = FoldInScratch.For(k);
        var a = s.A;
        var b = s.B;
        for (var t = 0; t < k * k; t++)
            a[t] = _ialsGram[t];
        Array.Clear(b, 0, k);
        var mean = Rating.Knn.Mean;
        // Σ c·q qᵀ: u = c·q, v = q, the ratings a chunk at a time
        for (var t0 = 0; t0 < n; t0 += FoldInScratch.Chunk)
        {
            var rows = Math.Min(FoldInScratch.Chunk, n - t0);
            for (var t = 0; t < rows; t++)
            {
                var q = IalsItems.AsSpan(items[t0 + t] * k, k);
                var c = MathF.Max(0.1f, 1 + Options.IalsRatingWeight * (values[t0 + t] - mean));
                var u = s.U.AsSpan(t * k, k);
                var v = s.V.AsSpan(t * k, k);
                for (var r = 0; r < k; r++)
                {
                    var cq = c * (double)q[r];
                    b[r] += cq;
                    u[r] = cq;
                    v[r] = q[r];
                }
            }
            Simd.AddLowerProducts(a, k, s.U, s.V, rows);
        }
        for (var r = 0; r < k; r++)
            for (var c = r + 1; c < k; c++)
                a[r * k + c] = a[c * k + r];
        var lambda = Options.IalsRegularization * (n + Options.IalsUnobservedWeight * ItemMap.Count);
        for (var r = 0; r < k; r++)
            a[r * k + r] += lambda;
        if (!SmallSolve.SolveInPlace(a, b, k))
            return p;
        for (var r = 0; r < k; r++)
            p[r] = (float)b[r];
        return p;
    }

    /// <summary>Per-thread buffers of the fold-in's normal equations (a request thread folds in one profile at a time).</summary>
    sealed class FoldInScratch
    {
        /// <summary>Ratings per pass of <see cref="Simd.AddLowerProducts"/>: their rows of u and v stay in L1.</summary>
        public const int Chunk = 32;

        public double[] A = [], B = [], U = [], V = [];

        [ThreadStatic] static FoldInScratch? t_scratch;

        public static FoldInScratch For(int dim)
        {
            var s = t_scratch ??= new FoldInScratch();
            if (s.B.Length < dim)
            {
                s.A = new double[dim * dim];
                s.B = new double[dim];
                s.U = new double[Chunk * dim];
                s.V = new double[Chunk * dim];
            }
            return s;
        }
    }

    // ------------------------------------------------------------------ rating prediction

    /// <summary>
    /// The predicted rating of <paramref name="movieId"/> by <paramref name="userId"/>, at no particular time (as for a
    /// folded-in profile). Unknown user: the movie's baseline (global mean + movie bias); unknown movie: global mean + user
    /// bias; both unknown: the global mean.
    /// </summary>
    public float PredictRating(int userId, int movieId) => PredictRating(userId, movieId, timestamp: null);

    /// <summary>The predicted rating of a rating made at <paramref name="timestamp"/> (unix seconds): with the user's
    /// time-local effects at that time (<see cref="UserDrift"/>: the sitting and the period the rating falls in, or the
    /// user's latest mood for a rating after their last one). Null: at no particular time, without them.</summary>
    public float PredictRating(int userId, int movieId, long? timestamp)
    {
        var u = UserMap.IndexOf(userId);
        var i = ItemMap.IndexOf(movieId);
        if (u < 0)
            return Rating.Baseline(-1, 0, i);
        if (i < 0)
            return Rating.Baseline(u, Rating.Knn.UserBias[u], -1);
        int start = UserPtr[u], n = UserPtr[u + 1] - start;
        var items = UserItems.AsSpan(start, n);
        var values = UserValues.AsSpan(start, n);
        var rented = ArrayPool<float>.Shared.Rent(n + Rating.Members * (Rating.Factors + 1));
        try
        {
            var res = rented.AsSpan(0, n);
            var knn = Rating.Knn;
            for (var t = 0; t < n; t++)
                res[t] = values[t] - knn.Mean - knn.UserBias[u] - knn.ItemBias[items[t]];
            float mf = 0;
            var k = Rating.Factors;
            for (var m = 0; m < Rating.Members; m++)
            {
                var member = Rating.Mf[m];
                mf += knn.Mean + member.UserBias[u] + member.ItemBias[i]
                    + Simd.Dot(member.UserFactors.AsSpan(u * k, k), member.ItemFactors.AsSpan(i * k, k));
            }
            if (Rating.Members > 0)
                mf /= Rating.Members;
            var knnPred = knn.Mean + knn.UserBias[u] + knn.ItemBias[i] + ItemKnn.Correction(knn, i, items, res);
            Span<float> drift = stackalloc float[UserDrift.Terms];
            var gap = TimeLocalEffects(u, res, timestamp, drift);
            return Rating.Combine(mf, knnPred, drift, n, i, gap);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rented);
        }
    }

    int[]? _timeOrder;

    /// <summary>The user's time-local effects at <paramref name="timestamp"/> from their residuals (row order).</summary>
    float TimeLocalEffects(int u, ReadOnlySpan<float> residuals, long? timestamp, Span<float> drift)
    {
        drift.Clear();
        if (timestamp is null || UserTimes is null || !Rating.Drift.Any(w => w != 0))
            return 0;
        var order = Volatile.Read(ref _timeOrder);
        if (order is null)
        {
            order = UserDrift.TimeOrder(UserPtr, UserTimes);
            order = Interlocked.CompareExchange(ref _timeOrder, order, null) ?? order;
        }
        int start = UserPtr[u], n = residuals.Length;
        var times = ArrayPool<int>.Shared.Rent(n);
        var byTime = ArrayPool<float>.Shared.Rent(n);
        try
        {
            for (var q = 0; q < n; q++)
            {
                var p = order[start + q];
                times[q] = UserTimes[p];
                byTime[q] = residuals[p - start];
            }
            var t = timestamp.Value - TimeOrigin;
            UserDrift.At(times.AsSpan(0, n), byTime.AsSpan(0, n), t, drift);
            return UserDrift.GapDays(times.AsSpan(0, n), t);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(times);
            ArrayPool<float>.Shared.Return(byTime);
        }
    }

    /// <summary>The predicted rating of <paramref name="movieId"/> for a profile (fallbacks as for unknown users/movies).</summary>
    public float PredictRating(UserProfile profile, int movieId)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var i = ItemMap.IndexOf(movieId);
        return PredictIndex(profile, i);
    }

    internal float PredictIndex(UserProfile profile, int i)
    {
        if (profile.RatingCount == 0)
            return Rating.Baseline(-1, 0, i);
        if (i < 0)
            return Rating.Baseline(0, profile.KnnBias, -1);
        var (mf, knn) = Rating.Components(i, profile.MfBias, profile.MfFactors, profile.KnnBias, profile.Items, profile.Residuals);
        return Rating.Combine(mf, knn, stackalloc float[UserDrift.Terms], profile.RatingCount, i);
    }

    /// <summary>The calibrated probability that a user whose predicted rating is <paramref name="predictedRating"/> likes the movie.</summary>
    public float ProbabilityOfLike(float predictedRating) => Rating.ProbabilityOfLike(predictedRating);

    /// <summary>The calibrated probability that <paramref name="userId"/> likes <paramref name="movieId"/> (rates it at least <see cref="TrainingOptions.LikeThreshold"/>).</summary>
    public float LikeProbability(int userId, int movieId) => ProbabilityOfLike(PredictRating(userId, movieId));

    /// <summary>The calibrated probability that the profile's user likes <paramref name="movieId"/>.</summary>
    public float LikeProbability(UserProfile profile, int movieId) => ProbabilityOfLike(PredictRating(profile, movieId));

    // ------------------------------------------------------------------ item vectors

    /// <summary>The movie's latent vector (implicit ALS factors; empty when the movie is unknown), for similarity and clustering.</summary>
    public ReadOnlyMemory<float> ItemVector(int movieId)
    {
        var i = ItemMap.IndexOf(movieId);
        return i < 0 ? ReadOnlyMemory<float>.Empty : new ReadOnlyMemory<float>(IalsItems, i * IalsFactors, IalsFactors);
    }

    /// <summary>The movies whose vectors are most cosine-similar to <paramref name="movieId"/>'s (empty when unknown).</summary>
    public IReadOnlyList<(int MovieId, float Similarity)> SimilarMovies(int movieId, int count)
    {
        var i = ItemMap.IndexOf(movieId);
        if (i < 0 || count <= 0)
            return [];
        var k = IalsFactors;
        var q = IalsItems.AsSpan(i * k, k);
        var qn = TensorPrimitives.Norm(q);
        if (qn == 0)
            return [];
        var heap = new TopK(count);
        for (var j = 0; j < ItemMap.Count; j++)
        {
            if (j == i)
                continue;
            var v = IalsItems.AsSpan(j * k, k);
            var norm = TensorPrimitives.Norm(v);
            if (norm == 0)
                continue;
            heap.Offer(j, TensorPrimitives.Dot(q, v) / (qn * norm));
        }
        var keys = new int[heap.Count];
        var sims = new float[heap.Count];
        heap.DrainBestFirst(keys, sims);
        return keys.Select((j, t) => (ItemMap.ExternalId(j), sims[t])).ToArray();
    }
}
