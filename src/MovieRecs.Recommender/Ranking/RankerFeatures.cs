using System.Numerics;
using MovieRecs.Recommender.Algorithms;

namespace MovieRecs.Recommender.Ranking;

/// <summary>Candidate counts of the three sources the ranker reorders.</summary>
internal readonly record struct CandidateCounts(int Model, int Popular, int Content);

/// <summary>
/// Candidates and their features for one user: the base models' best (EASE + iALS blend), the movies most rated around
/// the user's latest activity, and content candidates (movies with almost no ratings whose genres and year fit the user).
/// One instance per thread; every buffer is reused.
/// </summary>
internal sealed class RankerFeatures
{
    public static readonly string[] Names =
    [
        "blend_score", "blend_rank", "ials_score", "ease_score",
        "log_ratings", "mean_rating", "log_ratings_month", "log_ratings_year", "months_since_first_rating", "age_years",
        "genre_affinity", "recent_genre_affinity", "recent_similarity",
        "user_log_ratings", "user_mean_rating", "user_log_span_days", "user_log_ratings_last_day", "user_cold_share", "source",
    ];
    public static int Count => Names.Length;

    /// <summary>Stands for a missing value (a movie off the base model, no year, ...): below every real value, so the
    /// trees split it off like any other and <see cref="TreeScorer"/> walks them exactly as ML.NET does.</summary>
    public const float Missing = -1e6f;

    const int RecentGenres = 20, RecentVectors = 5;

    float[] _ials = [], _ease = [], _easeScratch = [], _blend = [];
    int[] _mark = [], _counts = [], _touched = [], _rank = [];
    byte[] _source = [];
    int _stamp;
    TopK _heap = new(256);
    readonly double[] _genre = new double[64], _recentGenre = new double[64];
    float[] _recentVector = [];

    /// <summary>Universe indices of the candidates, in the order of <see cref="Features"/>' rows.</summary>
    public int[] Candidates = [];
    public float[] Features = [];
    public int CandidateCount;
    public float[] Blend => _blend;

