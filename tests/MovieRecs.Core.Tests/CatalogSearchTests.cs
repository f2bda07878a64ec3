using MovieRecs.Core.Catalog;

namespace MovieRecs.Core.Tests;

public class CatalogSearchTests
{
    /// <summary>A small handmade catalog; rating counts chosen so popularity alone would give a different order.</summary>
    static MovieCatalog Catalog()
    {
        var movies = new[]
        {
            Movie.Create(1, "Star Wars: Episode IV - A New Hope (1977)", "Action", "Adventure", "Sci-Fi"),
            Movie.Create(2, "Star Trek (2009)", "Action", "Sci-Fi"),
            Movie.Create(3, "Lone Star (1996)", "Drama", "Mystery"),
            Movie.Create(4, "Godfather, The (1972)", "Crime", "Drama"),
            Movie.Create(5, "Godfather: Part II, The (1974)", "Crime", "Drama"),
            Movie.Create(6, "Matrix, The (1999)", "Action", "Sci-Fi", "Thriller"),
            Movie.Create(7, "Matrix Reloaded, The (2003)", "Action", "Sci-Fi"),
            Movie.Create(8, "Toy Story (1995)", "Animation", "Children", "Comedy"),
            Movie.Create(9, "Toy Story 2 (1999)", "Animation", "Children", "Comedy"),
            Movie.Create(10, "Amélie (Fabuleux destin d'Amélie Poulain, Le) (2001)", "Comedy", "Romance"),
            Movie.Create(11, "Schindler's List (1993)", "Drama", "War"),
            Movie.Create(12, "King of Comedy, The (1983)", "Drama"),
            Movie.Create(13, "Airplane! (1980)", "Comedy"),
            Movie.Create(14, "Naked Gun, The (1988)", "Comedy", "Crime"),
            Movie.Create(15, "Die Straße (1923)", "Drama"),
            Movie.Create(16, "Spider-Man (2002)", "Action"),
            Movie.Create(17, "Blade Runner (1982)", "Sci-Fi", "Film-Noir"),
            Movie.Create(18, "Stars and Bars (1988)", "Comedy"),
            Movie.Create(19, "Æon Flux (2005)", "Action", "Sci-Fi"),
            Movie.Create(20, "Hamlet (1990)", "Drama"),
            Movie.Create(21, "Hamlet (1996)", "Drama"),
            Movie.Create(22, "Hamlet (2000)", "Drama"),
            Movie.Create(23, "Babylon 5", "Sci-Fi"),
        };
        var counts = new Dictionary<int, int>
        {
            [1] = 100, [2] = 50, [3] = 5, [4] = 95, [5] = 90, [6] = 80, [7] = 300, [8] = 70, [9] = 200, [10] = 40,
            [11] = 60, [12] = 2, [13] = 20, [14] = 25, [15] = 1, [16] = 30, [17] = 45, [18] = 500, [19] = 3,
            [20] = 10, [21] = 30, [22] = 10,
        };
        return new MovieCatalog(movies.Reverse(), counts.ToDictionary(p => p.Key, p => new MovieStats(p.Value, p.Value * 7L, 0)));
    }

    static readonly MovieCatalog s_catalog = Catalog();

    static int[] Ids(string search, int take = 50, string? genre = null) =>
        [.. s_catalog.Query(new MovieQuery { Search = search, Take = take, Genre = genre }).Items.Select(m => m.Id)];

    [Fact]
    public void Prefix_of_the_word_being_typed_matches()
    {
        Assert.Equal([1], Ids("star wa"));
        Assert.Equal([1], Ids("STAR W"));
        Assert.Equal([4, 5], Ids("godf"));
    }

    [Fact]
    public void Exact_words_beat_prefixes_and_popularity_breaks_ties()
    {
        // "star" is a whole word in 1, 2, 3 (ordered by rating count) and a prefix of "stars" in 18, the most popular
        Assert.Equal([1, 2, 3, 18], Ids("star"));
        // equal titles: more ratings first, then lower id
        Assert.Equal([21, 20, 22], Ids("hamlet"));
    }

