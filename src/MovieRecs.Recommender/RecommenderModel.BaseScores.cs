using MovieRecs.Recommender.Algorithms;

namespace MovieRecs.Recommender;

public sealed partial class RecommenderModel
{
    float[]? _ialsNorms;

    /// <summary>
    /// The ranking models' raw scores of every movie for a profile (internal indices): iALS <c>Q·p</c> and EASE
    /// <c>Σ w_j B[j, :]</c> (NaN off the EASE movie set); false when EASE had no input (none of the rated movies is in its set).
    /// </summary>
    internal bool BaseScores(UserProfile profile, Span<float> ials, Span<float> ease, Span<float> easeScratch)
    {
        var n = ItemMap.Count;
        Simd.MatVec(IalsItems, profile.IalsVector, ials[..n], n, IalsFactors);
        var nb = EaseItems.Length;
        var e = easeScratch[..nb];
        e.Clear();
        var inputs = 0;
        var mean = Rating.Knn.Mean;
        var items = profile.Items;
        var values = profile.Values;
        for (var t = 0; t < items.Length; t++)
        {
            var slot = _easeSlot[items[t]];
            if (slot < 0)
                continue;
            Simd.MultiplyAdd(EaseB.AsSpan(slot * nb, nb), Ease.InputWeight(values[t], mean, Options.EaseRatingWeight), e);
            inputs++;
        }
        ease[..n].Fill(float.NaN);
        for (var t = 0; t < nb; t++)
            ease[EaseItems[t]] = e[t];
        return inputs > 0;
    }

    internal int EaseMovieCount => EaseItems.Length;

    /// <summary>Euclidean norms of the iALS movie vectors (computed once).</summary>
    internal float[] IalsNorms()
    {
        var norms = Volatile.Read(ref _ialsNorms);
        if (norms is not null)
            return norms;
        norms = new float[ItemMap.Count];
        for (var i = 0; i < norms.Length; i++)
            norms[i] = MathF.Sqrt(Simd.Dot(IalsItems.AsSpan(i * IalsFactors, IalsFactors), IalsItems.AsSpan(i * IalsFactors, IalsFactors)));
        return Interlocked.CompareExchange(ref _ialsNorms, norms, null) ?? norms;
    }

    internal ReadOnlySpan<float> IalsItemVector(int i) => IalsItems.AsSpan(i * IalsFactors, IalsFactors);

    internal int MovieIndex(int movieId) => ItemMap.IndexOf(movieId);
}
