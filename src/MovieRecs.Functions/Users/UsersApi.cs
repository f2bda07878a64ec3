using Microsoft.AspNetCore.Http.HttpResults;
using MovieRecs.Core.Catalog;
using MovieRecs.Core.Store;
using MovieRecs.Functions.Accounts;
using MovieRecs.Functions.Infrastructure;
using MovieRecs.Functions.Movies;

namespace MovieRecs.Functions.Users;

/// <summary>Body of POST /users (optional; the body may be empty).</summary>
public sealed record CreateUserRequest
{
    public string? Name { get; init; }
}

public sealed record CreatedUser(int Id);

public sealed record UserDetails(int Id, string? Name, DateTime? Created, int RatingCount, int WatchedCount)
{
    /// <summary>An account's own fields, shown to the account itself and to admins.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public AccountResource? Account { get; init; }
}

/// <summary>The shape the existing front end reads from /api/users/{id}/unrated.</summary>
public sealed record UnratedMovie(int Id, string Title, string ThumbnailUrl, IReadOnlyList<string> Genres);

public sealed record UnratedMovies(IReadOnlyList<UnratedMovie> Movies);

public static class UsersApi
{
    public const int MaxUnrated = 20;

    public static IEndpointRouteBuilder MapUsers(this IEndpointRouteBuilder api)
    {
        var v1 = api.MapGroup("/rest/v1").WithTags("Users");
        v1.MapPost("/users", CreateAsync).WithName("CreateUser")
            .DocumentsJsonBody<CreateUserRequest>(required: false)
            .WithSummary("Create a user (body empty or {\"name\": \"...\"}); ids are numeric, unique across instances, never reused.");
        v1.MapGet("/users/{id:int}", GetAsync).WithName("GetUser");

        // The existing front end's shapes.
        api.MapPost("/users", CreateAsync).WithName("CreateUserLegacy").WithTags("Users")
            .DocumentsJsonBody<CreateUserRequest>(required: false);
        api.MapGet("/users/{id:int}/unrated", GetUnratedAsync).WithName("GetUnratedMovies").WithTags("Users")
            .WithSummary("Random movies the user has not rated (a different set each call); count 1..20, default 3.");
        return api;
    }

    static async Task<Results<Created<CreatedUser>, ProblemHttpResult, ValidationProblem>> CreateAsync(
        HttpRequest request, UserStore users, CancellationToken cancellationToken)
    {
        using var body = await JsonBody.ReadAsync(request, cancellationToken);
        if (body.Problem is { } problem)
            return problem;
        string? name = null;
        if (body.Document is { } doc)
        {
            var errors = new ProblemErrors();
            if (JsonFields.RequireObject(doc.RootElement, errors, """{"name": "Ada"}"""))
                name = JsonFields.OptionalString(doc.RootElement, "name", "name", errors, UserStore.MaxNameLength);
            if (errors.Any)
                return errors.ToResult();
        }
        var user = await users.CreateAsync(name, CancellationToken.None).WaitAsync(cancellationToken);
        return TypedResults.Created($"{request.PathBase}/api/rest/v1/users/{user.Id}", new CreatedUser(user.Id));
    }

    static async Task<Results<Ok<UserDetails>, ProblemHttpResult>> GetAsync(
        int id, HttpContext http, UserStore users, AccountStore accounts, RatingStore ratings, RatingsSettings settings, CatalogCache cache,
        CancellationToken cancellationToken)
    {
        if (await users.GetAsync(id, cancellationToken) is not { } user)
            return Problems.UserNotFound(id);
        // An account's profile is its own (and admins'); users without an account stay public, as before.
        AccountResource? account = null;
        if (await users.HasAccountAsync(id, cancellationToken) == true)
        {
            if ((await Access.CheckSelfOrAdminAsync(http, id)).Denied is { } denied)
                return denied;
            account = await accounts.GetAsync(id, cancellationToken) is { } a ? AccountsApi.ToResource(a) : null;
        }
        var rows = await ratings.GetUserRowsAsync(id, settings.UserCacheMaxAge, cancellationToken);
        var catalog = cache.Require();   // ratings of deleted movies are not counted: they are not served
        return TypedResults.Ok(new UserDetails(user.Id, user.Name, user.Created?.UtcDateTime,
            rows.Count(c => c.IsRated && catalog.Contains(c.MovieId)), rows.Count(c => c.IsWatched && catalog.Contains(c.MovieId))) { Account = account });
    }

    static async Task<Results<Ok<UnratedMovies>, ProblemHttpResult, ValidationProblem>> GetUnratedAsync(
        int id, string? count, UserStore users, RatingStore ratings, CatalogCache cache, RatingsSettings settings,
        HttpRequest request, CancellationToken cancellationToken)
    {
        var errors = new ProblemErrors();
        var take = errors.Int("count", count, 1, MaxUnrated, 3);
        if (errors.Any)
            return errors.ToResult();
        var catalog = cache.Require();
        if (!await users.ExistsAsync(id, cancellationToken))
            return Problems.UserNotFound(id);
        var rated = (await ratings.GetUserRowsAsync(id, settings.UserCacheMaxAge, cancellationToken))
            .Where(c => c.IsRated).Select(c => c.MovieId).ToHashSet();
        var movies = PickUnrated(catalog, rated, take)
            .Select(m => new UnratedMovie(m.Id, m.Title, MovieMapping.ThumbnailUrl(m, request), m.Genres))
            .ToList();
        return TypedResults.Ok(new UnratedMovies(movies));
    }

    /// <summary>Up to <paramref name="take"/> distinct random movies outside <paramref name="rated"/>.</summary>
    internal static List<Movie> PickUnrated(MovieCatalog catalog, HashSet<int> rated, int take)
    {
        var all = catalog.Movies;
        var result = new List<Movie>(take);
        var ratedInCatalog = rated.Count(catalog.Contains);
        var remaining = all.Count - ratedInCatalog;
        if (remaining <= 0)
            return result;
        if (remaining >= 4 * take && remaining * 2 >= all.Count)
        {
            // Most movies qualify: draw at random and skip the rated and the already drawn.
            var chosen = new HashSet<int>();
            for (var tries = 0; result.Count < take && tries < take * 50; tries++)
            {
                var m = all[Random.Shared.Next(all.Count)];
                if (!rated.Contains(m.Id) && chosen.Add(m.Id))
                    result.Add(m);
            }
            if (result.Count == take)
                return result;
            result.Clear();
        }
        // Few qualify: list them and shuffle the first take into place.
        var candidates = all.Where(m => !rated.Contains(m.Id)).ToArray();
        var n = Math.Min(take, candidates.Length);
        for (var i = 0; i < n; i++)
        {
            var j = Random.Shared.Next(i, candidates.Length);
            (candidates[i], candidates[j]) = (candidates[j], candidates[i]);
            result.Add(candidates[i]);
        }
        return result;
    }
}