    [Fact]
    public void One_typo_is_forgiven_in_words_of_five_letters_or_more()
    {
        Assert.Equal(4, Ids("godfaher")[0]);      // deletion
        Assert.Equal(4, Ids("godfahter")[0]);     // transposition
        Assert.Equal([7, 6], Ids("matirx"));      // transposition, 6 letters; typo matches ordered by popularity
        Assert.Equal([7, 6], Ids("the matrx"));
        Assert.Equal(4, Ids("godfahe")[0]);       // a typo while still typing
        Assert.Equal(17, Ids("blade runer")[0]);
        Assert.Empty(Ids("stat wars"));           // four letters: no typo allowed
        Assert.Empty(Ids("godfahrr"));            // two typos
    }

    [Fact]
    public void Accents_case_and_apostrophes_are_ignored()
    {
        Assert.Equal([10], Ids("amelie"));
        Assert.Equal([10], Ids("AMÉLIE"));
        Assert.Equal([10], Ids("fabuleux destin"));   // the alternate title
        Assert.Equal([15], Ids("strasse"));
        Assert.Equal([15], Ids("STRASSE"));
        Assert.Equal([19], Ids("aeon"));
        Assert.Equal([11], Ids("schindlers"));
        Assert.Equal([11], Ids("schindler's list"));
        Assert.Equal([11], Ids("Schindler"));
        Assert.Equal([16], Ids("spiderman"));
        Assert.Equal([16], Ids("spider-man"));
        Assert.Equal([16], Ids("spider man"));
    }

    [Fact]
    public void Exact_titles_come_first_with_moved_articles()
    {
        // the sequels are more popular, but the exact title wins
        Assert.Equal([6, 7], Ids("the matrix"));
        Assert.Equal([6, 7], Ids("matrix"));
        Assert.Equal([8, 9], Ids("toy story"));
        Assert.Equal([8, 9], Ids("the toy story"));   // a leading article is optional
        Assert.Equal([4, 5], Ids("the godfather"));
        Assert.Equal(8, Ids("toy story 1995")[0]);
        Assert.Equal([7], Ids("matrix 2003"));
    }

    [Fact]
    public void Genre_matches_come_after_title_matches()
    {
        var comedies = s_catalog.Movies.Where(m => m.Genres.Contains("Comedy")).ToList();
        var page = s_catalog.Query(new MovieQuery { Search = "comedy", Take = 100 });
        Assert.Equal(comedies.Count + 1, page.Total);
        Assert.Equal(12, page.Items[0].Id);                     // "King of Comedy" (a drama) by title first
        Assert.All(page.Items.Skip(1), m => Assert.Contains("Comedy", m.Genres));
        Assert.Equal([18, 9, 8, 10, 14, 13], page.Items.Skip(1).Select(m => m.Id)); // then by popularity
        Assert.Equal(Ids("comedy").Skip(1), Ids("comedies"));   // the plural names the genre
        Assert.Equal([17], Ids("runner noir"));                 // title word + genre word
        Assert.Equal(new[] { 1, 2, 6, 7, 17, 19, 23 }, Ids("sci-fi").Order());
    }

    [Fact]
    public void Paging_returns_the_true_total()
    {
        var page = s_catalog.Query(new MovieQuery { Search = "star", Skip = 2, Take = 2 });
        Assert.Equal(4, page.Total);
        Assert.Equal([3, 18], page.Items.Select(m => m.Id));
        var beyond = s_catalog.Query(new MovieQuery { Search = "star", Skip = 10, Take = 2 });
        Assert.Equal(4, beyond.Total);
        Assert.Empty(beyond.Items);
        var zero = s_catalog.Query(new MovieQuery { Search = "star", Take = 0 });
        Assert.Equal(4, zero.Total);
        Assert.Empty(zero.Items);
        var all = s_catalog.Query(new MovieQuery { Skip = int.MaxValue, Take = int.MaxValue });
        Assert.Equal(23, all.Total);
        Assert.Empty(all.Items);
    }

    [Theory]
    [InlineData("' or PartitionKey ne '")]
    [InlineData("'); DROP TABLE movies; --")]
    [InlineData("<script>alert(1)</script>")]
    public void Search_text_is_only_text(string search)
    {
        var page = s_catalog.Query(new MovieQuery { Search = search });
        Assert.Equal(0, page.Total);
    }

