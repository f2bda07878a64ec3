using System.Numerics.Tensors;
using System.Text.Json;
using MovieRecs.Recommender;
using MovieRecs.Recommender.Algorithms;

namespace MovieRecs.Core.Discovery;

/// <summary>A group of movies watched by the same kind of audience.</summary>
/// <param name="Id">0..K−1, largest cluster first.</param>
/// <param name="MovieIds">The movies the clustering was fitted on (at least <see cref="MovieClusters.MinRatings"/>
/// training ratings), most typical first (nearest the centroid).</param>
/// <param name="AssignedMovieIds">Movies with fewer ratings, placed at the nearest centroid afterwards: their vectors rest on
/// a handful of users, so they are kept apart for callers that want only confident members. Nearest first.</param>
public sealed record MovieCluster(int Id, IReadOnlyList<int> MovieIds, IReadOnlyList<int> AssignedMovieIds);

/// <summary>
/// Clusters of movies by the trained model's item vectors (implicit-ALS factors, which group movies by who watches them),
/// built with <see cref="Clustering.FitBest"/> (ML.NET k-means, k by silhouette) after training and stored as <c>clusters.json</c> next to the model.
/// </summary>
/// <remarks>
/// <para>Only movies with at least <see cref="DefaultMinRatings"/> training ratings are clustered: a vector fitted to two
/// or three users says more about those users than about the movie, and such movies (about three quarters of
/// ml-latest-small's) would otherwise dominate the fit. Vectors are scaled to unit length first, so the clustering
/// follows the direction (the kind of audience) and not the norm (which grows with popularity); Euclidean distance between
/// unit vectors orders pairs exactly as cosine similarity does. Every other movie the model knows is then assigned to the
/// nearest centroid and listed separately (<see cref="MovieCluster.AssignedMovieIds"/>).</para>
/// <para>k is chosen by the mean silhouette over <see cref="DefaultMinK"/>..<see cref="DefaultMaxK"/>: fewer than 8 groups
/// are too coarse to browse, more than 30 too many to show; the silhouette is evaluated on a seeded sample of at most
/// <see cref="SilhouetteSample"/> clustered movies (its cost grows with the square of the sample and is paid for every k).
/// The seed defaults to the model's, so one training gives one clustering.</para>
/// </remarks>
public sealed class MovieClusters
{
    public const int DefaultMinRatings = 10;
    public const int DefaultMinK = 8;
    public const int DefaultMaxK = 30;
    /// <summary>Clustered movies the silhouette is evaluated on (a seeded sample; see the remarks).</summary>
    public const int SilhouetteSample = 1000;
    /// <summary>Version of the JSON layout written by <see cref="ToJson"/>.</summary>
    public const int FormatVersion = 1;

    readonly Dictionary<int, int> _clusterByMovie;

    MovieClusters(IReadOnlyList<MovieCluster> clusters, double silhouette, IReadOnlyList<(int K, double Silhouette)> tried, int seed, int minRatings)
    {
        Clusters = clusters;
        Silhouette = silhouette;
        Tried = tried;
        Seed = seed;
        MinRatings = minRatings;
        _clusterByMovie = new Dictionary<int, int>();
        foreach (var c in clusters)
        {
            foreach (var id in c.MovieIds)
                if (!_clusterByMovie.TryAdd(id, c.Id))
                    throw new ArgumentException($"movie {id} is in two clusters");
            foreach (var id in c.AssignedMovieIds)
                if (!_clusterByMovie.TryAdd(id, c.Id))
                    throw new ArgumentException($"movie {id} is in two clusters");
        }
    }

    /// <summary>The clusters, largest first; <see cref="MovieCluster.Id"/> is the position.</summary>
    public IReadOnlyList<MovieCluster> Clusters { get; }

    /// <summary>Number of clusters.</summary>
    public int K => Clusters.Count;

    /// <summary>Mean silhouette of the chosen clustering (of the clustered movies, on the sample).</summary>
    public double Silhouette { get; }

    /// <summary>Every k evaluated with its mean silhouette, ascending k.</summary>
    public IReadOnlyList<(int K, double Silhouette)> Tried { get; }

    public int Seed { get; }

    /// <summary>Training ratings a movie needed to be clustered rather than assigned.</summary>
    public int MinRatings { get; }

    /// <summary>The cluster of a movie, or null when the model did not know it (or no movie had enough ratings to cluster).</summary>
    public MovieCluster? ClusterOf(int movieId) => _clusterByMovie.TryGetValue(movieId, out var c) ? Clusters[c] : null;

