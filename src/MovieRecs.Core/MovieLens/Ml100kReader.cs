using System.Text;
using MovieRecs.Core.Catalog;

namespace MovieRecs.Core.MovieLens;

/// <summary>Reads the ml-100k files: u.item (movies) and u.data (ratings).</summary>
public static class Ml100kReader
{
    /// <summary>The 19 genre flags of u.item, in file order ("unknown" means no genre; "Children's" is MovieLens' later "Children").</summary>
    public static IReadOnlyList<string?> GenreColumns { get; } =
    [
        null, "Action", "Adventure", "Animation", "Children", "Comedy", "Crime", "Documentary", "Drama", "Fantasy",
        "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
    ];

    const int FixedColumns = 5; // id | title | release date | video release date | IMDb URL

    /// <summary>
    /// Streams u.item: pipe-separated, Latin-1 encoded, "id|title|release date|video release date|IMDb URL|19 genre flags".
    /// The IMDb URL is ignored; the year comes from the title, else from the release date ("01-Jan-1995").
    /// </summary>
    public static IEnumerable<Movie> ReadItems(string path, ICollection<ParseIssue> issues)
    {
        MovieLensReader.RequireFile(path, issues);
        return Iterate();

        IEnumerable<Movie> Iterate()
        {
            using var reader = new StreamReader(path, Encoding.Latin1, detectEncodingFromByteOrderMarks: false);
            var seen = new HashSet<int>();
            var lineNo = 0;
            string? text;
            var genres = new List<string>();
            while ((text = reader.ReadLine()) is not null)
            {
                lineNo++;
                if (string.IsNullOrWhiteSpace(text))
                    continue;
                var f = text.Split('|');
                if (f.Length != FixedColumns + GenreColumns.Count)
                {
                    issues.Add(new ParseIssue(path, lineNo, $"expected {FixedColumns + GenreColumns.Count} '|'-separated fields but found {f.Length}"));
                    continue;
                }
                if (!MovieLensReader.TryParseId(f[0], out var id))
                {
                    issues.Add(new ParseIssue(path, lineNo, $"movie id '{f[0]}' is not a positive integer"));
                    continue;
                }
                var title = f[1];
                if (string.IsNullOrWhiteSpace(title))
                {
                    issues.Add(new ParseIssue(path, lineNo, $"movie {id} has an empty title"));
                    continue;
                }
                genres.Clear();
                string? bad = null;
                for (var g = 0; g < GenreColumns.Count; g++)
                {
                    var flag = f[FixedColumns + g].Trim();
                    if (flag == "1")
                    {
                        if (GenreColumns[g] is { } name)
                            genres.Add(name);
                    }
                    else if (flag != "0")
                    {
                        bad = flag;
                        break;
                    }
                }
                if (bad is not null)
                {
                    issues.Add(new ParseIssue(path, lineNo, $"genre flag '{bad}' is not 0 or 1"));
                    continue;
                }
                if (!seen.Add(id))
                {
                    issues.Add(new ParseIssue(path, lineNo, $"movie id {id} appears more than once; the first is kept"));
                    continue;
                }
                var year = MovieTitle.ParseYear(title) ?? YearOfDate(f[2]);
                yield return new Movie(id, title, year, [.. genres], null, null, [], null);
            }
        }
    }

    /// <summary>Streams u.data: "user item rating timestamp" separated by tabs or spaces, no header.</summary>
    public static IEnumerable<RatingRow> ReadData(string path, ICollection<ParseIssue> issues) =>
        RatingsFile.Read(path, issues, RatingsFileFormat.Whitespace);

    /// <summary>The year of "01-Jan-1995", or null.</summary>
    static int? YearOfDate(string date)
    {
        var s = date.AsSpan().Trim();
        if (s.Length < 4)
            return null;
        var tail = s[^4..];
        foreach (var c in tail)
            if (!char.IsAsciiDigit(c))
                return null;
        var y = int.Parse(tail, provider: System.Globalization.CultureInfo.InvariantCulture);
        return y is >= 1800 and <= 2999 ? y : null;
    }
}
