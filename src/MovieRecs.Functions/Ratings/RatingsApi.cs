using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using MovieRecs.Core.Store;
using MovieRecs.Functions.Accounts;
using MovieRecs.Functions.Infrastructure;

namespace MovieRecs.Functions.Ratings;

/// <summary>A rating as a REST resource; <c>rating_id</c> encodes (user, movie) (<see cref="RatingId"/>).</summary>
public sealed record RatingResource(long RatingId, int UserId, int MovieId, double Rating, DateTime Timestamp,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Review = null);

/// <summary>One of a user's ratings (the existing front end reads movie_id, rating, timestamp).</summary>
public sealed record UserRating(int MovieId, double Rating, DateTime Timestamp, long RatingId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Review = null);

public sealed record RatingsPage(IReadOnlyList<RatingResource> Ratings, int Total, int Page, int Limit);

/// <summary>Body of PUT/PATCH /api/rest/v1/ratings/{rating_id} (documentation; parsed by <see cref="RatingRequests.ParseEdit"/>).</summary>
public sealed record EditRatingRequest(double? Rating, string? Review);

public sealed record StoredRatings(IReadOnlyList<UserRating> Ratings);

public sealed record UserRatingsPage(IReadOnlyList<UserRating> Ratings, int Total, int Page, int Limit);

public sealed record WatchEntry(int MovieId, string? Title, DateTime WatchedAt, double? Rating);

public sealed record WatchHistoryPage(IReadOnlyList<WatchEntry> Watched, int Total, int Page, int Limit);

/// <summary>
/// Ratings and watch marks. Every write is acknowledged only after the user's rows and the movies' partial aggregates
/// (one transaction) and the rating log are written; see <see cref="RatingStore"/>.
/// </summary>
public static class RatingsApi
{
    public const int MaxUserRatingsPage = 1000;

    public static IEndpointRouteBuilder MapRatings(this IEndpointRouteBuilder api)
    {
        var v1 = api.MapGroup("/rest/v1").WithTags("Ratings");
        v1.MapPost("/ratings", CreateAsync).WithName("CreateRating")
            .DocumentsJsonBody<CreateRatingRequest>()
            .WithSummary("Rate a movie (0.5..5.0 in steps of 0.5); rating again replaces. 201 when new, 200 when replaced.");
        v1.MapGet("/ratings/{ratingId:long}", GetAsync).WithName("GetRating");
        v1.MapDelete("/ratings/{ratingId:long}", DeleteAsync).WithName("DeleteRating");
        v1.MapPut("/ratings/{ratingId:long}", ReplaceAsync).WithName("ReplaceRating")
            .DocumentsJsonBody<EditRatingRequest>()
            .WithSummary("Change an existing rating (owner or admin): rating required, review optional (at most 2,000 characters; absent removes it). 404 when not rated.");
        v1.MapPatch("/ratings/{ratingId:long}", UpdateAsync).WithName("UpdateRating")
            .DocumentsJsonBody<EditRatingRequest>()
            .WithSummary("Change an existing rating's score and/or review (owner or admin); an absent field is kept, review null or \"\" removes it.");
        v1.MapGet("/ratings", ListAsync).WithName("ListRatings")
            .WithSummary("Ratings by user_id and/or movie_id (at least one is required), paginated: limit 1..100 (default 20), page from 1.");
        v1.MapPost("/users/{id:int}/watched", MarkWatchedAsync).WithName("MarkWatched")
            .DocumentsJsonBody<MarkWatchedRequest>()
            .WithSummary("Mark a movie watched without rating it (rating a movie marks it watched too).");
        v1.MapDelete("/users/{id:int}/watched/{movieId:int}", UnmarkWatchedAsync).WithName("UnmarkWatched")
            .WithSummary("Remove a watch-only mark; 409 when the movie is rated (delete the rating instead).");
        v1.MapGet("/users/{id:int}/watch-history", GetWatchHistoryAsync).WithName("GetWatchHistory")
            .WithSummary("Movies the user watched (rated or marked), newest first.");

        // The existing front end's shapes.
        api.MapPost("/users/{id:int}/ratings", RateMoviesAsync).WithName("RateMovies").WithTags("Ratings")
            .DocumentsJsonBody<RateMoviesRequest>()
            .WithSummary("Rate 1..100 movies at once; all or nothing: any invalid item gets a 400 naming every bad item and nothing is written.");
        api.MapGet("/users/{id:int}/ratings", GetUserRatingsAsync).WithName("GetUserRatings").WithTags("Ratings")
            .Produces<UserRatingsPage>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("The user's ratings, newest first; limit 1..1000 (default 1000), page from 1.");
        return api;
    }

