using Azure;
using MovieRecs.Core.Catalog;
using MovieRecs.Storage.Tables;

namespace MovieRecs.Core.Store;

/// <summary>
/// A rating's public id, derived from its (user, movie) pair so a read or delete by id is a direct key read:
/// <c>rating_id = user_id × 2^24 + movie_id</c>. User ids below 2^29 and movie ids below 2^24 keep every id below
/// 2^53, exact in a JavaScript number. Re-rating keeps the id: it is the same rating, replaced.
/// </summary>
public static class RatingId
{
    public const int MovieBits = 24;
    public const int MaxMovieId = (1 << MovieBits) - 1;   // 16,777,215
    public const int MaxUserId = (1 << 29) - 1;           // 536,870,911

    public static bool IsRatableUser(long userId) => userId is >= 1 and <= MaxUserId;
    public static bool IsRatableMovie(long movieId) => movieId is >= 0 and <= MaxMovieId;

    public static long Encode(int userId, int movieId)
    {
        if (!IsRatableUser(userId)) throw new ArgumentOutOfRangeException(nameof(userId), userId, $"must be 1..{MaxUserId}");
        if (!IsRatableMovie(movieId)) throw new ArgumentOutOfRangeException(nameof(movieId), movieId, $"must be 0..{MaxMovieId}");
        return ((long)userId << MovieBits) | (uint)movieId;
    }

    /// <summary>The (user, movie) pair of an id; false for anything no rating can have.</summary>
    public static bool TryDecode(long ratingId, out int userId, out int movieId)
    {
        userId = movieId = 0;
        if (ratingId < 1L << MovieBits || ratingId > ((long)MaxUserId << MovieBits | MaxMovieId))
            return false;
        userId = (int)(ratingId >> MovieBits);
        movieId = (int)(ratingId & MaxMovieId);
        return true;
    }
}

/// <summary>
/// The state of one (user, movie) pair in the movie's partition of <c>ratings</c>: rated (Rating set), or
/// watched without a rating (Rating null). An absent row means neither.
/// </summary>
/// <param name="Seq">The pair's write sequence (see <see cref="RatingStore"/>): orders the user copies.</param>
public sealed record PairRow(double? Rating, long UnixTime, long Seq)
{
    public bool IsRated => Rating is not null;
    public DateTime Time => DateTimeOffset.FromUnixTimeSeconds(UnixTime).UtcDateTime;
}

/// <summary>What a write asks of a (user, movie) pair.</summary>
public enum PairChangeKind
{
    /// <summary>Create or replace the rating (a watch-only mark becomes a rating; the same value again changes nothing).</summary>
    Rate,
    /// <summary>Mark watched without rating (no change when already watched or rated).</summary>
    Watch,
    /// <summary>Remove a watch-only mark (refused when the pair is rated).</summary>
    Unwatch,
    /// <summary>Remove the rating (and the watch it implied).</summary>
    RemoveRating,
}

/// <param name="MayExist">A hint that the pair row probably exists (this instance knows a copy of it): read it first
/// rather than try a blind insert that would fail. Only affects cost, never the outcome.</param>
public readonly record struct PairChange(int UserId, PairChangeKind Kind, double Rating, long UnixTime, bool MayExist = false);

public enum PairOutcome
{
    Created,
    Replaced,
    Unchanged,
    Removed,
    /// <summary>Nothing to remove.</summary>
    NotFound,
    /// <summary>Unwatch of a rated pair.</summary>
    Conflict,
}

/// <summary>The result of one change: the pair's state after it, and the sequence its user copy must carry.</summary>
/// <param name="Row">The pair after the change; null when absent.</param>
/// <param name="Seq">The row's Seq, or when absent the movie's sequence at the time (orders the user copy's tombstone).</param>
/// <param name="Stats">The movie's aggregates after the change (when known).</param>
public sealed record PairResult(PairOutcome Outcome, PairRow? Row, long Seq, MovieStats? Stats);

/// <summary>A user's copy of a pair in <c>userratings</c> (the user's partition): rated, watched only, or removed (tombstone).</summary>
public sealed record UserCopy(int MovieId, double? Rating, bool Watched, long UnixTime, long Seq, ETag ETag)
{
    public bool IsRated => Rating is not null;
    public bool IsWatched => Watched || Rating is not null;
    public bool IsTombstone => !IsWatched;
    public DateTime Time => DateTimeOffset.FromUnixTimeSeconds(UnixTime).UtcDateTime;
}

/// <summary>Row layouts of the rating tables (see <see cref="MovieStore"/>).</summary>
public static class RatingRows
{
    public const string Rating = "Rating";
    public const string UnixTime = "UnixTime";
    public const string Seq = "Seq";
    public const string Watched = "Watched";
    public const string Removed = "Removed";

    public static TableEntity MovieRow(int movieId, int userId, PairRow row)
    {
        var e = new TableEntity(MovieStore.MovieKey(movieId), MovieStore.PairRowKey(movieId, userId))
        {
            [UnixTime] = row.UnixTime,
            [Seq] = row.Seq,
        };
        if (row.Rating is { } r) e[Rating] = r;
        else e[Watched] = true;
        return e;
    }

    public static PairRow ToPairRow(TableEntity e) =>
        new(e.GetDouble(Rating), e.GetInt64(UnixTime) ?? 0, e.GetInt64(Seq) ?? 0);

    /// <summary>The user's copy of a pair state; null <paramref name="row"/> writes a tombstone.</summary>
    public static TableEntity UserRow(int userId, int movieId, PairRow? row, long seq, long removedAt)
    {
        var e = new TableEntity(MovieStore.UserKey(userId), MovieStore.CopyRowKey(userId, movieId)) { [Seq] = seq };
        if (row is null)
        {
            e[Removed] = true;
            e[UnixTime] = removedAt;
        }
        else
        {
            e[UnixTime] = row.UnixTime;
            if (row.Rating is { } r) e[Rating] = r;
            else e[Watched] = true;
        }
        return e;
    }

    public static UserCopy ToUserCopy(TableEntity e) => new(
        MovieStore.TryParseCopyRowKey(e.RowKey, out _, out var movieId) ? movieId : throw new FormatException($"not a user copy row key: {e.RowKey}"),
        e.GetDouble(Rating),
        e.GetBoolean(Watched) ?? false,
        e.GetInt64(UnixTime) ?? 0,
        e.GetInt64(Seq) ?? 0,
        e.ETag);

    public static TableEntity StatsRow(int movieId, MovieStats stats, long seq)
    {
        var e = MovieStore.ToStatsEntity(movieId, stats);
        e[Seq] = seq;
        return e;
    }
}
