using MovieRecs.Core.Discovery;
using Xunit.Abstractions;
using static MovieRecs.Core.Tests.Discovery.DiscoveryCatalog;

namespace MovieRecs.Core.Tests.Discovery;

public class ClusterOverviewTests(ITestOutputHelper output)
{
    /// <summary>Popularity = 0.3 × watches, so the order is the watch counts'.</summary>
    static readonly Catalog.MovieCatalog s_catalog = Build(
        Watched(1, "Animation|Children|Comedy", 900), Watched(2, "Animation|Children", 800), Watched(3, "Comedy", 700),
        Watched(4, "Drama", 600), Watched(5, "Horror", 950),
        Watched(10, "Drama|Thriller", 500), Watched(11, "Drama", 400), Watched(12, "Thriller|Crime", 300), Watched(13, "Drama|Comedy", 200),
        Watched(20, "Western", 10), Watched(21, "War", 11), Watched(22, "Musical", 12), Watched(23, "Film-Noir", 13),
        Watched(24, "Documentary", 14), Watched(25, "IMAX", 15));

    // cluster 0 also has an assigned movie (5); cluster 1 a movie no longer in the catalog (999); cluster 2 has no common genre
    static readonly MovieClusters s_clusters = MovieClusters.FromJson("""
        {"format_version":1,"k":3,"silhouette":0.25,"seed":42,"min_ratings":10,"tried":[{"k":3,"silhouette":0.25}],
         "clusters":[{"id":0,"movie_ids":[1,2,3,4],"assigned_movie_ids":[5]},
                     {"id":1,"movie_ids":[10,11,12,13,999],"assigned_movie_ids":[]},
                     {"id":2,"movie_ids":[20,21,22,23,24,25],"assigned_movie_ids":[]}]}
        """);

    [Fact]
    public void Dominant_genres_are_the_most_over_represented_of_those_a_fifth_of_the_clustered_movies_share()
    {
        var profiles = ClusterOverview.Describe(s_catalog, s_clusters, 3);
        Assert.Equal([0, 1, 2], profiles.Select(p => p.Cluster));
        // 14 clustered catalog movies: Animation 2, Children 2, Comedy 3, Drama 4, Thriller 2, Crime 1, six genres 1 each
        var c0 = profiles[0].DominantGenres;
        Assert.Equal(["Animation", "Children", "Comedy"], c0.Select(g => g.Genre));   // not Drama: a quarter, but under-represented
        Assert.Equal([0.5, 0.5, 0.5], c0.Select(g => g.Share));
        Assert.Equal([3.5, 3.5, Math.Round(0.5 / (3 / 14.0), 4)], c0.Select(g => g.Lift));
        // equal lifts: the larger share first
        var c1 = profiles[1].DominantGenres;
        Assert.Equal(["Thriller", "Crime", "Drama"], c1.Select(g => g.Genre));
        Assert.Equal([0.5, 0.25, 0.75], c1.Select(g => g.Share));
        Assert.Equal([3.5, 3.5, 2.625], c1.Select(g => g.Lift));
        // no genre reaches 20 %: the commonest (all tie at 1/6: by name)
        var c2 = Assert.Single(profiles[2].DominantGenres);
        Assert.Equal(new GenreShare("Documentary", Math.Round(1 / 6.0, 4), Math.Round(14 / 6.0, 4)), c2);
    }

    [Fact]
    public void Sizes_are_the_stored_clustered_movies_and_top_movies_the_most_popular_members_assigned_ones_included()
    {
        var profiles = ClusterOverview.Describe(s_catalog, s_clusters, 3);
        Assert.Equal([4, 5, 6], profiles.Select(p => p.Size));
        Assert.Equal([1, 0, 0], profiles.Select(p => p.Assigned));
        Assert.Equal([5, 1, 2], profiles[0].TopMovieIds);
        Assert.Equal([10, 11, 12], profiles[1].TopMovieIds);
        Assert.Equal([25, 24, 23], profiles[2].TopMovieIds);
        Assert.Equal(4, ClusterOverview.Describe(s_catalog, s_clusters, 20)[1].TopMovieIds.Count);   // 999 is not in the catalog

        // cached: the same answer until the clusters, the catalog or the popularity order change
        Assert.Same(ClusterOverview.Describe(s_catalog, s_clusters, 3), ClusterOverview.Describe(s_catalog, s_clusters, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => ClusterOverview.Describe(s_catalog, s_clusters, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ClusterOverview.Describe(s_catalog, s_clusters, ClusterOverview.MaxTopMovies + 1));
    }

    [MovieLensFact]
    public void On_ml_latest_small_every_cluster_has_a_label_and_its_best_known_films()
    {
        var clusters = MovieClusters.Build(DiscoveryData.Model);
        var catalog = TestData.SmallCatalog;
        var profiles = ClusterOverview.Describe(catalog, clusters, 5);
        Assert.Equal(clusters.Clusters.Sum(c => c.MovieIds.Count), profiles.Sum(p => p.Size));
        foreach (var p in profiles)
        {
            output.WriteLine($"#{p.Cluster} {p.Size}+{p.Assigned}: {string.Join(", ", p.DominantGenres.Select(g => $"{g.Genre} {g.Share:P0} ×{g.Lift:F2}"))}");
            output.WriteLine("    " + string.Join(" | ", p.TopMovieIds.Select(id => catalog.Find(id)!.Title)));
            Assert.Equal(5, p.TopMovieIds.Count);
            var members = clusters.Clusters[p.Cluster].MovieIds.Concat(clusters.Clusters[p.Cluster].AssignedMovieIds).ToHashSet();
            Assert.All(p.TopMovieIds, id => Assert.Contains(id, members));
            Assert.InRange(p.DominantGenres.Count, 1, ClusterOverview.MaxDominantGenres);
        }
        // the audience of family films is a cluster of its own
        Assert.Contains(profiles, p => p.DominantGenres.Any(g => g.Genre == "Children" && g.Lift > 2));
    }
}