    // ---- batch (existing front end) ----

    static async Task<Results<Ok<StoredRatings>, ProblemHttpResult, ValidationProblem>> RateMoviesAsync(
        int id, HttpRequest request, CatalogCache cache, UserStore users, RatingStore ratings, TimeProvider time, CancellationToken cancellationToken)
    {
        using var body = await JsonBody.ReadAsync(request, cancellationToken);
        if (body.Problem is { } problem)
            return problem;
        var errors = new ProblemErrors();
        if (body.Document is not { } doc)
        {
            errors.Add("body", """is required: {"ratings": [{"movie_id": 1, "rating": 4}]}""");
            return errors.ToResult();
        }
        var catalog = cache.Require();
        var items = RatingRequests.ParseBatch(doc.RootElement, catalog, errors, out var onlyUnknownMovies);
        if (errors.Any && !onlyUnknownMovies)
            return errors.ToResult();
        if (!await users.ExistsAsync(id, cancellationToken))
            return Problems.UserNotFound(id);
        if (await Access.CheckUserWriteAsync(request.HttpContext, id) is { } denied)
            return denied;
        if (errors.Any)
            return errors.ToProblem(StatusCodes.Status422UnprocessableEntity, "Unknown movies");

        var now = time.GetUtcNow().ToUnixTimeSeconds();
        // The write runs to its end (stored and logged) even if this request stops waiting for it (a client gone, the
        // request deadline passed: then 503, and a retry of the same value changes nothing).
        var results = await ratings.RateManyAsync(id, items!.Select(i => (i.MovieId, i.Rating)).ToList(), now, CancellationToken.None).WaitAsync(cancellationToken);
        var stored = new UserRating[results.Length];
        for (var i = 0; i < results.Length; i++)
            stored[i] = ToUserRating(id, items![i].MovieId, results[i].Row!);
        return TypedResults.Ok(new StoredRatings(stored));
    }

    static async Task<IResult> GetUserRatingsAsync(
        int id, string? limit, string? page, UserStore users, RatingStore ratings, RatingsSettings settings,
        UserRatingsResponses responses, CatalogCache cache, CancellationToken cancellationToken)
    {
        var errors = new ProblemErrors();
        var (take, pageNumber, _) = errors.Paging(limit, page, MaxUserRatingsPage, MaxUserRatingsPage);
        if (errors.Any)
            return errors.ToResult();
        if (!await users.ExistsAsync(id, cancellationToken))
            return Problems.UserNotFound(id);
        var snapshot = await ratings.GetUserSnapshotAsync(id, settings.UserCacheMaxAge, cancellationToken);
        return TypedResults.Bytes(responses.Get(id, take, pageNumber, snapshot, cache.Require()), "application/json; charset=utf-8");
    }

    // ---- REST resource ----

