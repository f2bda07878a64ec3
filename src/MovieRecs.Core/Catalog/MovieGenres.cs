namespace MovieRecs.Core.Catalog;

/// <summary>The MovieLens genre vocabulary and tolerant genre-name matching.</summary>
public static class MovieGenres
{
    /// <summary>What MovieLens writes for a movie without genres (read as an empty list).</summary>
    public const string NoGenresListed = "(no genres listed)";

    /// <summary>The genres MovieLens uses, in its spelling, alphabetical.</summary>
    public static IReadOnlyList<string> MovieLens { get; } =
    [
        "Action", "Adventure", "Animation", "Children", "Comedy", "Crime", "Documentary", "Drama", "Fantasy",
        "Film-Noir", "Horror", "IMAX", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
    ];

    /// <summary>Other ways people name a genre (keys as <see cref="Key"/> makes them).</summary>
    static readonly Dictionary<string, string> s_aliases = new(StringComparer.Ordinal)
    {
        ["sciencefiction"] = "Sci-Fi", ["sf"] = "Sci-Fi", ["noir"] = "Film-Noir", ["kids"] = "Children",
        ["childrens"] = "Children", ["family"] = "Children", ["animated"] = "Animation", ["cartoon"] = "Animation",
        ["cartoons"] = "Animation", ["docs"] = "Documentary", ["doc"] = "Documentary", ["romantic"] = "Romance",
        ["musicals"] = "Musical", ["scary"] = "Horror",
    };

    static readonly Dictionary<string, string> s_byKey = MovieLens.ToDictionary(Key, g => g, StringComparer.Ordinal);

    /// <summary>
    /// A genre name's matching key: accents folded, lower case, letters and digits only:
    /// "Sci-Fi", "sci fi", "SCIFI" → "scifi"; "Film Noir" → "filmnoir".
    /// </summary>
    public static string Key(string? name) => TextNormalizer.Normalize(name).Replace(" ", "", StringComparison.Ordinal);

    /// <summary>The MovieLens spelling for a name written any way ("sci fi" → "Sci-Fi"), or the trimmed input when unknown.</summary>
    public static string Canonicalize(string name) =>
        TryResolve(name, MovieLens, out var canonical) ? canonical : name.Trim();

    /// <summary>
    /// Parses a MovieLens genre list "Adventure|Animation|Children": names trimmed, MovieLens spelling restored
    /// ("sci-fi" → "Sci-Fi"), duplicates and empties dropped; "(no genres listed)" gives an empty list.
    /// </summary>
    public static IReadOnlyList<string> ParseList(string? pipeSeparated)
    {
        if (string.IsNullOrWhiteSpace(pipeSeparated))
            return [];
        var parts = pipeSeparated.Split('|', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var list = new List<string>(parts.Length);
        foreach (var p in parts)
        {
            if (p.Equals(NoGenresListed, StringComparison.OrdinalIgnoreCase))
                continue;
            var g = s_byKey.TryGetValue(Key(p), out var known) ? known : p;
            if (!list.Contains(g, StringComparer.OrdinalIgnoreCase))
                list.Add(g);
        }
        return list;
    }

    /// <summary>
    /// Resolves user input to one of <paramref name="genres"/>: case, accents, spaces and punctuation ignored
    /// ("sci-fi", "Sci-Fi", "scifi", "SCI FI", "film noir"), a plural accepted ("comedies", "westerns"), and a few
    /// aliases ("science fiction", "noir", "kids", "animated").
    /// </summary>
    public static bool TryResolve(string? input, IEnumerable<string> genres, out string canonical)
    {
        canonical = string.Empty;
        var key = Key(input);
        if (key.Length == 0)
            return false;
        var byKey = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var g in genres)
            byKey.TryAdd(Key(g), g);
        foreach (var candidate in Candidates(key))
        {
            if (byKey.TryGetValue(candidate, out var found))
            {
                canonical = found;
                return true;
            }
        }
        return false;
    }

    /// <summary>The keys to try for an input key, best first: itself, singular forms, an alias.</summary>
    internal static IEnumerable<string> Candidates(string key)
    {
        yield return key;
        if (key.EndsWith("ies", StringComparison.Ordinal) && key.Length > 4)
            yield return key[..^3] + "y";
        if (key.EndsWith('s') && key.Length > 3)
            yield return key[..^1];
        if (s_aliases.TryGetValue(key, out var alias))
            yield return Key(alias);
    }
}
