using MovieRecs.Core.Discovery;

namespace MovieRecs.Core.Tests.Discovery;

public class PersonalHybridTests
{
    // The catalog and user of GenreWeightedTests: likes Drama 3, Comedy 2, Action 1; 2..8 watched.
    // For count 10 each source is cut to D = 20 movies and position p scores 1 − p/20.

    [Fact]
    public void Without_a_model_genre_and_popularity_share_the_whole_scale()
    {
        var result = PersonalHybrid.Recommend(GenreWeightedTests.Catalog(), GenreWeightedTests.User(), [], 10);
        Assert.Equal(10, result.Count);
        // X (1) is first in both lists: (0.25 + 0.15) / 0.4 = 1. It is Drama|Comedy, the user's two most liked.
        Assert.Equal(new HybridRecommendation(1, 1.0, "you like Drama and Comedy"), result[0]);
        // c1: second in both: 1 − 1/20.
        Assert.Equal(new HybridRecommendation(201, 0.95, "you like Comedy"), result[1]);
        Assert.Equal(result.OrderByDescending(r => r.Score).Select(r => r.MovieId), result.Select(r => r.MovieId));
    }

    [Fact]
    public void The_model_weighs_most_and_only_unwatched_catalog_movies_are_kept()
    {
        ModelScore[] model = [new(2, 0.99), new(9999, 0.98), new(209, 0.5), new(112, 0.9), new(112, 0.1)];
        var result = PersonalHybrid.Recommend(GenreWeightedTests.Catalog(), GenreWeightedTests.User(), model, 10);
        // d12 (112) is the model's best unwatched catalog movie and in no other list: 0.6 × 1 / 1.0.
        // c9 (209) is its second: 0.6 × 0.95. X is first in both other lists: 0.25 + 0.15.
        Assert.Equal(new HybridRecommendation(112, 0.6, PersonalHybrid.ReasonModel), result[0]);
        Assert.Equal(new HybridRecommendation(209, 0.57, PersonalHybrid.ReasonModel), result[1]);
        Assert.Equal(new HybridRecommendation(1, 0.4, "you like Drama and Comedy"), result[2]);
        Assert.DoesNotContain(result, r => r.MovieId is 2 or 9999);
        Assert.Equal(result.Count, result.Select(r => r.MovieId).Distinct().Count());
    }

    [Fact]
    public void Without_likes_or_a_model_it_is_popularity_alone()
    {
        var result = PersonalHybrid.Recommend(GenreWeightedTests.Catalog(), UserHistory.Empty, [], 3);
        Assert.Equal([3, 4, 5], result.Select(r => r.MovieId));
        Assert.Equal([1.0, 0.95, 0.9], result.Select(r => r.Score));
        Assert.All(result, r => Assert.Equal(PersonalHybrid.ReasonPopular, r.Reason));
    }

    [Fact]
    public void Count_must_be_1_to_100()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PersonalHybrid.Recommend(GenreWeightedTests.Catalog(), UserHistory.Empty, [], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => PersonalHybrid.Recommend(GenreWeightedTests.Catalog(), UserHistory.Empty, [], 101));
    }
}
