using MovieRecs.Core.Catalog;
using MovieRecs.Core.Store;

namespace MovieRecs.Core.Tests;

public class RatingListsTests
{
    static MovieCatalog Catalog(params (int Id, int Count, double Average, int Watches)[] movies)
    {
        var catalog = new MovieCatalog(movies.Select(m => Movie.Create(m.Id, $"Movie {m.Id} (2000)", "Drama")).Append(Movie.Create(999, "Unseen (2000)", "Drama")));
        foreach (var m in movies)
            catalog.SetStats(m.Id, new MovieStats(m.Count, (long)Math.Round(m.Average * 2 * m.Count), m.Watches));
        return catalog;
    }

    [Fact]
    public void Popular_ranks_by_average_x_0_7_plus_watches_x_0_3_among_movies_with_enough_votes()
    {
        var c = Catalog((1, 1, 5.0, 1), (2, 5, 3.0, 5), (3, 6, 4.5, 6), (4, 20, 2.0, 20), (5, 10, 4.0, 10), (6, 4, 5.0, 40));
        Assert.Equal([4, 5, 3, 2], c.Popular(10, minVotes: 5).Select(m => m.Id));
        Assert.Equal([6, 4, 5, 3, 1, 2], c.Popular(10, minVotes: 1).Select(m => m.Id));   // 6: 3.5 + 12 = 15.5; 1: 3.8 > 2: 3.6
        Assert.Equal([4, 5], c.Popular(2, minVotes: 5).Select(m => m.Id));
        Assert.Empty(c.Popular(0, 5));
    }

    [Fact]
    public void Ties_go_to_more_watches_then_more_ratings_then_the_lower_id()
    {
        var c = Catalog((7, 10, 4.0, 10), (3, 10, 4.0, 10), (5, 10, 4.0, 10));
        Assert.Equal([3, 5, 7], c.Popular(10, 1).Select(m => m.Id));
        Assert.Equal([3, 5, 7], c.MostWatched(10).Select(m => m.Id));
        Assert.Equal([3, 5, 7], c.TopRated(10).Select(m => m.Id));
    }

    [Fact]
    public void Top_rated_needs_an_average_of_3_and_ranks_by_the_bayesian_average()
    {
        var c = Catalog((1, 1, 5.0, 1), (2, 200, 4.4, 200), (3, 3, 4.9, 3), (4, 50, 2.9, 50));
        var top = c.TopRated(10).Select(m => m.Id).ToList();
        Assert.Equal([2, 3, 1], top);                       // many 4.4s beat three 4.9s beat one 5.0; 4 averages below 3.0
        Assert.Equal(c.BayesianRating(2), c.TopRated(1).Select(m => c.BayesianRating(m.Id)).Single());
        Assert.Equal([2], c.TopRated(10, minVotes: 5).Select(m => m.Id));
    }

    [Fact]
    public void Most_watched_counts_watch_marks_and_leaves_unwatched_movies_out()
    {
        var c = Catalog((1, 0, 0, 7), (2, 5, 3.0, 5), (3, 2, 1.0, 9));
        Assert.Equal([3, 1, 2], c.MostWatched(10).Select(m => m.Id));
        Assert.DoesNotContain(999, c.MostWatched(100).Select(m => m.Id));
    }

