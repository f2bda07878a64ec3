using System.Diagnostics;
using MovieRecs.Core.Catalog;
using MovieRecs.Core.Discovery;
using Xunit.Abstractions;

namespace MovieRecs.Core.Tests.Discovery;

/// <summary>Sanity checks and per-call timings on ml-latest-small (timings are reported, not asserted).</summary>
public class DiscoveryMovieLensTests(ITestOutputHelper output)
{
    static MovieCatalog Catalog => TestData.SmallCatalog;

    static UserHistory UserOf(int userId) =>
        new(TestData.SmallRatings.Where(r => r.UserId == userId).Select(r => new UserRating(r.MovieId, r.Rating, r.Timestamp)));

    [MovieLensFact]
    public void The_sci_fi_chart_lists_well_known_movies_with_enough_ratings()
    {
        var chart = GenreCharts.Compute(Catalog, "sci fi", 10);
        Assert.Equal("Sci-Fi", chart.Genre);
        foreach (var e in chart.Movies)
            output.WriteLine($"{e.WeightedRating:F3} {e.AverageRating:F2} ×{e.RatingCount} {Catalog.Find(e.MovieId)!.Title}");
        Assert.Equal(10, chart.Movies.Count);
        Assert.Contains(260, chart.Movies.Select(m => m.MovieId));     // Star Wars: Episode IV - A New Hope (1977)
        Assert.Contains(2571, chart.Movies.Select(m => m.MovieId));    // Matrix, The (1999)
        Assert.All(chart.Movies, m => Assert.True(m.RatingCount >= GenreCharts.MinRatings));
        Assert.All(chart.Movies, m => Assert.Contains("Sci-Fi", Catalog.Find(m.MovieId)!.Genres));
        Assert.Equal(chart.Movies.OrderByDescending(m => m.WeightedRating).Select(m => m.MovieId), chart.Movies.Select(m => m.MovieId));
    }

