using MovieRecs.Recommender.Data;

namespace MovieRecs.Recommender.Algorithms;

/// <summary>
/// The rating predictor: an ensemble of SGD matrix factorisations and an item-kNN on baseline residuals, blended
/// linearly (weights fitted on a hold-out), clamped to the rating scale; plus the map from a predicted rating to the
/// probability of a like (ML.NET's Platt sigmoid; the isotonic map in models trained before it).
/// </summary>
internal sealed class RatingModel
{
    public required float MinRating { get; init; }
    public required float MaxRating { get; init; }
    public required MfMember[] Mf { get; init; }
    public required ItemKnnModel Knn { get; init; }
    /// <summary>Intercept, MF weight, kNN weight.</summary>
    public required float[] Blend { get; set; }
    /// <summary>Weights of the user's time-local effects (<see cref="UserDrift"/>); 0 in models trained before them.</summary>
    public float[] Drift { get; set; } = new float[UserDrift.Terms];
    /// <summary>Weights of the support terms (feature-weighted linear stacking: how far to trust each input varies with
    /// the data behind it): MF and kNN each times log(1 + the user's ratings) and log(1 + the movie's ratings), those two
    /// alone, and the time-local effects times log(1 + days to the user's nearest rating) with that alone (a mood read
    /// long before fades). 0 in models trained before them.</summary>
    public float[] Support { get; set; } = new float[SupportTerms];
    public const int SupportTerms = 6 + UserDrift.Terms + 1;
    /// <summary>The like-probability map of models trained before <see cref="Platt"/>; still written for their readers.</summary>
    public required IsotonicCalibration Calibration { get; set; }
    /// <summary>The like-probability map (null in models trained before it, or when the hold-out had one class only).</summary>
    public PlattCalibration? Platt { get; set; }

    public float ProbabilityOfLike(float predictedRating) => Platt is { } p ? p.Map(predictedRating) : Calibration.Map(predictedRating);
    /// <summary>Ratings per item in the data the model was fitted on (0 = unknown item: fallback).</summary>
    public required int[] ItemCounts { get; init; }
    public required int[] UserCounts { get; init; }

    public int Members => Mf.Length;
    public int Factors => Mf.Length == 0 ? 0 : Mf[0].Factors;

    /// <summary>Fits the MF ensemble and the kNN on the ratings of <paramref name="d"/> that <paramref name="hold"/> does not hold out.</summary>
    /// <param name="warmStart">MF members fitted on part of the same <paramref name="d"/>: continued for
    /// <see cref="TrainingOptions.MfRefitEpochs"/> epochs at the end of the learning-rate schedule instead of fitted anew.</param>
    public static RatingModel Fit(RatingData d, Holdout hold, TrainingOptions o, ulong seed, int threads, MfMember[]? warmStart = null)
    {
        double sum = 0;
        var used = 0;
        float min = float.MaxValue, max = float.MinValue;
        var itemCounts = new int[d.Items];
        var userCounts = new int[d.Users];
        for (var u = 0; u < d.Users; u++)
            for (var p = d.UserPtr[u]; p < d.UserPtr[u + 1]; p++)
                if (!hold.ByUser[p])
                {
                    var v = d.UserValues[p];
                    sum += v;
                    used++;
                    min = MathF.Min(min, v);
                    max = MathF.Max(max, v);
                    userCounts[u]++;
                    itemCounts[d.UserItems[p]]++;
                }
        if (used == 0)
            throw new ArgumentException("no ratings left to fit the rating model on");
        var mean = (float)(sum / used);
        var sgd = new SgdSettings
        {
            Factors = o.MfFactors, Epochs = o.MfEpochs, LearningRate = o.MfLearningRate, LearningRateDecay = o.MfLearningRateDecay,
            Regularization = o.MfRegularization, BiasRegularization = o.MfBiasRegularization, InitScale = o.MfInitScale,
        };
        // a warm start only when it is shorter than a fit from scratch
        var start = o.MfRefitEpochs > 0 && o.MfRefitEpochs < o.MfEpochs ? warmStart : null;
        if (start is not null)
            sgd = sgd with { Epochs = o.MfRefitEpochs, LearningRate = o.MfLearningRate * MathF.Pow(o.MfLearningRateDecay, o.MfEpochs - o.MfRefitEpochs) };
        var knnSettings = new KnnSettings
        {
            Neighbors = o.KnnNeighbors, ListSize = o.KnnListSize, Shrinkage = o.KnnShrinkage,
            UserBiasRegularization = o.BaselineUserRegularization, ItemBiasRegularization = o.BaselineItemRegularization,
            MaxUserRatings = o.KnnMaxUserRatings,
        };
        MfMember[] mf = [];
        ItemKnnModel? knn = null;
        var members = Math.Max(0, o.MfEnsembleSize);
        // small data: the MF members take one thread each and the kNN gets the rest; large data: the kNN, then the MF's
        // blocks, each on every thread
        if (!SgdMatrixFactorization.FitsInBlocks(d.Count) && threads > members && members > 0)
            System.Threading.Tasks.Parallel.Invoke(
                () => mf = SgdMatrixFactorization.FitEnsemble(d, hold, mean, sgd, members, seed, members, start),
                () => knn = ItemKnn.Fit(d, hold, mean, knnSettings, seed, threads - members));
        else
        {
            knn = ItemKnn.Fit(d, hold, mean, knnSettings, seed, threads);
            mf = members > 0 ? SgdMatrixFactorization.FitEnsemble(d, hold, mean, sgd, members, seed, threads, start) : [];
        }
        return new RatingModel
        {
            MinRating = min, MaxRating = max, Mf = mf, Knn = knn!,
            Blend = [0f, members > 0 ? 0.5f : 0f, members > 0 ? 0.5f : 1f],
            Calibration = new IsotonicCalibration([0f], [0.5f]),
            ItemCounts = itemCounts, UserCounts = userCounts,
        };
    }

