using MovieRecs.Core.Discovery;

namespace MovieRecs.Core.Tests.Discovery;

public class TrendingTests
{
    const long Hour = 3600, Day = 24 * Hour;
    static readonly DateTimeOffset Now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);
    static readonly long T = Now.ToUnixTimeSeconds();

    static RatingActivity Activity(params (int Movie, long At)[] events)
    {
        var activity = new RatingActivity();
        foreach (var (movie, at) in events)
            activity.Record(movie, at);
        return activity;
    }

    [Fact]
    public void Ratings_decay_with_a_half_life_of_a_quarter_window_and_only_the_window_counts()
    {
        var activity = Activity(
            (1, T),                                         // 1
            (2, T - 6 * Hour), (2, T - 6 * Hour),           // 2 × ½ = 1: ties with 1, more ratings wins
            (3, T - 12 * Hour), (3, T - 12 * Hour), (3, T - 12 * Hour),   // 3 × ¼
            (4, T - Day),                                   // on the window's far edge: out of the day, in the week
            (5, T + 60));                                   // after the time asked for: out
        var day = new Trending(activity).Compute(TrendingWindow.Day, Now, 10);
        Assert.Equal(TrendingAnchor.Now, day.Anchor);
        Assert.Equal(Now, day.AsOf);
        Assert.Equal(TimeSpan.FromHours(6), day.HalfLife);
        Assert.Equal([2, 1, 3], day.Movies.Select(m => m.MovieId));
        Assert.Equal([1.0, 1.0, 0.75], day.Movies.Select(m => Math.Round(m.Score, 9)));
        Assert.Equal([2, 1, 3], day.Movies.Select(m => m.Ratings));

        var week = new Trending(activity).Compute(TrendingWindow.Week, Now, 10);
        Assert.Equal(TimeSpan.FromHours(42), week.HalfLife);
        Assert.Equal(Math.Pow(2, -24 / 42.0), week.Movies.Single(m => m.MovieId == 4).Score, 9);
        Assert.Equal(3, week.Movies[0].MovieId);            // 3 × 2^(-12/42) ≈ 2.46
    }

    [Fact]
    public void An_old_data_set_is_ranked_back_from_its_newest_rating_and_says_so()
    {
        var newest = new DateTimeOffset(2018, 9, 24, 14, 27, 30, TimeSpan.Zero).ToUnixTimeSeconds();
        var activity = Activity((7, newest - 2 * Day), (8, newest), (8, newest - 3 * Day), (9, newest - 40 * Day));
        var trending = new Trending(activity);

        var month = trending.Compute(TrendingWindow.Month, Now, 10);
        Assert.Equal(TrendingAnchor.NewestRating, month.Anchor);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(newest), month.AsOf);
        Assert.Equal([8, 7], month.Movies.Select(m => m.MovieId));    // 9 is older than the month (and no longer held)

        var day = trending.Compute(TrendingWindow.Day, Now, 10);
        Assert.Equal(TrendingAnchor.NewestRating, day.Anchor);
        Assert.Equal([8], day.Movies.Select(m => m.MovieId));
    }

    [Fact]
    public void No_activity_at_all_is_an_empty_list_as_of_now()
    {
        var result = new Trending(new RatingActivity()).Compute(TrendingWindow.Week, Now, 10);
        Assert.Equal((TrendingAnchor.Now, Now), (result.Anchor, result.AsOf));
        Assert.Empty(result.Movies);
    }

    [Fact]
    public void The_limit_cuts_the_list_and_must_be_1_to_100()
    {
        var activity = Activity([.. Enumerable.Range(1, 150).Select(m => (m, T - m))]);
        var trending = new Trending(activity);
        Assert.Equal([1, 2, 3], trending.Compute(TrendingWindow.Day, Now, 3).Movies.Select(m => m.MovieId));
        Assert.Equal(100, trending.Compute(TrendingWindow.Day, Now, 100).Movies.Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => trending.Compute(TrendingWindow.Day, Now, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => trending.Compute(TrendingWindow.Day, Now, 101));
        Assert.Throws<ArgumentOutOfRangeException>(() => trending.Compute((TrendingWindow)7, Now, 1));
    }

    [Fact]
    public void Lists_are_cached_for_a_second_of_the_time_asked_for()
    {
        var activity = Activity((1, T - 10));
        var cached = new Trending(activity);
        var uncached = new Trending(activity, TimeSpan.Zero);
        Assert.Equal([1], cached.Compute(TrendingWindow.Day, Now, 10).Movies.Select(m => m.MovieId));
        Assert.Equal([1], uncached.Compute(TrendingWindow.Day, Now, 10).Movies.Select(m => m.MovieId));

        activity.Record(2, T - 5);
        activity.Record(2, T - 5);
        Assert.Equal([1], cached.Compute(TrendingWindow.Day, Now, 10).Movies.Select(m => m.MovieId));           // same second
        Assert.Equal([2, 1], cached.Compute(TrendingWindow.Day, Now.AddSeconds(1), 10).Movies.Select(m => m.MovieId));
        Assert.Equal([2, 1], uncached.Compute(TrendingWindow.Day, Now, 10).Movies.Select(m => m.MovieId));     // changed: recomputed
        Assert.Equal([2, 1], cached.Compute(TrendingWindow.Week, Now, 10).Movies.Select(m => m.MovieId));       // each window its own cache
    }

    [Theory]
    [InlineData("day", TrendingWindow.Day)]
    [InlineData("WEEK", TrendingWindow.Week)]
    [InlineData(" Month ", TrendingWindow.Month)]
    public void Windows_parse_in_any_case(string text, TrendingWindow expected)
    {
        Assert.True(Trending.TryParseWindow(text, out var window));
        Assert.Equal(expected, window);
    }

    [Theory]
    [InlineData("year")]
    [InlineData("1")]
    [InlineData("")]
    [InlineData(null)]
    public void Other_windows_do_not_parse(string? text) => Assert.False(Trending.TryParseWindow(text, out _));
}

