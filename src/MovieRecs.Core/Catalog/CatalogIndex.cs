using System.Runtime.InteropServices;
using System.Text;

namespace MovieRecs.Core.Catalog;

/// <summary>
/// The immutable search structures of a <see cref="MovieCatalog"/>, built once from its movies
/// (movies are referred to by their index in id order).
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Vocabulary: every distinct normalised title word, sorted ordinally, so the words starting with a
/// prefix are one contiguous id range found by binary search. Each word has a postings list (ascending
/// movie indexes) and each movie lists its word ids.</item>
/// <item>Title words come from the whole title without the year, alternate titles included. Words joined
/// by punctuation are also indexed joined: "Spider-Man" gives spider, man, spiderman; "Schindler's" gives
/// schindler, s, schindlers; "E.T." gives e, t, et.</item>
/// <item>Deletion neighbourhood: each word of 4+ letters under itself and (5+ letters) under each
/// one-letter deletion, so words one edit away from a query word are found with a few hash lookups.</item>
/// <item>Exact keys: each title (main and alternates) as a person types it: "the matrix", "matrix",
/// "toy story", "toy story 1995", "spider man", "spiderman".</item>
/// <item>Genres: postings per genre and a small list of genre words ("comedy", "sci", "fi", "scifi",
/// "comedies", "science", "fiction"...).</item>
/// </list>
/// </remarks>
internal sealed class CatalogIndex
{
    public readonly string[] Terms;
    public readonly int[][] Postings;
    /// <summary>PostingPrefix[t] = total postings of terms before t (length Terms.Length + 1).</summary>
    public readonly long[] PostingPrefix;
    public readonly int[][] MovieTerms;
    public readonly Dictionary<string, int[]> Deletes;
    public readonly Dictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> DeletesLookup;
    public readonly Dictionary<string, int[]> Exact;
    public readonly Dictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> ExactLookup;
    public readonly Dictionary<int, int[]> YearPostings;
    /// <summary>Release year per movie, 0 when unknown.</summary>
    public readonly int[] MovieYear;
    public readonly string[] GenreNames;
    public readonly int[][] GenrePostings;
    public readonly int[][] MovieGenres;
    public readonly string[] GenreTokens;
    public readonly int[][] GenreTokenGenres;
    /// <summary>Position of each movie in title order (unique).</summary>
    public readonly int[] TitleRank;