    /// <summary>The baseline μ + b_u + b_i alone (no factorisation, no neighbour lists): for a model that only ranks,
    /// such as the learned ranker's model of the earlier ratings, where the rating model's fit would be wasted.</summary>
    public static RatingModel BaselineOnly(RatingData d, TrainingOptions o)
    {
        double sum = 0;
        float min = float.MaxValue, max = float.MinValue;
        foreach (var v in d.UserValues)
        {
            sum += v;
            min = MathF.Min(min, v);
            max = MathF.Max(max, v);
        }
        var mean = (float)(sum / Math.Max(1, d.Count));
        var (bu, bi) = BiasModel.Fit(d, Holdout.None(d), mean, o.BaselineUserRegularization, o.BaselineItemRegularization, 10);
        var itemCounts = new int[d.Items];
        var userCounts = new int[d.Users];
        for (var u = 0; u < d.Users; u++)
        {
            userCounts[u] = d.UserCount(u);
            for (var p = d.UserPtr[u]; p < d.UserPtr[u + 1]; p++)
                itemCounts[d.UserItems[p]]++;
        }
        return new RatingModel
        {
            MinRating = min, MaxRating = max, Mf = [],
            Knn = new ItemKnnModel
            {
                Mean = mean, UserBias = bu, ItemBias = bi, ListPtr = new int[d.Items + 1], ListItems = [], ListSims = [],
                Neighbors = o.KnnNeighbors, UserBiasRegularization = o.BaselineUserRegularization,
            },
            Blend = [0f, 0f, 1f],
            Calibration = new IsotonicCalibration([0f], [0.5f]),
            ItemCounts = itemCounts, UserCounts = userCounts,
        };
    }

    /// <summary>The baseline μ + b_u + b_i with whatever is known (user index or item index may be −1).</summary>
    public float Baseline(int user, float userBias, int item)
    {
        var r = Knn.Mean;
        if (user >= 0)
            r += userBias;
        if (item >= 0 && ItemCounts[item] > 0)
            r += Knn.ItemBias[item];
        return Clamp(r);
    }

    public float Clamp(float r) => Math.Clamp(r, MinRating, MaxRating);

    /// <summary>The two blend inputs for a user who has ratings and a known item.</summary>
    public (float Mf, float Knn) Components(int item, ReadOnlySpan<float> mfBias, float[][] mfFactors, float knnBias,
        ReadOnlySpan<int> userItems, ReadOnlySpan<float> residuals)
    {
        float mf = 0;
        if (Mf.Length > 0)
        {
            var k = Factors;
            for (var m = 0; m < Mf.Length; m++)
            {
                var member = Mf[m];
                mf += Knn.Mean + mfBias[m] + member.ItemBias[item] + Simd.Dot(mfFactors[m], member.ItemFactors.AsSpan(item * k, k));
            }
            mf /= Mf.Length;
        }
        var knn = Knn.Mean + knnBias + Knn.ItemBias[item] + ItemKnn.Correction(Knn, item, userItems, residuals);
        return (mf, knn);
    }

