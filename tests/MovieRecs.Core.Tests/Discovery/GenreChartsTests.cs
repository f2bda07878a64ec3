using MovieRecs.Core.Catalog;
using MovieRecs.Core.Discovery;

namespace MovieRecs.Core.Tests.Discovery;

public class GenreChartsTests
{
    // Global mean C = 1258 / 357 ≈ 3.524.
    static MovieCatalog Catalog() => DiscoveryCatalog.Build(
        (1, "Sci-Fi", 100, 4.0, 100),
        (2, "Sci-Fi|Action", 30, 4.5, 30),
        (3, "Sci-Fi", 3, 5.0, 3),
        (4, "Sci-Fi", 24, 4.5, 24),
        (5, "Sci-Fi", 0, 0, 7),
        (6, "Drama", 200, 3.0, 200));

    [Fact]
    public void Movies_with_enough_ratings_rank_by_the_weighted_rating_and_the_rest_only_follow_them()
    {
        var catalog = Catalog();
        var chart = GenreCharts.Compute(catalog, "Sci-Fi", 10);
        Assert.True(chart.Found);
        Assert.Equal("Sci-Fi", chart.Genre);
        Assert.Equal(25, chart.MinRatings);
        // 2: (135 + 25C)/55 ≈ 4.056 beats 1: (400 + 25C)/125 ≈ 3.905. Then below the floor: 4 (≈ 4.002 — higher than 1,
        // but only 24 ratings) and 3. 5 is unrated, 6 is not Sci-Fi.
        Assert.Equal([2, 1, 4, 3], chart.Movies.Select(m => m.MovieId));
        var c = catalog.GlobalAverageRating!.Value;
        Assert.Equal((135 + 25 * c) / 55, chart.Movies[0].WeightedRating, 9);
        Assert.Equal((108 + 25 * c) / 49, chart.Movies[2].WeightedRating, 9);
        Assert.True(chart.Movies[2].WeightedRating > chart.Movies[1].WeightedRating);
        Assert.Equal(new GenreChartEntry(1, chart.Movies[1].WeightedRating, 4.0, 100), chart.Movies[1]);
    }

    [Fact]
    public void Genre_names_match_whatever_the_case_accents_spaces_or_punctuation()
    {
        var catalog = Catalog();
        foreach (var name in new[] { "sci-fi", "SCI FI", "scifi", "Sci-Fi", " sci_fi ", "Scï-Fì", "science fiction" })
            Assert.Equal("Sci-Fi", GenreCharts.Compute(catalog, name, 3).Genre);
        Assert.Equal([6], GenreCharts.Compute(catalog, "DRÂMA", 3).Movies.Select(m => m.MovieId));
    }

    [Fact]
    public void An_unknown_genre_is_not_found_and_lists_the_known_ones()
    {
        foreach (var name in new[] { "Comédie", "Western", "", "   ", null })
        {
            var chart = GenreCharts.Compute(Catalog(), name, 10);
            Assert.False(chart.Found);
            Assert.Null(chart.Genre);
            Assert.Empty(chart.Movies);
            Assert.Equal(["Action", "Drama", "Sci-Fi"], chart.KnownGenres);
        }
    }

    [Fact]
    public void The_limit_cuts_the_chart_and_must_be_1_to_100()
    {
        Assert.Equal([2, 1], GenreCharts.Compute(Catalog(), "sci-fi", 2).Movies.Select(m => m.MovieId));
        Assert.Throws<ArgumentOutOfRangeException>(() => GenreCharts.Compute(Catalog(), "sci-fi", 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => GenreCharts.Compute(Catalog(), "sci-fi", 101));
    }

    [Fact]
    public void Rankings_follow_the_live_stats_once_they_are_older_than_their_max_age()
    {
        var catalog = Catalog();
        var fresh = new CatalogRankings(catalog, TimeSpan.Zero, refreshInBackground: false);
        var cached = new CatalogRankings(catalog, TimeSpan.FromHours(1), refreshInBackground: false);
        int Top(CatalogRankings r) => r.Current.MovieId(r.Current.GenreChartOrder[r.Shape.GenreId("Sci-Fi")][0]);
        Assert.Equal(2, Top(fresh));
        Assert.Equal(2, Top(cached));

        catalog.SetStats(3, new MovieStats(40, 400, 40));   // 40 × 5.0: now first
        Assert.Equal(3, Top(fresh));
        Assert.Equal(2, Top(cached));                       // served from its snapshot until an hour has passed

        var before = fresh.Current;
        var after = fresh.Current;                          // stale (max age zero) but no stats changed: not re-sorted
        Assert.NotSame(before, after);
        Assert.Same(before.PopularOrder, after.PopularOrder);
        catalog.SetStats(3, new MovieStats(40, 400, 41));
        Assert.NotSame(after.PopularOrder, fresh.Current.PopularOrder);
    }

    [Fact]
    public async Task Stale_rankings_are_served_while_they_refresh_in_the_background()
    {
        var catalog = Catalog();
        var rankings = new CatalogRankings(catalog, TimeSpan.Zero);
        Assert.Equal(2, rankings.Current.MovieId(rankings.Current.GenreChartOrder[2][0]));
        catalog.SetStats(3, new MovieStats(40, 400, 40));
        for (var i = 0; i < 500 && rankings.Current.MovieId(rankings.Current.GenreChartOrder[2][0]) != 3; i++)
            await Task.Delay(10);
        Assert.Equal(3, rankings.Current.MovieId(rankings.Current.GenreChartOrder[2][0]));
    }
}
