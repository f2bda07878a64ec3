using System.Runtime.CompilerServices;
using MovieRecs.Recommender.Algorithms;

namespace MovieRecs.Recommender;

public sealed partial class RecommenderModel
{
    sealed class Scratch
    {
        public float[] Scores = [];
        public float[] Ease = [];
        public bool[] Excluded = [];
        public int[] ExcludedList = [];
        public TopK Heap = new(10);
    }

    [ThreadStatic] static Scratch? t_scratch;

    /// <summary>
    /// The best <paramref name="count"/> movies for a known user, best first. Movies the user rated are left out unless
    /// <paramref name="includeRated"/>; so is every id in <paramref name="exclude"/>. A user the model does not know gets
    /// the most popular movies.
    /// </summary>
    public IReadOnlyList<Recommendation> Recommend(int userId, int count, IEnumerable<int>? exclude = null, bool includeRated = false)
    {
        var buffer = new Recommendation[Math.Max(0, Math.Min(count, MovieCount))];
        var u = UserMap.IndexOf(userId);
        var ex = exclude as int[] ?? exclude?.ToArray() ?? [];
        var n = u < 0
            ? RecommendPopular(buffer, ex, [], includeRated)
            : RecommendCore(buffer, ex, includeRated,
                UserItems.AsSpan(UserPtr[u], UserPtr[u + 1] - UserPtr[u]),
                UserValues.AsSpan(UserPtr[u], UserPtr[u + 1] - UserPtr[u]),
                IalsUsers.AsSpan(u * IalsFactors, IalsFactors), null, u);
        return n == buffer.Length ? buffer : buffer[..n];
    }

    /// <summary>The best <paramref name="count"/> movies for a profile (see <see cref="Recommend(int, int, IEnumerable{int}?, bool)"/>).</summary>
    public IReadOnlyList<Recommendation> Recommend(UserProfile profile, int count, IEnumerable<int>? exclude = null, bool includeRated = false)
    {
        var buffer = new Recommendation[Math.Max(0, Math.Min(count, MovieCount))];
        var n = Recommend(profile, buffer, exclude as int[] ?? exclude?.ToArray() ?? [], includeRated);
        return n == buffer.Length ? buffer : buffer[..n];
    }

    /// <summary>Fills <paramref name="destination"/> with the best movies for a profile, best first; returns how many were written.
    /// Allocation-free apart from per-thread scratch buffers reused across calls.</summary>
    public int Recommend(UserProfile profile, Span<Recommendation> destination, ReadOnlySpan<int> exclude = default, bool includeRated = false)
    {
        ArgumentNullException.ThrowIfNull(profile);
        if (!ReferenceEquals(profile.Model, this))
            throw new ArgumentException("the profile belongs to another model", nameof(profile));
        if (profile.RatingCount == 0)
            return RecommendPopular(destination, exclude, profile.Items, includeRated);
        return RecommendCore(destination, exclude, includeRated, profile.Items, profile.Values, profile.IalsVector, profile, -1);
    }

