namespace MovieRecs.Recommender.Data;

/// <summary>
/// Ratings laid out for the training loops: dense user and item indices, a CSR matrix by user (each row's items
/// ascending) and the same data by item (CSC, each column's users ascending). A user who rated the same item twice keeps
/// the rating with the latest timestamp (the later row on a tie). Timestamps are kept as seconds after the earliest one.
/// </summary>
internal sealed class RatingData
{
    public required IdMap UserMap { get; init; }
    public required IdMap ItemMap { get; init; }

    public int Users => UserMap.Count;
    public int Items => ItemMap.Count;
    public int Count => UserItems.Length;

    // by user (CSR)
    public required int[] UserPtr { get; init; }
    public required int[] UserItems { get; init; }
    public required float[] UserValues { get; init; }
    /// <summary>Seconds after <see cref="TimeOrigin"/>.</summary>
    public required int[] UserTimes { get; init; }
    public long TimeOrigin { get; init; }

    // by item (CSC)
    public required int[] ItemPtr { get; init; }
    public required int[] ItemUsers { get; init; }
    public required float[] ItemValues { get; init; }

    public double Mean { get; init; }

    public int UserCount(int u) => UserPtr[u + 1] - UserPtr[u];

    int[]? _timeOrder;

    /// <summary>Each user's row positions sorted by time (computed once: the hold-out and the blend fit both need it).</summary>
    public int[] TimeOrder => _timeOrder ??= Algorithms.UserDrift.TimeOrder(UserPtr, UserTimes);
    public int ItemCount(int i) => ItemPtr[i + 1] - ItemPtr[i];

    public static RatingData Build(ReadOnlySpan<Rating> ratings)
    {
        // only the ids are copied (they become indices in place); values and times are read from the rows themselves
        // (a full copy held 25M rows twice)
        var users = new int[ratings.Length];
        var items = new int[ratings.Length];
        for (var k = 0; k < ratings.Length; k++)
        {
            users[k] = ratings[k].User;
            items[k] = ratings[k].Item;
        }
        return Build(users, items, ratings.Length, ratings, null);
    }

    public static RatingData Build(IEnumerable<Rating> ratings)
    {
        var c = new RatingColumns(ratings.TryGetNonEnumeratedCount(out var n) ? n : 1024);
        foreach (var r in ratings)
            c.Add(r);
        return Build(c);
    }

    /// <summary>Builds from columns, consuming them (their arrays are reused or released).</summary>
    public static RatingData Build(RatingColumns c) => Build(c.Users, c.Items, c.Count, default, c);

