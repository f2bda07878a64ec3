using System.Runtime.CompilerServices;
using MovieRecs.Recommender.Data;

namespace MovieRecs.Recommender.Algorithms;

/// <summary>Settings of <see cref="ItemKnn"/>.</summary>
internal sealed record KnnSettings
{
    /// <summary>At most this many of the user's rated neighbours enter a prediction.</summary>
    public int Neighbors { get; init; } = 40;
    /// <summary>Each item keeps its most similar items, up to this many.</summary>
    public int ListSize { get; init; } = 200;
    /// <summary>Similarity shrinkage: s·(n − 1)/(n − 1 + shrink) for n common raters.</summary>
    public float Shrinkage { get; init; } = 100f;
    public float UserBiasRegularization { get; init; } = 5f;
    public float ItemBiasRegularization { get; init; } = 5f;
    /// <summary>Users with more ratings than this contribute a fixed pseudo-random subset of them to the similarities (bounds the Σ n_u² cost).</summary>
    public int MaxUserRatings { get; init; } = 500;
}

/// <summary>Item neighbour lists and the baseline they are built on.</summary>
internal sealed class ItemKnnModel
{
    public required float Mean { get; init; }
    public required float[] UserBias { get; init; }
    public required float[] ItemBias { get; init; }
    public required int[] ListPtr { get; init; }
    /// <summary>Neighbour item indices, ascending within each item's list.</summary>
    public required int[] ListItems { get; init; }
    public required float[] ListSims { get; init; }
    public required int Neighbors { get; init; }
    public required float UserBiasRegularization { get; init; }
}

/// <summary>
/// Item-based neighbourhood model on baseline residuals (Koren's "KNNBaseline"): r̂_ui = b_ui + Σ s_ij (r_uj − b_uj) / Σ s_ij over
/// the user's rated items j among i's most similar items, with shrunk Pearson correlations of the residuals.
/// </summary>
internal static class ItemKnn
{
    struct Accumulator
    {
        public float Sab, Saa, Sbb;
        public int Count;
    }

