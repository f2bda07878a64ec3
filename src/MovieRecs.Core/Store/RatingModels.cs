using Azure;
using MovieRecs.Core.Catalog;
using Azure.Data.Tables;

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
/// The state of one (user, movie) pair in the user's partition of <c>ratings</c>: rated (Rating set), or
/// watched without a rating (Rating null). An absent row means neither.
/// </summary>
/// <param name="Seq">The pair's write sequence (see <see cref="RatingStore"/>): orders the rating log's lines.</param>
public sealed record PairRow(double? Rating, long UnixTime, long Seq)
{
    /// <summary>The rating's review text (at most <see cref="MaxReviewLength"/> characters); only a rated pair has one.</summary>
    public string? Review { get; init; }

    public const int MaxReviewLength = 2000;

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
    /// <summary>Change an existing rating's score (NaN: keep it) and review (null: keep it, "": remove it); NotFound when not rated.</summary>
    Edit,
}

/// <param name="Review">For Rate and Edit: the review text; null keeps the stored one, "" removes it.</param>
public readonly record struct PairChange(int UserId, PairChangeKind Kind, double Rating, long UnixTime, string? Review = null);

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

/// <summary>The result of one change: the pair's state after it, and its sequence (for the rating log).</summary>
/// <param name="Row">The pair after the change; null when absent.</param>
/// <param name="Seq">The row's Seq, or when absent the partition's sequence for the movie at the time (orders a removal in the log).</param>
public sealed record PairResult(PairOutcome Outcome, PairRow? Row, long Seq);

/// <summary>A user's row of a pair as this instance knows it: rated, watched only, or removed (a tombstone: known absent, only in memory).</summary>
public sealed record UserRatingRow(int MovieId, double? Rating, bool Watched, long UnixTime, long Seq, ETag ETag)
{
    public string? Review { get; init; }

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
    public const string Review = "Review";

    public const string MovieId = "MovieId";

    /// <summary>A pair's row; null <paramref name="row"/> is just the key (a delete).</summary>
    public static TableEntity PairEntity(int userId, int movieId, PairRow? row)
    {
        var e = new TableEntity(MovieStore.UserKey(userId), MovieStore.PairRowKey(userId, movieId));
        if (row is null)
            return e;
        e[MovieId] = movieId;
        e[UnixTime] = row.UnixTime;
        e[Seq] = row.Seq;
        if (row.Rating is { } r) e[Rating] = r;
        else e[Watched] = true;
        if (row.Review is { } review) e[Review] = review;
        return e;
    }

    public static PairRow ToPairRow(TableEntity e) =>
        new(e.GetDouble(Rating), e.GetInt64(UnixTime) ?? 0, e.GetInt64(Seq) ?? 0) { Review = e.GetString(Review) };

    public static UserRatingRow ToUserRow(TableEntity e) => new(
        MovieStore.TryParsePairRowKey(e.RowKey, out _, out var movieId) ? movieId : throw new FormatException($"not a rating row key: {e.RowKey}"),
        e.GetDouble(Rating),
        e.GetBoolean(Watched) ?? false,
        e.GetInt64(UnixTime) ?? 0,
        e.GetInt64(Seq) ?? 0,
        e.ETag) { Review = e.GetString(Review) };

    /// <summary>What this instance knows after writing <paramref name="row"/> (null: removed) with the given ETag.</summary>
    public static UserRatingRow ToUserRow(int movieId, PairRow? row, long seq, ETag etag) => row is null
        ? new UserRatingRow(movieId, null, false, 0, seq, default)
        : new UserRatingRow(movieId, row.Rating, row.Rating is null, row.UnixTime, row.Seq, etag) { Review = row.Review };

    public static TableEntity StatsRow(int partition, int movieId, MovieStats stats, long seq)
    {
        var e = MovieStore.ToStatsEntity(partition, movieId, stats);
        e[Seq] = seq;
        return e;
    }
}