    /// <summary>
    /// Builds the candidates and features of one user. <paramref name="history"/> is the user's ratings sorted by time
    /// (the newest last); <paramref name="profile"/> the base model's profile of the same ratings (null or empty: no
    /// model candidates). Movies in <paramref name="excluded"/> (universe indices) and, unless
    /// <paramref name="includeRated"/>, rated ones are never candidates.
    /// </summary>
    public int Build(RankerContext c, UserProfile? profile, ReadOnlySpan<RatedMovie> history, ReadOnlySpan<int> excluded, bool includeRated, CandidateCounts counts)
    {
        var space = c.Space;
        var model = c.Model;
        Ensure(space.Count, model.MovieCount, model.EaseMovieCount, model.ItemVectorDimensions, counts);
        var stamp = NextStamp();
        var mark = _mark;
        const int Excluded = 1 << 30;
        foreach (var j in excluded)
            mark[j] = stamp | Excluded;
        if (!includeRated)
            foreach (var r in history)
            {
                var j = space.Movies.IndexOf(r.MovieId);
                if (j >= 0)
                    mark[j] = stamp | Excluded;
            }

        // the user's own figures, as of their newest rating (never later than the data)
        var n = history.Length;
        var now = n > 0 ? Math.Min(history[n - 1].Time, space.MaxTime) : space.MaxTime;
        var month = FeatureSpace.MonthOf(now);
        var year = (float)DateTimeOffset.FromUnixTimeSeconds(Math.Max(0, now)).Year;
        double sum = 0;
        var lastDay = 0;
        var coldRated = 0;
        Array.Clear(_genre);
        Array.Clear(_recentGenre);
        var dims = model.ItemVectorDimensions;
        var recent = _recentVector.AsSpan(0, dims);
        recent.Clear();
        var recentCount = 0;
        var norms = model.IalsNorms();
        for (var t = 0; t < n; t++)
        {
            var r = history[t];
            sum += r.Rating;
            if (now - r.Time <= 86400)
                lastDay++;
            var j = space.Movies.IndexOf(r.MovieId);
            if (j < 0)
                continue;
            if (space.Total(j) < 5)
                coldRated++;
            AddGenres(_genre, space.Genres[j]);
            if (t >= n - RecentGenres)
                AddGenres(_recentGenre, space.Genres[j]);
        }
        for (var t = n - 1; t >= 0 && recentCount < RecentVectors; t--)
        {
            var b = model.MovieIndex(history[t].MovieId);
            if (b < 0 || norms[b] == 0)
                continue;
            Simd.MultiplyAdd(model.IalsItemVector(b), 1 / norms[b], recent);
            recentCount++;
        }
        var recentNorm = recentCount > 0 ? MathF.Sqrt(Simd.Dot(recent, recent)) : 0;
        Normalise(_genre, Math.Min(n, int.MaxValue));
        Normalise(_recentGenre, Math.Min(n, RecentGenres));
        var userMean = n > 0 ? (float)(sum / n) : space.GlobalMean;
        var span = n > 0 ? (history[n - 1].Time - history[0].Time) / 86400.0 : 0;

        CandidateCount = 0;
        // 1. the base models' best
        var hasModel = profile is { RatingCount: > 0 };
        var easeOk = false;
        float muI = 0, sdI = 0, muE = 0, sdE = 0;
        var nb = model.MovieCount;
        if (hasModel)
        {
            easeOk = model.BaseScores(profile!, _ials, _ease, _easeScratch);
            (muI, sdI) = Moments(_ials.AsSpan(0, nb));
            (muE, sdE) = Moments(_ease.AsSpan(0, nb));
            var wI = sdI > 0 ? model.Options.IalsBlendWeight / sdI : 0;
            var wE = easeOk && sdE > 0 ? 1 / sdE : 0;
            for (var b = 0; b < nb; b++)
            {
                var e = _ease[b];
                _blend[b] = (float)((_ials[b] - muI) * wI + ((float.IsNaN(e) ? 0 : e) - muE) * wE);
            }
            if (counts.Model > 0)
            {
                _heap.Reset(Math.Min(counts.Model, nb));
                var universe = c.UniverseOf;
                for (var b = 0; b < nb; b++)
                    if (mark[universe[b]] != (stamp | Excluded))
                        _heap.Offer(b, _blend[b]);
                var got = _heap.Count;
                var keys = new int[got];
                var vals = new float[got];
                _heap.DrainBestFirst(keys, vals);
                for (var t = 0; t < got; t++)
                    Add(universe[keys[t]], stamp, 1, t);
            }
        }

        // 2. what was rated around the user's latest activity (the month before and after)
        if (counts.Popular > 0)
        {
            var touched = space.AccumulateWindow(month - 1, month + 1, _counts, _touched, 0);
            _heap.Reset(counts.Popular);
            for (var t = 0; t < touched; t++)
            {
                var j = _touched[t];
                if (mark[j] != (stamp | Excluded))
                    _heap.Offer(j, _counts[j]);
            }
            for (var t = 0; t < touched; t++)
                _counts[_touched[t]] = 0;
            AddHeap(stamp, 2);
        }

        // 3. content: movies (almost) nobody rated yet, recent for the user, in genres they rate
        if (counts.Content > 0)
        {
            _heap.Reset(counts.Content);
            foreach (var j in space.Cold())
            {
                if (mark[j] == (stamp | Excluded))
                    continue;
                var y = space.Year[j];
                var fresh = !float.IsNaN(y) && y >= year - 1 ? 1f : 0f;
                _heap.Offer(j, fresh + (float)Affinity(_genre, space.Genres[j]));
            }
            AddHeap(stamp, 4);
        }

        // features
        var f = Count;
        if (Features.Length < CandidateCount * f)
            Features = new float[Math.Max(CandidateCount * f, 2 * Features.Length)];
        var userLog = MathF.Log(1 + n);
        var spanLog = (float)Math.Log(1 + span);
        var lastDayLog = MathF.Log(1 + lastDay);
        for (var t = 0; t < CandidateCount; t++)
        {
            var j = Candidates[t];
            var row = Features.AsSpan(t * f, f);
            var b = c.BaseOf[j];
            var inModel = hasModel && b >= 0;
            row[0] = inModel ? _blend[b] : float.NaN;
            row[1] = _rank[t] >= 0 ? MathF.Log2(2 + _rank[t]) : float.NaN;
            row[2] = inModel && sdI > 0 ? (_ials[b] - muI) / sdI : float.NaN;
            row[3] = inModel && easeOk && sdE > 0 && !float.IsNaN(_ease[b]) ? (_ease[b] - muE) / sdE : float.NaN;
            row[4] = MathF.Log(1 + space.Total(j));
            row[5] = space.MeanRating[j];
            row[6] = MathF.Log(1 + space.CountIn(j, month - 1, month + 1));
            row[7] = MathF.Log(1 + space.CountIn(j, month - 12, month + 12));
            row[8] = space.FirstMonth(j) is { } first ? month - first : float.NaN;
            row[9] = year - space.Year[j];
            row[10] = (float)Affinity(_genre, space.Genres[j]);
            row[11] = (float)Affinity(_recentGenre, space.Genres[j]);
            row[12] = b >= 0 && recentNorm > 0 && norms[b] > 0 ? Simd.Dot(model.IalsItemVector(b), recent) / (norms[b] * recentNorm) : float.NaN;
            row[13] = userLog;
            row[14] = userMean;
            row[15] = spanLog;
            row[16] = lastDayLog;
            row[17] = n > 0 ? coldRated / (float)n : 0;
            row[18] = _source[t];
            for (var k = 0; k < f; k++)
                if (float.IsNaN(row[k]))
                    row[k] = Missing;
        }
        return CandidateCount;
    }

