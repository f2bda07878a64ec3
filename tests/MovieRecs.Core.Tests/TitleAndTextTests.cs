using MovieRecs.Core.Catalog;

namespace MovieRecs.Core.Tests;

public class TitleAndTextTests
{
    [Theory]
    [InlineData("Toy Story (1995)", "Toy Story", 1995)]
    [InlineData("American President, The (1995)", "American President, The", 1995)]
    [InlineData("Toy Story (1995) ", "Toy Story", 1995)]
    [InlineData("Toy Story (1995)   ", "Toy Story", 1995)]
    [InlineData("Fawlty Towers (1975-1979)", "Fawlty Towers", 1975)]
    [InlineData("Stranger Things (2016-)", "Stranger Things", 2016)]
    [InlineData("Show (2007–2013)", "Show", 2007)]
    [InlineData("Babylon 5", "Babylon 5", null)]
    [InlineData("(500) Days of Summer (2009)", "(500) Days of Summer", 2009)]
    [InlineData("1984 (1984)", "1984", 1984)]
    [InlineData("Movie (12345)", "Movie (12345)", null)]
    [InlineData("Movie (abcd)", "Movie (abcd)", null)]
    [InlineData("Movie (1200)", "Movie (1200)", null)]
    [InlineData("", "", null)]
    public void Split_separates_the_trailing_year(string title, string name, int? year)
    {
        Assert.Equal((name, year), MovieTitle.Split(title));
        Assert.Equal(year, MovieTitle.ParseYear(title));
    }

    [Theory]
    [InlineData("Matrix, The (1999)", "The Matrix")]
    [InlineData("American President, The (1995)", "The American President")]
    [InlineData("Bug's Life, A (1998)", "A Bug's Life")]
    [InlineData("Atalante, L' (1934)", "L'Atalante")]
    [InlineData("Misérables, Les (1995)", "Les Misérables")]
    [InlineData("City of Lost Children, The (Cité des enfants perdus, La) (1995)", "The City of Lost Children")]
    [InlineData("Good, the Bad and the Ugly, The (Buono, il brutto, il cattivo, Il) (1966)", "The Good, the Bad and the Ugly")]
    [InlineData("Crouching Tiger, Hidden Dragon (Wo hu cang long) (2000)", "Crouching Tiger, Hidden Dragon")]
    [InlineData("Monsters, Inc. (2001)", "Monsters, Inc.")]
    [InlineData("(500) Days of Summer (2009)", "(500) Days of Summer")]
    [InlineData("The Matrix (1999)", "The Matrix")]
    [InlineData("Babylon 5", "Babylon 5")]
    public void Display_puts_the_article_back_and_drops_year_and_alternates(string title, string display) =>
        Assert.Equal(display, MovieTitle.Display(title));

    [Fact]
    public void SplitAlternates_returns_parenthesised_alternate_titles()
    {
        var (main, alts) = MovieTitle.SplitAlternates("City of Lost Children, The (Cité des enfants perdus, La)");
        Assert.Equal("City of Lost Children, The", main);
        Assert.Equal(["Cité des enfants perdus, La"], alts);
    }

    [Theory]
    [InlineData("Amélie", "amelie")]
    [InlineData("AMÉLIE", "amelie")]
    [InlineData("Die Straße", "die strasse")]
    [InlineData("Æon Flux", "aeon flux")]
    [InlineData("ŒUVRE", "oeuvre")]
    [InlineData("Łódź", "lodz")]
    [InlineData("Smørrebrød", "smorrebrod")]
    [InlineData("Schindler's List", "schindlers list")]
    [InlineData("Schindler’s List", "schindlers list")]
    [InlineData("Léon: The Professional", "leon the professional")]
    [InlineData("Sci-Fi", "sci fi")]
    [InlineData("Ame\u0301lie", "amelie")]
    [InlineData("Москва", "москва")]
    [InlineData("  !!! ... ", "")]
    [InlineData("' or PartitionKey ne '", "or partitionkey ne")]
    public void Normalize_folds_case_accents_and_punctuation(string input, string expected) =>
        Assert.Equal(expected, TextNormalizer.Normalize(input));

    [Theory]
    [InlineData("godfather", "godfaher", true)]   // deletion
    [InlineData("godfather", "godfatherr", true)] // insertion
    [InlineData("matrix", "matirx", true)]        // transposition
    [InlineData("matrix", "matrox", true)]        // substitution
    [InlineData("matrix", "atrix", true)]         // first letter missing
    [InlineData("matrix", "matrix", true)]
    [InlineData("matrix", "mtarxi", false)]
    [InlineData("matrix", "matr", false)]
    [InlineData("abc", "bca", false)]
    public void WithinOneEdit_is_damerau_levenshtein_one(string a, string b, bool expected)
    {
        Assert.Equal(expected, Typo.WithinOneEdit(a, b));
        Assert.Equal(expected, Typo.WithinOneEdit(b, a));
    }

    [Theory]
    [InlineData("godfahe", "godfather", true)]
    [InlineData("godfather", "godfathers", false)] // a plain prefix is not a typo
    [InlineData("gdofa", "godfather", true)]
    [InlineData("godfxx", "godfather", false)]
    [InlineData("matrx", "matrix", true)]
    public void WithinOneEditOfPrefix_catches_typos_while_typing(string query, string term, bool expected) =>
        Assert.Equal(expected, Typo.WithinOneEditOfPrefix(query, term));
}
