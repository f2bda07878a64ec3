using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using MovieRecs.Core.Catalog;
using MovieRecs.Core.Store;
using MovieRecs.Functions.Accounts;
using MovieRecs.Functions.Infrastructure;
using MovieRecs.Functions.Movies;

namespace MovieRecs.Functions.Catalog;

/// <summary>
/// Catalogue administration (admins only: an admin account's token or the admin key): movies and genres. Each change is
/// stored, then counted in the catalog state row (<see cref="MovieStore.RecordCatalogEditAsync"/>), which every
/// instance polls every MovieRecs:CatalogRefreshSeconds and then reloads its movies; the instance that made the change
/// reloads before answering, so its own reads show the change at once. A deleted movie stays as a tombstone: its id is
/// never reused and its ratings stay stored (and in the rating log), but nothing serves the movie or its ratings any more.
/// </summary>
public static class CatalogAdminApi
{
    public static IEndpointRouteBuilder MapCatalogAdmin(this IEndpointRouteBuilder api)
    {
        var v1 = api.MapGroup("/rest/v1").WithTags("Catalogue administration");
        v1.MapPost("/movies", CreateMovieAsync).WithName("CreateMovie")
            .DocumentsJsonBody<MovieWriteRequest>()
            .WithSummary("Add a movie (admin): title (required, ≤ 300), year, genres (existing names or ids), imdb_id, tmdb_id, poster_url, tags; id is optional (else the next free one).");
        v1.MapPut("/movies/{id:int}", ReplaceMovieAsync).WithName("ReplaceMovie")
            .DocumentsJsonBody<MovieWriteRequest>()
            .WithSummary("Replace a movie (admin): fields left out are cleared.");
        v1.MapPatch("/movies/{id:int}", UpdateMovieAsync).WithName("UpdateMovie")
            .DocumentsJsonBody<MovieWriteRequest>()
            .WithSummary("Change some of a movie's fields (admin); null clears an optional field.");
        v1.MapDelete("/movies/{id:int}", DeleteMovieAsync).WithName("DeleteMovie")
            .WithSummary("Delete a movie (admin): gone from listings, search, recommendations; its ratings stay stored but are no longer served.");

        v1.MapPost("/genres", CreateGenreAsync).WithName("CreateGenre")
            .DocumentsJsonBody<GenreWriteRequest>()
            .WithSummary("Add a genre (admin); its id is stable.");
        v1.MapGet("/genres/{id:int}", GetGenre).WithName("GetGenre").WithTags("Movies")
            .WithSummary("A genre with its movie count.");
        v1.MapPut("/genres/{id:int}", RenameGenreAsync).WithName("ReplaceGenre")
            .DocumentsJsonBody<GenreWriteRequest>()
            .WithSummary("Rename a genre (admin): its movies carry the new name.");
        v1.MapPatch("/genres/{id:int}", RenameGenreAsync).WithName("UpdateGenre")
            .DocumentsJsonBody<GenreWriteRequest>(required: false)
            .WithSummary("Rename a genre (admin), as PUT; without a name nothing changes.");
        v1.MapDelete("/genres/{id:int}", DeleteGenreAsync).WithName("DeleteGenre")
            .WithSummary("Delete a genre (admin): 409 while movies carry it, unless force=true removes it from them.");
        return api;
    }

    // ---- movies ----

    static async Task<IResult> CreateMovieAsync(HttpRequest request, GenreStore genres, CatalogEditor editor, CatalogChanges changes, CancellationToken cancellationToken)
    {
        if (await Access.CheckAdminAsync(request.HttpContext, "Adding a movie") is { } denied)
            return denied;
        changes.RequireLoaded();
        using var body = await JsonBody.ReadAsync(request, cancellationToken);
        if (Body(body, CatalogRequests.MovieExample) is { } problem)
            return problem;
        var errors = new ProblemErrors();
        var root = body.Document!.RootElement;
        var id = CatalogRequests.ParseNewMovieId(root, errors);
        var draft = CatalogRequests.ParseMovie(root, new Movie(0, "", null, [], null, null, [], null), partial: false,
            await genres.LoadAsync(cancellationToken), errors);
        if (errors.Any)
            return errors.ToResult();

        var (outcome, movie) = await editor.CreateAsync(newId => draft! with { Id = newId }, id, CancellationToken.None);
        if (outcome == MovieWriteOutcome.IdTaken)
        {
            errors.Add("id", $"is taken: movie {id} exists or existed (ids of deleted movies are not reused)");
            return errors.ToProblem(StatusCodes.Status409Conflict, "Movie id taken");
        }
        var catalog = await changes.PublishAsync(cancellationToken);
        return TypedResults.Created($"{request.PathBase}/api/rest/v1/movies/{movie!.Id}", Details(movie, catalog, request));
    }

