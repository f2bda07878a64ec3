using MovieRecs.Core.Catalog;

namespace MovieRecs.Core.Tests;

/// <summary>Search behaviour on the real ml-latest-small catalog (9,742 movies).</summary>
public class MovieLensSearchTests
{
    static IReadOnlyList<Movie> Top(string search, int take = 10) =>
        TestData.SmallCatalog.Query(new MovieQuery { Search = search, Take = take }).Items;

    [MovieLensFact]
    public void Star_wa_finds_star_wars_first()
    {
        var top = Top("star wa", 6);
        Assert.Equal(6, top.Count);
        Assert.All(top, m => Assert.StartsWith("Star Wars", m.Title));
        Assert.Equal("Star Wars: Episode IV - A New Hope (1977)", top[0].Title);
    }

    [MovieLensFact]
    public void Godfaher_finds_the_godfather_first()
    {
        Assert.Equal("Godfather, The (1972)", Top("godfaher")[0].Title);
        Assert.Equal("Godfather, The (1972)", Top("godfahe")[0].Title);
        Assert.Equal("Godfather, The (1972)", Top("the godfather")[0].Title);
    }

    [MovieLensFact]
    public void Exact_titles_first()
    {
        Assert.Equal("Toy Story (1995)", Top("toy story")[0].Title);
        Assert.Equal("Matrix, The (1999)", Top("the matrix")[0].Title);
        Assert.Equal("Matrix, The (1999)", Top("matrix")[0].Title);
        Assert.Equal("Matrix, The (1999)", Top("matirx")[0].Title);
        Assert.Equal("Schindler's List (1993)", Top("schindlers list")[0].Title);
        Assert.Equal("Amelie (Fabuleux destin d'Amélie Poulain, Le) (2001)", Top("amélie")[0].Title);
        Assert.Equal("Amelie (Fabuleux destin d'Amélie Poulain, Le) (2001)", Top("fabuleux destin")[0].Title);
        Assert.StartsWith("Lord of the Rings", Top("lord of the")[0].Title);
    }

    [MovieLensFact]
    public void Comedy_lists_at_least_every_comedy()
    {
        var comedies = TestData.SmallCatalog.Genres.Single(g => g.Name == "Comedy").MovieCount;
        var page = TestData.SmallCatalog.Query(new MovieQuery { Search = "comedy", Take = 50 });
        Assert.True(page.Total >= comedies, $"{page.Total} < {comedies}");
        Assert.Contains("comedy", page.Items[0].Title, StringComparison.OrdinalIgnoreCase);
        Assert.All(page.Items.Where(m => !m.Title.Contains("comedy", StringComparison.OrdinalIgnoreCase)),
            m => Assert.Contains("Comedy", m.Genres));
    }

    [MovieLensFact]
    public void Genre_names_resolve_against_the_real_vocabulary()
    {
        Assert.Equal(
            ["Action", "Adventure", "Animation", "Children", "Comedy", "Crime", "Documentary", "Drama", "Fantasy", "Film-Noir",
             "Horror", "IMAX", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western"],
            TestData.SmallCatalog.Genres.Select(g => g.Name));
        Assert.True(TestData.SmallCatalog.TryResolveGenre("film noir", out var g1));
        Assert.Equal("Film-Noir", g1);
        Assert.True(TestData.SmallCatalog.TryResolveGenre("imax", out var g2));
        Assert.Equal("IMAX", g2);
    }

    [MovieLensFact]
    public void Listing_sorts_work_on_the_full_catalog()
    {
        var c = TestData.SmallCatalog;
        var popular = c.Query(new MovieQuery { Sort = MovieSort.Popularity, Take = 1 }).Items[0];
        Assert.Equal("Forrest Gump (1994)", popular.Title); // 329 ratings, the most in ml-latest-small
        var best = c.Query(new MovieQuery { Sort = MovieSort.Rating, Take = 5 }).Items;
        Assert.Contains(best, m => m.Title == "Shawshank Redemption, The (1994)");
        var last = c.Query(new MovieQuery { Skip = c.Count - 1, Take = 10 });
        Assert.Equal(c.Count, last.Total);
        Assert.Equal(c.Movies[^1], last.Items.Single());
    }
}