    /// <summary>Extra search words for genres, beyond the words of their names and plurals.</summary>
    static readonly Dictionary<string, string[]> s_genreWords = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Sci-Fi"] = ["science", "fiction"],
        ["Children"] = ["kids", "family", "childrens"],
        ["Animation"] = ["animated", "cartoon", "cartoons"],
        ["Documentary"] = ["docs"],
        ["Romance"] = ["romantic"],
    };

    public CatalogIndex(Movie[] movies)
    {
        var n = movies.Length;
        var termMovies = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var exact = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var movieTermStrings = new List<string>[n];
        MovieYear = new int[n];
        var sortKeys = new string[n];
        var words = new List<string>();
        var perMovie = new HashSet<string>(StringComparer.Ordinal);

        for (var m = 0; m < n; m++)
        {
            var movie = movies[m];
            var (name, parsedYear) = MovieTitle.Split(movie.Title);
            var year = movie.Year ?? parsedYear;
            MovieYear[m] = year ?? 0;

            perMovie.Clear();
            AddIndexWords(name, perMovie);
            var list = new List<string>(perMovie);
            movieTermStrings[m] = list;
            foreach (var w in list)
            {
                ref var postings = ref CollectionsMarshal.GetValueRefOrAddDefault(termMovies, w, out _);
                (postings ??= []).Add(m);
            }

            var (main, alternates) = MovieTitle.SplitAlternates(name);
            var display = MovieTitle.MoveArticleToFront(main);
            foreach (var key in ExactKeys(display, year))
                AddUnique(exact, key, m);
            foreach (var alt in alternates)
                foreach (var key in ExactKeys(MovieTitle.MoveArticleToFront(alt), year))
                    AddUnique(exact, key, m);

            words.Clear();
            Words(display, TextNormalizer.ApostropheMode.Join, words, joinAttached: false);
            if (words.Count > 1 && MovieTitle.LeadingArticles.Contains(words[0]))
                words.RemoveAt(0);
            sortKeys[m] = string.Join(' ', words);
        }

        // vocabulary
        Terms = [.. termMovies.Keys];
        Array.Sort(Terms, StringComparer.Ordinal);
        var termIds = new Dictionary<string, int>(Terms.Length, StringComparer.Ordinal);
        Postings = new int[Terms.Length][];
        PostingPrefix = new long[Terms.Length + 1];
        for (var t = 0; t < Terms.Length; t++)
        {
            termIds[Terms[t]] = t;
            Postings[t] = [.. termMovies[Terms[t]]];
            PostingPrefix[t + 1] = PostingPrefix[t] + Postings[t].Length;
        }
        MovieTerms = new int[n][];
        for (var m = 0; m < n; m++)
        {
            var ids = new int[movieTermStrings[m].Count];
            for (var i = 0; i < ids.Length; i++)
                ids[i] = termIds[movieTermStrings[m][i]];
            Array.Sort(ids);
            MovieTerms[m] = ids;
        }

        // deletion neighbourhood
        var deletes = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var t = 0; t < Terms.Length; t++)
        {
            var term = Terms[t];
            if (term.Length < 4)
                continue;
            AddUnique(deletes, term, t);
            if (term.Length < 5)
                continue;
            for (var i = 0; i < term.Length; i++)
            {
                if (i > 0 && term[i] == term[i - 1])
                    continue; // deleting either of a doubled letter gives the same string
                AddUnique(deletes, term.Remove(i, 1), t);
            }
        }
        Deletes = ToArrays(deletes);
        DeletesLookup = Deletes.GetAlternateLookup<ReadOnlySpan<char>>();
        Exact = ToArrays(exact);
        ExactLookup = Exact.GetAlternateLookup<ReadOnlySpan<char>>();

        var years = new Dictionary<int, List<int>>();
        for (var m = 0; m < n; m++)
            if (MovieYear[m] != 0)
                AddUnique(years, MovieYear[m], m);
        YearPostings = years.ToDictionary(p => p.Key, p => p.Value.ToArray());

        // genres
        var genreByName = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var genreNames = new List<string>();
        foreach (var movie in movies)
            foreach (var g in movie.Genres)
                if (!string.IsNullOrWhiteSpace(g) && !genreByName.ContainsKey(g.Trim()))
                {
                    genreByName[g.Trim()] = -1;
                    genreNames.Add(g.Trim());
                }
        genreNames.Sort(StringComparer.OrdinalIgnoreCase);
        GenreNames = [.. genreNames];
        for (var g = 0; g < GenreNames.Length; g++)
            genreByName[GenreNames[g]] = g;
        var genrePostings = new List<int>[GenreNames.Length];
        for (var g = 0; g < genrePostings.Length; g++)
            genrePostings[g] = [];
        MovieGenres = new int[n][];
        var ids2 = new List<int>();
        for (var m = 0; m < n; m++)
        {
            ids2.Clear();
            foreach (var g in movies[m].Genres)
                if (!string.IsNullOrWhiteSpace(g) && genreByName.TryGetValue(g.Trim(), out var gid) && !ids2.Contains(gid))
                {
                    ids2.Add(gid);
                    genrePostings[gid].Add(m);
                }
            MovieGenres[m] = [.. ids2];
        }
        GenrePostings = [.. genrePostings.Select(p => p.ToArray())];

        var genreTokens = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var g = 0; g < GenreNames.Length; g++)
        {
            var gw = new HashSet<string>(StringComparer.Ordinal);
            AddIndexWords(GenreNames[g], gw);
            if (s_genreWords.TryGetValue(GenreNames[g], out var extra))
                gw.UnionWith(extra);
            foreach (var w in gw.ToArray())
            {
                if (w.Length < 4)
                    continue;
                gw.Add(w + "s");
                if (w.EndsWith('y'))
                    gw.Add(w[..^1] + "ies");
            }
            foreach (var w in gw)
                AddUnique(genreTokens, w, g);
        }
        GenreTokens = [.. genreTokens.Keys.Order(StringComparer.Ordinal)];
        GenreTokenGenres = [.. GenreTokens.Select(t => genreTokens[t].ToArray())];

        // title order
        var order = new int[n];
        for (var m = 0; m < n; m++)
            order[m] = m;
        Array.Sort(order, (a, b) =>
        {
            var c = string.CompareOrdinal(sortKeys[a], sortKeys[b]);
            if (c != 0)
                return c;
            c = (MovieYear[a] == 0 ? int.MaxValue : MovieYear[a]).CompareTo(MovieYear[b] == 0 ? int.MaxValue : MovieYear[b]);
            return c != 0 ? c : a.CompareTo(b);
        });
        TitleRank = new int[n];
        for (var r = 0; r < n; r++)
            TitleRank[order[r]] = r;
    }

    /// <summary>The index words of a text: split words plus punctuation-joined compounds.</summary>
    static void AddIndexWords(string text, HashSet<string> into)
    {
        var chars = new char[text.Length * 2];
        var tokens = new TextNormalizer.Token[text.Length];
        var count = TextNormalizer.Tokenize(text, chars, tokens, TextNormalizer.ApostropheMode.Split);
        var sb = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            into.Add(new string(chars, tokens[i].Start, tokens[i].Length));
            if (i + 1 < count && tokens[i + 1].Attached && !tokens[i].Attached)
            {
                // start of a run of attached tokens: add the run joined
                sb.Clear();
                var j = i;
                do
                {
                    sb.Append(chars, tokens[j].Start, tokens[j].Length);
                    j++;
                } while (j < count && tokens[j].Attached);
                into.Add(sb.ToString());
            }
        }
    }

    /// <summary>Normalised words of a text; with <paramref name="joinAttached"/>, punctuation-joined words as one.</summary>
    internal static void Words(string text, TextNormalizer.ApostropheMode mode, List<string> into, bool joinAttached)
    {
        var chars = new char[text.Length * 2];
        var tokens = new TextNormalizer.Token[text.Length];
        var count = TextNormalizer.Tokenize(text, chars, tokens, mode);
        for (var i = 0; i < count; i++)
        {
            var w = new string(chars, tokens[i].Start, tokens[i].Length);
            if (joinAttached && tokens[i].Attached && into.Count > 0)
                into[^1] += w;
            else
                into.Add(w);
        }
    }

    /// <summary>The exact-match keys of one display title: with and without a leading article, split and joined, with and without the year.</summary>
    static IEnumerable<string> ExactKeys(string display, int? year)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var join in (ReadOnlySpan<bool>)[false, true])
        {
            var words = new List<string>();
            Words(display, TextNormalizer.ApostropheMode.Join, words, join);
            if (words.Count == 0)
                continue;
            keys.Add(string.Join(' ', words));
            if (words.Count > 1 && MovieTitle.LeadingArticles.Contains(words[0]))
                keys.Add(string.Join(' ', words.Skip(1)));
        }
        if (year is { } y)
            foreach (var k in keys.ToArray())
                keys.Add(k + " " + y.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return keys;
    }

    static void AddUnique<TKey>(Dictionary<TKey, List<int>> map, TKey key, int value) where TKey : notnull
    {
        ref var list = ref CollectionsMarshal.GetValueRefOrAddDefault(map, key, out _);
        list ??= [];
        if (list.Count == 0 || list[^1] != value)
            list.Add(value);
    }

    static Dictionary<string, int[]> ToArrays(Dictionary<string, List<int>> map)
    {
        var result = new Dictionary<string, int[]>(map.Count, StringComparer.Ordinal);
        foreach (var (k, v) in map)
            result[k] = [.. v];
        return result;
    }
}