public class RatingActivityTests
{
    [Fact]
    public void Beyond_its_capacity_the_oldest_events_go()
    {
        var activity = new RatingActivity(capacity: 3);
        for (var i = 1; i <= 5; i++)
            activity.Record(i, 1000 + i);
        Assert.Equal(3, activity.Count);
        var held = activity.Top(0, 2000, 3600, 100).Select(m => m.MovieId).Order();
        Assert.Equal([3, 4, 5], held);
    }

    [Fact]
    public void Events_more_than_30_days_before_the_newest_are_dropped_or_ignored()
    {
        var activity = new RatingActivity();
        activity.Record(1, 1_000_000);
        activity.Record(2, 1_000_000 + 10 * 86400);
        Assert.Equal(2, activity.Count);
        activity.Record(3, 1_000_000 + 31 * 86400);
        Assert.Equal(2, activity.Count);                    // 1 expired
        activity.Record(4, 1_000_000);                      // arrives late, already too old
        Assert.Equal(2, activity.Count);
        Assert.Equal(1_000_000 + 31 * 86400, activity.NewestUnixTime);
    }

    [Fact]
    public void A_bulk_load_in_any_order_merges_with_live_events_and_keeps_the_newest()
    {
        var activity = new RatingActivity(capacity: 5);
        activity.Record(99, 5000);
        activity.Load([new(1, 4000), new(2, 1000), new(3, 4500), new(4, 2000), new(5, 3000), new(6, 100)]);
        Assert.Equal(5, activity.Count);
        Assert.Equal([1, 3, 4, 5, 99], activity.Top(0, 10_000, 3600, 100).Select(m => m.MovieId).Order());
        activity.Record(7, 6000);                           // live appends carry on after the load
        Assert.Equal([1, 3, 5, 7, 99], activity.Top(0, 10_000, 3600, 100).Select(m => m.MovieId).Order());
        Assert.Equal(6000, activity.NewestUnixTime);
    }

    [Fact]
    public async Task Concurrent_appends_and_reads_lose_nothing()
    {
        var activity = new RatingActivity();
        var trending = new Trending(activity, TimeSpan.Zero);
        var now = DateTimeOffset.FromUnixTimeSeconds(2_000_000);
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(() =>
        {
            for (var i = 0; i < 10_000; i++)
                activity.Record(w, 2_000_000 - i % 1000);
        }));
        var reader = Task.Run(() =>
        {
            for (var i = 0; i < 200; i++)
                Assert.True(trending.Compute(TrendingWindow.Day, now, 10).Movies.Count <= 8);
        });
        await Task.WhenAll([.. writers, reader]);
        Assert.Equal(80_000, activity.Count);
        var result = trending.Compute(TrendingWindow.Day, now, 10);
        Assert.Equal(Enumerable.Range(0, 8), result.Movies.Select(m => m.MovieId));
        Assert.All(result.Movies, m => Assert.Equal(10_000, m.Ratings));
    }
}
