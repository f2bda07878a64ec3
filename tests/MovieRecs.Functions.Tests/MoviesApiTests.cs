using System.Net;
using System.Text.Json;
using System.Xml.Linq;
using MovieRecs.Core.Demo;
using MovieRecs.Core.Store;
using Azure.Data.Tables;

namespace MovieRecs.Functions.Tests;

[Collection(AppCollection.Name)]
public sealed class MoviesApiTests(AppFixture app)
{
    readonly HttpClient _client = app.Client;

    [Fact]
    public async Task Listing_defaults_to_ten_movies_of_page_one_with_the_true_total()
    {
        var body = await (await _client.GetAsync("/api/rest/v1/movies")).ReadJsonAsync();
        Assert.Equal(DemoData.Movies().Count, body.GetProperty("total").GetInt32());
        Assert.Equal(1, body.GetProperty("page").GetInt32());
        Assert.Equal(10, body.GetProperty("limit").GetInt32());
        var movies = body.GetProperty("movies").EnumerateArray().ToList();
        Assert.Equal(10, movies.Count);
        var first = movies[0];
        foreach (var field in new[] { "id", "title", "year", "genres", "thumbnail_url", "imdb_id", "tmdb_id", "avg_rating", "total_ratings" })
            Assert.True(first.TryGetProperty(field, out _), $"movie lacks '{field}'");
        Assert.EndsWith($"/api/rest/v1/movies/{first.GetProperty("id").GetInt32()}/poster.svg", first.GetProperty("thumbnail_url").GetString());
    }

    [Fact]
    public async Task Search_matches_word_prefixes_as_the_user_types()
    {
        var body = await (await _client.GetAsync("/api/rest/v1/movies?search=star%20wa")).ReadJsonAsync();
        var titles = body.GetProperty("movies").EnumerateArray().Select(m => m.GetProperty("title").GetString()!).ToList();
        Assert.NotEmpty(titles);
        Assert.All(titles, t => Assert.Contains("Star Wars", t));
    }

    [Fact]
    public async Task Search_forgives_one_typo_and_ignores_case_and_accents()
    {
        var typo = await (await _client.GetAsync("/api/rest/v1/movies?search=GODFAHER")).ReadJsonAsync();
        Assert.StartsWith("The Godfather", typo.GetProperty("movies")[0].GetProperty("title").GetString());
    }

