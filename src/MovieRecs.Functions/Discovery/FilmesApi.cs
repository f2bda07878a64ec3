using Microsoft.AspNetCore.Http.HttpResults;
using MovieRecs.Core.Catalog;
using MovieRecs.Functions.Engine;
using MovieRecs.Functions.Infrastructure;
using MovieRecs.Functions.Movies;

namespace MovieRecs.Functions.Discovery;

/// <summary>
/// The routes the existing Portuguese front end calls. Paths are Portuguese, field names English: the bodies are the
/// very objects of the English routes (the movie listing's page, the recommendations list), so one client model serves
/// both and nothing is translated twice. Problems keep the problem+json shape; the 404 for a user speaks Portuguese.
/// </summary>
public static class FilmesApi
{
    public static IEndpointRouteBuilder MapFilmes(this IEndpointRouteBuilder api)
    {
        api.MapGet("/filmes", List).WithName("ListFilmes").WithTags("Discovery")
            .WithSummary("Movies in id order, paginated as GET /api/rest/v1/movies: limit 1..100 (default 10), page from 1.");
        api.MapGet("/filmes/{user_id:int}/recomendacoes", RecomendacoesAsync).WithName("GetRecomendacoes").WithTags("Discovery")
            .WithSummary("The cluster strategy for a user (as /api/users/{id}/recommendations?strategy=cluster); limit 1..100, default 10.");
        return api;
    }

    /// <summary>The listing's pagination (same parameters, messages and page shape), in id order.</summary>
    static Results<Ok<MoviesPage>, ValidationProblem> List(string? limit, string? page, CatalogCache cache, HttpRequest request)
    {
        var errors = new ProblemErrors();
        var (take, pageNumber, skip) = errors.Paging(limit, page, 100, 10);
        if (errors.Any)
            return errors.ToResult();
        var catalog = cache.Require();
        var result = catalog.Query(new MovieQuery { Sort = MovieSort.Id, Skip = skip, Take = take });
        var movies = result.Items.Select(m => MovieMapping.ToSummary(m, catalog.GetStats(m.Id), request)).ToList();
        return TypedResults.Ok(new MoviesPage(movies, result.Total, pageNumber, take));
    }

    static async Task<Results<Ok<LegacyRecommendations>, ProblemHttpResult, ValidationProblem>> RecomendacoesAsync(
        int user_id, string? limit, PersonalStrategies strategies, CatalogCache cache, CancellationToken cancellationToken)
    {
        var errors = new ProblemErrors();
        var take = errors.Int("limit", limit, 1, 100, 10);
        if (errors.Any)
            return errors.ToResult();
        if (await strategies.RecommendAsync(user_id, PersonalStrategy.Cluster, take, cancellationToken) is not { } result)
            return Problems.Status(StatusCodes.Status404NotFound, "Usuário não encontrado", $"Não existe usuário com id {user_id}.");
        return TypedResults.Ok(RecommendationsApi.Legacy(result, cache.Require(), "cluster"));
    }
}
