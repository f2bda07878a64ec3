using MovieRecs.Recommender.Data;

namespace MovieRecs.Recommender.Ranking;

/// <summary>
/// The movie side of the ranker's features, computed from ratings and the catalog: every movie (rated or only in the
/// catalog), its year and genres, and its ratings counted per 30-day month (cumulative, so a window is two binary
/// searches). Flat arrays; immutable after <see cref="Build"/>.
/// </summary>
internal sealed class FeatureSpace
{
    public const long MonthSeconds = 30L * 86400;
    /// <summary>A movie with fewer training ratings is a content candidate (its collaborative scores rest on too little).</summary>
    public const int ColdRatings = 3;

    public required IdMap Movies { get; init; }
    public required float[] Year { get; init; }          // NaN = unknown
    public required ulong[] Genres { get; init; }        // bit g = GenreNames[g]
    public required string[] GenreNames { get; init; }
    public required int[] MonthPtr { get; init; }        // CSR per movie over Months/Cum
    public required int[] Months { get; init; }          // ascending month numbers (unix time / MonthSeconds)
    public required int[] Cum { get; init; }             // ratings up to and including that month
    public required float[] MeanRating { get; init; }    // shrunk towards the global mean (10 pseudo-ratings)
    public required int[] ByMonthPtr { get; init; }      // CSR per month (from FirstDataMonth) over ByMonthMovie/ByMonthCount
    public required int[] ByMonthMovie { get; init; }
    public required int[] ByMonthCount { get; init; }
    public required int FirstDataMonth { get; init; }
    public required long MaxTime { get; init; }          // newest rating: the "now" of the data
    public required float GlobalMean { get; init; }

    int[]? _cold;

    public int Count => Movies.Count;

    public int Total(int i) => MonthPtr[i] < MonthPtr[i + 1] ? Cum[MonthPtr[i + 1] - 1] : 0;

    public static int MonthOf(long time) => (int)Math.Floor(time / (double)MonthSeconds);

    /// <summary>Month of the movie's first rating, or null when it has none.</summary>
    public int? FirstMonth(int i) => MonthPtr[i] < MonthPtr[i + 1] ? Months[MonthPtr[i]] : null;

    /// <summary>Ratings of movie <paramref name="i"/> in months [from, to].</summary>
    public int CountIn(int i, int from, int to) => UpTo(i, to) - UpTo(i, from - 1);

