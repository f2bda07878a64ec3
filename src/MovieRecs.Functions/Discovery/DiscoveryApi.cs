using Microsoft.AspNetCore.Http.HttpResults;
using MovieRecs.Core.Discovery;
using MovieRecs.Core.Engine;
using MovieRecs.Functions.Infrastructure;

namespace MovieRecs.Functions.Discovery;

/// <summary>Discovery: genre charts, trending, the blended personal list, a user's analytics and one model version's manifest.</summary>
public static class DiscoveryApi
{
    public static IEndpointRouteBuilder MapDiscovery(this IEndpointRouteBuilder api)
    {
        var v1 = api.MapGroup("/rest/v1");
        v1.MapGet("/recommendations/genre/{genre}", GenreChart).WithName("GetGenreChart").WithTags("Discovery")
            .WithSummary($"Best movies of a genre (any case/accents: sci-fi, Sci-Fi) by a Bayesian average with {GenreCharts.MinRatings} ratings of the global mean; limit 1..100, default 10.");
        // A literal segment: routing prefers it to /movies/{id:int} whatever the mapping order (and "trending" is no int).
        v1.MapGet("/movies/trending", TrendingList).WithName("ListTrendingMovies").WithTags("Discovery")
            .WithSummary("Movies ranked by recent rating activity with time decay (half-life a quarter of the window); window day|week|month (default week), limit 1..100.");
        v1.MapGet("/users/{id:int}/recommendations/personalized", PersonalizedAsync).WithName("GetPersonalizedRecommendations").WithTags("Recommendations")
            .WithSummary("The hybrid list (model 0.6, genre-weighted 0.25, popularity 0.15, rank-blended) with a score 0..1 and a reason per movie; limit 1..100, default 10.");
        v1.MapGet("/users/{id:int}/analytics", AnalyticsAsync).WithName("GetUserAnalytics").WithTags("Users")
            .WithSummary("Favourite genres (weighted by the stars given), rating distribution per half star, count, mean, first and last rating time.");
        v1.MapGet("/recommendation-engine/models/{version}", ModelAsync).WithName("GetModel").WithTags("Recommendation engine")
            .WithSummary("One model version's manifest: parameters, data counts and hold-out metrics (RMSE, MAE, precision, recall, NDCG, MAP at 10, calibration error).");
        return api;
    }

    static Results<Ok<GenreChartPage>, ProblemHttpResult, ValidationProblem> GenreChart(string genre, string? limit, CatalogCache cache, HttpRequest request)
    {
        var errors = new ProblemErrors();
        var take = errors.Int("limit", limit, 1, GenreCharts.MaxLimit, 10);
        if (errors.Any)
            return errors.ToResult();
        var catalog = cache.Require();
        var chart = GenreCharts.Compute(catalog, genre, take);
        if (!chart.Found)
        {
            errors.Add("genre", $"unknown genre '{Shorten(genre)}'; valid: {string.Join(", ", chart.KnownGenres)}");
            return errors.ToProblem(StatusCodes.Status404NotFound, "Unknown genre");
        }
        var movies = new List<GenreChartMovie>(chart.Movies.Count);
        foreach (var entry in chart.Movies)
            if (catalog.Find(entry.MovieId) is { } movie)
                movies.Add(DiscoveryMapping.ToChartMovie(DiscoveryMapping.Summary(catalog, movie, request), entry.WeightedRating));
        return TypedResults.Ok(new GenreChartPage(chart.Genre!, chart.MinRatings, movies));
    }

    static Results<Ok<TrendingMovies>, ValidationProblem> TrendingList(
        string? window, string? limit, CatalogCache cache, TrendingFeed feed, TimeProvider time, HttpRequest request)
    {
        var errors = new ProblemErrors();
        var take = errors.Int("limit", limit, 1, Trending.MaxLimit, 10);
        var chosen = TrendingWindow.Week;
        if (window is not null && !Trending.TryParseWindow(window, out chosen))
            errors.Add("window", $"must be one of day, week, month (got '{Shorten(window)}')");
        if (errors.Any)
            return errors.ToResult();
        var catalog = cache.Require();
        // The full top 100, then catalog movies only: a movie dropped by an import may linger in the activity.
        var result = feed.Require().Compute(chosen, time.GetUtcNow(), Trending.MaxLimit);
        var movies = new List<TrendingMovieItem>(take);
        foreach (var m in result.Movies)
        {
            if (catalog.Find(m.MovieId) is not { } movie)
                continue;
            movies.Add(DiscoveryMapping.ToTrendingItem(DiscoveryMapping.Summary(catalog, movie, request), m.Score, m.Ratings));
            if (movies.Count == take)
                break;
        }
        return TypedResults.Ok(new TrendingMovies(
            result.Window.ToString().ToLowerInvariant(), result.AsOf.UtcDateTime,
            result.Anchor == TrendingAnchor.Now ? "now" : "newest_rating", result.HalfLife.TotalHours, movies));
    }

    static async Task<Results<Ok<PersonalizedRecommendations>, ProblemHttpResult, ValidationProblem>> PersonalizedAsync(
        int id, string? limit, PersonalStrategies strategies, CatalogCache cache, CancellationToken cancellationToken)
    {
        var errors = new ProblemErrors();
        var take = errors.Int("limit", limit, 1, PersonalHybrid.MaxCount, 10);
        if (errors.Any)
            return errors.ToResult();
        if (await strategies.HybridAsync(id, take, cancellationToken) is not { } hybrid)
            return Problems.UserNotFound(id);
        var (items, version) = hybrid;
        var catalog = cache.Require();
        return TypedResults.Ok(new PersonalizedRecommendations(id, version,
            [.. items.Select(i => new PersonalizedItem(i.MovieId, catalog.Find(i.MovieId)?.Title ?? "", i.Score, i.Reason))]));
    }

    static async Task<Results<Ok<UserAnalyticsResponse>, ProblemHttpResult>> AnalyticsAsync(
        int id, UserHistories histories, CatalogCache cache, CancellationToken cancellationToken)
    {
        var catalog = cache.Require();
        if (await histories.GetAsync(id, cancellationToken) is not { } user)
            return Problems.UserNotFound(id);
        var report = UserAnalytics.Compute(catalog, user);
        return TypedResults.Ok(new UserAnalyticsResponse(id, report.RatingCount,
            report.MeanRating is { } mean ? Math.Round(mean, 4) : null,
            report.FirstRatedAt?.UtcDateTime, report.LastRatedAt?.UtcDateTime, report.Distribution,
            [.. report.FavouriteGenres.Select(g => new FavouriteGenre(g.Genre, g.Score, Math.Round(g.Share, 4), g.Count, Math.Round(g.MeanRating, 4)))]));
    }

    static async Task<Results<Ok<ModelVersionManifest>, ProblemHttpResult>> ModelAsync(
        string version, ModelRepository models, CancellationToken cancellationToken)
    {
        if (await models.GetManifestAsync(version, cancellationToken) is not { } manifest)
            return Problems.NotFound($"No model version '{Shorten(version)}'.");
        var (active, _) = await models.GetActiveAsync(cancellationToken);
        return TypedResults.Ok(new ModelVersionManifest(manifest.Version, active?.Version == manifest.Version, manifest));
    }

    static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