    int RecommendPopular(Span<Recommendation> destination, ReadOnlySpan<int> exclude, ReadOnlySpan<int> rated, bool includeRated)
    {
        var s = GetScratch();
        var excludedCount = MarkExcluded(s, exclude, rated, includeRated);
        var written = 0;
        foreach (var i in _popularOrder)
        {
            if (written == destination.Length)
                break;
            if (s.Excluded[i])
                continue;
            destination[written++] = new Recommendation(ItemMap.ExternalId(i), Popularity[i], ProbabilityOfLike(Rating.Baseline(-1, 0, i)));
        }
        ClearExcluded(s, excludedCount);
        return written;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    int RecommendCore(Span<Recommendation> destination, ReadOnlySpan<int> exclude, bool includeRated,
        ReadOnlySpan<int> items, ReadOnlySpan<float> values, ReadOnlySpan<float> ialsVector, UserProfile? profile, int knownUser)
    {
        if (destination.IsEmpty)
            return 0;
        var s = GetScratch();
        var n = ItemMap.Count;
        var scores = s.Scores.AsSpan(0, n);
        var excludedCount = MarkExcluded(s, exclude, items, includeRated);
        var candidates = n - excludedCount;
        if (candidates <= 0)
        {
            ClearExcluded(s, excludedCount);
            return 0;
        }

        // implicit ALS: f = Q·p
        var k = IalsFactors;
        Simd.MatVec(IalsItems, ialsVector, scores, n, k);
        // EASE over the top movies: e = Σ w_j B[j, :]
        var nb = EaseItems.Length;
        var ease = s.Ease.AsSpan(0, nb);
        ease.Clear();
        var mean = Rating.Knn.Mean;
        var easeInputs = 0;
        for (var t = 0; t < items.Length; t++)
        {
            var slot = _easeSlot[items[t]];
            if (slot < 0)
                continue;
            Simd.MultiplyAdd(EaseB.AsSpan(slot * nb, nb), Ease.InputWeight(values[t], mean, Options.EaseRatingWeight), ease);
            easeInputs++;
        }

        // standardise both over the candidates (EASE is 0 off its movie set), then blend
        var (sumF, sumF2) = Simd.Moments(scores);
        var (sumE, sumE2) = Simd.Moments(ease);
        for (var t = 0; t < excludedCount; t++)
        {
            var i = s.ExcludedList[t];
            double f = scores[i];
            sumF -= f;
            sumF2 -= f * f;
            var slot = _easeSlot[i];
            if (slot >= 0)
            {
                double e = ease[slot];
                sumE -= e;
                sumE2 -= e * e;
            }
        }
        var (muF, sdF) = Moments(sumF, sumF2, candidates);
        var (muE, sdE) = Moments(sumE, sumE2, candidates);
        var wF = sdF > 0 ? Options.IalsBlendWeight / sdF : 0;
        var wE = sdE > 0 && easeInputs > 0 ? 1 / sdE : 0;
        if (wF == 0 && wE == 0)
        {
            ClearExcluded(s, excludedCount);
            return RecommendPopular(destination, exclude, items, includeRated);
        }
        Simd.ScaleShift(scores, (float)wF, (float)(-muF * wF - muE * wE));
        if (wE > 0)
            for (var t = 0; t < nb; t++)
                scores[EaseItems[t]] += (float)(ease[t] * wE);

        var heap = s.Heap;
        if (heap.Capacity < destination.Length)
            heap = s.Heap = new TopK(destination.Length);
        heap.Reset(destination.Length);
        for (var t = 0; t < excludedCount; t++)
            scores[s.ExcludedList[t]] = float.NegativeInfinity;
        ClearExcluded(s, excludedCount);
        // only scores reaching the heap's current minimum can enter
        var threshold = float.NegativeInfinity;
        var full = false;
        for (var i = 0; i < n; i++)
        {
            var v = scores[i];
            if (v > threshold || (full && v == threshold))
            {
                heap.Offer(i, v);
                if (!full && heap.Count == destination.Length)
                    full = true;
                if (full)
                    threshold = heap.MinValue;
            }
        }
        Span<int> keys = destination.Length <= 256 ? stackalloc int[destination.Length] : new int[destination.Length];
        Span<float> vals = destination.Length <= 256 ? stackalloc float[destination.Length] : new float[destination.Length];
        var written = heap.DrainBestFirst(keys, vals);
        for (var t = 0; t < written; t++)
        {
            var predicted = profile is not null ? PredictIndex(profile, keys[t]) : PredictKnownIndex(knownUser, keys[t]);
            destination[t] = new Recommendation(ItemMap.ExternalId(keys[t]), vals[t], ProbabilityOfLike(predicted));
        }
        return written;
    }

    static (double Mean, double Sd) Moments(double sum, double sumSq, int n)
    {
        var mean = sum / n;
        var variance = sumSq / n - mean * mean;
        return (mean, variance > 1e-18 ? Math.Sqrt(variance) : 0);
    }

    Scratch GetScratch()
    {
        var s = t_scratch ??= new Scratch();
        var n = ItemMap.Count;
        if (s.Scores.Length < n)
        {
            s.Scores = new float[n];
            s.Excluded = new bool[n];
        }
        if (s.Ease.Length < EaseItems.Length)
            s.Ease = new float[EaseItems.Length];
        return s;
    }

    /// <summary>Marks excluded movie indices (the exclude ids, and the rated ones unless included); returns how many were marked.</summary>
    int MarkExcluded(Scratch s, ReadOnlySpan<int> excludeIds, ReadOnlySpan<int> rated, bool includeRated)
    {
        var need = excludeIds.Length + (includeRated ? 0 : rated.Length);
        if (s.ExcludedList.Length < need)
            s.ExcludedList = new int[Math.Max(need, 2 * s.ExcludedList.Length)];
        var count = 0;
        foreach (var id in excludeIds)
        {
            var i = ItemMap.IndexOf(id);
            if (i >= 0 && !s.Excluded[i])
            {
                s.Excluded[i] = true;
                s.ExcludedList[count++] = i;
            }
        }
        if (!includeRated)
            foreach (var i in rated)
                if (!s.Excluded[i])
                {
                    s.Excluded[i] = true;
                    s.ExcludedList[count++] = i;
                }
        return count;
    }

    static void ClearExcluded(Scratch s, int count)
    {
        for (var t = 0; t < count; t++)
            s.Excluded[s.ExcludedList[t]] = false;
    }

    /// <summary>The predicted rating of a known user (index) for a movie index.</summary>
    float PredictKnownIndex(int u, int i) => PredictRating(UserMap.ExternalId(u), ItemMap.ExternalId(i));
}