    void AddHeap(int stamp, byte source)
    {
        var got = _heap.Count;
        Span<int> keys = got <= 512 ? stackalloc int[got] : new int[got];
        Span<float> vals = got <= 512 ? stackalloc float[got] : new float[got];
        _heap.DrainBestFirst(keys, vals);
        for (var t = 0; t < got; t++)
            Add(keys[t], stamp, source, -1);
    }

    /// <summary>Adds a candidate once; a movie found by several sources keeps the first rank and all source bits.</summary>
    void Add(int j, int stamp, byte source, int rank)
    {
        if (_mark[j] == stamp)
        {
            for (var t = 0; t < CandidateCount; t++)
                if (Candidates[t] == j)
                {
                    _source[t] |= source;
                    return;
                }
            return;
        }
        _mark[j] = stamp;
        if (Candidates.Length == CandidateCount)
        {
            Array.Resize(ref Candidates, Math.Max(64, 2 * CandidateCount));
            Array.Resize(ref _rank, Candidates.Length);
            Array.Resize(ref _source, Candidates.Length);
        }
        Candidates[CandidateCount] = j;
        _rank[CandidateCount] = rank;
        _source[CandidateCount] = source;
        CandidateCount++;
    }

    int NextStamp()
    {
        if (++_stamp >= 1 << 29)
        {
            Array.Clear(_mark);
            _stamp = 1;
        }
        return _stamp;
    }

    void Ensure(int universe, int movies, int easeMovies, int dims, CandidateCounts counts)
    {
        if (_mark.Length < universe)
        {
            _mark = new int[universe];
            _counts = new int[universe];
            _touched = new int[universe];
            _stamp = 0;
        }
        if (_ials.Length < movies)
        {
            _ials = new float[movies];
            _ease = new float[movies];
            _blend = new float[movies];
        }
        if (_easeScratch.Length < easeMovies)
            _easeScratch = new float[easeMovies];
        if (_heap.Capacity < Math.Max(counts.Model, Math.Max(counts.Popular, counts.Content)))
            _heap = new TopK(Math.Max(counts.Model, Math.Max(counts.Popular, counts.Content)));
        if (_recentVector.Length < dims)
            _recentVector = new float[dims];
    }

    static void AddGenres(double[] into, ulong genres)
    {
        while (genres != 0)
        {
            into[BitOperations.TrailingZeroCount(genres)]++;
            genres &= genres - 1;
        }
    }

    static void Normalise(double[] shares, int ratings)
    {
        if (ratings <= 0)
            return;
        for (var g = 0; g < shares.Length; g++)
            shares[g] /= ratings;
    }

    /// <summary>Mean share of the user's ratings in the movie's genres (0 without genres).</summary>
    static double Affinity(double[] shares, ulong genres)
    {
        var count = BitOperations.PopCount(genres);
        if (count == 0)
            return 0;
        double s = 0;
        while (genres != 0)
        {
            s += shares[BitOperations.TrailingZeroCount(genres)];
            genres &= genres - 1;
        }
        return s / count;
    }

    static (float Mean, float Sd) Moments(ReadOnlySpan<float> x)
    {
        double s = 0, s2 = 0;
        foreach (var v0 in x)
        {
            var v = float.IsNaN(v0) ? 0 : v0; // off the EASE set: 0, as in the blend
            s += v;
            s2 += (double)v * v;
        }
        var mean = s / Math.Max(1, x.Length);
        var variance = s2 / Math.Max(1, x.Length) - mean * mean;
        return ((float)mean, variance > 1e-18 ? (float)Math.Sqrt(variance) : 0);
    }
}

/// <summary>A base model bound to the ranker's movie universe: index maps both ways.</summary>
internal sealed class RankerContext
{
    public RankerContext(RecommenderModel model, FeatureSpace space)
    {
        Model = model;
        Space = space;
        BaseOf = new int[space.Count];
        for (var j = 0; j < space.Count; j++)
            BaseOf[j] = model.MovieIndex(space.Movies.ExternalId(j));
        UniverseOf = new int[model.MovieCount];
        for (var b = 0; b < model.MovieCount; b++)
        {
            var j = space.Movies.IndexOf(model.MovieIdAt(b));
            UniverseOf[b] = j >= 0 ? j : throw new ArgumentException($"movie {model.MovieIdAt(b)} of the model is not in the ranker's movies");
        }
    }

    public RecommenderModel Model { get; }
    public FeatureSpace Space { get; }
    public int[] BaseOf { get; }
    public int[] UniverseOf { get; }
}