    public static ItemKnnModel Fit(RatingData d, Holdout hold, float mean, KnnSettings s, ulong seed, int threads)
    {
        var (bu, bi) = BiasModel.Fit(d, hold, mean, s.UserBiasRegularization, s.ItemBiasRegularization, 10);

        // which ratings take part: not held out, and for very active users a fixed pseudo-random subset (hash below the
        // user's threshold), evaluated for the CSR and the CSC order alike
        var threshold = new ulong[d.Users];
        Array.Fill(threshold, ulong.MaxValue);
        for (var u = 0; u < d.Users; u++)
        {
            var n = d.UserCount(u);
            if (n <= s.MaxUserRatings)
                continue;
            var keys = new ulong[n];
            for (var t = 0; t < n; t++)
                keys[t] = SubsetKey(seed, d, u, d.UserItems[d.UserPtr[u] + t]);
            Array.Sort(keys);
            threshold[u] = keys[s.MaxUserRatings - 1];
        }
        var useRow = new bool[d.Count];
        for (var u = 0; u < d.Users; u++)
            for (var p = d.UserPtr[u]; p < d.UserPtr[u + 1]; p++)
                useRow[p] = !hold.ByUser[p] && (threshold[u] == ulong.MaxValue || SubsetKey(seed, d, u, d.UserItems[p]) <= threshold[u]);
        var useCol = new bool[d.Count];
        for (var i = 0; i < d.Items; i++)
            for (var p = d.ItemPtr[i]; p < d.ItemPtr[i + 1]; p++)
            {
                var u = d.ItemUsers[p];
                useCol[p] = !hold.ByItem[p] && (threshold[u] == ulong.MaxValue || SubsetKey(seed, d, u, i) <= threshold[u]);
            }

        // the rows that take part, by user, with their residuals computed once (not once per co-rated item)
        var usedPtr = new int[d.Users + 1];
        for (var u = 0; u < d.Users; u++)
        {
            var n = 0;
            for (var p = d.UserPtr[u]; p < d.UserPtr[u + 1]; p++)
                if (useRow[p])
                    n++;
            usedPtr[u + 1] = usedPtr[u] + n;
        }
        var usedItems = new int[usedPtr[^1]];
        var usedResiduals = new float[usedPtr[^1]];
        for (var u = 0; u < d.Users; u++)
        {
            var baseU = mean + bu[u];
            var at = usedPtr[u];
            for (var p = d.UserPtr[u]; p < d.UserPtr[u + 1]; p++)
                if (useRow[p])
                {
                    var j = d.UserItems[p];
                    usedItems[at] = j;
                    usedResiduals[at++] = d.UserValues[p] - baseU - bi[j];
                }
        }

        // per item: similarities to every co-rated item, keep the best ListSize (positive only)
        var lists = new (int[] Items, float[] Sims)[d.Items];
        Parallelism.For(d.Items, threads, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end) =>
        {
            var acc = new Accumulator[d.Items];
            var touched = new List<int>();
            var heap = new TopK(s.ListSize);
            for (var i = start; i < end; i++)
            {
                touched.Clear();
                for (var p = d.ItemPtr[i]; p < d.ItemPtr[i + 1]; p++)
                {
                    if (!useCol[p])
                        continue;
                    var u = d.ItemUsers[p];
                    var baseU = mean + bu[u];
                    var ri = d.ItemValues[p] - baseU - bi[i];
                    var ri2 = ri * ri;
                    for (var q = usedPtr[u]; q < usedPtr[u + 1]; q++)
                    {
                        var j = usedItems[q];
                        ref var a = ref acc[j];
                        if (a.Count++ == 0)
                            touched.Add(j);
                        var rj = usedResiduals[q];
                        a.Sab += ri * rj;
                        a.Saa += ri2;
                        a.Sbb += rj * rj;
                    }
                }
                heap.Clear();
                foreach (var j in touched)
                {
                    ref var a = ref acc[j];
                    if (j != i && a.Sab > 0 && a.Saa > 0 && a.Sbb > 0)
                    {
                        var n = a.Count;
                        var sim = a.Sab / MathF.Sqrt(a.Saa * a.Sbb) * (n - 1) / (n - 1 + s.Shrinkage);
                        if (sim > 0)
                            heap.Offer(j, sim);
                    }
                    a = default;
                }
                lists[i] = heap.ToArraysByKey();
            }
        }, minChunk: 16);

        var ptr = new int[d.Items + 1];
        for (var i = 0; i < d.Items; i++)
            ptr[i + 1] = ptr[i] + lists[i].Items.Length;
        var items = new int[ptr[^1]];
        var sims = new float[ptr[^1]];
        for (var i = 0; i < d.Items; i++)
        {
            lists[i].Items.CopyTo(items, ptr[i]);
            lists[i].Sims.CopyTo(sims, ptr[i]);
        }
        return new ItemKnnModel
        {
            Mean = mean, UserBias = bu, ItemBias = bi, ListPtr = ptr, ListItems = items, ListSims = sims,
            Neighbors = s.Neighbors, UserBiasRegularization = s.UserBiasRegularization,
        };
    }

    static ulong SubsetKey(ulong seed, RatingData d, int u, int i) =>
        Hash.Mix(seed ^ 0x4B4E4EUL, (ulong)(uint)d.UserMap.ExternalId(u), (ulong)(uint)d.ItemMap.ExternalId(i));

    /// <summary>
    /// The neighbourhood correction Σ s·res / Σ s for item <paramref name="item"/> given the user's rated items (ascending)
    /// and their residuals; 0 when no rated item is among the item's neighbours.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Correction(ItemKnnModel m, int item, ReadOnlySpan<int> userItems, ReadOnlySpan<float> userResiduals)
    {
        int a = m.ListPtr[item], aEnd = m.ListPtr[item + 1], b = 0;
        var k = m.Neighbors;
        Span<float> sims = stackalloc float[k];
        Span<float> res = stackalloc float[k];
        var count = 0;
        var minAt = 0;
        while (a < aEnd && b < userItems.Length)
        {
            var x = m.ListItems[a];
            var y = userItems[b];
            if (x < y)
                a++;
            else if (x > y)
                b++;
            else
            {
                var s = m.ListSims[a];
                if (count < k)
                {
                    sims[count] = s;
                    res[count++] = userResiduals[b];
                    if (count == k)
                        minAt = ArgMin(sims);
                }
                else if (s > sims[minAt])
                {
                    sims[minAt] = s;
                    res[minAt] = userResiduals[b];
                    minAt = ArgMin(sims);
                }
                a++;
                b++;
            }
        }
        if (count == 0)
            return 0;
        float num = 0, den = 0;
        for (var t = 0; t < count; t++)
        {
            num += sims[t] * res[t];
            den += sims[t];
        }
        return num / den;
    }

    static int ArgMin(ReadOnlySpan<float> v)
    {
        var at = 0;
        for (var i = 1; i < v.Length; i++)
            if (v[i] < v[at])
                at = i;
        return at;
    }
}

