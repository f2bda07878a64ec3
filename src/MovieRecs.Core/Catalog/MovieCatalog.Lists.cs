namespace MovieRecs.Core.Catalog;

/// <summary>Ranked lists computed from the in-memory aggregates (top k in O(n log k), no sort of the catalog).</summary>
public sealed partial class MovieCatalog
{
    /// <summary>Weight of the average rating in <see cref="PopularityScore"/>.</summary>
    public const double PopularityRatingWeight = 0.7;

    /// <summary>Weight of the watch count in <see cref="PopularityScore"/>.</summary>
    public const double PopularityWatchWeight = 0.3;

    /// <summary>The published popularity formula: average rating × 0.7 + watch count × 0.3 (unrated: watch count × 0.3).</summary>
    public static double PopularityScore(MovieStats stats) =>
        (stats.AverageRating ?? 0) * PopularityRatingWeight + stats.WatchCount * PopularityWatchWeight;

    /// <summary>
    /// Most popular first by <see cref="PopularityScore"/>, among movies with at least <paramref name="minVotes"/>
    /// ratings (so one 5-star rating does not top the list). Ties: more watches, more ratings, lower id.
    /// </summary>
    public IReadOnlyList<Movie> Popular(int take, int minVotes) =>
        TopK(take, s => s.Count >= Math.Max(1, minVotes), s => new RankKey(PopularityScore(s), s.WatchCount, s.Count));

    /// <summary>
    /// Best rated first by the Bayesian average (<see cref="BayesianPriorWeight"/> ratings of the global mean added to
    /// the movie's own), among movies whose plain average is at least <paramref name="minAverage"/> and that have at
    /// least <paramref name="minVotes"/> ratings. Ties: more ratings, lower id.
    /// </summary>
    public IReadOnlyList<Movie> TopRated(int take, double minAverage = 3.0, int minVotes = 1)
    {
        var mean = GlobalAverageRating ?? 0;
        return TopK(take, s => s.Count >= Math.Max(1, minVotes) && s.AverageRating >= minAverage,
            s => new RankKey(Bayesian(s, mean), s.Count, 0));
    }

    /// <summary>Most watched first (rated or marked watched); ties: more ratings, lower id. Unwatched movies are left out.</summary>
    public IReadOnlyList<Movie> MostWatched(int take) =>
        TopK(take, s => s.WatchCount > 0, s => new RankKey(s.WatchCount, s.Count, 0));

    readonly record struct RankKey(double Primary, long Secondary, long Tertiary);

    IReadOnlyList<Movie> TopK(int take, Func<MovieStats, bool> eligible, Func<MovieStats, RankKey> key)
    {
        if (take <= 0)
            return [];
        // Min-heap of the best k so far: the root is the worst kept, replaced when a better one comes.
        var heap = new PriorityQueue<int, (RankKey Key, int Index)>(take + 1, WorstFirst.Instance);
        for (var i = 0; i < _movies.Length; i++)
        {
            var s = Volatile.Read(ref _stats[i]);
            if (!eligible(s))
                continue;
            var k = (key(s), i);
            if (heap.Count < take)
                heap.Enqueue(i, k);
            else if (heap.TryPeek(out _, out var worst) && WorstFirst.Instance.Compare(k, worst) > 0)
                heap.EnqueueDequeue(i, k);
        }
        var result = new Movie[heap.Count];
        for (var n = result.Length - 1; n >= 0; n--)
            result[n] = _movies[heap.Dequeue()];
        return result;
    }

    /// <summary>Orders worse before better: lower key, then higher index (the lower id wins ties).</summary>
    sealed class WorstFirst : IComparer<(RankKey Key, int Index)>
    {
        public static readonly WorstFirst Instance = new();

        public int Compare((RankKey Key, int Index) a, (RankKey Key, int Index) b)
        {
            var c = a.Key.Primary.CompareTo(b.Key.Primary);
            if (c != 0) return c;
            c = a.Key.Secondary.CompareTo(b.Key.Secondary);
            if (c != 0) return c;
            c = a.Key.Tertiary.CompareTo(b.Key.Tertiary);
            if (c != 0) return c;
            return b.Index.CompareTo(a.Index);
        }
    }
}
