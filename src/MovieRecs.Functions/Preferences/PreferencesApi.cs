using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using MovieRecs.Core.Store;
using MovieRecs.Functions.Accounts;
using MovieRecs.Functions.Infrastructure;
using MovieRecs.Functions.Ratings;

namespace MovieRecs.Functions.Preferences;

/// <summary>Body of POST /api/users/{id}/preferences (documentation; parsed by the handler). Absent fields change nothing.</summary>
public sealed record PreferenceRequest(int MovieId, double? Rating, bool? Favorite, bool? Watchlist, bool? Watched);

/// <summary>What a user holds about one movie: the rating (with its id and review), the watch mark and the flags.</summary>
public sealed record MoviePreferenceResource(int MovieId, string? Title, double? Rating,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? RatingId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Review,
    bool Watched, bool Favorite, bool Watchlist);

public sealed record PreferencesPage(IReadOnlyList<MoviePreferenceResource> Preferences, int Total, int Page, int Limit);

public sealed record WatchlistEntry(int MovieId, string? Title, string? ThumbnailUrl, IReadOnlyList<string> Genres, DateTime Added);

public sealed record WatchlistPage(IReadOnlyList<WatchlistEntry> Movies, int Total, int Page, int Limit);

/// <summary>
/// A user's preferences per movie: the rating and watch mark (the rating rows, through <see cref="RatingStore"/>) and the
/// favourite and watchlist flags (<see cref="PreferenceStore"/>). Favourites count as top ratings in recommendations and
/// watchlist movies are never recommended (<see cref="Discovery.UserHistories"/>).
/// </summary>
public static class PreferencesApi
{
    public const int MaxPage = 100;
    const string Example = """{"movie_id": 1, "rating": 4.5, "favorite": true, "watchlist": false, "watched": true}""";

    public static IEndpointRouteBuilder MapPreferences(this IEndpointRouteBuilder api)
    {
        var users = api.MapGroup("/users").WithTags("Preferences");
        users.MapPost("/{id:int}/preferences", SetAsync).WithName("SetPreference")
            .DocumentsJsonBody<PreferenceRequest>()
            .WithSummary("Set what the user holds about a movie: rating (null removes it), favorite, watchlist, watched (false removes a watch-only mark); absent fields stay. Same rights as rating.");
        users.MapGet("/{id:int}/preferences", ListAsync).WithName("GetPreferences")
            .WithSummary("Every movie the user rated, watched, favourited or put on the watchlist, by movie id; limit 1..100 (default 20), page from 1.");
        users.MapGet("/{id:int}/watchlist", WatchlistAsync).WithName("GetWatchlist")
            .WithSummary("The user's watchlist, most recently added first; limit 1..100 (default 20), page from 1.");
        return api;
    }

    sealed record Change(int MovieId, double? Rating, bool RemoveRating, bool? Favorite, bool? Watchlist, bool? Watched);

    static Change? Parse(JsonElement root, ProblemErrors errors)
    {
        if (!JsonFields.RequireObject(root, errors, Example))
            return null;
        var movieId = JsonFields.Integer(root, "movie_id", "movie_id", errors, 1, RatingId.MaxMovieId);
        double? rating = null;
        var removeRating = false;
        if (root.TryGetProperty("rating", out var r))
        {
            if (r.ValueKind == JsonValueKind.Null)
                removeRating = true;
            else if (JsonFields.Number(root, "rating", "rating", errors) is { } value)
            {
                if (Core.MovieLens.RatingScale.IsValid(value))
                    rating = Math.Round(value * 2) / 2;
                else
                    errors.Add("rating", $"{RatingRequests.ScaleRule} (got {value.ToString(System.Globalization.CultureInfo.InvariantCulture)})");
            }
        }
        var favorite = Flag(root, "favorite", errors);
        var watchlist = Flag(root, "watchlist", errors);
        var watched = Flag(root, "watched", errors);
        if (watched == false && rating is not null)
            errors.Add("watched", "cannot be false for a movie being rated (a rated movie is watched)");
        if (!errors.Any && rating is null && !removeRating && favorite is null && watchlist is null && watched is null)
            errors.Add("body", $"must set at least one of rating, favorite, watchlist, watched: {Example}");
        return errors.Any ? null : new Change((int)movieId!.Value, rating, removeRating, favorite, watchlist, watched);
    }

    static bool? Flag(JsonElement root, string name, ProblemErrors errors)
    {
        if (!root.TryGetProperty(name, out var value))
            return null;
        if (value.ValueKind is JsonValueKind.True or JsonValueKind.False)
            return value.GetBoolean();
        errors.Add(name, $"must be true or false (got {JsonFields.KindName(value)})");
        return null;
    }