    /// <summary>Rows by user and item from <paramref name="us"/> and <paramref name="its"/> (overwritten with indices), values
    /// and times from <paramref name="columns"/> when given, else from <paramref name="rows"/>.</summary>
    static RatingData Build(int[] us, int[] its, int n, ReadOnlySpan<Rating> rows, RatingColumns? columns)
    {
        var userMap = IdMap.FromIds(us.AsSpan(0, n));
        var itemMap = IdMap.FromIds(its.AsSpan(0, n));
        for (var k = 0; k < n; k++)
        {
            us[k] = userMap.IndexOf(us[k]);
            its[k] = itemMap.IndexOf(its[k]);
        }
        int users = userMap.Count, items = itemMap.Count;

        // LSD radix: stable counting sort by item, then by user → rows by user, items ascending, input order kept within ties
        var order = new int[n];
        {
            var byItem = new int[n];
            var start = new int[items + 1];
            for (var k = 0; k < n; k++)
                start[its[k] + 1]++;
            for (var i = 0; i < items; i++)
                start[i + 1] += start[i];
            for (var k = 0; k < n; k++)
                byItem[start[its[k]]++] = k;
            start = new int[users + 1];
            for (var k = 0; k < n; k++)
                start[us[k] + 1]++;
            for (var u = 0; u < users; u++)
                start[u + 1] += start[u];
            foreach (var k in byItem)
                order[start[us[k]]++] = k;
        }

        // dedupe (user, item) runs, keeping the latest timestamp (the later row on ties)
        var times = columns?.Times;
        var userPtr = new int[users + 1];
        var count = 0;
        long minTime = long.MaxValue;
        for (var p = 0; p < n;)
        {
            var k = order[p];
            var best = k;
            var q = p + 1;
            while (q < n && us[order[q]] == us[k] && its[order[q]] == its[k])
            {
                if (TimeOf(order[q], rows, times) >= TimeOf(best, rows, times))
                    best = order[q];
                q++;
            }
            order[count++] = best;
            userPtr[us[k] + 1]++;
            minTime = Math.Min(minTime, TimeOf(best, rows, times));
            p = q;
        }
        for (var u = 0; u < users; u++)
            userPtr[u + 1] += userPtr[u];
        if (count == 0)
            minTime = 0;
        var userItems = new int[count];
        var userValues = new float[count];
        var userTimes = new int[count];
        double sum = 0;
        var values = columns?.Values;
        for (var p = 0; p < count; p++)
        {
            var k = order[p];
            var value = values is null ? rows[k].Value : values[k];
            userItems[p] = its[k];
            userValues[p] = value;
            userTimes[p] = (int)Math.Clamp(TimeOf(k, rows, times) - minTime, 0, int.MaxValue);
            sum += value;
        }
        columns?.Release();
        (us, its, order) = (null!, null!, null!);

        // CSC by item, users ascending within each column
        var itemPtr = new int[items + 1];
        foreach (var i in userItems)
            itemPtr[i + 1]++;
        for (var i = 0; i < items; i++)
            itemPtr[i + 1] += itemPtr[i];
        var itemUsers = new int[count];
        var itemValues = new float[count];
        var next = (int[])itemPtr.Clone();
        for (var u = 0; u < users; u++)
            for (var p = userPtr[u]; p < userPtr[u + 1]; p++)
            {
                var dst = next[userItems[p]]++;
                itemUsers[dst] = u;
                itemValues[dst] = userValues[p];
            }

        return new RatingData
        {
            UserMap = userMap,
            ItemMap = itemMap,
            UserPtr = userPtr,
            UserItems = userItems,
            UserValues = userValues,
            UserTimes = userTimes,
            TimeOrigin = minTime,
            ItemPtr = itemPtr,
            ItemUsers = itemUsers,
            ItemValues = itemValues,
            Mean = count == 0 ? 0 : sum / count,
        };
    }

    static long TimeOf(int k, ReadOnlySpan<Rating> rows, long[]? times) => times is null ? rows[k].Timestamp : times[k];
}

/// <summary>Growing column arrays of ratings (20 bytes a rating), consumed by <see cref="RatingData.Build(RatingColumns)"/>.</summary>
internal sealed class RatingColumns(int capacity)
{
    public int[] Users = new int[Math.Max(16, capacity)];
    public int[] Items = new int[Math.Max(16, capacity)];
    public float[] Values = new float[Math.Max(16, capacity)];
    public long[] Times = new long[Math.Max(16, capacity)];
    public int Count;

    public void Add(in Rating r)
    {
        if (Count == Users.Length)
        {
            var size = checked(Count + Math.Max(Count / 2, 1024));
            Array.Resize(ref Users, size);
            Array.Resize(ref Items, size);
            Array.Resize(ref Values, size);
            Array.Resize(ref Times, size);
        }
        Users[Count] = r.User;
        Items[Count] = r.Item;
        Values[Count] = r.Value;
        Times[Count++] = r.Timestamp;
    }

    public void Release()
    {
        Users = Items = [];
        Values = [];
        Times = [];
        Count = 0;
    }
}

