using MovieRecs.Core.Catalog;
using MovieRecs.Core.Discovery;
using static MovieRecs.Core.Tests.Discovery.DiscoveryCatalog;

namespace MovieRecs.Core.Tests.Discovery;

public class ClusterRecommendationsTests
{
    static MovieCatalog Catalog() => Build(
    [
        .. new[] { 1, 2, 3, 4, 5, 10, 11, 12, 13, 20, 21, 22, 30, 31, 40 }.Select(id => Watched(id, "Drama", 1000 - id)),
    ]);

    static readonly IReadOnlyList<IReadOnlyList<int>> Clusters = [[1, 2, 3, 4, 5], [10, 11, 12, 13, 999], [20, 21, 22], [30, 31]];

    /// <summary>One 5★ in cluster 0, three 4.5★ in cluster 1, low ratings in cluster 2. Mean μ = 21.5 / 6.</summary>
    static UserHistory User(params int[] watched) =>
        new([new(1, 5.0, 1), new(10, 4.5, 2), new(11, 4.5, 3), new(12, 4.5, 4), new(20, 1.0, 5), new(21, 2.0, 6)], watched);

    [Fact]
    public void Cluster_scores_shrink_toward_the_users_mean_so_one_five_star_rating_does_not_decide()
    {
        var result = ClusterRecommendations.Recommend(Catalog(), User(), Clusters, 5);
        var mean = 21.5 / 6;
        Assert.Equal([1, 0, 2], result.Clusters.Select(c => c.Cluster));      // cluster 3 holds no rating: not scored
        Assert.Equal((13.5 + 3 * mean) / 6, result.Clusters[0].Score, 9);     // ≈ 4.04: three 4.5s
        Assert.Equal((5.0 + 3 * mean) / 4, result.Clusters[1].Score, 9);      // ≈ 3.94: a single 5
        Assert.Equal((3.0 + 3 * mean) / 5, result.Clusters[2].Score, 9);
        Assert.Equal([3, 1, 2], result.Clusters.Select(c => c.Ratings));
    }

    [Fact]
    public void Liked_clusters_take_turns_best_first_each_giving_its_most_popular_unwatched_then_popularity_fills()
    {
        var result = ClusterRecommendations.Recommend(Catalog(), User(watched: 3), Clusters, 8);
        // Round 1: cluster 1 → 13, cluster 0 → 2; cluster 1 is then out of movies; cluster 0 → 4, 5 (3 was watched).
        // Cluster 2 is below the user's mean: its 22 only comes with the most popular movies (22, 30, 31, 40).
        // 999 (cluster 1) is not in the catalog and is ignored.
        Assert.Equal([13, 2, 4, 5, 22, 30, 31, 40], result.Movies.Select(m => m.MovieId));
        Assert.Equal([1, 0, 0, 0, null, null, null, null], result.Movies.Select(m => m.Cluster));
        Assert.Equal(0.3 * (1000 - 13), result.Movies[0].Popularity, 9);
    }

    [Fact]
    public void Two_liked_clusters_interleave()
    {
        // μ = 15 / 4: cluster 0 scores (5 + 3μ) / 4 ≈ 4.06, cluster 1 (9 + 3μ) / 5 = 4.05.
        var user = new UserHistory([new(1, 5.0, 1), new(10, 4.5, 2), new(11, 4.5, 3), new(20, 1.0, 4)]);
        var result = ClusterRecommendations.Recommend(Catalog(), user, Clusters, 6);
        Assert.Equal([0, 1, 2], result.Clusters.Select(c => c.Cluster));
        Assert.Equal([2, 12, 3, 13, 4, 5], result.Movies.Select(m => m.MovieId));
    }

    [Fact]
    public void Without_ratings_the_most_popular_movies_come()
    {
        var result = ClusterRecommendations.Recommend(Catalog(), new UserHistory([], [1]), Clusters, 3);
        Assert.Empty(result.Clusters);
        Assert.Equal([2, 3, 4], result.Movies.Select(m => m.MovieId));
        Assert.All(result.Movies, m => Assert.Null(m.Cluster));
    }

    [Fact]
    public void Count_must_be_1_to_100()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ClusterRecommendations.Recommend(Catalog(), User(), Clusters, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ClusterRecommendations.Recommend(Catalog(), User(), Clusters, 101));
    }
}
