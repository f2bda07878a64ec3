using System.Runtime.CompilerServices;
using MovieRecs.Core.Catalog;

namespace MovieRecs.Core.Discovery;

/// <summary>How much a user likes a cluster.</summary>
/// <param name="Cluster">Index into the clusters given.</param>
/// <param name="Score">(sum of the user's ratings in it + <see cref="ClusterRecommendations.Shrinkage"/> × the user's mean) ÷ (ratings + shrinkage).</param>
/// <param name="Ratings">The user's ratings in the cluster.</param>
public readonly record struct ClusterScore(int Cluster, double Score, int Ratings);

/// <summary>A recommended movie.</summary>
/// <param name="Cluster">The cluster it came from, or null from the popularity fallback.</param>
/// <param name="Popularity"><see cref="MovieCatalog.PopularityScore"/>.</param>
public readonly record struct ClusterMovie(int MovieId, int? Cluster, double Popularity);

/// <param name="Clusters">Every cluster the user rated something in, best first (the ones recommended from have Score ≥ the user's mean).</param>
/// <param name="Movies">In recommendation order.</param>
public sealed record ClusterRecommendationResult(IReadOnlyList<ClusterScore> Clusters, IReadOnlyList<ClusterMovie> Movies);

/// <summary>
/// Recommends from the movie clusters (k-means over movies, built elsewhere) the user rates highest.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Cluster score: the mean of the user's ratings in the cluster, shrunk toward the user's overall mean μ by
/// <see cref="Shrinkage"/> (3) pseudo-ratings: (Σ ratings + 3μ) ÷ (n + 3). One 5★ in a cluster moves it only a
/// quarter of the way from μ to 5, while ten 4.5★ ratings move it most of the way to 4.5.</item>
/// <item>Clusters recommended from: those the user rated something in with a score ≥ μ (above-average taste), best
/// first (ties: more ratings, lower index).</item>
/// <item>Order: round robin over those clusters, best cluster first in each round, each giving its next most popular
/// (<see cref="MovieCatalog.PopularityScore"/>) catalog movie the user has not rated or marked watched. Interleaving
/// keeps one large cluster from taking the whole list.</item>
/// <item>When they run out, or without ratings: the most popular unwatched movies.</item>
/// </list>
/// The clusters are mapped onto the catalog once per list instance (held weakly, like the model that owns them), so
/// treat a list passed here as immutable: new clusters, new list. A movie listed in several clusters belongs to the first.
/// </remarks>
public static class ClusterRecommendations
{
    /// <summary>Pseudo-ratings of the user's own mean added to each cluster's ratings.</summary>
    public const double Shrinkage = 3;

    public const int MaxCount = 100;

    static readonly ConditionalWeakTable<IReadOnlyList<IReadOnlyList<int>>, ClusterMap> s_maps = new();

    /// <param name="clusters">Cluster index → member movie ids. Ids not in the catalog are ignored.</param>
    /// <param name="count">1..100 movies.</param>
    public static ClusterRecommendationResult Recommend(MovieCatalog catalog, UserHistory user, IReadOnlyList<IReadOnlyList<int>> clusters, int count)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(clusters);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, MaxCount);
        var r = CatalogRankings.For(catalog).Current;
        var clusterOf = MapOnto(clusters, r.Shape);

        var scores = ScoreClusters(user, clusters.Count, clusterOf, r.Shape);
        var mean = user.MeanRating ?? 0;
        var liked = scores.Where(s => s.Score >= mean).ToList();

        // Each liked cluster's most popular unwatched movies: one walk down the catalog's popularity order.
        var slotOf = new int[clusters.Count];
        Array.Fill(slotOf, -1);
        var queues = new List<int>[liked.Count];
        for (var k = 0; k < liked.Count; k++)
        {
            slotOf[liked[k].Cluster] = k;
            queues[k] = [];
        }
        var open = liked.Count;
        for (var p = 0; p < r.PopularOrder.Length && open > 0; p++)
        {
            var i = r.PopularOrder[p];
            var c = clusterOf[i];
            if (c < 0 || slotOf[c] < 0 || queues[slotOf[c]].Count == count || user.HasWatched(r.MovieId(i)))
                continue;
            var queue = queues[slotOf[c]];
            queue.Add(i);
            if (queue.Count == count)
                open--;
        }

        var listed = new HashSet<int>();
        var movies = new List<ClusterMovie>(count);
        for (var round = 0; movies.Count < count; round++)
        {
            var any = false;
            for (var k = 0; k < queues.Length && movies.Count < count; k++)
                if (round < queues[k].Count)
                {
                    var i = queues[k][round];
                    listed.Add(i);
                    movies.Add(new ClusterMovie(r.MovieId(i), liked[k].Cluster, r.Popularity[i]));
                    any = true;
                }
            if (!any)
                break;
        }

        foreach (var i in r.PopularOrder)
        {
            if (movies.Count >= count)
                break;
            if (!user.HasWatched(r.MovieId(i)) && listed.Add(i))
                movies.Add(new ClusterMovie(r.MovieId(i), null, r.Popularity[i]));
        }
        return new ClusterRecommendationResult(scores, movies);
    }

    /// <summary>Every cluster holding a rating of the user, best first.</summary>
    static List<ClusterScore> ScoreClusters(UserHistory user, int clusterCount, int[] clusterOf, CatalogShape shape)
    {
        var result = new List<ClusterScore>();
        if (user.Ratings.Count == 0)
            return result;
        var n = new int[clusterCount];
        var sum = new double[clusterCount];
        foreach (var rating in user.Ratings)
            if (shape.IndexById.TryGetValue(rating.MovieId, out var i) && clusterOf[i] >= 0)
            {
                n[clusterOf[i]]++;
                sum[clusterOf[i]] += rating.Rating;
            }
        var mean = user.MeanRating!.Value;
        for (var c = 0; c < clusterCount; c++)
            if (n[c] > 0)
                result.Add(new ClusterScore(c, (sum[c] + Shrinkage * mean) / (n[c] + Shrinkage), n[c]));
        result.Sort((a, b) => b.Score != a.Score ? b.Score.CompareTo(a.Score)
            : b.Ratings != a.Ratings ? b.Ratings.CompareTo(a.Ratings) : a.Cluster.CompareTo(b.Cluster));
        return result;
    }

    /// <summary>The cluster of each catalog movie (by catalog index), −1 for none; built once per list and catalog.</summary>
    static int[] MapOnto(IReadOnlyList<IReadOnlyList<int>> clusters, CatalogShape shape)
    {
        if (s_maps.TryGetValue(clusters, out var map) && ReferenceEquals(map.Shape, shape))
            return map.ClusterOf;
        var clusterOf = new int[shape.MovieIds.Length];
        Array.Fill(clusterOf, -1);
        for (var c = 0; c < clusters.Count; c++)
            if (clusters[c] is { } members)
                foreach (var id in members)
                    if (shape.IndexById.TryGetValue(id, out var i) && clusterOf[i] < 0)
                        clusterOf[i] = c;
        s_maps.AddOrUpdate(clusters, new ClusterMap(shape, clusterOf));
        return clusterOf;
    }

    sealed record ClusterMap(CatalogShape Shape, int[] ClusterOf);
}