    int UpTo(int i, int month)
    {
        int lo = MonthPtr[i], hi = MonthPtr[i + 1] - 1, found = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (Months[mid] <= month)
            {
                found = mid;
                lo = mid + 1;
            }
            else
                hi = mid - 1;
        }
        return found < 0 ? 0 : Cum[found];
    }

    /// <summary>Adds every movie's ratings in months [from, to] to <paramref name="counts"/>; touched movies are appended to
    /// <paramref name="touched"/> (when their count was 0). Returns the new touched count.</summary>
    public int AccumulateWindow(int from, int to, Span<int> counts, Span<int> touched, int touchedCount)
    {
        from = Math.Max(from, FirstDataMonth);
        to = Math.Min(to, FirstDataMonth + ByMonthPtr.Length - 2);
        for (var m = from; m <= to; m++)
            for (int p = ByMonthPtr[m - FirstDataMonth], end = ByMonthPtr[m - FirstDataMonth + 1]; p < end; p++)
            {
                var i = ByMonthMovie[p];
                if (counts[i] == 0)
                    touched[touchedCount++] = i;
                counts[i] += ByMonthCount[p];
            }
        return touchedCount;
    }

    /// <summary>Movies with fewer than <see cref="ColdRatings"/> ratings (the content candidates' pool).</summary>
    public int[] Cold()
    {
        if (_cold is { } c)
            return c;
        var list = new List<int>();
        for (var i = 0; i < Count; i++)
            if (Total(i) < ColdRatings)
                list.Add(i);
        return _cold = [.. list];
    }

    public static FeatureSpace Build(ReadOnlySpan<Rating> ratings, IReadOnlyList<MovieInfo> movies)
    {
        // distinct ids only (a list of every rating's movie held 18M ids at 25M ratings)
        var ids = new HashSet<int>(movies.Count + 1024);
        foreach (var m in movies)
            ids.Add(m.Id);
        foreach (var r in ratings)
            ids.Add(r.Item);
        var map = IdMap.FromIds(ids.ToArray());
        ids = null;
        var n = map.Count;
        var year = new float[n];
        Array.Fill(year, float.NaN);
        var genres = new ulong[n];
        var names = new List<string>();
        foreach (var m in movies)
        {
            var i = map.IndexOf(m.Id);
            if (m.Year is { } y)
                year[i] = y;
            foreach (var g in m.Genres)
            {
                var at = names.IndexOf(g);
                if (at < 0 && names.Count < 64)
                    names.Add(g);
                at = names.IndexOf(g);
                if (at >= 0)
                    genres[i] |= 1UL << at;
            }
        }

        // (movie, month) pairs sorted → cumulative counts per movie
        var keys = new long[ratings.Length];
        double sum = 0;
        var sums = new double[n];
        long maxTime = 0;
        for (var t = 0; t < ratings.Length; t++)
        {
            var i = map.IndexOf(ratings[t].Item);
            keys[t] = ((long)i << 32) | (uint)Math.Max(0, MonthOf(ratings[t].Timestamp));
            sum += ratings[t].Value;
            sums[i] += ratings[t].Value;
            maxTime = Math.Max(maxTime, ratings[t].Timestamp);
        }
        Array.Sort(keys);
        var ptr = new int[n + 1];
        var months = new List<int>();
        var cum = new List<int>();
        var counts = new int[n];
        for (var t = 0; t < keys.Length;)
        {
            var i = (int)(keys[t] >> 32);
            var month = (int)(uint)keys[t];
            var run = 0;
            while (t < keys.Length && keys[t] == keys[t - run])
            {
                run++;
                t++;
            }
            counts[i] += run;
            months.Add(month);
            cum.Add(counts[i]);
            ptr[i + 1]++;
        }
        for (var i = 0; i < n; i++)
            ptr[i + 1] += ptr[i];
        // the same pairs by month, for "what was rated around month m" (in keys' array: one array of 18M at 25M ratings)
        var byMonth = keys;
        for (var t = 0; t < byMonth.Length; t++)
            byMonth[t] = (byMonth[t] << 32) | (byMonth[t] >> 32);
        Array.Sort(byMonth);
        var firstMonth = byMonth.Length > 0 ? (int)(byMonth[0] >> 32) : 0;
        var lastMonth = byMonth.Length > 0 ? (int)(byMonth[^1] >> 32) : -1;
        var monthPtr = new int[lastMonth - firstMonth + 2];
        var monthMovie = new List<int>();
        var monthCount = new List<int>();
        for (var t = 0; t < byMonth.Length;)
        {
            var start = t;
            while (t < byMonth.Length && byMonth[t] == byMonth[start])
                t++;
            monthPtr[(int)(byMonth[start] >> 32) - firstMonth + 1]++;
            monthMovie.Add((int)(uint)byMonth[start]);
            monthCount.Add(t - start);
        }
        for (var m = 0; m + 1 < monthPtr.Length; m++)
            monthPtr[m + 1] += monthPtr[m];
        var mean = ratings.Length > 0 ? (float)(sum / ratings.Length) : 3.5f;
        var meanRating = new float[n];
        for (var i = 0; i < n; i++)
            meanRating[i] = (float)((sums[i] + 10 * mean) / (counts[i] + 10));
        return new FeatureSpace
        {
            Movies = map, Year = year, Genres = genres, GenreNames = [.. names], MonthPtr = ptr, Months = [.. months], Cum = [.. cum],
            MeanRating = meanRating, MaxTime = maxTime, GlobalMean = mean,
            ByMonthPtr = monthPtr, ByMonthMovie = [.. monthMovie], ByMonthCount = [.. monthCount], FirstDataMonth = firstMonth,
        };
    }
}
