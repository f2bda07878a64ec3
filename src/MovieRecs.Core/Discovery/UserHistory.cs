using MovieRecs.Core.Store;

namespace MovieRecs.Core.Discovery;

/// <summary>One of a user's ratings: 0.5..5.0 stars at a unix time (seconds).</summary>
public readonly record struct UserRating(int MovieId, double Rating, long UnixTime);

/// <summary>
/// What the discovery lists know about a user: their ratings (one per movie) and every movie they have seen,
/// rated or only marked watched. Immutable.
/// </summary>
public sealed class UserHistory
{
    readonly UserRating[] _ratings;
    readonly HashSet<int> _watched;
    // Before Empty: static initializers run in order.
    static readonly HashSet<int> NoMovies = [];

    /// <summary>A user with no ratings and nothing watched.</summary>
    public static UserHistory Empty { get; } = new([]);

    /// <param name="ratings">The user's ratings; should a movie appear twice, the later rating (by time, then position) wins.</param>
    /// <param name="watchedWithoutRating">Movies marked watched but not rated (rated movies count as watched anyway).</param>
    /// <param name="watchlist">Movies the user put on their watchlist: never recommended (they count as watched here).</param>
    public UserHistory(IEnumerable<UserRating> ratings, IEnumerable<int>? watchedWithoutRating = null, IEnumerable<int>? watchlist = null)
    {
        ArgumentNullException.ThrowIfNull(ratings);
        var list = ratings is ICollection<UserRating> c ? new List<UserRating>(c.Count) : [];
        _watched = new HashSet<int>(list.Capacity);
        var repeated = false;
        foreach (var r in ratings)
        {
            list.Add(r);
            repeated |= !_watched.Add(r.MovieId);
        }
        _ratings = repeated ? KeepLatest(list) : [.. list];
        if (_ratings.Length > 0)
        {
            var sum = 0.0;
            foreach (var r in _ratings)
                sum += r.Rating;
            MeanRating = sum / _ratings.Length;
        }
        if (watchedWithoutRating is not null)
            _watched.UnionWith(watchedWithoutRating);
        Watchlist = watchlist is null ? NoMovies : watchlist.ToHashSet();
        _watched.UnionWith(Watchlist);
    }

    /// <summary>What a favourite counts as in recommendations: the top of the scale, whatever the user rated it.</summary>
    public const double FavoriteRating = 5.0;

    /// <summary>
    /// The history recommendations use: the rows, with every favourite counted as a <see cref="FavoriteRating"/> rating
    /// (a strong positive signal, rated or not) and the watchlist left out of every list.
    /// </summary>
    public static UserHistory FromRows(IEnumerable<UserRatingRow> rows, UserPreferences preferences)
    {
        ArgumentNullException.ThrowIfNull(preferences);
        if (preferences.ByMovie.Count == 0)
            return FromRows(rows);
        var ratings = new Dictionary<int, UserRating>();
        var watched = new List<int>();
        foreach (var c in rows)
        {
            if (c.Rating is { } r)
                ratings[c.MovieId] = new UserRating(c.MovieId, r, c.UnixTime);
            else if (c.Watched)
                watched.Add(c.MovieId);
        }
        foreach (var p in preferences.ByMovie.Values.Where(p => p.Favorite))
            ratings[p.MovieId] = new UserRating(p.MovieId, FavoriteRating, ratings.TryGetValue(p.MovieId, out var rated) ? rated.UnixTime : p.Updated);
        return new UserHistory(ratings.Values, watched, preferences.Watchlist);
    }

    /// <summary>Movies on the user's watchlist (also in <see cref="Watched"/>, so no list recommends them).</summary>
    public IReadOnlySet<int> Watchlist { get; }

    static UserRating[] KeepLatest(List<UserRating> ratings)
    {
        var byMovie = new Dictionary<int, UserRating>();
        foreach (var r in ratings)
            if (!byMovie.TryGetValue(r.MovieId, out var seen) || r.UnixTime >= seen.UnixTime)
                byMovie[r.MovieId] = r;
        return [.. byMovie.Values];
    }

    /// <summary>The history held in a user's rating rows; tombstones (known-absent rows kept in memory) are skipped.</summary>
    public static UserHistory FromRows(IEnumerable<UserRatingRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var ratings = new List<UserRating>();
        var watched = new List<int>();
        foreach (var c in rows)
        {
            if (c.Rating is { } r)
                ratings.Add(new UserRating(c.MovieId, r, c.UnixTime));
            else if (c.Watched)
                watched.Add(c.MovieId);
        }
        return new UserHistory(ratings, watched);
    }

    /// <summary>The user's ratings, one per movie, in no particular order.</summary>
    public IReadOnlyList<UserRating> Ratings => _ratings;

    /// <summary>Every movie the user has rated or marked watched.</summary>
    public IReadOnlySet<int> Watched => _watched;

    /// <summary>True when the user rated or marked the movie watched.</summary>
    public bool HasWatched(int movieId) => _watched.Contains(movieId);

    /// <summary>Mean of the user's ratings, or null without ratings.</summary>
    public double? MeanRating { get; }
}