    /// <summary>The blend of MF and kNN with the time-local effects (<paramref name="drift"/>, 0 at no particular time)
    /// and the support terms (<paramref name="userRatings"/>: the user's rating count, <paramref name="item"/> the movie's
    /// index, <paramref name="gapDays"/> the days from the rating's time to the user's nearest rating).</summary>
    public float Combine(float mf, float knn, ReadOnlySpan<float> drift, int userRatings, int item, float gapDays = 0)
    {
        var r = Blend[0] + Blend[1] * mf + Blend[2] * knn;
        for (var k = 0; k < UserDrift.Terms; k++)
            r += Drift[k] * drift[k];
        Span<float> x = stackalloc float[SupportTerms];
        SupportInputs(mf, knn, drift, gapDays, userRatings, ItemCounts[item], x);
        for (var k = 0; k < SupportTerms; k++)
            r += Support[k] * x[k];
        return Clamp(r);
    }

    static void SupportInputs(float mf, float knn, ReadOnlySpan<float> drift, float gapDays, int userRatings, int itemRatings, Span<float> x)
    {
        var su = MathF.Log(1 + userRatings) - 4;
        var si = MathF.Log(1 + itemRatings) - 3;
        (x[0], x[1], x[2], x[3], x[4], x[5]) = (mf * su, knn * su, mf * si, knn * si, su, si);
        var g = MathF.Log(1 + gapDays);
        for (var k = 0; k < UserDrift.Terms; k++)
            x[6 + k] = drift[k] * g;
        x[6 + UserDrift.Terms] = g;
    }

    /// <summary>The blend inputs of the hold-out rows: MF, kNN and the time-local effects at each row's own time.</summary>
    public sealed record HoldoutInputs(float[] Mf, float[] Knn, float[] Drift, bool[] Known, int[]? UserRatings = null, int[]? ItemRatings = null, float[]? Gap = null);

    /// <summary>The blend inputs of every hold-out row whose user and item have training ratings; the user's other
    /// held-out ratings are not used (as at request time, only the ratings the model was given count).</summary>
    public HoldoutInputs HoldoutComponents(RatingData d, Holdout hold)
    {
        int[] hu = hold.Users, hi = hold.Items;
        var mfOut = new float[hu.Length];
        var knnOut = new float[hu.Length];
        var driftOut = new float[hu.Length * UserDrift.Terms];
        var known = new bool[hu.Length];
        var userRatings = new int[hu.Length];
        var itemRatings = new int[hu.Length];
        var gaps = new float[hu.Length];
        // the held-out rows' times (Holdout lists them in CSR order) and each user's kept rows in time order
        var heldTimes = new int[hu.Length];
        for (int p = 0, h = 0; p < d.Count; p++)
            if (hold.ByUser[p])
                heldTimes[h++] = d.UserTimes[p];
        var order = d.TimeOrder;
        var maxCount = 1;
        for (var u = 0; u < d.Users; u++)
            maxCount = Math.Max(maxCount, d.UserCount(u));
        var userItems = new int[maxCount];
        var residuals = new float[maxCount];
        var byTime = new int[maxCount];
        var byTimeResiduals = new float[maxCount];
        var k = Factors;
        var mfBias = new float[Mf.Length];
        var factors = new float[Mf.Length][];
        for (var m = 0; m < Mf.Length; m++)
            factors[m] = new float[k];
        var currentUser = -1;
        var n = 0;
        for (var t = 0; t < hu.Length; t++)
        {
            int u = hu[t], i = hi[t];
            if (UserCounts[u] == 0 || ItemCounts[i] == 0)
                continue;
            if (u != currentUser)
            {
                currentUser = u;
                for (var m = 0; m < Mf.Length; m++)
                {
                    mfBias[m] = Mf[m].UserBias[u];
                    Mf[m].UserFactors.AsSpan(u * k, k).CopyTo(factors[m]);
                }
                n = 0;
                for (var p = d.UserPtr[u]; p < d.UserPtr[u + 1]; p++)
                    if (!hold.ByUser[p])
                    {
                        userItems[n] = d.UserItems[p];
                        residuals[n++] = d.UserValues[p] - Knn.Mean - Knn.UserBias[u] - Knn.ItemBias[d.UserItems[p]];
                    }
                var kept = 0;
                for (var q = d.UserPtr[u]; q < d.UserPtr[u + 1]; q++)
                {
                    var p = order[q];
                    if (hold.ByUser[p])
                        continue;
                    byTime[kept] = d.UserTimes[p];
                    byTimeResiduals[kept++] = d.UserValues[p] - Knn.Mean - Knn.UserBias[u] - Knn.ItemBias[d.UserItems[p]];
                }
            }
            (mfOut[t], knnOut[t]) = Components(i, mfBias, factors, Knn.UserBias[u], userItems.AsSpan(0, n), residuals.AsSpan(0, n));
            UserDrift.At(byTime.AsSpan(0, n), byTimeResiduals.AsSpan(0, n), heldTimes[t], driftOut.AsSpan(t * UserDrift.Terms, UserDrift.Terms));
            known[t] = true;
            gaps[t] = UserDrift.GapDays(byTime.AsSpan(0, n), heldTimes[t]);
            (userRatings[t], itemRatings[t]) = (UserCounts[u], ItemCounts[i]);
        }
        return new HoldoutInputs(mfOut, knnOut, driftOut, known, userRatings, itemRatings, gaps);
    }