    static Task<IResult> ReplaceMovieAsync(int id, HttpRequest request, GenreStore genres, CatalogEditor editor, CatalogChanges changes, CancellationToken cancellationToken) =>
        WriteMovieAsync(id, partial: false, request, genres, editor, changes, cancellationToken);

    static Task<IResult> UpdateMovieAsync(int id, HttpRequest request, GenreStore genres, CatalogEditor editor, CatalogChanges changes, CancellationToken cancellationToken) =>
        WriteMovieAsync(id, partial: true, request, genres, editor, changes, cancellationToken);

    static async Task<IResult> WriteMovieAsync(int id, bool partial, HttpRequest request, GenreStore genres, CatalogEditor editor, CatalogChanges changes,
        CancellationToken cancellationToken)
    {
        if (await Access.CheckAdminAsync(request.HttpContext, "Changing a movie") is { } denied)
            return denied;
        changes.RequireLoaded();
        using var body = await JsonBody.ReadAsync(request, cancellationToken);
        if (Body(body, CatalogRequests.MovieExample) is { } problem)
            return problem;
        if (id <= 0 || await editor.GetAsync(id, cancellationToken) is not { Deleted: false } stored)
            return Problems.MovieNotFound(id);
        var root = body.Document!.RootElement;
        var genreSet = await genres.LoadAsync(cancellationToken);
        var errors = new ProblemErrors();
        // Validated once against the stored movie, so a bad body is refused before anything is written; the write
        // re-applies the body to the movie as it is then (another admin may have changed it meanwhile).
        if (CatalogRequests.ParseMovie(root, partial ? stored.Movie : Blank(id), partial, genreSet, errors) is null)
            return errors.ToResult();
        var (outcome, movie) = await editor.UpdateAsync(id,
            current => CatalogRequests.ParseMovie(root, partial ? current : Blank(id), partial, genreSet, new ProblemErrors())!, CancellationToken.None);
        if (outcome == MovieWriteOutcome.NotFound)
            return Problems.MovieNotFound(id);
        var catalog = await changes.PublishAsync(cancellationToken);
        return TypedResults.Ok(Details(movie!, catalog, request));
    }

