using System.Runtime.CompilerServices;
using System.Diagnostics;
using System.Collections.Concurrent;
using MovieRecs.Core.Catalog;
using MovieRecs.Core.Discovery;
using MovieRecs.Functions.Engine;
using MovieRecs.Functions.Infrastructure;

namespace MovieRecs.Functions.Discovery;

/// <summary>The <c>strategy</c> values of <c>GET /api/users/{id}/recommendations</c>.</summary>
public enum PersonalStrategy
{
    Model,
    GenreWeighted,
    Cluster,
    Popular,
    Hybrid,
}

/// <summary>
/// The personal strategies besides the model's own list (which <see cref="RecommendationService"/> serves): genre-weighted,
/// cluster, popular and hybrid, each over the user's current ratings and watch marks, never listing a watched movie.
/// </summary>
public sealed class PersonalStrategies(CatalogCache catalogCache, UserHistories histories, RecommendationService models, ModelHolder holder,
    ClusterSource clusterSource)
{
    public const string SourceGenreWeighted = "genre-weighted";
    public const string SourceCluster = "cluster";
    public const string SourceHybrid = "hybrid";

    public const string NoClustersNote =
        "No movie clusters to recommend from yet (no model trained with clusters, or no movie with enough ratings to cluster): "
        + "these are the most popular movies you have not watched.";

    /// <summary>The wire names, in the order error messages list them.</summary>
    public static IReadOnlyList<string> StrategyNames { get; } = ["model", "genre-weighted", "cluster", "popular", "hybrid"];

    // Not named TryParse: minimal APIs would take this class for a parameter bound from the request.
    public static bool TryParseStrategy(string? text, out PersonalStrategy strategy)
    {
        var index = text is null ? -1 : StrategyNames.ToList().FindIndex(n => n.Equals(text.Trim(), StringComparison.OrdinalIgnoreCase));
        strategy = index < 0 ? PersonalStrategy.Model : (PersonalStrategy)index;
        return index >= 0;
    }

    /// <param name="Match">The strategy's 0..1 score, where it has one (hybrid: the blended score; cluster: the user's
    /// score of the movie's cluster ÷ 5); null for lists ordered by popularity alone.</param>
    public readonly record struct Item(int MovieId, double? Match);

    /// <param name="Source">What the list came from: the strategy, or "popularity" when it fell back to it.</param>
    /// <param name="Note">Why it fell back, when that is not obvious (no clusters yet).</param>
    public sealed record Result(IReadOnlyList<Item> Items, string? ModelVersion, string Source, string? Note = null);

    /// <summary>The user's list (<paramref name="count"/> 1..100), or null for an unknown user. Not for <see cref="PersonalStrategy.Model"/>.</summary>
    public async Task<Result?> RecommendAsync(int userId, PersonalStrategy strategy, int count, CancellationToken cancellationToken)
    {
        var catalog = catalogCache.Require();
        if (await histories.GetAsync(userId, cancellationToken, forRecommendations: true) is not { } user)
            return null;
        // A list depends on the user's ratings (a new history object when they change), the catalog, the served model
        // and the popularity order, which itself is refreshed about once a second: keep each list that long.
        var served = holder.Current;
        var lists = _lists.GetValue(user, static _ => new());
        if (lists.TryGetValue((strategy, count), out var kept) && ReferenceEquals(kept.Catalog, catalog) && ReferenceEquals(kept.Served, served)
            && Stopwatch.GetElapsedTime(kept.At) < KeepListsFor)
            return kept.Result;
        var result = Compute(catalog, user, strategy, count);
        lists[(strategy, count)] = (result, catalog, served, Stopwatch.GetTimestamp());
        return result;
    }

    static readonly TimeSpan KeepListsFor = TimeSpan.FromSeconds(1);
    readonly ConditionalWeakTable<UserHistory, ConcurrentDictionary<(PersonalStrategy, int), (Result Result, MovieCatalog Catalog, ServedModel? Served, long At)>> _lists = new();

    Result Compute(MovieCatalog catalog, UserHistory user, PersonalStrategy strategy, int count)
    {
        return strategy switch
        {
            PersonalStrategy.GenreWeighted => GenreWeightedList(catalog, user, count),
            PersonalStrategy.Popular => new Result(Popular(catalog, user, count), null, RecommendationsApi.SourcePopularity),
            PersonalStrategy.Cluster => ClusterList(catalog, user, count),
            PersonalStrategy.Hybrid => HybridResult(catalog, user, count),
            _ => throw new ArgumentOutOfRangeException(nameof(strategy), strategy, "the model strategy is RecommendationService's"),
        };
    }

    /// <summary>The hybrid list with scores and reasons (and the model version when the model contributed), or null for an unknown user.</summary>
    public async Task<(IReadOnlyList<HybridRecommendation> Items, string? ModelVersion)?> HybridAsync(int userId, int count, CancellationToken cancellationToken)
    {
        var catalog = catalogCache.Require();
        if (await histories.GetAsync(userId, cancellationToken, forRecommendations: true) is not { } user)
            return null;
        return HybridList(catalog, user, count);
    }

    (IReadOnlyList<HybridRecommendation> Items, string? ModelVersion) HybridList(MovieCatalog catalog, UserHistory user, int count)
    {
        // The model list as deep as the blend looks (PersonalHybrid: clamp(2 × count, 20, 100)). No model, or a user it
        // cannot place: an empty list, and PersonalHybrid blends genre and popularity alone.
        var (scores, version) = models.ModelScores(user, Math.Clamp(2 * count, 20, PersonalHybrid.MaxCount));
        return (PersonalHybrid.Recommend(catalog, user, scores, count), scores.Count > 0 ? version : null);
    }

    Result HybridResult(MovieCatalog catalog, UserHistory user, int count)
    {
        var (items, version) = HybridList(catalog, user, count);
        return new Result([.. items.Select(i => new Item(i.MovieId, i.Score))], version, SourceHybrid);
    }

    static Result GenreWeightedList(MovieCatalog catalog, UserHistory user, int count)
    {
        var result = GenreWeighted.Recommend(catalog, user, count);
        // No likes: the algorithm's own fallback, the most popular unwatched movies.
        return new Result([.. result.Movies.Select(m => new Item(m.MovieId, null))], null,
            result.FromLikes ? SourceGenreWeighted : RecommendationsApi.SourcePopularity);
    }

    Result ClusterList(MovieCatalog catalog, UserHistory user, int count)
    {
        var served = holder.Current;   // one model for the request: clusters and version belong together
        if (clusterSource.Clusters(served) is not { } clusters)
            return new Result(Popular(catalog, user, count), null, RecommendationsApi.SourcePopularity, NoClustersNote);
        var result = ClusterRecommendations.Recommend(catalog, user, clusters, count);
        var scoreOf = result.Clusters.ToDictionary(c => c.Cluster, c => c.Score);
        var items = result.Movies.Select(m => new Item(m.MovieId,
            m.Cluster is { } c ? Math.Round(Math.Clamp(scoreOf[c] / 5.0, 0, 1), 4) : null)).ToList();
        return new Result(items, served?.Version,
            result.Movies.Any(m => m.Cluster is not null) ? SourceCluster : RecommendationsApi.SourcePopularity);
    }

    static readonly IReadOnlyList<IReadOnlyList<int>> s_noClusters = [];

    /// <summary>The most popular movies the user has not watched (rated or marked): the cluster strategy without clusters
    /// is exactly that (its documented fallback), walked from the precomputed popularity order.</summary>
    static List<Item> Popular(MovieCatalog catalog, UserHistory user, int count) =>
        [.. ClusterRecommendations.Recommend(catalog, user, s_noClusters, count).Movies.Select(m => new Item(m.MovieId, null))];
}
