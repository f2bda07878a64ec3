using System.Runtime.CompilerServices;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using MovieRecs.Core.Catalog;
using MovieRecs.Core.Discovery;
using MovieRecs.Core.Store;
using MovieRecs.Functions.Discovery;
using MovieRecs.Functions.Infrastructure;
using MovieRecs.Recommender;
using MovieRecs.Recommender.Ranking;

namespace MovieRecs.Functions.Engine;

public sealed record RecommendedMovies(IReadOnlyList<int> MovieIds, IReadOnlyList<double?> Probabilities, string? ModelVersion, string Source);

public sealed record LegacyRecommendation(int MovieId, string MovieName, double? Match);

/// <param name="Strategy">The strategy asked for (model by default).</param>
/// <param name="Note">Why the list is not what the strategy would give, when that needs saying (strategy=cluster before clusters exist).</param>
public sealed record LegacyRecommendations(IReadOnlyList<LegacyRecommendation> Recommendations, string? ModelVersion, string Source,
    string Strategy = "model", [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Note = null);

/// <summary>
/// Personal recommendations from the served model, with the user's current ratings folded in per request (new
/// ratings count at once). Before any model exists, or for a user without ratings, the most rated catalog movies
/// (source "popularity"; model_version null when there is no model). Only catalog movies are recommended.
/// </summary>
public static class RecommendationsApi
{
    public const string SourceModel = "model";

    /// <summary>Largest list a recommendation endpoint returns (n, top).</summary>
    public const int MaxCount = 100;
    public const string SourcePopularity = "popularity";

    public static void MapRecommendations(this IEndpointRouteBuilder api)
    {
        api.MapGet("/rest/v1/user/{id:int}/recommended-movies", RecommendedMoviesAsync).WithName("GetRecommendedMovies").WithTags("Recommendations")
            .WithSummary("Top n movies for a user (n 1..100, default 10), best first, with like-probabilities");
        api.MapGet("/users/{id:int}/recommendations", LegacyAsync).WithName("GetRecommendationsLegacy").WithTags("Recommendations")
            .WithSummary("Top movies for a user (top 1..100, default 3) with names and match; strategy=model (default), genre-weighted, cluster, popular or hybrid");
    }

    public readonly record struct Item(int MovieId, double? Probability);

    static async Task<Results<Ok<RecommendedMovies>, ProblemHttpResult, ValidationProblem>> RecommendedMoviesAsync(
        int id, string? n, string? include_rated, RecommendationService service, CancellationToken cancellationToken)
    {
        var errors = new ProblemErrors();
        var count = errors.Int("n", n, 1, MaxCount, 10);
        var includeRated = ParseBool(errors, "include_rated", include_rated);
        if (errors.Any)
            return errors.ToResult();
        if (await service.RecommendAsync(id, count, includeRated, cancellationToken) is not { } result)
            return Problems.UserNotFound(id);
        return TypedResults.Ok(new RecommendedMovies(result.Items.Select(i => i.MovieId).ToList(), result.Items.Select(i => i.Probability).ToList(),
            result.ModelVersion, result.Source));
    }

    static async Task<Results<Ok<LegacyRecommendations>, ProblemHttpResult, ValidationProblem>> LegacyAsync(
        int id, string? top, string? include_rated, string? strategy, RecommendationService service, PersonalStrategies strategies,
        CatalogCache catalog, CancellationToken cancellationToken)
    {
        var errors = new ProblemErrors();
        var count = errors.Int("top", top, 1, MaxCount, 3);
        var includeRated = ParseBool(errors, "include_rated", include_rated);
        var chosen = PersonalStrategy.Model;
        if (strategy is not null && !PersonalStrategies.TryParseStrategy(strategy, out chosen))
            errors.Add("strategy", $"must be one of {string.Join(", ", PersonalStrategies.StrategyNames)} (got '{(strategy.Length <= 40 ? strategy : strategy[..40] + "…")}')");
        else if (includeRated && chosen != PersonalStrategy.Model)
            errors.Add("include_rated", "only strategy=model can list movies the user rated");
        if (errors.Any)
            return errors.ToResult();
        if (chosen != PersonalStrategy.Model)
            return await strategies.RecommendAsync(id, chosen, count, cancellationToken) is { } listed
                ? TypedResults.Ok(Legacy(listed, catalog.Require(), PersonalStrategies.StrategyNames[(int)chosen]))
                : Problems.UserNotFound(id);
        if (await service.RecommendAsync(id, count, includeRated, cancellationToken) is not { } result)
            return Problems.UserNotFound(id);
        var movies = catalog.Require();
        return TypedResults.Ok(new LegacyRecommendations(
            result.Items.Select(i => new LegacyRecommendation(i.MovieId, movies.Find(i.MovieId)?.Title ?? "", i.Probability)).ToList(),
            result.ModelVersion, result.Source));
    }

    internal static LegacyRecommendations Legacy(PersonalStrategies.Result result, MovieCatalog movies, string strategy) =>
        new([.. result.Items.Select(i => new LegacyRecommendation(i.MovieId, movies.Find(i.MovieId)?.Title ?? "", i.Match))],
            result.ModelVersion, result.Source, strategy, result.Note);

    static bool ParseBool(ProblemErrors errors, string field, string? text)
    {
        if (text is null)
            return false;
        if (bool.TryParse(text, out var value))
            return value;
        errors.Add(field, $"must be true or false (got '{(text.Length <= 40 ? text : text[..40] + "…")}')");
        return false;
    }
}

/// <summary>The recommendation logic behind both endpoints.</summary>
/// <remarks>
/// A user's ratings come from this instance's ratings cache (<see cref="UserHistories"/>: writes through this instance
/// count at once), and the profile folded in from them is kept until they or the served model change, so a repeated
/// request costs one ranking pass, not a storage read and a fold-in.
/// </remarks>
public sealed class RecommendationService(ModelHolder holder, CatalogCache catalogCache, UserHistories histories)
{
    public sealed record Result(IReadOnlyList<RecommendationsApi.Item> Items, string? ModelVersion, string Source);

    sealed record Folded(ServedModel Served, UserProfile Profile)
    {
        // The best 100 unrated catalog movies, computed on first use: a user's list only changes with their ratings,
        // the model (both give a new Folded) or the catalog.
        public volatile Tuple<MovieCatalog, List<RecommendationsApi.Item>>? Top;
    }

    sealed class ProfileSlot
    {
        public volatile Folded? Value;
    }

    // Keyed by the history object, which the cache replaces whenever the user's rows change.
    readonly ConditionalWeakTable<UserHistory, ProfileSlot> _profiles = new();

    /// <summary>Null for an unknown user.</summary>
    public async Task<Result?> RecommendAsync(int userId, int count, bool includeRated, CancellationToken cancellationToken)
    {
        var catalog = catalogCache.Require();
        if (await histories.GetAsync(userId, cancellationToken, forRecommendations: true) is not { } user)
            return null;

        var served = holder.Current; // one model for the whole request, whatever swaps happen meanwhile
        if (served is not null && user.Ratings.Count > 0)
        {
            var folded = FoldedOf(served, user);
            if (folded.Profile.RatingCount > 0)
            {
                if (includeRated)
                    return new Result(Personal(served, folded.Profile, user, catalog, count, includeRated: true), served.Version, RecommendationsApi.SourceModel);
                if (folded.Top is not { } top || !ReferenceEquals(top.Item1, catalog))
                    folded.Top = top = Tuple.Create(catalog, Personal(served, folded.Profile, user, catalog, RecommendationsApi.MaxCount, includeRated: false));
                return new Result(top.Item2.Count <= count ? top.Item2 : top.Item2.GetRange(0, count), served.Version, RecommendationsApi.SourceModel);
            }
        }
        return new Result(Popular(served?.Model, catalog, count, includeRated ? user.Watchlist.ToHashSet() : [.. user.Ratings.Select(r => r.MovieId), .. user.Watchlist]),
            served?.Version, RecommendationsApi.SourcePopularity);
    }

    /// <summary>The user's vectors under the served model, solved from their current ratings once per (ratings, model).</summary>
    Folded FoldedOf(ServedModel served, UserHistory user)
    {
        var slot = _profiles.GetValue(user, static _ => new ProfileSlot());
        if (slot.Value is { } folded && ReferenceEquals(folded.Served, served))
            return folded;
        folded = new Folded(served, served.Model.FoldIn([.. user.Ratings.Select(r => (r.MovieId, (float)r.Rating))]));
        slot.Value = folded;
        return folded;
    }

    /// <summary>
    /// The served model's ranking for <paramref name="user"/>'s ratings, best first, with the model's ranking score (what
    /// it orders by, not the like-probability): at most <paramref name="count"/> catalog movies, watched ones left out.
    /// Empty, with no version, without a model or when the model can place none of the user's ratings: callers then
    /// fall back to popularity as <see cref="RecommendAsync"/> does.
    /// </summary>
    public (IReadOnlyList<ModelScore> Scores, string? ModelVersion) ModelScores(UserHistory user, int count)
    {
        var served = holder.Current;
        if (served is null || user.Ratings.Count == 0 || served.Model.MovieCount == 0)
            return ([], null);
        var profile = FoldedOf(served, user).Profile;
        if (profile.RatingCount == 0)
            return ([], null);
        var catalog = catalogCache.Require();
        var recs = served.Model.Recommend(profile, Math.Min(served.Model.MovieCount, count + 16), exclude: user.Watched.ToArray());
        var scores = new List<ModelScore>(Math.Min(count, recs.Count));
        foreach (var r in recs)
            if (catalog.Contains(r.MovieId) && scores.Count < count)
                scores.Add(new ModelScore(r.MovieId, r.Score));
        return (scores, served.Version);
    }

    /// <summary>
    /// The user's list, best first: with a ranker its order and its calibrated probabilities (of the event the list is
    /// ranked by, so they do not increase down the list); without one (a version trained before the ranker) the base
    /// models' order with like-probabilities.
    /// </summary>
    static List<RecommendationsApi.Item> Personal(ServedModel served, UserProfile profile, UserHistory user, MovieCatalog catalog, int count, bool includeRated)
    {
        if (served.Ranker is { } ranker)
        {
            var history = user.Ratings.Select(r => new RatedMovie(r.MovieId, (float)r.Rating, r.UnixTime)).ToArray();
            var ranked = ranker.Recommend(served.Model, profile, history, count + 32, exclude: user.Watchlist, includeRated: includeRated);
            var list = new List<RecommendationsApi.Item>(count);
            foreach (var r in ranked)
                if (catalog.Contains(r.MovieId) && list.Count < count)
                    list.Add(new(r.MovieId, Math.Round(r.Probability, 4)));
            return list;
        }
        return Personal(served.Model, profile, catalog, user.Watchlist, count, includeRated);
    }

    static List<RecommendationsApi.Item> Personal(RecommenderModel model, UserProfile profile, MovieCatalog catalog, IReadOnlySet<int> watchlist, int count, bool includeRated)
    {
        var ask = count + 16;
        while (true)
        {
            var recs = model.Recommend(profile, ask, includeRated: includeRated);
            var items = new List<RecommendationsApi.Item>(count);
            foreach (var r in recs)
            {
                if (!catalog.Contains(r.MovieId) || watchlist.Contains(r.MovieId))
                    continue;
                items.Add(new(r.MovieId, Math.Round(r.Probability, 4)));
                if (items.Count == count)
                    return items;
            }
            if (recs.Count < ask || ask >= model.MovieCount)
                return items;
            ask = Math.Min(model.MovieCount, ask * 4);
        }
    }

    /// <summary>The most rated catalog movies (ties: more watches, then lower id).</summary>
    static List<RecommendationsApi.Item> Popular(RecommenderModel? model, MovieCatalog catalog, int count, HashSet<int>? exclude)
    {
        var heap = new PriorityQueue<int, (int Count, int Watches, int NegId)>(count + 1);
        foreach (var movie in catalog.Movies)
        {
            if (exclude is not null && exclude.Contains(movie.Id))
                continue;
            var s = catalog.GetStats(movie.Id);
            heap.Enqueue(movie.Id, (s.Count, s.WatchCount, -movie.Id));
            if (heap.Count > count)
                heap.Dequeue();
        }
        var ids = new List<int>(heap.Count);
        while (heap.TryDequeue(out var id, out _))
            ids.Add(id);
        ids.Reverse();
        // With a model, a baseline like-probability (no personal ratings): global mean + the movie's bias, calibrated.
        var empty = model?.FoldIn([]);
        return ids.Select(id => new RecommendationsApi.Item(id,
            empty is not null && model!.ContainsMovie(id) ? Math.Round(model.LikeProbability(empty, id), 4) : null)).ToList();
    }
}