    static async Task<Results<Created<RatingResource>, Ok<RatingResource>, ProblemHttpResult, ValidationProblem>> CreateAsync(
        HttpRequest request, HttpResponse response, CatalogCache cache, UserStore users, RatingStore ratings, TimeProvider time, CancellationToken cancellationToken)
    {
        using var body = await JsonBody.ReadAsync(request, cancellationToken);
        if (body.Problem is { } problem)
            return problem;
        var errors = new ProblemErrors();
        if (body.Document is not { } doc)
        {
            errors.Add("body", """is required: {"user_id": 1, "movie_id": 1, "rating": 2.5}""");
            return errors.ToResult();
        }
        if (RatingRequests.ParseOne(doc.RootElement, errors) is not var (userId, movieId, rating) || errors.Any)
            return errors.ToResult();
        var catalog = cache.Require();
        if (!RatingId.IsRatableUser(userId) || !await users.ExistsAsync((int)userId, cancellationToken))
            return Problems.NotFound($"No user with id {userId}.");
        if (!RatingId.IsRatableMovie(movieId) || !catalog.Contains((int)movieId))
            return Problems.MovieNotFound(movieId);
        if (await Access.CheckUserWriteAsync(request.HttpContext, (int)userId) is { } denied)
            return denied;

        var result = await ratings.RateAsync((int)userId, (int)movieId, rating, time.GetUtcNow().ToUnixTimeSeconds(), CancellationToken.None).WaitAsync(cancellationToken);
        var resource = ToResource((int)userId, (int)movieId, result.Row!);
        var location = $"{request.PathBase}/api/rest/v1/ratings/{resource.RatingId}";
        if (result.Outcome == PairOutcome.Created)
            return TypedResults.Created(location, resource);
        response.Headers.Location = location;
        return TypedResults.Ok(resource);
    }

    static async Task<Results<Ok<RatingResource>, ProblemHttpResult>> GetAsync(long ratingId, RatingStore ratings, CatalogCache cache, CancellationToken cancellationToken)
    {
        // A deleted movie's ratings stay stored but are not served.
        if (!RatingId.TryDecode(ratingId, out var userId, out var movieId) || !cache.Require().Contains(movieId))
            return RatingNotFound(ratingId);
        var row = await ratings.GetPairAsync(userId, movieId, cancellationToken);
        return row is { IsRated: true } ? TypedResults.Ok(ToResource(userId, movieId, row)) : RatingNotFound(ratingId);
    }

    static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(long ratingId, HttpContext http, UserStore users, RatingStore ratings, CancellationToken cancellationToken)
    {
        if (!RatingId.TryDecode(ratingId, out var userId, out var movieId) || !await users.ExistsAsync(userId, cancellationToken))
            return RatingNotFound(ratingId);
        if (await Access.CheckUserWriteAsync(http, userId) is { } denied)
            return denied;
        var result = await ratings.RemoveRatingAsync(userId, movieId, CancellationToken.None).WaitAsync(cancellationToken);
        return result.Outcome == PairOutcome.Removed ? TypedResults.NoContent() : RatingNotFound(ratingId);
    }

    static Task<Results<Ok<RatingResource>, ProblemHttpResult, ValidationProblem>> ReplaceAsync(
        long ratingId, HttpRequest request, UserStore users, RatingStore ratings, CatalogCache cache, TimeProvider time, CancellationToken cancellationToken) =>
        EditAsync(ratingId, request, users, ratings, cache, time, replace: true, cancellationToken);

    static Task<Results<Ok<RatingResource>, ProblemHttpResult, ValidationProblem>> UpdateAsync(
        long ratingId, HttpRequest request, UserStore users, RatingStore ratings, CatalogCache cache, TimeProvider time, CancellationToken cancellationToken) =>
        EditAsync(ratingId, request, users, ratings, cache, time, replace: false, cancellationToken);

    /// <summary>PUT (replace: rating required, no review means none) or PATCH (each field optional) of an existing rating.</summary>
    static async Task<Results<Ok<RatingResource>, ProblemHttpResult, ValidationProblem>> EditAsync(
        long ratingId, HttpRequest request, UserStore users, RatingStore ratings, CatalogCache cache, TimeProvider time, bool replace, CancellationToken cancellationToken)
    {
        using var body = await JsonBody.ReadAsync(request, cancellationToken);
        if (body.Problem is { } problem)
            return problem;
        var errors = new ProblemErrors();
        if (body.Document is not { } doc)
        {
            errors.Add("body", """is required: {"rating": 4.5, "review": "..."}""");
            return errors.ToResult();
        }
        if (RatingRequests.ParseEdit(doc.RootElement, replace, errors) is not var (rating, review) || errors.Any)
            return errors.ToResult();
        // A deleted movie's ratings stay stored but are not served, nor edited.
        if (!RatingId.TryDecode(ratingId, out var userId, out var movieId) || !cache.Require().Contains(movieId) || !await users.ExistsAsync(userId, cancellationToken))
            return RatingNotFound(ratingId);
        if (await Access.CheckUserWriteAsync(request.HttpContext, userId) is { } denied)
            return denied;

        var result = await ratings.EditAsync(userId, movieId, rating ?? double.NaN, review, time.GetUtcNow().ToUnixTimeSeconds(), CancellationToken.None)
            .WaitAsync(cancellationToken);
        return result.Outcome == PairOutcome.NotFound ? RatingNotFound(ratingId) : TypedResults.Ok(ToResource(userId, movieId, result.Row!));
    }

