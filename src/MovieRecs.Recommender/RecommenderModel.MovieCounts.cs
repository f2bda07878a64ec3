namespace MovieRecs.Recommender;

public sealed partial class RecommenderModel
{
    int[]? _movieRatingCounts;

    /// <summary>
    /// How many training ratings the model has for <paramref name="movieId"/> (0 when unknown): how much its
    /// <see cref="ItemVector"/> can be trusted. Counted from the stored ratings on first use.
    /// </summary>
    public int MovieRatingCount(int movieId)
    {
        var i = ItemMap.IndexOf(movieId);
        if (i < 0)
            return 0;
        var counts = Volatile.Read(ref _movieRatingCounts);
        if (counts is null)
        {
            // racing threads compute the same array; keeping either is fine
            counts = new int[ItemMap.Count];
            foreach (var item in UserItems)
                counts[item]++;
            counts = Interlocked.CompareExchange(ref _movieRatingCounts, counts, null) ?? counts;
        }
        return counts[i];
    }
}