    /// <summary>
    /// Validates everything, then writes the rating or watch change (the part that can be refused: a 409 writes
    /// nothing), then the flags. A retry of the same request changes nothing more.
    /// </summary>
    static async Task<Results<Ok<MoviePreferenceResource>, ProblemHttpResult, ValidationProblem>> SetAsync(
        int id, HttpRequest request, CatalogCache cache, UserStore users, RatingStore ratings, PreferenceStore preferences,
        TimeProvider time, CancellationToken cancellationToken)
    {
        using var body = await JsonBody.ReadAsync(request, cancellationToken);
        if (body.Problem is { } problem)
            return problem;
        var errors = new ProblemErrors();
        if (body.Document is not { } doc)
        {
            errors.Add("body", $"is required: {Example}");
            return errors.ToResult();
        }
        if (Parse(doc.RootElement, errors) is not { } change)
            return errors.ToResult();
        if (!await users.ExistsAsync(id, cancellationToken))
            return Problems.UserNotFound(id);
        if (cache.Require().Find(change.MovieId) is not { } movie)
            return Problems.MovieNotFound(change.MovieId);
        if (await Access.CheckUserWriteAsync(request.HttpContext, id) is { } denied)
            return denied;

        var now = time.GetUtcNow().ToUnixTimeSeconds();
        PairResult? pair = null;
        if (change.Rating is { } rating)
            pair = await ratings.RateAsync(id, movie.Id, rating, now, CancellationToken.None).WaitAsync(cancellationToken);
        else if (change.RemoveRating)
        {
            pair = await ratings.RemoveRatingAsync(id, movie.Id, CancellationToken.None).WaitAsync(cancellationToken);
            if (change.Watched == true)
                pair = await ratings.WatchAsync(id, movie.Id, now, CancellationToken.None).WaitAsync(cancellationToken);
        }
        else if (change.Watched == true)
            pair = await ratings.WatchAsync(id, movie.Id, now, CancellationToken.None).WaitAsync(cancellationToken);
        else if (change.Watched == false)
        {
            pair = await ratings.UnwatchAsync(id, movie.Id, CancellationToken.None).WaitAsync(cancellationToken);
            if (pair.Outcome == PairOutcome.Conflict)
                return Problems.Conflict($"User {id} rated movie {movie.Id}: a rated movie stays watched. Send \"rating\": null to remove the rating.");
        }
        var row = pair is null ? await ratings.GetPairAsync(id, movie.Id, cancellationToken) : pair.Row;
        var flags = change.Favorite is null && change.Watchlist is null
            ? (await preferences.GetAsync(id, TimeSpan.Zero, cancellationToken)).ByMovie.GetValueOrDefault(movie.Id)
            : await preferences.SetAsync(id, movie.Id, change.Favorite, change.Watchlist, CancellationToken.None).WaitAsync(cancellationToken);
        return TypedResults.Ok(ToResource(id, movie.Id, movie.Title, row?.Rating, row?.Review, row is not null, flags));
    }

    static async Task<Results<Ok<PreferencesPage>, ProblemHttpResult, ValidationProblem>> ListAsync(
        int id, string? limit, string? page, CatalogCache cache, UserStore users, RatingStore ratings, PreferenceStore preferences,
        RatingsSettings settings, CancellationToken cancellationToken)
    {
        var errors = new ProblemErrors();
        var (take, pageNumber, skip) = errors.Paging(limit, page, MaxPage, 20);
        if (errors.Any)
            return errors.ToResult();
        if (!await users.ExistsAsync(id, cancellationToken))
            return Problems.UserNotFound(id);
        var catalog = cache.Require();
        var rows = (await ratings.GetUserRowsAsync(id, settings.UserCacheMaxAge, cancellationToken)).Where(r => r.IsWatched).ToDictionary(r => r.MovieId);
        var flags = await preferences.GetAsync(id, settings.UserCacheMaxAge, cancellationToken);
        var movies = rows.Keys.Union(flags.ByMovie.Keys).Where(catalog.Contains).Order().ToList();   // deleted movies are not served
        var items = movies.Skip(skip).Take(take).Select(m =>
        {
            var row = rows.GetValueOrDefault(m);
            return ToResource(id, m, catalog.Find(m)?.Title, row?.Rating, row?.Review, row is not null, flags.ByMovie.GetValueOrDefault(m));
        }).ToList();
        return TypedResults.Ok(new PreferencesPage(items, movies.Count, pageNumber, take));
    }

    static async Task<Results<Ok<WatchlistPage>, ProblemHttpResult, ValidationProblem>> WatchlistAsync(
        int id, string? limit, string? page, HttpRequest request, CatalogCache cache, UserStore users, PreferenceStore preferences,
        RatingsSettings settings, CancellationToken cancellationToken)
    {
        var errors = new ProblemErrors();
        var (take, pageNumber, skip) = errors.Paging(limit, page, MaxPage, 20);
        if (errors.Any)
            return errors.ToResult();
        if (!await users.ExistsAsync(id, cancellationToken))
            return Problems.UserNotFound(id);
        var catalog = cache.Require();
        // Movies the catalog no longer serves (deleted by an admin) are not listed.
        var listed = (await preferences.GetAsync(id, settings.UserCacheMaxAge, cancellationToken)).ByMovie.Values
            .Where(p => p.Watchlist && catalog.Contains(p.MovieId))
            .OrderByDescending(p => p.Updated).ThenBy(p => p.MovieId).ToList();
        var items = listed.Skip(skip).Take(take).Select(p =>
        {
            var movie = catalog.Find(p.MovieId)!;
            return new WatchlistEntry(movie.Id, movie.Title, Movies.MovieMapping.ThumbnailUrl(movie, request), movie.Genres, DateTimeOffset.FromUnixTimeSeconds(p.Updated).UtcDateTime);
        }).ToList();
        return TypedResults.Ok(new WatchlistPage(items, listed.Count, pageNumber, take));
    }

    static MoviePreferenceResource ToResource(int userId, int movieId, string? title, double? rating, string? review, bool watched, MoviePreference? flags) =>
        new(movieId, title, rating, rating is null ? null : RatingId.Encode(userId, movieId), review, watched, flags?.Favorite ?? false, flags?.Watchlist ?? false);
}