    public const int MaxRatingsPage = 100;

    /// <summary>
    /// One page of ratings, filtered by user (one partition range read, from this instance's ratings cache), by movie
    /// (the cold path that queries every table) or both (one point read). Without a filter it is a 400: there is no
    /// order across the 1,024 partitions to page through short of reading all of them.
    /// </summary>
    static async Task<Results<Ok<RatingsPage>, ProblemHttpResult, ValidationProblem>> ListAsync(
        string? user_id, string? movie_id, string? limit, string? page, UserStore users, CatalogCache cache, RatingStore ratings,
        RatingsSettings settings, CancellationToken cancellationToken)
    {
        var errors = new ProblemErrors();
        var (take, pageNumber, skip) = errors.Paging(limit, page, MaxRatingsPage, 20);
        var userId = user_id is null ? (int?)null : errors.Int("user_id", user_id, 1, RatingId.MaxUserId, 0);
        var movieId = movie_id is null ? (int?)null : errors.Int("movie_id", movie_id, 1, RatingId.MaxMovieId, 0);
        if (!errors.Any && userId is null && movieId is null)
            errors.Add("user_id", "user_id or movie_id is required (listing every rating is not offered: use one filter or both)");
        if (errors.Any)
            return errors.ToResult();
        if (userId is { } u && !await users.ExistsAsync(u, cancellationToken))
            return Problems.UserNotFound(u);
        if (movieId is { } m && !cache.Require().Contains(m))
            return Problems.MovieNotFound(m);

        if (userId is { } user && movieId is { } movie)
        {
            var row = await ratings.GetPairAsync(user, movie, cancellationToken);
            var one = row is { IsRated: true } ? new List<RatingResource> { ToResource(user, movie, row) } : [];
            return TypedResults.Ok(new RatingsPage(one.Skip(skip).Take(take).ToList(), one.Count, pageNumber, take));
        }
        if (userId is { } byUser)
        {
            var catalog = cache.Require();
            var rated = (await ratings.GetUserRowsAsync(byUser, settings.UserCacheMaxAge, cancellationToken)).Where(r => r.IsRated && catalog.Contains(r.MovieId)).ToList();
            rated.Sort(static (a, b) => a.UnixTime != b.UnixTime ? b.UnixTime.CompareTo(a.UnixTime) : a.MovieId.CompareTo(b.MovieId));
            var items = rated.Skip(skip).Take(take)
                .Select(r => new RatingResource(RatingId.Encode(byUser, r.MovieId), byUser, r.MovieId, r.Rating!.Value, r.Time, r.Review)).ToList();
            return TypedResults.Ok(new RatingsPage(items, rated.Count, pageNumber, take));
        }
        var byMovie = movieId!.Value;
        var (pageItems, stats) = await ratings.GetMovieRatingsPageAsync(byMovie, skip, take, cancellationToken);
        return TypedResults.Ok(new RatingsPage(pageItems.Select(i => ToResource(i.UserId, byMovie, i.Row)).ToList(), stats.Count, pageNumber, take));
    }

    // ---- watch marks ----