    [Fact]
    public void Empty_punctuation_and_huge_searches_do_not_filter_or_fail()
    {
        foreach (var search in new[] { null, "", "   ", "!!! --- ???", "'''", "\0\u0001\uffff\ud800" })
        {
            var page = s_catalog.Query(new MovieQuery { Search = search, Take = 3 });
            Assert.Equal(23, page.Total);
            Assert.Equal([1, 2, 3], page.Items.Select(m => m.Id));
        }
        Assert.Equal(0, s_catalog.Query(new MovieQuery { Search = new string('x', 100_000) }).Total);
        Assert.Equal(0, s_catalog.Query(new MovieQuery { Search = string.Join(' ', Enumerable.Range(0, 5000).Select(i => "w" + i)) }).Total);
    }

    [Fact]
    public void Genre_filter_combines_with_search()
    {
        Assert.Equal([1, 2], Ids("star", genre: "Sci-Fi"));
        Assert.Equal([1, 2], Ids("star", genre: "sci fi"));
        Assert.Empty(Ids("star", genre: "Western"));
        var dramas = s_catalog.Query(new MovieQuery { Genre = "Drama", Take = 100 });
        Assert.Equal(s_catalog.Movies.Count(m => m.Genres.Contains("Drama")), dramas.Total);
        Assert.Equal(dramas.Items.Select(m => m.Id).Order(), dramas.Items.Select(m => m.Id));
    }

    [Fact]
    public void Sorting_by_title_year_popularity_and_rating()
    {
        int[] Sorted(MovieSort sort, SortDirection? dir = null) =>
            [.. s_catalog.Query(new MovieQuery { Sort = sort, Direction = dir, Take = 100 }).Items.Select(m => m.Id)];

        var byTitle = Sorted(MovieSort.Title);
        Assert.Equal([19, 13, 10], byTitle[..3]);   // Æon Flux, Airplane!, Amélie
        Assert.True(Array.IndexOf(byTitle, 6) < Array.IndexOf(byTitle, 7));   // "Matrix, The" under M, before "Matrix Reloaded"
        Assert.True(Array.IndexOf(byTitle, 14) < Array.IndexOf(byTitle, 11)); // "Naked Gun" before "Schindler's"
        Assert.Equal(byTitle.Reverse(), Sorted(MovieSort.Title, SortDirection.Descending));

        var byYear = Sorted(MovieSort.Year);
        Assert.Equal(15, byYear[0]);    // 1923
        Assert.Equal(23, byYear[^1]);   // no year: last
        var byYearDesc = Sorted(MovieSort.Year, SortDirection.Descending);
        Assert.Equal(2, byYearDesc[0]);  // 2009
        Assert.Equal(23, byYearDesc[^1]); // still last

        var byPopularity = Sorted(MovieSort.Popularity);
        Assert.Equal([18, 7, 9, 1], byPopularity[..4]);
        Assert.Equal(23, byPopularity[^1]);
        Assert.Equal(23, Sorted(MovieSort.Popularity, SortDirection.Ascending)[0]);

        Assert.Equal([6, 7], s_catalog.Query(new MovieQuery { Search = "matrix", Sort = MovieSort.Id }).Items.Select(m => m.Id));
        Assert.Equal([7, 6], s_catalog.Query(new MovieQuery { Search = "matrix", Sort = MovieSort.Popularity }).Items.Select(m => m.Id));
        Assert.Equal(1, s_catalog.Query(new MovieQuery { Sort = MovieSort.Relevance }).Items[0].Id); // no search: by id
    }

    [Fact]
    public void Rating_sort_uses_a_bayesian_average_and_puts_unrated_last()
    {
        var catalog = new MovieCatalog(
            [Movie.Create(1, "One Perfect Rating (2000)"), Movie.Create(2, "Loved By Many (2000)"), Movie.Create(3, "Unrated (2000)"), Movie.Create(4, "Disliked (2000)")],
            new Dictionary<int, MovieStats> { [1] = new(1, 10, 1), [2] = new(100, 900, 100), [4] = new(50, 200, 50) });
        var ids = catalog.Query(new MovieQuery { Sort = MovieSort.Rating }).Items.Select(m => m.Id);
        Assert.Equal([2, 1, 4, 3], ids);
        Assert.Equal([4, 1, 2, 3], catalog.Query(new MovieQuery { Sort = MovieSort.Rating, Direction = SortDirection.Ascending }).Items.Select(m => m.Id));
        Assert.Null(catalog.BayesianRating(3));
        Assert.Equal((10 * catalog.GlobalAverageRating!.Value + 5.0) / 11, catalog.BayesianRating(1)!.Value, 9);
    }
}