    /// <summary>Clusters the movies of a trained model (see the remarks for what is clustered and how k is chosen).</summary>
    /// <param name="seed">Null = the model's training seed.</param>
    /// <param name="threads">0 = all cores.</param>
    public static MovieClusters Build(RecommenderModel model, int minRatings = DefaultMinRatings, int minK = DefaultMinK, int maxK = DefaultMaxK,
        int? seed = null, int threads = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(minRatings, 1);
        var s = seed ?? model.Options.Seed;
        var dim = model.ItemVectorDimensions;
        var ids = model.MovieIds;

        // unit vectors: the clustered movies first, then the ones to assign; a movie without a vector is left out
        var core = new List<int>();
        var rest = new List<int>();
        var unit = new Dictionary<int, float[]>(ids.Count);
        foreach (var id in ids)
        {
            var v = model.ItemVector(id).Span;
            var norm = TensorPrimitives.Norm(v);
            if (!(norm > 0))
                continue;
            var u = new float[dim];
            TensorPrimitives.Divide(v, norm, u);
            unit[id] = u;
            (model.MovieRatingCount(id) >= minRatings ? core : rest).Add(id);
        }
        var vectors = new float[(core.Count + rest.Count) * dim];
        var position = 0;
        foreach (var id in core.Concat(rest))
            unit[id].CopyTo(vectors, dim * position++);
        var coreCount = core.Count;
        var fit = Clustering.FitBest(vectors[..(coreCount * dim)], dim, minK, maxK, s, silhouetteSample: SilhouetteSample, threads: threads);
        var k = fit.K;

        var members = new List<(int Id, float Distance)>[k];
        var assigned = new List<(int Id, float Distance)>[k];
        for (var c = 0; c < k; c++)
        {
            members[c] = [];
            assigned[c] = [];
        }
        for (var p = 0; p < coreCount; p++)
        {
            var c = fit.Assignments[p];
            members[c].Add((core[p], Distance(vectors, p, fit.Centroids, c, dim)));
        }
        for (var p = coreCount; p < coreCount + rest.Count && k > 0; p++)
        {
            var c = Clustering.Nearest(vectors.AsSpan(p * dim, dim), fit.Centroids, out var d);
            assigned[c].Add((rest[p - coreCount], d));
        }

        static IReadOnlyList<int> NearestFirst(List<(int Id, float Distance)> list) =>
            Array.AsReadOnly(list.OrderBy(m => m.Distance).ThenBy(m => m.Id).Select(m => m.Id).ToArray());
        var order = Enumerable.Range(0, k).OrderByDescending(c => members[c].Count).ThenBy(c => c).ToArray();
        var clusters = order.Select((c, id) => new MovieCluster(id, NearestFirst(members[c]), NearestFirst(assigned[c]))).ToArray();
        return new MovieClusters(clusters, fit.Silhouette, fit.Tried, s, minRatings);
    }

    static float Distance(float[] vectors, int p, float[] centroids, int c, int dim) =>
        Clustering.SquaredDistance(vectors.AsSpan(p * dim, dim), centroids.AsSpan(c * dim, dim));

    // ------------------------------------------------------------------ JSON

    static readonly JsonSerializerOptions s_json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = false,
    };

    sealed record TriedJson(int K, double Silhouette);
    sealed record ClusterJson(int Id, int[] MovieIds, int[] AssignedMovieIds);
    sealed record FileJson(int FormatVersion, int K, double Silhouette, int Seed, int MinRatings, TriedJson[] Tried, ClusterJson[] Clusters);

    /// <summary>
    /// The clustering as JSON (snake_case): <c>format_version, k, silhouette, seed, min_ratings, tried: [{k, silhouette}],
    /// clusters: [{id, movie_ids, assigned_movie_ids}]</c>.
    /// </summary>
    public string ToJson() => JsonSerializer.Serialize(new FileJson(FormatVersion, K, Silhouette, Seed, MinRatings,
        Tried.Select(t => new TriedJson(t.K, t.Silhouette)).ToArray(),
        Clusters.Select(c => new ClusterJson(c.Id, [.. c.MovieIds], [.. c.AssignedMovieIds])).ToArray()), s_json);

    /// <summary>Reads <see cref="ToJson"/>'s output; throws <see cref="FormatException"/> for anything else or a newer version.</summary>
    public static MovieClusters FromJson(string json)
    {
        FileJson? f;
        try
        {
            f = JsonSerializer.Deserialize<FileJson>(json, s_json);
        }
        catch (JsonException e)
        {
            throw new FormatException($"not a clusters file: {e.Message}", e);
        }
        if (f is null || f.Clusters is null || f.Tried is null)
            throw new FormatException("not a clusters file");
        if (f.FormatVersion > FormatVersion || f.FormatVersion < 1)
            throw new FormatException($"clusters format version {f.FormatVersion} is not supported (max {FormatVersion})");
        for (var c = 0; c < f.Clusters.Length; c++)
            if (f.Clusters[c] is null || f.Clusters[c].Id != c || f.Clusters[c].MovieIds is null || f.Clusters[c].AssignedMovieIds is null)
                throw new FormatException($"cluster {c} is missing or out of order");
        if (f.K != f.Clusters.Length)
            throw new FormatException($"k is {f.K} but there are {f.Clusters.Length} clusters");
        try
        {
            return new MovieClusters(
                f.Clusters.Select(c => new MovieCluster(c.Id, Array.AsReadOnly(c.MovieIds), Array.AsReadOnly(c.AssignedMovieIds))).ToArray(),
                f.Silhouette, f.Tried.Select(t => (t.K, t.Silhouette)).ToArray(), f.Seed, f.MinRatings);
        }
        catch (ArgumentException e)
        {
            throw new FormatException(e.Message, e);
        }
    }
}
