using Azure;
using MovieRecs.Core.Discovery;
using MovieRecs.Core.Store;

namespace MovieRecs.Core.Tests.Discovery;

public class UserAnalyticsTests
{
    static readonly string[] Keys = ["0.5", "1.0", "1.5", "2.0", "2.5", "3.0", "3.5", "4.0", "4.5", "5.0"];

    static Core.Catalog.MovieCatalog Catalog() => DiscoveryCatalog.Build(
        (1, "Drama|Comedy", 0, 0, 0), (2, "Drama", 0, 0, 0), (3, "Action", 0, 0, 0), (4, "Horror", 0, 0, 0));

    [Fact]
    public void An_empty_user_gets_zeros_and_nulls()
    {
        var report = UserAnalytics.Compute(Catalog(), UserHistory.Empty);
        Assert.Equal(0, report.RatingCount);
        Assert.Null(report.MeanRating);
        Assert.Null(report.FirstRatedAt);
        Assert.Null(report.LastRatedAt);
        Assert.Equal(Keys, report.Distribution.Keys);
        Assert.All(report.Distribution.Values, v => Assert.Equal(0, v));
        Assert.Empty(report.FavouriteGenres);
    }

    [Fact]
    public void Counts_mean_times_distribution_and_genres_weighted_by_the_stars_given_without_movies_gone_from_the_catalog()
    {
        var user = new UserHistory(
            [new(1, 5.0, 1_600_000_000), new(2, 3.5, 1_700_000_000), new(3, 0.5, 1_500_000_000), new(999, 4.0, 1_400_000_000)],
            watchedWithoutRating: [4]);
        var report = UserAnalytics.Compute(Catalog(), user);

        // 999 is not in the catalog (deleted): not counted, not in the mean, the times or the distribution
        Assert.Equal(3, report.RatingCount);
        Assert.Equal(9.0 / 3, report.MeanRating);
        Assert.Equal(new DateTimeOffset(2017, 7, 14, 2, 40, 0, TimeSpan.Zero), report.FirstRatedAt);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000), report.LastRatedAt);
        Assert.Equal(TimeSpan.Zero, report.LastRatedAt!.Value.Offset);
        Assert.Equal(Keys, report.Distribution.Keys);
        Assert.Equal([1, 0, 0, 0, 0, 0, 1, 0, 0, 1], report.Distribution.Values);

        // Drama 5 + 3.5; Comedy 5; Action 0.5; 999 is not in the catalog; Horror was only watched.
        Assert.Equal(
            [new GenreAffinity("Drama", 8.5, 8.5 / 14, 2, 4.25), new GenreAffinity("Comedy", 5, 5 / 14.0, 1, 5), new GenreAffinity("Action", 0.5, 0.5 / 14, 1, 0.5)],
            report.FavouriteGenres);
    }

    [Fact]
    public void Off_grid_ratings_count_at_the_nearest_half_star_within_the_scale()
    {
        var user = new UserHistory([new(1, 3.3, 1), new(2, 0.1, 2), new(3, 7, 3)]);
        var d = UserAnalytics.Compute(Catalog(), user).Distribution;
        Assert.Equal((1, 1, 1), (d["0.5"], d["3.5"], d["5.0"]));
        Assert.Equal(3, d.Values.Sum());
    }
}

public class UserHistoryTests
{
    [Fact]
    public void Copies_give_ratings_and_watches_and_tombstones_give_nothing()
    {
        UserRatingRow[] rows =
        [
            new(1, 4.5, false, 100, 1, new ETag("a")),
            new(2, null, true, 200, 2, new ETag("b")),
            new(3, null, false, 300, 3, new ETag("c")),      // removed
        ];
        var user = UserHistory.FromRows(rows);
        Assert.Equal([new UserRating(1, 4.5, 100)], user.Ratings);
        Assert.Equal([1, 2], user.Watched.Order());
        Assert.Equal(4.5, user.MeanRating);
    }

    [Fact]
    public void A_movie_rated_twice_keeps_the_later_rating()
    {
        var user = new UserHistory([new(1, 2.0, 10), new(1, 4.0, 20), new(1, 3.0, 15)]);
        Assert.Equal([new UserRating(1, 4.0, 20)], user.Ratings);
        Assert.Null(UserHistory.Empty.MeanRating);
    }
}