/// <summary>
/// A hold-out of a <see cref="RatingData"/>: each rating is held out with a probability, decided by a hash of (seed,
/// user id, movie id) so the split does not depend on row order. Flags are kept in both CSR and CSC order; the held-out
/// ratings also come as index triples grouped by user.
/// </summary>
internal sealed class Holdout
{
    public required bool[] ByUser { get; init; }
    public required bool[] ByItem { get; init; }
    public required int[] Users { get; init; }
    public required int[] Items { get; init; }
    public required float[] Values { get; init; }
    public int Count => Users.Length;

    /// <summary>No rating held out.</summary>
    public static Holdout None(RatingData d) => new()
    {
        ByUser = new bool[d.Count], ByItem = new bool[d.Count], Users = [], Items = [], Values = [],
    };

    /// <summary>Holds out <paramref name="fraction"/> of the ratings: <paramref name="latestShare"/> of it as each user's
    /// latest ratings by time, the rest by the hash.</summary>
    public static Holdout Create(RatingData d, double fraction, int seed, double latestShare = 0)
    {
        var randomFraction = fraction * (1 - latestShare);
        var threshold = randomFraction >= 1 ? ulong.MaxValue : (ulong)(Math.Max(0, randomFraction) * ulong.MaxValue);
        bool Held(int u, int i) => Hash.Mix((ulong)(uint)seed, (ulong)(uint)d.UserMap.ExternalId(u), (ulong)(uint)d.ItemMap.ExternalId(i)) < threshold;
        var byUser = new bool[d.Count];
        var held = 0;
        for (var u = 0; u < d.Users; u++)
            for (var p = d.UserPtr[u]; p < d.UserPtr[u + 1]; p++)
                if (byUser[p] = Held(u, d.UserItems[p]))
                    held++;
        if (latestShare > 0)
        {
            var order = d.TimeOrder;
            for (var u = 0; u < d.Users; u++)
            {
                int start = d.UserPtr[u], end = d.UserPtr[u + 1];
                var latest = (int)Math.Round((end - start) * fraction * latestShare);
                for (var q = end - latest; q < end; q++)
                    if (!byUser[order[q]])
                    {
                        byUser[order[q]] = true;
                        held++;
                    }
            }
        }
        var byItem = new bool[d.Count];
        for (var i = 0; i < d.Items; i++)
            for (var p = d.ItemPtr[i]; p < d.ItemPtr[i + 1]; p++)
            {
                var u = d.ItemUsers[p];
                byItem[p] = byUser[Array.BinarySearch(d.UserItems, d.UserPtr[u], d.UserPtr[u + 1] - d.UserPtr[u], i)];
            }
        var hu = new int[held];
        var hi = new int[held];
        var hv = new float[held];
        var h = 0;
        for (var u = 0; u < d.Users; u++)
            for (var p = d.UserPtr[u]; p < d.UserPtr[u + 1]; p++)
                if (byUser[p])
                {
                    hu[h] = u;
                    hi[h] = d.UserItems[p];
                    hv[h++] = d.UserValues[p];
                }
        return new Holdout { ByUser = byUser, ByItem = byItem, Users = hu, Items = hi, Values = hv };
    }
}

/// <summary>Small deterministic hashing (SplitMix64 finaliser), independent of .NET's randomised hashing.</summary>
internal static class Hash
{
    public static ulong Mix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    public static ulong Mix(ulong a, ulong b) => Mix(Mix(a) ^ b);
    public static ulong Mix(ulong a, ulong b, ulong c) => Mix(Mix(Mix(a) ^ b) ^ c);
}

/// <summary>A tiny deterministic generator (SplitMix64) for initialisation and sampling.</summary>
internal struct SplitMix
{
    ulong _state;

    public SplitMix(ulong seed) => _state = seed;

    public ulong Next()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

    public int NextInt(int n) => (int)((Next() >> 33) * (ulong)n >> 31);

    /// <summary>Standard normal (Box–Muller).</summary>
    public double NextGaussian()
    {
        var u1 = 1.0 - NextDouble();
        var u2 = NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