    static async Task<Results<Created<WatchEntry>, Ok<WatchEntry>, ProblemHttpResult, ValidationProblem>> MarkWatchedAsync(
        int id, HttpRequest request, CatalogCache cache, UserStore users, RatingStore ratings, TimeProvider time, CancellationToken cancellationToken)
    {
        using var body = await JsonBody.ReadAsync(request, cancellationToken);
        if (body.Problem is { } problem)
            return problem;
        var errors = new ProblemErrors();
        if (body.Document is not { } doc)
        {
            errors.Add("body", """is required: {"movie_id": 1}""");
            return errors.ToResult();
        }
        if (RatingRequests.ParseMovieId(doc.RootElement, errors) is not { } movieId || errors.Any)
            return errors.ToResult();
        var catalog = cache.Require();
        if (!await users.ExistsAsync(id, cancellationToken))
            return Problems.UserNotFound(id);
        if (!RatingId.IsRatableMovie(movieId) || catalog.Find((int)movieId) is not { } movie)
            return Problems.MovieNotFound(movieId);
        if (await Access.CheckUserWriteAsync(request.HttpContext, id) is { } denied)
            return denied;

        var result = await ratings.WatchAsync(id, movie.Id, time.GetUtcNow().ToUnixTimeSeconds(), CancellationToken.None).WaitAsync(cancellationToken);
        var entry = new WatchEntry(movie.Id, movie.Title, result.Row!.Time, result.Row.Rating);
        return result.Outcome == PairOutcome.Created ? TypedResults.Created((string?)null, entry) : TypedResults.Ok(entry);
    }

    static async Task<Results<NoContent, ProblemHttpResult>> UnmarkWatchedAsync(
        int id, int movieId, HttpContext http, UserStore users, RatingStore ratings, CancellationToken cancellationToken)
    {
        if (!await users.ExistsAsync(id, cancellationToken))
            return Problems.UserNotFound(id);
        if (!RatingId.IsRatableMovie(movieId))
            return Problems.MovieNotFound(movieId);
        if (await Access.CheckUserWriteAsync(http, id) is { } denied)
            return denied;
        var result = await ratings.UnwatchAsync(id, movieId, CancellationToken.None).WaitAsync(cancellationToken);
        return result.Outcome switch
        {
            PairOutcome.Removed => TypedResults.NoContent(),
            PairOutcome.Conflict => Problems.Conflict($"User {id} rated movie {movieId}: a rated movie stays watched. Delete the rating (rating id {RatingId.Encode(id, movieId)}) instead."),
            _ => Problems.NotFound($"User {id} has no watch-only mark on movie {movieId}."),
        };
    }

    static async Task<Results<Ok<WatchHistoryPage>, ProblemHttpResult, ValidationProblem>> GetWatchHistoryAsync(
        int id, string? limit, string? page, UserStore users, RatingStore ratings, CatalogCache cache, RatingsSettings settings, CancellationToken cancellationToken)
    {
        var errors = new ProblemErrors();
        var (take, pageNumber, skip) = errors.Paging(limit, page, 100, 20);
        if (errors.Any)
            return errors.ToResult();
        if (!await users.ExistsAsync(id, cancellationToken))
            return Problems.UserNotFound(id);
        var catalog = cache.Require();
        var watched = (await ratings.GetUserRowsAsync(id, settings.UserCacheMaxAge, cancellationToken)).Where(c => c.IsWatched && catalog.Contains(c.MovieId)).ToList();
        watched.Sort(static (a, b) => a.UnixTime != b.UnixTime ? b.UnixTime.CompareTo(a.UnixTime) : a.MovieId.CompareTo(b.MovieId));
        var items = watched.Skip(skip).Take(take)
            .Select(c => new WatchEntry(c.MovieId, catalog.Find(c.MovieId)?.Title, c.Time, c.Rating))
            .ToList();
        return TypedResults.Ok(new WatchHistoryPage(items, watched.Count, pageNumber, take));
    }

    static RatingResource ToResource(int userId, int movieId, PairRow row) =>
        new(RatingId.Encode(userId, movieId), userId, movieId, row.Rating!.Value, row.Time, row.Review);

    static UserRating ToUserRating(int userId, int movieId, PairRow row) =>
        new(movieId, row.Rating!.Value, row.Time, RatingId.Encode(userId, movieId), row.Review);

    static ProblemHttpResult RatingNotFound(long ratingId) => Problems.NotFound($"No rating with id {ratingId}.");
}
