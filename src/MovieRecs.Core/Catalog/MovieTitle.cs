namespace MovieRecs.Core.Catalog;

/// <summary>
/// Reads MovieLens-style titles: "Toy Story (1995)", "American President, The (1995)",
/// "City of Lost Children, The (Cité des enfants perdus, La) (1995)", "Babylon 5" (no year),
/// "Fawlty Towers (1975-1979)" (a range: the first year counts).
/// </summary>
public static class MovieTitle
{
    /// <summary>Articles that MovieLens moves to the end of a title ("Matrix, The"). Matched case-sensitively.</summary>
    static readonly HashSet<string> s_movedArticles = new(StringComparer.Ordinal)
    {
        "The", "A", "An", "Les", "La", "Le", "L'", "Il", "Lo", "Gli", "I", "Das", "Der", "Die", "Den", "Det",
        "El", "Los", "Las", "Un", "Une", "Una", "Ein", "Eine", "De", "Het", "O", "Os", "Ta", "To",
    };

    /// <summary>Normalised leading articles a search may start with or a title may begin with.</summary>
    internal static readonly HashSet<string> LeadingArticles = new(StringComparer.Ordinal)
    {
        "the", "a", "an", "les", "la", "le", "l", "il", "lo", "gli", "das", "der", "die", "den", "det",
        "el", "los", "las", "un", "une", "una", "ein", "eine", "het",
    };

    /// <summary>The release year in a trailing "(yyyy)" or "(yyyy-yyyy)", or null.</summary>
    public static int? ParseYear(string? title) => Split(title).Year;

    /// <summary>Splits "Toy Story (1995) " into ("Toy Story", 1995); a title without a year comes back trimmed with null.</summary>
    public static (string Name, int? Year) Split(string? title)
    {
        if (string.IsNullOrWhiteSpace(title))
            return (string.Empty, null);
        var span = title.AsSpan().TrimEnd();
        if (span.Length >= 6 && span[^1] == ')')
        {
            var open = span.LastIndexOf('(');
            if (open >= 0 && TryParseYearGroup(span[(open + 1)..^1].Trim(), out var year))
                return (span[..open].TrimEnd().ToString(), year);
        }
        return (span.Trim().ToString(), null);
    }

    /// <summary>"yyyy", "yyyy-yyyy", "yyyy-" or "yyyy–yyyy" (en dash).</summary>
    static bool TryParseYearGroup(ReadOnlySpan<char> s, out int year)
    {
        year = 0;
        if (s.Length < 4)
            return false;
        for (var i = 0; i < 4; i++)
        {
            if (!char.IsAsciiDigit(s[i]))
                return false;
            year = year * 10 + (s[i] - '0');
        }
        if (year < 1800 || year > 2999)
            return false;
        var rest = s[4..].Trim();
        if (rest.Length == 0)
            return true;
        if (rest[0] is not ('-' or '\u2013' or '\u2014'))
            return false;
        rest = rest[1..].Trim();
        if (rest.Length == 0)
            return true;
        if (rest.Length != 4)
            return false;
        foreach (var c in rest)
            if (!char.IsAsciiDigit(c))
                return false;
        return true;
    }

    /// <summary>
    /// The title as a person would write it: year and alternate titles dropped, a moved article put back:
    /// "Matrix, The (1999)" → "The Matrix"; "Atalante, L' (1934)" → "L'Atalante"; "Toy Story (1995)" → "Toy Story".
    /// </summary>
    public static string Display(string? title)
    {
        var (name, _) = Split(title);
        var (main, _) = SplitAlternates(name);
        return MoveArticleToFront(main);
    }

    /// <summary>
    /// Splits trailing parenthesised alternate titles off a name (year already removed):
    /// "City of Lost Children, The (Cité des enfants perdus, La)" → main "City of Lost Children, The",
    /// alternates ["Cité des enfants perdus, La"]. "(500) Days of Summer" has none.
    /// </summary>
    public static (string Main, IReadOnlyList<string> Alternates) SplitAlternates(string name)
    {
        var span = name.AsSpan().TrimEnd();
        List<string>? alternates = null;
        while (span.Length > 0 && span[^1] == ')')
        {
            // find the matching '(' scanning back, respecting nesting
            var depth = 0;
            var open = -1;
            for (var i = span.Length - 1; i >= 0; i--)
            {
                if (span[i] == ')')
                    depth++;
                else if (span[i] == '(' && --depth == 0)
                {
                    open = i;
                    break;
                }
            }
            if (open <= 0 || span[open - 1] != ' ')
                break; // "(500) Days..." or unbalanced: not an alternate title
            var inner = span[(open + 1)..^1].Trim();
            var rest = span[..open].TrimEnd();
            if (rest.Length == 0)
                break;
            if (inner.Length > 0)
                (alternates ??= []).Insert(0, inner.ToString());
            span = rest;
        }
        return (span.ToString(), alternates is null ? [] : alternates);
    }

    /// <summary>"Matrix, The" → "The Matrix"; "Atalante, L'" → "L'Atalante"; other names unchanged.</summary>
    public static string MoveArticleToFront(string name)
    {
        var comma = name.LastIndexOf(", ", StringComparison.Ordinal);
        if (comma <= 0)
            return name;
        var article = name.AsSpan(comma + 2).Trim();
        if (article.Length == 0 || article.Contains(' ') || !s_movedArticles.Contains(article.ToString()))
            return name;
        var rest = name.AsSpan(0, comma).Trim();
        return article[^1] is '\'' or '\u2019' ? string.Concat(article, rest) : string.Concat(article, " ", rest);
    }
}