/// <summary>A bounded min-heap keeping the <c>capacity</c> largest (key, value) offers; ties broken towards the smaller key.</summary>
internal sealed class TopK(int capacity)
{
    int[] _keys = new int[Math.Max(1, capacity)];
    float[] _values = new float[Math.Max(1, capacity)];
    int _capacity = Math.Max(1, capacity);
    int _count;

    public int Count => _count;
    public int Capacity => _keys.Length;
    /// <summary>The smallest kept value (the first to go).</summary>
    public float MinValue => _values[0];

    public void Clear() => _count = 0;

    /// <summary>Empties the heap and sets how many entries it keeps (at most <see cref="Capacity"/>).</summary>
    public void Reset(int capacity)
    {
        _count = 0;
        _capacity = Math.Clamp(capacity, 1, _keys.Length);
    }

    /// <summary>True when (value, key) ranks below (other value, other key): lower value, or equal value and larger key.</summary>
    static bool Worse(float v, int k, float ov, int ok) => v < ov || (v == ov && k > ok);

    public void Offer(int key, float value)
    {
        if (float.IsNaN(value))
            return;
        if (_count < _capacity)
        {
            var i = _count++;
            while (i > 0)
            {
                var parent = (i - 1) >> 1;
                if (!Worse(value, key, _values[parent], _keys[parent]))
                    break;
                _keys[i] = _keys[parent];
                _values[i] = _values[parent];
                i = parent;
            }
            _keys[i] = key;
            _values[i] = value;
            return;
        }
        if (!Worse(_values[0], _keys[0], value, key))
            return;
        SiftDown(key, value);
    }

    void SiftDown(int key, float value)
    {
        var i = 0;
        while (true)
        {
            var l = 2 * i + 1;
            if (l >= _count)
                break;
            var r = l + 1;
            var c = r < _count && Worse(_values[r], _keys[r], _values[l], _keys[l]) ? r : l;
            if (!Worse(_values[c], _keys[c], value, key))
                break;
            _keys[i] = _keys[c];
            _values[i] = _values[c];
            i = c;
        }
        _keys[i] = key;
        _values[i] = value;
    }

    /// <summary>The kept entries ordered by key ascending.</summary>
    public (int[] Items, float[] Sims) ToArraysByKey()
    {
        var keys = _keys.AsSpan(0, _count).ToArray();
        var values = _values.AsSpan(0, _count).ToArray();
        Array.Sort(keys, values);
        return (keys, values);
    }

    /// <summary>Writes the kept entries best first (value descending, key ascending), empties the heap, returns how many.</summary>
    public int DrainBestFirst(Span<int> keys, Span<float> values)
    {
        var n = _count;
        for (var i = n - 1; i >= 0; i--)
        {
            keys[i] = _keys[0];
            values[i] = _values[0];
            _count--;
            if (_count > 0)
                SiftDown(_keys[_count], _values[_count]);
        }
        return n;
    }
}