    [Fact]
    public void Rating_ids_encode_the_pair_below_2_pow_53()
    {
        Assert.Equal((1L << 24) + 1, RatingId.Encode(1, 1));
        Assert.True(RatingId.TryDecode(RatingId.Encode(123_456, 98_765), out var u, out var m));
        Assert.Equal((123_456, 98_765), (u, m));
        Assert.True(RatingId.Encode(RatingId.MaxUserId, RatingId.MaxMovieId) < 1L << 53);
        Assert.Throws<ArgumentOutOfRangeException>(() => RatingId.Encode(0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => RatingId.Encode(1, RatingId.MaxMovieId + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => RatingId.Encode(RatingId.MaxUserId + 1, 1));
        foreach (var bad in new[] { -1L, 0, 1, (1L << 24) - 1, 1L << 53, long.MaxValue })
            Assert.False(RatingId.TryDecode(bad, out _, out _));
    }
}

public class UserRatingsCacheTests
{
    static UserRatingRow Copy(int movie, double? rating, long seq) => new(movie, rating, false, 100, seq, new Azure.ETag($"e{seq}"));

    [Fact]
    public void An_older_row_never_replaces_a_newer_one()
    {
        var cache = new UserRatingsCache();
        Assert.False(cache.TryGet(1, 5, out _));              // unknown
        cache.Apply(1, Copy(5, 4, 10));
        cache.Apply(1, Copy(5, 2, 7));
        Assert.True(cache.TryGet(1, 5, out var copy));
        Assert.Equal((4.0, 10L), (copy!.Rating!.Value, copy.Seq));
        cache.Apply(1, Copy(5, null, 11));
        Assert.True(cache.TryGet(1, 5, out copy));
        Assert.True(copy!.IsTombstone);
        Assert.False(cache.TryGet(1, 6, out _));              // partial knowledge: other movies unknown
    }

    [Fact]
    public async Task A_reload_that_finds_the_same_rows_keeps_the_snapshot_and_a_changed_one_replaces_it()
    {
        var cache = new UserRatingsCache();
        IReadOnlyList<UserRatingRow> stored = [Copy(1, 4, 1), Copy(2, 3, 2)];
        var first = await cache.GetAllAsync(5, TimeSpan.Zero, () => Task.FromResult(stored));
        var again = await cache.GetAllAsync(5, TimeSpan.Zero, () => Task.FromResult<IReadOnlyList<UserRatingRow>>([Copy(2, 3, 2), Copy(1, 4, 1)]));
        Assert.Same(first, again);   // same rows (any order): what callers derived from the snapshot stays valid
        Assert.True(cache.TryGet(5, 1, out var held));
        Assert.Same(stored[0], held);   // the equal copies just read are dropped, not swapped in (they would age into the old generation)

        var changed = await cache.GetAllAsync(5, TimeSpan.Zero, () => Task.FromResult<IReadOnlyList<UserRatingRow>>([Copy(1, 4, 1), Copy(2, 5, 3)]));
        Assert.NotEqual(first.Version, changed.Version);
        Assert.Equal(5, changed.Rows.Single(c => c.MovieId == 2).Rating);
    }

    [Fact]
    public async Task Snapshots_are_served_fresh_then_refreshed_in_the_background_then_reloaded()
    {
        var cache = new UserRatingsCache();
        var loads = 0;
        Task<IReadOnlyList<UserRatingRow>> Load(int rating)
        {
            Interlocked.Increment(ref loads);
            return Task.FromResult<IReadOnlyList<UserRatingRow>>([Copy(1, rating, rating)]);
        }
        // Wide windows: the stale step must land between one and two maxAges even on a loaded CI machine (with 1 s it
        // once took over 2 s to get there).
        var maxAge = TimeSpan.FromSeconds(2);

        Assert.Equal(1, (await cache.GetAllAsync(9, maxAge, () => Load(1))).Rows.Single().Rating);
        Assert.Equal(1, (await cache.GetAllAsync(9, maxAge, () => Load(2))).Rows.Single().Rating);   // fresh: no load
        Assert.Equal(1, loads);
        Assert.True(cache.TryGet(9, 2, out var absent) && absent is null);                      // full snapshot: known absent

        await Task.Delay(2200);                                                                 // stale: served, refreshed behind
        Assert.Equal(1, (await cache.GetAllAsync(9, maxAge, () => Load(3))).Rows.Single().Rating);
        for (var i = 0; i < 100 && loads < 2; i++) await Task.Delay(10);
        Assert.Equal(3, (await cache.GetAllAsync(9, maxAge, () => Load(4))).Rows.Single().Rating);

        await Task.Delay(4400);                                                                 // too old: the reader waits
        Assert.Equal(5, (await cache.GetAllAsync(9, maxAge, () => Load(5))).Rows.Single().Rating);
    }

    [Fact]
    public async Task A_write_applied_while_a_read_runs_survives_the_read()
    {
        var cache = new UserRatingsCache();
        var release = new TaskCompletionSource();
        var reading = cache.GetAllAsync(3, TimeSpan.FromSeconds(10), async () =>
        {
            await release.Task;
            return [Copy(1, 2, 5)];                         // what storage held when the read started
        });
        await Task.Delay(50);
        cache.Apply(3, Copy(1, 4, 6));                      // a write through this instance meanwhile
        cache.Apply(3, Copy(2, 3, 6));
        release.SetResult();
        var all = (await reading).Rows.ToDictionary(c => c.MovieId, c => c.Rating);
        Assert.Equal(new Dictionary<int, double?> { [1] = 4, [2] = 3 }, all);
    }

    [Fact]
    public async Task Users_are_dropped_when_the_rows_held_exceed_the_row_limit()
    {
        var cache = new UserRatingsCache(maxUsers: 1000, maxRows: 100);
        for (var u = 0; u < 10; u++)
            await cache.GetAllAsync(u, TimeSpan.FromMinutes(1), () => Task.FromResult<IReadOnlyList<UserRatingRow>>(Enumerable.Range(1, 30).Select(m => Copy(m, 3, 1)).ToList()));
        Assert.True(cache.Rows <= 100, $"{cache.Rows} rows kept");
        Assert.Equal(cache.Rows, cache.Count * 30);
    }

    [Fact]
    public async Task The_least_recently_used_users_are_dropped_beyond_the_limit()
    {
        var cache = new UserRatingsCache(maxUsers: 10);
        for (var u = 0; u < 30; u++)
            await cache.GetAllAsync(u, TimeSpan.FromMinutes(1), () => Task.FromResult<IReadOnlyList<UserRatingRow>>([]));
        Assert.True(cache.Count <= 10, $"{cache.Count} users kept");
    }
}
