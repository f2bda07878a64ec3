namespace MovieRecs.Core.Discovery;

public enum TrendingWindow
{
    Day,
    Week,
    Month,
}

/// <summary>What a trending list is measured back from.</summary>
public enum TrendingAnchor
{
    /// <summary>The time asked for: the window held ratings.</summary>
    Now,
    /// <summary>The newest rating recorded: nothing was rated within the window before now (an old imported data set).</summary>
    NewestRating,
}

/// <summary>A trending movie.</summary>
/// <param name="Score">Σ over its ratings in the window of 2^(−age ÷ half-life): a rating at the anchor time counts 1.</param>
/// <param name="Ratings">Its ratings in the window, undecayed.</param>
public readonly record struct TrendingMovie(int MovieId, double Score, int Ratings)
{
    /// <summary>Worse before better: lower score, then fewer ratings, then higher id.</summary>
    internal static readonly IComparer<TrendingMovie> WorseFirst = Comparer<TrendingMovie>.Create((a, b) =>
    {
        var c = a.Score.CompareTo(b.Score);
        if (c != 0) return c;
        c = a.Ratings.CompareTo(b.Ratings);
        return c != 0 ? c : b.MovieId.CompareTo(a.MovieId);
    });
}

/// <param name="AsOf">The end of the window (UTC): the time asked for, or the newest rating's time.</param>
/// <param name="Movies">Best first.</param>
public sealed record TrendingResult(TrendingWindow Window, DateTimeOffset AsOf, TrendingAnchor Anchor, TimeSpan HalfLife, IReadOnlyList<TrendingMovie> Movies);

/// <summary>
/// Movies ranked by recent rating activity (<see cref="RatingActivity"/>), recent ratings counting more.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Window: a day, 7 days or 30 days back from the anchor; only ratings in (anchor − window, anchor] count.</item>
/// <item>Decay: exponential with a half-life of a quarter of the window (6 hours, 42 hours, 7.5 days): a rating at the
/// window's far edge still counts 1/16, so the whole window matters but the latest part most.</item>
/// <item>Anchor: the time asked for; when the window before it holds no rating, the newest rating recorded instead
/// (reported in <see cref="TrendingResult.Anchor"/> and <see cref="TrendingResult.AsOf"/>), so an imported data set
/// that ends years ago still shows what was trending at its end.</item>
/// <item>Ties: more ratings, then lower id.</item>
/// <item>Cost: each window's top 100 is cached for <see cref="DefaultCacheFor"/> (one second, in the times asked for)
/// and, beyond that, until the activity changes. A recompute scans the held events once; callers arriving meanwhile get
/// the previous list (if under a minute old) instead of waiting.</item>
/// </list>
/// </remarks>
public sealed class Trending
{
    public const int MaxLimit = 100;
    public static readonly TimeSpan DefaultCacheFor = TimeSpan.FromSeconds(1);
    const long StaleWhileBusySeconds = 60;

    readonly RatingActivity _activity;
    readonly long _cacheForSeconds;
    readonly Cached?[] _cache = new Cached?[3];
    readonly object[] _gates = [new(), new(), new()];

    sealed record Cached(long AskedAt, long Version, TrendingResult Result);

    /// <param name="cacheFor">How long (in the times asked for) a window's list is served without recomputing,
    /// even though ratings arrive meanwhile. Zero recomputes whenever the activity changed.</param>
    public Trending(RatingActivity activity, TimeSpan? cacheFor = null)
    {
        ArgumentNullException.ThrowIfNull(activity);
        _activity = activity;
        _cacheForSeconds = (long)(cacheFor ?? DefaultCacheFor).TotalSeconds;
    }

    public static TimeSpan Length(TrendingWindow window) => window switch
    {
        TrendingWindow.Day => TimeSpan.FromDays(1),
        TrendingWindow.Week => TimeSpan.FromDays(7),
        TrendingWindow.Month => TimeSpan.FromDays(30),
        _ => throw new ArgumentOutOfRangeException(nameof(window), window, null),
    };

    public static TimeSpan HalfLife(TrendingWindow window) => Length(window) / 4;

    /// <summary>"day", "week" or "month", any case.</summary>
    public static bool TryParseWindow(string? text, out TrendingWindow window)
    {
        window = TrendingWindow.Week;
        switch (text?.Trim().ToLowerInvariant())
        {
            case "day": window = TrendingWindow.Day; return true;
            case "week": window = TrendingWindow.Week; return true;
            case "month": window = TrendingWindow.Month; return true;
            default: return false;
        }
    }

    /// <summary>The <paramref name="limit"/> (1..100) movies trending in the window ending at <paramref name="now"/>.</summary>
    public TrendingResult Compute(TrendingWindow window, DateTimeOffset now, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, MaxLimit);
        var slot = (int)window;
        if ((uint)slot >= _cache.Length)
            throw new ArgumentOutOfRangeException(nameof(window), window, null);
        var askedAt = now.ToUnixTimeSeconds();

        var cached = Volatile.Read(ref _cache[slot]);
        if (!Fresh(cached, askedAt))
        {
            // While one caller recomputes, the others take the last list if it is under a minute old rather than queue.
            var busy = !Monitor.TryEnter(_gates[slot]);
            if (busy && cached is not null && askedAt >= cached.AskedAt && askedAt - cached.AskedAt < StaleWhileBusySeconds)
                return Slice(cached.Result, limit);
            if (busy)
                Monitor.Enter(_gates[slot]);
            try
            {
                cached = _cache[slot];
                if (!Fresh(cached, askedAt))
                {
                    var version = _activity.Version;   // read first: a change during the scan leaves the cache stale, never wrong
                    cached = new Cached(askedAt, version, Rank(window, askedAt));
                    Volatile.Write(ref _cache[slot], cached);
                }
            }
            finally
            {
                Monitor.Exit(_gates[slot]);
            }
        }
        return Slice(cached!.Result, limit);
    }

    static TrendingResult Slice(TrendingResult result, int limit) =>
        result.Movies.Count <= limit ? result : result with { Movies = result.Movies.Take(limit).ToArray() };

    bool Fresh(Cached? cached, long askedAt)
    {
        if (cached is null || askedAt < cached.AskedAt)
            return false;
        return askedAt - cached.AskedAt < _cacheForSeconds || (askedAt == cached.AskedAt && cached.Version == _activity.Version);
    }

    TrendingResult Rank(TrendingWindow window, long askedAt)
    {
        var length = (long)Length(window).TotalSeconds;
        var halfLife = HalfLife(window);
        var anchor = TrendingAnchor.Now;
        var asOf = askedAt;
        var movies = _activity.Top(asOf - length, asOf, halfLife.TotalSeconds, MaxLimit);
        if (movies.Length == 0 && _activity.NewestUnixTime is { } newest)
        {
            anchor = TrendingAnchor.NewestRating;
            asOf = newest;
            movies = _activity.Top(asOf - length, asOf, halfLife.TotalSeconds, MaxLimit);
        }
        return new TrendingResult(window, DateTimeOffset.FromUnixTimeSeconds(asOf), anchor, halfLife, movies);
    }
}
