using System.Runtime.CompilerServices;
using MovieRecs.Core.Catalog;

namespace MovieRecs.Core.Discovery;

/// <summary>A genre that characterises a cluster.</summary>
/// <param name="Share">Of the cluster's clustered catalog movies, the share listing the genre (0..1).</param>
/// <param name="Lift">Share ÷ the genre's share among all clustered catalog movies: above 1 the genre is over-represented.</param>
public readonly record struct GenreShare(string Genre, double Share, double Lift);

/// <summary>What a cluster holds, as the catalog describes it.</summary>
/// <param name="Size">Its clustered movies (<see cref="MovieCluster.MovieIds"/>), as stored with the model.</param>
/// <param name="Assigned">Its assigned movies (<see cref="MovieCluster.AssignedMovieIds"/>).</param>
/// <param name="TopMovieIds">Its most popular catalog members (clustered or assigned), most popular first.</param>
public sealed record ClusterProfile(int Cluster, int Size, int Assigned, IReadOnlyList<GenreShare> DominantGenres, IReadOnlyList<int> TopMovieIds);

/// <summary>
/// Describes movie clusters for browsing: each cluster's dominant genres and its most popular movies.
/// </summary>
/// <remarks>
/// <para>Dominant genres: among the genres at least <see cref="MinGenreShare"/> of the cluster's clustered movies list, the
/// <see cref="MaxDominantGenres"/> most over-represented (highest lift), with share and lift. Ranking by share alone would
/// label almost every cluster "Drama, Comedy" (the two commonest genres of MovieLens); ranking by lift alone would pick a
/// genre three movies of the cluster have. When no genre reaches the share, the commonest one. Only clustered movies count:
/// assigned ones were placed on a handful of ratings and would blur the profile (on ml-latest-small they outnumber the
/// clustered ones three to one).</para>
/// <para>Top movies: the members in the order of <see cref="MovieCatalog.PopularityScore"/> that the cluster strategy walks.</para>
/// <para>Results are cached per clusters instance, catalog and popularity order: a request after the first costs a lookup
/// until a rating changes the order (re-sorted at most once a second, see <see cref="CatalogRankings"/>).</para>
/// </remarks>
public static class ClusterOverview
{
    public const int MaxDominantGenres = 3;
    public const double MinGenreShare = 0.2;
    public const int MaxTopMovies = 20;

    static readonly ConditionalWeakTable<MovieClusters, Cached> s_cache = new();

    sealed record Cached(CatalogShape Shape, int[] PopularOrder, int TopMovies, IReadOnlyList<ClusterProfile> Profiles);

    /// <param name="topMovies">1..<see cref="MaxTopMovies"/> movies per cluster.</param>
    public static IReadOnlyList<ClusterProfile> Describe(MovieCatalog catalog, MovieClusters clusters, int topMovies = 5)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(clusters);
        ArgumentOutOfRangeException.ThrowIfLessThan(topMovies, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(topMovies, MaxTopMovies);
        var r = CatalogRankings.For(catalog).Current;
        if (s_cache.TryGetValue(clusters, out var c) && ReferenceEquals(c.Shape, r.Shape) && ReferenceEquals(c.PopularOrder, r.PopularOrder)
            && c.TopMovies == topMovies)
            return c.Profiles;
        var profiles = Build(r, clusters, topMovies);
        s_cache.AddOrUpdate(clusters, new Cached(r.Shape, r.PopularOrder, topMovies, profiles));
        return profiles;
    }

    static IReadOnlyList<ClusterProfile> Build(RankingSnapshot r, MovieClusters clusters, int topMovies)
    {
        var shape = r.Shape;
        var k = clusters.K;
        var genres = shape.GenreNames.Length;

        // genre counts of the clustered catalog movies, per cluster and overall
        var counts = new int[k, genres];
        var members = new int[k];
        var overall = new int[genres];
        var clustered = 0;
        var clusterOf = new int[shape.MovieIds.Length];
        Array.Fill(clusterOf, -1);
        for (var c = 0; c < k; c++)
        {
            foreach (var id in clusters.Clusters[c].MovieIds)
            {
                if (!shape.IndexById.TryGetValue(id, out var i))
                    continue;   // dropped from the catalog since training
                clusterOf[i] = c;
                members[c]++;
                clustered++;
                foreach (var g in shape.MovieGenres[i])
                {
                    counts[c, g]++;
                    overall[g]++;
                }
            }
            foreach (var id in clusters.Clusters[c].AssignedMovieIds)
                if (shape.IndexById.TryGetValue(id, out var i))
                    clusterOf[i] = c;
        }

        // each cluster's most popular members: one walk down the popularity order
        var top = new List<int>[k];
        for (var c = 0; c < k; c++)
            top[c] = new List<int>(topMovies);
        var open = k;
        for (var p = 0; p < r.PopularOrder.Length && open > 0; p++)
        {
            var i = r.PopularOrder[p];
            var c = clusterOf[i];
            if (c < 0 || top[c].Count == topMovies)
                continue;
            top[c].Add(r.MovieId(i));
            if (top[c].Count == topMovies)
                open--;
        }

        var profiles = new ClusterProfile[k];
        for (var c = 0; c < k; c++)
        {
            var shares = new List<GenreShare>();
            for (var g = 0; g < genres; g++)
            {
                if (counts[c, g] == 0)
                    continue;
                var share = (double)counts[c, g] / members[c];
                var lift = share / ((double)overall[g] / clustered);
                shares.Add(new GenreShare(shape.GenreNames[g], Math.Round(share, 4), Math.Round(lift, 4)));
            }
            var dominant = shares.Where(s => s.Share >= MinGenreShare)
                .OrderByDescending(s => s.Lift).ThenByDescending(s => s.Share).ThenBy(s => s.Genre, StringComparer.Ordinal)
                .Take(MaxDominantGenres).ToList();
            if (dominant.Count == 0 && shares.Count > 0)
                dominant.Add(shares.OrderByDescending(s => s.Share).ThenBy(s => s.Genre, StringComparer.Ordinal).First());
            profiles[c] = new ClusterProfile(c, clusters.Clusters[c].MovieIds.Count, clusters.Clusters[c].AssignedMovieIds.Count,
                dominant.AsReadOnly(), top[c].AsReadOnly());
        }
        return Array.AsReadOnly(profiles);
    }
}