    [Fact]
    public async Task Search_text_with_odata_syntax_is_just_text()
    {
        var response = await _client.GetAsync("/api/rest/v1/movies?search=" + Uri.EscapeDataString("' or PartitionKey ne '"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, (await response.ReadJsonAsync()).GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Genre_filter_is_case_insensitive_and_counts_match_the_genres_listing()
    {
        var genres = await (await _client.GetAsync("/api/rest/v1/genres")).ReadJsonAsync();
        var sciFi = genres.GetProperty("genres").EnumerateArray().Single(g => g.GetProperty("name").GetString() == "Sci-Fi");
        var body = await (await _client.GetAsync("/api/rest/v1/movies?genre=sci-fi&limit=100")).ReadJsonAsync();
        Assert.Equal(sciFi.GetProperty("movie_count").GetInt32(), body.GetProperty("total").GetInt32());
        Assert.All(body.GetProperty("movies").EnumerateArray(), m =>
            Assert.Contains("Sci-Fi", m.GetProperty("genres").EnumerateArray().Select(g => g.GetString())));
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=101", "limit")]
    [InlineData("limit=abc", "limit")]
    [InlineData("page=0", "page")]
    [InlineData("page=-1", "page")]
    [InlineData("genre=nonsense", "genre")]
    [InlineData("sort=sideways", "sort")]
    public async Task Bad_parameters_get_problem_json_naming_the_parameter(string query, string field)
    {
        var response = await _client.GetAsync("/api/rest/v1/movies?" + query);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.ReadJsonAsync();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"errors lack '{field}': {problem}");
        Assert.Contains(field, problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Search_over_200_characters_is_rejected()
    {
        var response = await _client.GetAsync("/api/rest/v1/movies?search=" + new string('a', 201));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.ReadJsonAsync()).GetProperty("errors").TryGetProperty("search", out _));
    }

    [Fact]
    public async Task A_page_past_the_end_is_empty_with_the_true_total()
    {
        var response = await _client.GetAsync("/api/rest/v1/movies?page=99999");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.ReadJsonAsync();
        Assert.Empty(body.GetProperty("movies").EnumerateArray());
        Assert.Equal(DemoData.Movies().Count, body.GetProperty("total").GetInt32());
        Assert.Equal(99999, body.GetProperty("page").GetInt32());
    }

    [Theory]
    [InlineData("/api/rest/v1/movies/999999", HttpStatusCode.NotFound)]
    [InlineData("/api/rest/v1/movies/abc", HttpStatusCode.NotFound)]
    [InlineData("/api/rest/v1/movies/99999999999999", HttpStatusCode.NotFound)]
    [InlineData("/api/movies/999999", HttpStatusCode.NotFound)]
    [InlineData("/api/rest/v1/movies/999999/avg-rating", HttpStatusCode.NotFound)]
    [InlineData("/api/no/such/route", HttpStatusCode.NotFound)]
    public async Task Unknown_things_get_404_problem_json(string url, HttpStatusCode expected)
    {
        var response = await _client.GetAsync(url);
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_wrong_method_gets_405_problem_json()
    {
        var response = await _client.DeleteAsync("/api/rest/v1/movies");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Full_movie_has_tags_and_the_legacy_shape_has_exactly_its_four_fields()
    {
        var full = await (await _client.GetAsync("/api/rest/v1/movies/1")).ReadJsonAsync();
        Assert.Equal(1, full.GetProperty("id").GetInt32());
        Assert.Equal(JsonValueKind.Array, full.GetProperty("tags").ValueKind);

        var legacy = await (await _client.GetAsync("/api/movies/1")).ReadJsonAsync();
        Assert.Equal(["genres", "id", "thumbnailUrl", "title"], legacy.EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal(full.GetProperty("title").GetString(), legacy.GetProperty("title").GetString());
    }

    [Fact]
    public async Task Average_rating_equals_a_recount_of_the_stored_ratings()
    {
        var movieId = DemoData.Ratings().GroupBy(r => r.MovieId).OrderByDescending(g => g.Count()).First().Key;
        long count = 0;
        double sum = 0;
        foreach (var e in await Stored.MoviePairsAsync(app.Store, movieId))
            {
                count++;
                sum += e.GetDouble("Rating")!.Value;
            }
        Assert.True(count > 0);

        var body = await (await _client.GetAsync($"/api/rest/v1/movies/{movieId}/avg-rating")).ReadJsonAsync();
        Assert.Equal(movieId, body.GetProperty("movie_id").GetInt32());
        Assert.Equal(count, body.GetProperty("total_ratings").GetInt64());
        Assert.Equal(sum / count, body.GetProperty("avg_rating").GetDouble(), 9);
    }

    [Fact]
    public async Task Poster_is_an_svg_document()
    {
        var response = await _client.GetAsync("/api/rest/v1/movies/1/poster.svg");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/svg+xml", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("svg", XDocument.Parse(await response.Content.ReadAsStringAsync()).Root!.Name.LocalName);
    }

    [Fact]
    public async Task Health_reports_storage_and_catalog()
    {
        var body = await (await _client.GetAsync("/api/health")).ReadJsonAsync();
        Assert.Equal("healthy", body.GetProperty("status").GetString());
        Assert.Equal(DemoData.Movies().Count, body.GetProperty("catalog").GetProperty("movies").GetInt32());
    }

    [Fact]
    public async Task OpenApi_document_and_swagger_ui_are_served()
    {
        var doc = await (await _client.GetAsync("/api/openapi/v1.json")).ReadJsonAsync();
        Assert.True(doc.GetProperty("paths").TryGetProperty("/api/rest/v1/movies", out _));
        // The bearer scheme (and the admin key), so Swagger UI's Authorize can sign in and call protected endpoints.
        var schemes = doc.GetProperty("components").GetProperty("securitySchemes");
        Assert.Equal("http", schemes.GetProperty("bearer").GetProperty("type").GetString());
        Assert.Equal("bearer", schemes.GetProperty("bearer").GetProperty("scheme").GetString());
        Assert.Equal("x-functions-key", schemes.GetProperty("functionKey").GetProperty("name").GetString());
        var security = doc.GetProperty("security").EnumerateArray().ToList();
        Assert.Contains(security, r => r.TryGetProperty("bearer", out _));
        Assert.Contains(security, r => r.EnumerateObject().Count() == 0);   // optional: most endpoints are public
        var ui = await _client.GetAsync("/api/docs/index.html");
        Assert.Equal(HttpStatusCode.OK, ui.StatusCode);
        Assert.Contains("swagger", await ui.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }
}