    [MovieLensFact]
    public void Trending_on_the_imported_ratings_falls_back_to_the_newest_rating()
    {
        var activity = new RatingActivity();
        activity.Load(TestData.SmallRatings.Select(r => new RatingEvent(r.MovieId, r.Timestamp)));
        var newest = TestData.SmallRatings.Max(r => r.Timestamp);
        var result = new Trending(activity).Compute(TrendingWindow.Month, DateTimeOffset.UtcNow, 10);
        Assert.Equal(TrendingAnchor.NewestRating, result.Anchor);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(newest), result.AsOf);
        Assert.Equal(10, result.Movies.Count);
        Assert.Equal(TestData.SmallRatings.Count(r => r.Timestamp > newest - 30 * 86400), activity.Count);
        foreach (var m in result.Movies)
            output.WriteLine($"{m.Score:F2} ×{m.Ratings} {Catalog.Find(m.MovieId)?.Title}");
    }

    [MovieLensFact]
    public void Genre_weighted_for_user_1_gives_20_distinct_unwatched_movies()
    {
        var user = UserOf(1);
        var result = GenreWeighted.Recommend(Catalog, user, 20);
        Assert.True(result.FromLikes);
        Assert.Equal(20, result.Slots.Sum(s => s.Slots));
        Assert.Equal(20, result.Movies.Select(m => m.MovieId).Distinct().Count());
        Assert.DoesNotContain(result.Movies, m => user.HasWatched(m.MovieId));
        Assert.Equal(result.Movies.OrderByDescending(m => m.Popularity).Select(m => m.Popularity), result.Movies.Select(m => m.Popularity));
        output.WriteLine(string.Join(", ", result.Slots.Select(s => $"{s.Genre} {s.Slots}")));
    }

    [MovieLensFact]
    public void Per_call_timings()
    {
        var catalog = Catalog;
        var user1 = UserOf(1);
        var heavy = UserOf(414);           // the user with the most ratings (2,698)
        IReadOnlyList<IReadOnlyList<int>> clusters = [.. catalog.Movies.GroupBy(m => m.Id % 40).Select(g => (IReadOnlyList<int>)g.Select(m => m.Id).ToList())];
        var model = catalog.TopRated(200, minAverage: 0).Select((m, i) => new ModelScore(m.Id, 1 - i / 200.0)).ToList();
        var activity = new RatingActivity();
        activity.Load(TestData.SmallRatings.Select(r => new RatingEvent(r.MovieId, r.Timestamp)));
        var cachedTrending = new Trending(activity);
        var uncachedTrending = new Trending(activity, TimeSpan.Zero);
        var now = DateTimeOffset.UtcNow;
        var busy = new RatingActivity();   // 500k live ratings in the last month: the capacity's worth
        var random = new Random(1);
        var t0 = now.ToUnixTimeSeconds();
        for (var i = 0; i < RatingActivity.DefaultCapacity; i++)
            busy.Record(catalog.Movies[random.Next(catalog.Count)].Id, t0 - 30 * 86400 + 1 + i * (30L * 86400 - 1) / RatingActivity.DefaultCapacity);
        var busyTrending = new Trending(busy, TimeSpan.Zero);
        var tick = 0;

        var shape = CatalogRankings.For(catalog).Shape;
        var snapshot = CatalogRankings.For(catalog).Current;
        Time("catalog shape (once per catalog)", 100, () => new CatalogShape(catalog));
        Time("rankings rebuild (background, when stats changed)", 100, () => RankingSnapshot.Build(catalog, shape, null, 0));
        Time("rankings check, nothing changed (background)", 200, () => RankingSnapshot.Build(catalog, shape, snapshot, 0));
        Time("GenreCharts sci-fi 100", 2000, () => GenreCharts.Compute(catalog, "sci fi", 100));
        Time("GenreWeighted user 1, top 20", 2000, () => GenreWeighted.Recommend(catalog, user1, 20));
        Time("GenreWeighted user 414, top 100", 2000, () => GenreWeighted.Recommend(catalog, heavy, 100));
        Time("ClusterRecommendations user 1, 40 clusters, 20", 2000, () => ClusterRecommendations.Recommend(catalog, user1, clusters, 20));
        Time("ClusterRecommendations user 414, 40 clusters, 100", 500, () => ClusterRecommendations.Recommend(catalog, heavy, clusters, 100));
        Time("GenreWeighted user 1, top 40", 2000, () => GenreWeighted.Recommend(catalog, user1, 40));
        Time("PersonalHybrid user 1, no model, 20", 2000, () => PersonalHybrid.Recommend(catalog, user1, [], 20));
        Time("PersonalHybrid user 1, model 200, 20", 2000, () => PersonalHybrid.Recommend(catalog, user1, model, 20));
        Time("PersonalHybrid user 414, model 200, 100", 500, () => PersonalHybrid.Recommend(catalog, heavy, model, 100));
        Time("UserAnalytics user 414", 2000, () => UserAnalytics.Compute(catalog, heavy));
        Time("UserHistory of user 414 (2,698 ratings)", 2000, () => new UserHistory(heavy.Ratings));
        Time("Trending month, cached", 2000, () => cachedTrending.Compute(TrendingWindow.Month, now, 10));
        Time("Trending month, recomputed (imported, newest-rating fallback)", 500, () => uncachedTrending.Compute(TrendingWindow.Month, now.AddSeconds(++tick), 100));
        Time("Trending month, recomputed over 500k live events", 10, () => busyTrending.Compute(TrendingWindow.Month, now.AddSeconds(++tick), 100));
        Time("Trending day, recomputed over 500k live events", 10, () => busyTrending.Compute(TrendingWindow.Day, now.AddSeconds(++tick), 100));
    }

    void Time(string name, int calls, Func<object> call)
    {
        for (var i = 0; i < Math.Min(calls, 50); i++)
            call();
        var times = new double[calls];
        for (var i = 0; i < calls; i++)
        {
            var start = Stopwatch.GetTimestamp();
            call();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }
        Array.Sort(times);
        // The minimum is the cost undisturbed by other processes on a shared machine; the median and p99 include them.
        output.WriteLine($"{name}: min {times[0]:F0} µs, median {times[calls / 2]:F0} µs, p99 {times[(int)(calls * 0.99)]:F0} µs");
    }
}
