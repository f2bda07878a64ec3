using MovieRecs.Core.Catalog;
using MovieRecs.Core.Discovery;
using static MovieRecs.Core.Tests.Discovery.DiscoveryCatalog;

namespace MovieRecs.Core.Tests.Discovery;

public class GenreWeightedTests
{
    // Popularity is 0.3 × watches here. X (Drama|Comedy) is the top pick of two genres; W is watched; 3..8 are rated.
    internal static MovieCatalog Catalog() => Build(
    [
        Watched(1, "Drama|Comedy", 1000),                                      // X
        Watched(2, "Drama", 2000),                                             // W: marked watched
        Watched(3, "Drama", 3000), Watched(4, "Drama|Comedy", 3000), Watched(5, "Drama", 3000),
        Watched(6, "Comedy", 3000), Watched(7, "Action", 3000), Watched(8, "Action|Comedy", 3000),
        .. Enumerable.Range(1, 12).Select(k => Watched(100 + k, "Drama", 500 - 10 * k)),    // d1 490 … d12 380
        .. Enumerable.Range(1, 9).Select(k => Watched(200 + k, "Comedy", 505 - 10 * k)),    // c1 495 … c9 415
        .. Enumerable.Range(1, 5).Select(k => Watched(300 + k, "Action", 502 - 10 * k)),    // a1 492 … a5 452
    ]);

    /// <summary>Likes Drama 3 times (3, 4, 5), Comedy twice (4, 6), Action once (7 at exactly 3.0); 8 at 2.5 is no like.</summary>
    internal static UserHistory User() => new(
        [new(3, 4.0, 1), new(4, 5.0, 2), new(5, 3.5, 3), new(6, 4.5, 4), new(7, 3.0, 5), new(8, 2.5, 6)],
        watchedWithoutRating: [2]);

    [Fact]
    public void Places_are_split_by_the_largest_remainder_and_always_sum_to_the_total()
    {
        Assert.Equal([3, 7, 10], GenreWeighted.LargestRemainder([1, 2, 3], 20));       // 3.33, 6.67, 10: the .67 gets the spare place
        Assert.Equal([7, 7, 6], GenreWeighted.LargestRemainder([1, 1, 1], 20));        // equal shares: the earlier genres first
        Assert.Equal([0, 20, 0], GenreWeighted.LargestRemainder([0, 5, 0], 20));
        Assert.Equal([4, 8, 13], GenreWeighted.LargestRemainder([1, 2, 3], 25));      // 4.17, 8.33, 12.5
        Assert.Equal([1, 0, 0], GenreWeighted.LargestRemainder([1, 1, 1], 1));
        Assert.Equal([0, 0], GenreWeighted.LargestRemainder([0, 0], 20));
        var random = new Random(7);
        for (var trial = 0; trial < 200; trial++)
        {
            var counts = Enumerable.Range(0, random.Next(1, 19)).Select(_ => random.Next(0, 50)).ToArray();
            if (counts.Sum() > 0)
                Assert.Equal(20, GenreWeighted.LargestRemainder(counts, 20).Sum());
        }
    }

    [Fact]
    public void Likes_are_ratings_of_3_or_more_and_a_movie_counts_for_each_of_its_genres()
    {
        var result = GenreWeighted.Recommend(Catalog(), User(), 20);
        Assert.True(result.FromLikes);
        Assert.Equal(
            [new GenreSlot("Drama", 3, 0.5, 10), new GenreSlot("Comedy", 2, 2 / 6.0, 7), new GenreSlot("Action", 1, 1 / 6.0, 3)],
            result.Slots);
    }

    [Fact]
    public void Each_genre_picks_its_most_popular_unwatched_then_the_list_is_merged_deduplicated_and_resorted()
    {
        var result = GenreWeighted.Recommend(Catalog(), User(), 20);
        // Drama: X d1..d9; Comedy: X c1..c6; Action: a1..a3. X is kept once (credited to Drama, first in slot order),
        // and the place it freed goes to Drama's next, d10. Then all by popularity.
        int[] expected = [1, 201, 301, 101, 202, 302, 102, 203, 303, 103, 204, 104, 205, 105, 206, 106, 107, 108, 109, 110];
        Assert.Equal(expected, result.Movies.Select(m => m.MovieId));
        Assert.Equal("Drama", result.Movies[0].Genre);
        Assert.Equal("Action", result.Movies[2].Genre);
        Assert.Equal("Drama", result.Movies[^1].Genre);
        Assert.Equal(0.3 * 1000, result.Movies[0].Popularity, 9);
        Assert.DoesNotContain(result.Movies, m => m.MovieId is >= 2 and <= 8);       // watched or rated
        Assert.DoesNotContain(result.Movies, m => m.MovieId == 304);                   // Action has 3 places only
    }

    [Fact]
    public void Top_returns_the_head_of_the_list_and_above_20_becomes_the_number_of_places()
    {
        var catalog = Catalog();
        Assert.Equal([1, 201, 301, 101, 202], GenreWeighted.Recommend(catalog, User(), 5).Movies.Select(m => m.MovieId));

        // 25 places: Drama 12.5 → 13 (largest remainder), Comedy 8, Action 4.
        var wide = GenreWeighted.Recommend(catalog, User(), 25);
        Assert.Equal([13, 8, 4], wide.Slots.Select(s => s.Slots));
        Assert.Equal(25, wide.Movies.Count);
        Assert.Equal(25, wide.Movies.Select(m => m.MovieId).Distinct().Count());
        // Drama runs dry after X and d1..d12, so the place X freed goes round to Comedy: c8.
        Assert.Contains(wide.Movies, m => m.MovieId == 208);
        Assert.Contains(wide.Movies, m => m.MovieId == 304);
        Assert.DoesNotContain(wide.Movies, m => m.MovieId is 209 or 305);
        Assert.Equal(wide.Movies.OrderByDescending(m => m.Popularity).Select(m => m.MovieId), wide.Movies.Select(m => m.MovieId));
    }

    [Fact]
    public void Without_likes_the_list_is_the_most_popular_unwatched_movies()
    {
        var catalog = Catalog();
        var dislikes = new UserHistory([new(3, 2.0, 1), new(7, 0.5, 2)], watchedWithoutRating: [4]);
        var result = GenreWeighted.Recommend(catalog, dislikes, 4);
        Assert.False(result.FromLikes);
        Assert.Empty(result.Slots);
        Assert.Equal([5, 6, 8, 2], result.Movies.Select(m => m.MovieId));      // 3000 each by id, then W at 2000
        Assert.All(result.Movies, m => Assert.Null(m.Genre));

        Assert.Equal([3, 4, 5], GenreWeighted.Recommend(catalog, UserHistory.Empty, 3).Movies.Select(m => m.MovieId));
    }

    [Fact]
    public void A_user_who_has_watched_nearly_everything_gets_what_is_left()
    {
        var catalog = Catalog();
        var all = catalog.Movies.Select(m => m.Id).Where(id => id is not (109 or 305)).ToList();
        var user = new UserHistory([new(1, 5.0, 1)], all);
        Assert.Equal([305, 109], GenreWeighted.Recommend(catalog, user, 20).Movies.Select(m => m.MovieId));
    }

    [Fact]
    public void Top_must_be_1_to_100()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => GenreWeighted.Recommend(Catalog(), User(), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => GenreWeighted.Recommend(Catalog(), User(), 101));
        Assert.Equal(Catalog().Count, GenreWeighted.Recommend(Catalog(), UserHistory.Empty, 100).Movies.Count);   // the catalog runs out first
    }
}