    static async Task<IResult> DeleteMovieAsync(int id, HttpContext http, CatalogEditor editor, CatalogChanges changes, CancellationToken cancellationToken)
    {
        if (await Access.CheckAdminAsync(http, "Deleting a movie") is { } denied)
            return denied;
        changes.RequireLoaded();
        if (id <= 0 || !await editor.DeleteAsync(id, CancellationToken.None))
            return Problems.MovieNotFound(id);
        await changes.PublishAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    // ---- genres ----

    static Results<Ok<GenreCount>, ProblemHttpResult> GetGenre(int id, CatalogCache cache)
    {
        var catalog = cache.Require();
        return cache.Genres.FirstOrDefault(g => g.Id == id) is { } genre
            ? TypedResults.Ok(ToGenreCount(genre, catalog))
            : GenreNotFound(id);
    }

    static async Task<IResult> CreateGenreAsync(HttpRequest request, GenreStore genres, CatalogChanges changes, CancellationToken cancellationToken)
    {
        if (await Access.CheckAdminAsync(request.HttpContext, "Adding a genre") is { } denied)
            return denied;
        changes.RequireLoaded();
        using var body = await JsonBody.ReadAsync(request, cancellationToken);
        if (Body(body, CatalogRequests.GenreExample) is { } problem)
            return problem;
        var errors = new ProblemErrors();
        var name = CatalogRequests.ParseGenreName(body.Document!.RootElement, partial: false, errors);
        if (errors.Any)
            return errors.ToResult();
        var (outcome, genre) = await genres.CreateAsync(name!, CancellationToken.None);
        if (outcome == GenreOutcome.NameTaken)
            return NameTaken(errors, genre!);
        var catalog = await changes.PublishAsync(cancellationToken);
        return TypedResults.Created($"{request.PathBase}/api/rest/v1/genres/{genre!.Id}", ToGenreCount(genre, catalog));
    }

    /// <summary>PUT and PATCH: a genre has only its name.</summary>
    static async Task<IResult> RenameGenreAsync(int id, HttpRequest request, GenreStore genres, CatalogEditor editor, CatalogCache cache,
        CatalogChanges changes, CancellationToken cancellationToken)
    {
        if (await Access.CheckAdminAsync(request.HttpContext, "Renaming a genre") is { } denied)
            return denied;
        changes.RequireLoaded();
        var partial = HttpMethods.IsPatch(request.Method);
        using var body = await JsonBody.ReadAsync(request, cancellationToken);
        if (partial && body.IsEmpty)
            return await GetOrNotFoundAsync(id, genres, cache, cancellationToken);
        if (Body(body, CatalogRequests.GenreExample) is { } problem)
            return problem;
        var errors = new ProblemErrors();
        var name = CatalogRequests.ParseGenreName(body.Document!.RootElement, partial, errors);
        if (errors.Any)
            return errors.ToResult();
        if (name is null)   // PATCH without a name
            return await GetOrNotFoundAsync(id, genres, cache, cancellationToken);

        var (outcome, genre) = await genres.RenameAsync(id, name, CancellationToken.None);
        if (outcome == GenreOutcome.NotFound)
            return GenreNotFound(id);
        if (outcome == GenreOutcome.NameTaken)
            return NameTaken(errors, genre!);
        // The movies follow; until they all do, the former name still means this genre (a retry finishes the rewrite).
        await editor.RewriteGenreAsync(await genres.LoadAsync(CancellationToken.None), id, name, CancellationToken.None);
        await genres.DropFormerNamesAsync(id, CancellationToken.None);
        var catalog = await changes.PublishAsync(cancellationToken);
        return TypedResults.Ok(ToGenreCount(genre!, catalog));
    }

    static async Task<IResult> DeleteGenreAsync(int id, string? force, HttpContext http, GenreStore genres, CatalogEditor editor,
        CatalogChanges changes, CancellationToken cancellationToken)
    {
        if (await Access.CheckAdminAsync(http, "Deleting a genre") is { } denied)
            return denied;
        changes.RequireLoaded();
        var errors = new ProblemErrors();
        var forced = false;
        if (force is not null && !bool.TryParse(force, out forced))
        {
            errors.Add("force", $"must be true or false (got '{(force.Length <= 40 ? force : force[..40] + "…")}')");
            return errors.ToResult();
        }
        var set = await genres.LoadAsync(cancellationToken);
        if (set.Find(id) is not { } genre)
            return GenreNotFound(id);
        if (!forced && await editor.CountMoviesWithGenreAsync(set, id, cancellationToken) is var inUse and > 0)
            return Problems.Conflict($"Genre '{genre.Name}' (id {id}) is carried by {inUse} movie(s): change them first, or DELETE with force=true to remove the genre from them.");
        if (forced)
            await editor.RewriteGenreAsync(set, id, null, CancellationToken.None);
        if (!await genres.DeleteAsync(id, CancellationToken.None))
            return GenreNotFound(id);
        await changes.PublishAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    // ---- helpers ----

    static async Task<IResult> GetOrNotFoundAsync(int id, GenreStore genres, CatalogCache cache, CancellationToken cancellationToken) =>
        (await genres.LoadAsync(cancellationToken)).Find(id) is { } genre ? TypedResults.Ok(ToGenreCount(genre, cache.Require())) : GenreNotFound(id);

    static ProblemHttpResult? Body(JsonBodyResult body, string example)
    {
        if (body.Problem is { } problem)
            return problem;
        if (body.Document is not null)
            return null;
        var errors = new ProblemErrors();
        errors.Add("body", $"is required: {example}");
        return errors.ToProblem(StatusCodes.Status400BadRequest, "Invalid request");
    }

    static Movie Blank(int id) => new(id, "", null, [], null, null, [], null);

    static MovieDetails Details(Movie movie, MovieCatalog catalog, HttpRequest request) =>
        MovieMapping.ToDetails(catalog.Find(movie.Id) ?? movie, catalog.GetStats(movie.Id), request);

    public static GenreCount ToGenreCount(Genre genre, MovieCatalog catalog) =>
        new(genre.Id, genre.Name, catalog.Genres.FirstOrDefault(g => g.Name == genre.Name)?.MovieCount ?? 0);

    static ProblemHttpResult NameTaken(ProblemErrors errors, Genre owner)
    {
        errors.Add("name", $"is taken: genre {owner.Id} is '{owner.Name}' (names compare ignoring case, accents, spaces and punctuation)");
        return errors.ToProblem(StatusCodes.Status409Conflict, "Genre name taken");
    }

    static ProblemHttpResult GenreNotFound(int id) => Problems.NotFound($"No genre with id {id}.");
}

/// <summary>Makes a stored catalogue change visible: counted for every instance, and loaded here before the answer.</summary>
public sealed class CatalogChanges(MovieStore store, CatalogSync sync, CatalogCache cache)
{
    /// <summary>A 503 until this instance has loaded the catalogue (on a fresh store, the demo data is seeded first).</summary>
    public void RequireLoaded() => cache.Require();

    public async Task<MovieCatalog> PublishAsync(CancellationToken cancellationToken)
    {
        await store.RecordCatalogEditAsync(CancellationToken.None);
        await sync.RefreshAsync(cancellationToken);
        return cache.Require();
    }
}
