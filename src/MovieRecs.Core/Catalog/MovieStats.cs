using MovieRecs.Core.MovieLens;

namespace MovieRecs.Core.Catalog;

/// <summary>
/// A movie's current aggregates. Ratings are multiples of 0.5, so the sum is kept as a count of half stars
/// (<see cref="SumHalves"/>) and stays exact however many ratings are added and removed.
/// </summary>
/// <param name="Count">Number of ratings.</param>
/// <param name="SumHalves">Sum of ratings × 2 (4.5 stars adds 9).</param>
/// <param name="WatchCount">Number of recorded watches.</param>
public sealed record MovieStats(int Count, long SumHalves, int WatchCount)
{
    /// <summary>No ratings, no watches.</summary>
    public static MovieStats Empty { get; } = new(0, 0, 0);

    public int Count { get; init; } = Count >= 0 ? Count : throw new ArgumentOutOfRangeException(nameof(Count), Count, "must be >= 0");
    public long SumHalves { get; init; } = SumHalves >= 0 ? SumHalves : throw new ArgumentOutOfRangeException(nameof(SumHalves), SumHalves, "must be >= 0");
    public int WatchCount { get; init; } = WatchCount >= 0 ? WatchCount : throw new ArgumentOutOfRangeException(nameof(WatchCount), WatchCount, "must be >= 0");

    /// <summary>Mean rating, or null when there are no ratings.</summary>
    public double? AverageRating => Count == 0 ? null : SumHalves / (2.0 * Count);

    /// <summary>Sum of the ratings in stars.</summary>
    public double Sum => SumHalves / 2.0;

    /// <summary>Stats with one more rating.</summary>
    public MovieStats AddRating(double rating) => this with { Count = Count + 1, SumHalves = SumHalves + ToHalves(rating) };

    /// <summary>Stats with one rating fewer (throws if there is none).</summary>
    public MovieStats RemoveRating(double rating) => Count == 0
        ? throw new InvalidOperationException("no rating to remove")
        : this with { Count = Count - 1, SumHalves = SumHalves - ToHalves(rating) };

    /// <summary>Stats with one rating changed from <paramref name="oldRating"/> to <paramref name="newRating"/>.</summary>
    public MovieStats ReplaceRating(double oldRating, double newRating) =>
        this with { SumHalves = SumHalves - ToHalves(oldRating) + ToHalves(newRating) };

    /// <summary>Stats with one more watch.</summary>
    public MovieStats AddWatch() => this with { WatchCount = WatchCount + 1 };

    /// <summary>A rating in half stars: 4.5 → 9. Throws unless it is 0.5..5.0 in steps of 0.5.</summary>
    public static int ToHalves(double rating) => RatingScale.TryToHalves(rating, out var halves)
        ? halves
        : throw new ArgumentOutOfRangeException(nameof(rating), rating, "a rating is 0.5..5.0 in steps of 0.5");

    /// <summary>
    /// Aggregates ratings per movie. Every rating counts as a watch too (a rating implies the user saw the movie).
    /// </summary>
    public static Dictionary<int, MovieStats> Aggregate(IEnumerable<RatingRow> ratings)
    {
        var acc = new Dictionary<int, (int Count, long Halves)>();
        foreach (var r in ratings)
        {
            ref var a = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(acc, r.MovieId, out _);
            a.Count++;
            a.Halves += ToHalves(r.Rating);
        }
        var result = new Dictionary<int, MovieStats>(acc.Count);
        foreach (var (id, a) in acc)
            result[id] = new MovieStats(a.Count, a.Halves, a.Count);
        return result;
    }
}
