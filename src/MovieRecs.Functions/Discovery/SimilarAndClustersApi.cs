using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using MovieRecs.Core.Discovery;
using MovieRecs.Functions.Engine;
using MovieRecs.Functions.Infrastructure;
using MovieRecs.Functions.Movies;

namespace MovieRecs.Functions.Discovery;

/// <param name="Score">0..1, higher is more similar; comparable within one list.</param>
/// <param name="Reason">Why, in words: "liked by the same people; shares Animation, Children; title: 'toy'".</param>
public sealed record SimilarMovieItem(int MovieId, string Title, double Score, string Reason);

/// <param name="Strategy">The strategy asked for (hybrid by default).</param>
/// <param name="Source">What produced the list: the strategy, or "content" when hybrid had no model vector to blend in.</param>
/// <param name="ModelVersion">The model the list used; null when it is content only.</param>
/// <param name="Note">Why the list is empty or content only, when it is (no model yet, a movie the model has no ratings of).</param>
public sealed record SimilarMoviesResponse(int MovieId, string Strategy, string Source, string? ModelVersion,
    IReadOnlyList<SimilarMovieItem> Recommendations, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Note = null);

/// <param name="Share">Share of the cluster's clustered movies listing the genre.</param>
/// <param name="Lift">Share ÷ the genre's share among all clustered movies (over 1: over-represented).</param>
public sealed record DominantGenre(string Genre, double Share, double Lift);

/// <param name="Size">Clustered movies (at least min_ratings training ratings); the sizes add up to the clustered movie count.</param>
/// <param name="AssignedMovies">Movies with fewer ratings placed at this cluster's centroid afterwards.</param>
/// <param name="TopMovies">The listing's movie objects of its most popular members, most popular first.</param>
public sealed record MovieClusterItem(int Id, int Size, int AssignedMovies, IReadOnlyList<DominantGenre> DominantGenres, IReadOnlyList<MovieSummary> TopMovies);

/// <param name="ModelVersion">The served model the clusters belong to; null before the first model.</param>
/// <param name="K">Number of clusters (0 without clusters).</param>
/// <param name="MinRatings">Training ratings a movie needed to be clustered rather than assigned.</param>
/// <param name="Note">Why there are no clusters, when there are none.</param>
public sealed record MovieClustersResponse(string? ModelVersion, int K, double? Silhouette, int? MinRatings, IReadOnlyList<MovieClusterItem> Clusters,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Note = null);

/// <summary>"More like this" for a movie, and the movie clusters of the served model (docs/discovery.md).</summary>
public static class SimilarAndClustersApi
{
    /// <summary>The <c>strategy</c> values of the similar endpoint, in the order error messages list them.</summary>
    public static IReadOnlyList<string> StrategyNames { get; } = ["hybrid", "content", "collaborative"];

    public const string NoModelNote = "No model has been trained yet";
    public const string NoClustersForVersionNote =
        "This model version has no stored clusters (it was trained before training clustered the movies); train a new version to get them.";

    public static IEndpointRouteBuilder MapSimilarAndClusters(this IEndpointRouteBuilder api)
    {
        var v1 = api.MapGroup("/rest/v1");
        // "/similar" after the int id: no clash with /movies/{id:int} and its siblings, nor with /movies/trending.
        v1.MapGet("/movies/{id:int}/similar", Similar).WithName("GetSimilarMovies").WithTags("Discovery")
            .WithSummary("Movies like this one: strategy hybrid (default: the model's item vectors blended with content, content alone for movies with few ratings), content (genres, tags, title words; TF-IDF cosine) or collaborative (cosine of the model's item vectors); a score and a reason each; limit 1..100, default 10.");
        v1.MapGet("/clusters", Clusters).WithName("ListMovieClusters").WithTags("Discovery")
            .WithSummary($"The served model's movie clusters (k-means on its item vectors, k by silhouette), largest first, each with size, dominant genres and its most popular movies (movies 1..{ClusterOverview.MaxTopMovies}, default 5); before any model an empty list with model_version null.");
        return api;
    }