    /// <summary>Final predictions of the hold-out rows: the blend where both are known, the baseline otherwise.</summary>
    public float[] HoldoutPredictions(HoldoutInputs c, int[] hu, int[] hi)
    {
        var result = new float[hu.Length];
        for (var t = 0; t < hu.Length; t++)
        {
            int u = hu[t], i = hi[t];
            result[t] = c.Known[t] ? Combine(c.Mf[t], c.Knn[t], c.Drift.AsSpan(t * UserDrift.Terms, UserDrift.Terms), UserCounts[u], i, c.Gap?[t] ?? 0)
                : UserCounts[u] == 0 ? Baseline(-1, 0, i)
                : Baseline(u, Knn.UserBias[u], -1);
        }
        return result;
    }

    /// <summary>Fits the blend weights and the time-local effects' weights (ridge-stabilised least squares) on the known
    /// hold-out rows.</summary>
    public void FitBlend(HoldoutInputs c, float[] hv)
    {
        if (Mf.Length == 0)
        {
            Blend = [0f, 0f, 1f];
            return;
        }
        var support = c.UserRatings is not null && c.ItemRatings is not null && c.Gap is not null;
        var N = 3 + UserDrift.Terms + (support ? SupportTerms : 0);
        var xtx = new double[N, N];
        var xty = new double[N];
        var rows = 0;
        var x = new double[N];   // once, not per row
        Span<float> sx = stackalloc float[SupportTerms];
        for (var t = 0; t < hv.Length; t++)
        {
            if (!c.Known[t])
                continue;
            (x[0], x[1], x[2]) = (1, c.Mf[t], c.Knn[t]);
            for (var k = 0; k < UserDrift.Terms; k++)
                x[3 + k] = c.Drift[t * UserDrift.Terms + k];
            if (support)
            {
                SupportInputs(c.Mf[t], c.Knn[t], c.Drift.AsSpan(t * UserDrift.Terms, UserDrift.Terms), c.Gap![t], c.UserRatings![t], c.ItemRatings![t], sx);
                for (var k = 0; k < SupportTerms; k++)
                    x[3 + UserDrift.Terms + k] = sx[k];
            }
            for (var r = 0; r < N; r++)
            {
                xty[r] += x[r] * hv[t];
                for (var q = 0; q < N; q++)
                    xtx[r, q] += x[r] * x[q];
            }
            rows++;
        }
        if (rows < 20)
            return; // keep the default equal weights
        for (var r = 1; r < N; r++)
            xtx[r, r] += 1e-3 * rows;
        var w = Solve(xtx, xty);
        if (w is null || w.Any(v => !double.IsFinite(v)))
            return;
        Blend = [(float)w[0], (float)w[1], (float)w[2]];
        Drift = [.. w[3..(3 + UserDrift.Terms)].Select(v => (float)v)];
        Support = support ? [.. w[(3 + UserDrift.Terms)..].Select(v => (float)v)] : new float[SupportTerms];
    }

    static double[]? Solve(double[,] a, double[] b)
    {
        var m = (double[,])a.Clone();
        var y = (double[])b.Clone();
        var size = y.Length;
        for (var c = 0; c < size; c++)
        {
            var piv = c;
            for (var r = c + 1; r < size; r++)
                if (Math.Abs(m[r, c]) > Math.Abs(m[piv, c]))
                    piv = r;
            if (Math.Abs(m[piv, c]) < 1e-12)
                return null;
            if (piv != c)
            {
                for (var k = 0; k < size; k++)
                    (m[c, k], m[piv, k]) = (m[piv, k], m[c, k]);
                (y[c], y[piv]) = (y[piv], y[c]);
            }
            for (var r = c + 1; r < size; r++)
            {
                var f = m[r, c] / m[c, c];
                for (var k = c; k < size; k++)
                    m[r, k] -= f * m[c, k];
                y[r] -= f * y[c];
            }
        }
        var x = new double[size];
        for (var r = size - 1; r >= 0; r--)
        {
            var s = y[r];
            for (var k = r + 1; k < size; k++)
                s -= m[r, k] * x[k];
            x[r] = s / m[r, r];
        }
        return x;
    }
}