    static bool TryParseStrategy(string text, out SimilarityStrategy strategy)
    {
        var index = StrategyNames.ToList().FindIndex(n => n.Equals(text.Trim(), StringComparison.OrdinalIgnoreCase));
        strategy = index switch { 1 => SimilarityStrategy.Content, 2 => SimilarityStrategy.Collaborative, _ => SimilarityStrategy.Hybrid };
        return index >= 0;
    }

    static Results<Ok<SimilarMoviesResponse>, ProblemHttpResult, ValidationProblem> Similar(
        int id, string? limit, string? strategy, CatalogCache cache, SimilarMoviesSource source)
    {
        var errors = new ProblemErrors();
        var take = errors.Int("limit", limit, 1, SimilarMovies.MaxLimit, 10);
        var chosen = SimilarityStrategy.Hybrid;
        if (strategy is not null && !TryParseStrategy(strategy, out chosen))
            errors.Add("strategy", $"must be one of {string.Join(", ", StrategyNames)} (got '{(strategy.Length <= 40 ? strategy : strategy[..40] + "…")}')");
        if (errors.Any)
            return errors.ToResult();
        var catalog = cache.Require();
        if (catalog.Find(id) is null)
            return Problems.MovieNotFound(id);

        var current = source.Get(catalog);
        var served = current.Served;
        var result = current.Find(id, take, chosen);
        var items = new List<SimilarMovieItem>(result.Items.Count);
        foreach (var item in result.Items)
            items.Add(new SimilarMovieItem(item.MovieId, catalog.Find(item.MovieId)?.Title ?? "", Math.Round(item.Score, 4), item.Reason));
        var note = (result.Notice, chosen) switch
        {
            (SimilarityNotice.NoModel, SimilarityStrategy.Collaborative) =>
                $"{NoModelNote}: collaborative similarity needs one (strategy=content works without).",
            (SimilarityNotice.NoModel, _) => $"{NoModelNote}: these are content similarities only.",
            (SimilarityNotice.NotInModel, SimilarityStrategy.Collaborative) =>
                "The served model has no ratings of this movie (added or first rated after the last training), so it has no collaborative neighbours; strategy=content works.",
            (SimilarityNotice.NotInModel, _) => "The served model has no ratings of this movie yet: these are content similarities only.",
            _ => null,
        };
        var used = result.Used switch { SimilarityStrategy.Content => "content", SimilarityStrategy.Collaborative => "collaborative", _ => "hybrid" };
        return TypedResults.Ok(new SimilarMoviesResponse(id, StrategyNames[(int)chosen], used,
            result.Used == SimilarityStrategy.Content ? null : served?.Version, items, note));
    }

    static Results<Ok<MovieClustersResponse>, ValidationProblem> Clusters(string? movies, CatalogCache cache, ModelHolder holder, HttpRequest request)
    {
        var errors = new ProblemErrors();
        var top = errors.Int("movies", movies, 1, ClusterOverview.MaxTopMovies, 5);
        if (errors.Any)
            return errors.ToResult();
        var catalog = cache.Require();
        var served = holder.Current;   // one model for the request: clusters and version belong together
        if (served?.Clusters is not { K: > 0 } clusters)
            return TypedResults.Ok(new MovieClustersResponse(served?.Version, 0, null, served?.Clusters?.MinRatings, [],
                served is null ? $"{NoModelNote}: clusters are computed by every training run."
                : served.Clusters is null ? NoClustersForVersionNote
                : $"No movie had the {served.Clusters.MinRatings} training ratings needed to be clustered."));
        var items = ClusterOverview.Describe(catalog, clusters, top).Select(p => new MovieClusterItem(p.Cluster, p.Size, p.Assigned,
            [.. p.DominantGenres.Select(g => new DominantGenre(g.Genre, g.Share, g.Lift))],
            [.. p.TopMovieIds.Select(catalog.Find).OfType<Core.Catalog.Movie>().Select(m => DiscoveryMapping.Summary(catalog, m, request))])).ToList();
        return TypedResults.Ok(new MovieClustersResponse(served.Version, clusters.K, Math.Round(clusters.Silhouette, 4), clusters.MinRatings, items));
    }
}
