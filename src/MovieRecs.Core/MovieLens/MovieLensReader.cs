using System.Globalization;
using System.Text;
using MovieRecs.Core.Catalog;

namespace MovieRecs.Core.MovieLens;

/// <summary>The two MovieLens file layouts.</summary>
public enum MovieLensLayout
{
    /// <summary>ml-latest, ml-latest-small, ml-25m, ml-32m: movies.csv [+ ratings.csv, links.csv, tags.csv].</summary>
    Latest,
    /// <summary>ml-100k: u.item (movies) + u.data (ratings).</summary>
    Ml100k,
}

/// <summary>A MovieLens directory and the files found in it (absent optional files are null).</summary>
public sealed record MovieLensFiles(
    string Directory,
    MovieLensLayout Layout,
    string MoviesPath,
    string? RatingsPath,
    string? LinksPath,
    string? TagsPath);

/// <summary>
/// Reads MovieLens data sets. Readers stream rows; a malformed line is skipped and reported as a
/// <see cref="ParseIssue"/> in the collection the caller passes, never thrown. Blank lines are skipped silently.
/// </summary>
public static class MovieLensReader
{
    /// <summary>
    /// Finds which layout <paramref name="directory"/> holds. Throws <see cref="DirectoryNotFoundException"/>
    /// or <see cref="FileNotFoundException"/> (naming the files expected) when it holds neither.
    /// </summary>
    public static MovieLensFiles Detect(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        if (!System.IO.Directory.Exists(directory))
            throw new DirectoryNotFoundException($"MovieLens directory '{directory}' does not exist.");
        string? Optional(string name)
        {
            var p = Path.Combine(directory, name);
            return File.Exists(p) ? p : null;
        }
        if (Optional("movies.csv") is { } movies)
            return new MovieLensFiles(directory, MovieLensLayout.Latest, movies,
                Optional("ratings.csv"), Optional("links.csv"), Optional("tags.csv"));
        if (Optional("u.item") is { } items)
        {
            var data = Optional("u.data") ?? throw new FileNotFoundException(
                $"'{directory}' has u.item but no u.data: the ml-100k layout needs both.", Path.Combine(directory, "u.data"));
            return new MovieLensFiles(directory, MovieLensLayout.Ml100k, items, data, null, null);
        }
        throw new FileNotFoundException(
            $"No MovieLens data in '{directory}': expected movies.csv (with optional ratings.csv, links.csv, tags.csv) " +
            "as in ml-latest-small / ml-25m, or u.item and u.data as in ml-100k.");
    }

    /// <summary>
    /// Loads the movies of a MovieLens directory, ordered by id, with IMDb/TMDB ids and tags merged in when
    /// links.csv / tags.csv are present.
    /// </summary>
    public static List<Movie> LoadMovies(string directory, ICollection<ParseIssue> issues) => LoadMovies(Detect(directory), issues);

    /// <inheritdoc cref="LoadMovies(string, ICollection{ParseIssue})"/>
    public static List<Movie> LoadMovies(MovieLensFiles files, ICollection<ParseIssue> issues)
    {
        ArgumentNullException.ThrowIfNull(files);
        var movies = (files.Layout == MovieLensLayout.Latest
            ? ReadMovies(files.MoviesPath, issues)
            : Ml100kReader.ReadItems(files.MoviesPath, issues)).ToList();
        var links = new Dictionary<int, LinkRow>();
        if (files.LinksPath is not null)
            foreach (var l in ReadLinks(files.LinksPath, issues))
                links[l.MovieId] = l;
        var tags = files.TagsPath is null ? [] : AggregateTags(ReadTags(files.TagsPath, issues));
        for (var i = 0; i < movies.Count; i++)
        {
            var m = movies[i];
            var hasLink = links.TryGetValue(m.Id, out var link);
            var hasTags = tags.TryGetValue(m.Id, out var t);
            if (hasLink || hasTags)
                movies[i] = m with
                {
                    ImdbId = hasLink ? link.ImdbId : m.ImdbId,
                    TmdbId = hasLink ? link.TmdbId : m.TmdbId,
                    Tags = hasTags ? t! : m.Tags,
                };
        }
        movies.Sort((a, b) => a.Id.CompareTo(b.Id));
        return movies;
    }

    /// <summary>The ratings of a MovieLens directory (ratings.csv or u.data); empty when the layout has no ratings file.</summary>
    public static IEnumerable<RatingRow> ReadRatings(MovieLensFiles files, ICollection<ParseIssue> issues)
    {
        ArgumentNullException.ThrowIfNull(files);
        if (files.RatingsPath is null)
            return [];
        return files.Layout == MovieLensLayout.Ml100k
            ? Ml100kReader.ReadData(files.RatingsPath, issues)
            : RatingsFile.Read(files.RatingsPath, issues);
    }

    /// <summary>The ratings of a MovieLens directory with their line numbers.</summary>
    public static IEnumerable<(RatingRow Row, int Line)> ReadRatingsWithLines(MovieLensFiles files, ICollection<ParseIssue> issues) =>
        files.RatingsPath is null ? []
        : RatingsFile.ReadWithLines(files.RatingsPath, issues, files.Layout == MovieLensLayout.Ml100k ? RatingsFileFormat.Whitespace : null);

    /// <summary>
    /// Streams movies.csv (movieId,title,genres; UTF-8; header skipped). Titles are kept as written; the year
    /// comes from the title; "(no genres listed)" gives no genres. A repeated id is reported and skipped.
    /// </summary>
    public static IEnumerable<Movie> ReadMovies(string path, ICollection<ParseIssue> issues)
    {
        RequireFile(path, issues);
        return Iterate();

        IEnumerable<Movie> Iterate()
        {
            var seen = new HashSet<int>();
            foreach (var (line, f) in Records(path, issues, "movieId,title,genres"))
            {
                if (f.Count != 3)
                {
                    issues.Add(new ParseIssue(path, line, $"expected 3 fields (movieId,title,genres) but found {f.Count}"));
                    continue;
                }
                if (!TryParseId(f[0], out var id))
                {
                    issues.Add(new ParseIssue(path, line, $"movie id '{f[0]}' is not a positive integer"));
                    continue;
                }
                if (string.IsNullOrWhiteSpace(f[1]))
                {
                    issues.Add(new ParseIssue(path, line, $"movie {id} has an empty title"));
                    continue;
                }
                if (!seen.Add(id))
                {
                    issues.Add(new ParseIssue(path, line, $"movie id {id} appears more than once; the first is kept"));
                    continue;
                }
                var title = f[1];
                yield return new Movie(id, title, MovieTitle.ParseYear(title), MovieGenres.ParseList(f[2]), null, null, [], null);
            }
        }
    }

    /// <summary>Streams links.csv (movieId,imdbId,tmdbId): "0114709" becomes "tt0114709"; an empty tmdbId is null.</summary>
    public static IEnumerable<LinkRow> ReadLinks(string path, ICollection<ParseIssue> issues)
    {
        RequireFile(path, issues);
        return Iterate();

        IEnumerable<LinkRow> Iterate()
        {
            foreach (var (line, f) in Records(path, issues, "movieId,imdbId,tmdbId"))
            {
                if (f.Count is < 2 or > 3)
                {
                    issues.Add(new ParseIssue(path, line, $"expected 3 fields (movieId,imdbId,tmdbId) but found {f.Count}"));
                    continue;
                }
                if (!TryParseId(f[0], out var id))
                {
                    issues.Add(new ParseIssue(path, line, $"movie id '{f[0]}' is not a positive integer"));
                    continue;
                }
                var imdbText = f[1].Trim();
                if (imdbText.StartsWith("tt", StringComparison.OrdinalIgnoreCase))
                    imdbText = imdbText[2..];
                string? imdb = null;
                if (imdbText.Length > 0)
                {
                    if (imdbText.Length > 10 || !imdbText.All(char.IsAsciiDigit))
                    {
                        issues.Add(new ParseIssue(path, line, $"IMDb id '{f[1]}' is not a number"));
                        continue;
                    }
                    imdb = "tt" + imdbText.PadLeft(7, '0');
                }
                int? tmdb = null;
                var tmdbText = f.Count > 2 ? f[2].Trim() : "";
                if (tmdbText.Length > 0)
                {
                    if (!TryParseId(tmdbText, out var t))
                    {
                        issues.Add(new ParseIssue(path, line, $"TMDB id '{f[2]}' is not a positive integer"));
                        continue;
                    }
                    tmdb = t;
                }
                yield return new LinkRow(id, imdb, tmdb);
            }
        }
    }

    /// <summary>Streams tags.csv (userId,movieId,tag,timestamp).</summary>
    public static IEnumerable<TagRow> ReadTags(string path, ICollection<ParseIssue> issues)
    {
        RequireFile(path, issues);
        return Iterate();

        IEnumerable<TagRow> Iterate()
        {
            foreach (var (line, f) in Records(path, issues, "userId,movieId,tag,timestamp"))
            {
                if (f.Count != 4)
                {
                    issues.Add(new ParseIssue(path, line, $"expected 4 fields (userId,movieId,tag,timestamp) but found {f.Count}"));
                    continue;
                }
                if (!TryParseId(f[0], out var user))
                {
                    issues.Add(new ParseIssue(path, line, $"user id '{f[0]}' is not a positive integer"));
                    continue;
                }
                if (!TryParseId(f[1], out var movie))
                {
                    issues.Add(new ParseIssue(path, line, $"movie id '{f[1]}' is not a positive integer"));
                    continue;
                }
                var tag = f[2].Trim();
                if (tag.Length == 0)
                {
                    issues.Add(new ParseIssue(path, line, "empty tag"));
                    continue;
                }
                if (!long.TryParse(f[3].Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ts))
                {
                    issues.Add(new ParseIssue(path, line, $"timestamp '{f[3]}' is not an integer"));
                    continue;
                }
                yield return new TagRow(user, movie, tag, ts);
            }
        }
    }

    /// <summary>
    /// Per-movie distinct tags: tags equal ignoring case (and surrounding spaces) are one, written the way most
    /// users wrote it (ties: ordinal order); ordered by how often the tag was applied, then alphabetically.
    /// </summary>
    public static Dictionary<int, IReadOnlyList<string>> AggregateTags(IEnumerable<TagRow> tags)
    {
        var perMovie = new Dictionary<int, Dictionary<string, Dictionary<string, int>>>();
        foreach (var t in tags)
        {
            var tag = t.Tag.Trim();
            if (tag.Length == 0)
                continue;
            if (!perMovie.TryGetValue(t.MovieId, out var groups))
                perMovie[t.MovieId] = groups = new Dictionary<string, Dictionary<string, int>>(StringComparer.OrdinalIgnoreCase);
            if (!groups.TryGetValue(tag, out var spellings))
                groups[tag] = spellings = new Dictionary<string, int>(StringComparer.Ordinal);
            spellings[tag] = spellings.GetValueOrDefault(tag) + 1;
        }
        var result = new Dictionary<int, IReadOnlyList<string>>(perMovie.Count);
        foreach (var (movie, groups) in perMovie)
        {
            var list = new List<(string Tag, int Count)>(groups.Count);
            foreach (var spellings in groups.Values)
            {
                string? best = null;
                int bestCount = 0, total = 0;
                foreach (var (spelling, count) in spellings)
                {
                    total += count;
                    if (count > bestCount || (count == bestCount && string.CompareOrdinal(spelling, best) < 0))
                    {
                        best = spelling;
                        bestCount = count;
                    }
                }
                list.Add((best!, total));
            }
            list.Sort((a, b) =>
            {
                var c = b.Count.CompareTo(a.Count);
                if (c != 0)
                    return c;
                c = StringComparer.OrdinalIgnoreCase.Compare(a.Tag, b.Tag);
                return c != 0 ? c : string.CompareOrdinal(a.Tag, b.Tag);
            });
            result[movie] = list.Select(x => x.Tag).ToArray();
        }
        return result;
    }

    /// <summary>CSV records of a file, header skipped; malformed records reported and skipped.</summary>
    static IEnumerable<(int Line, List<string> Fields)> Records(string path, ICollection<ParseIssue> issues, string expectedHeader)
    {
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        var csv = new CsvRecordReader(reader);
        var fields = new List<string>();
        var first = true;
        while (csv.Read(fields, out var line, out var error))
        {
            if (error is not null)
            {
                issues.Add(new ParseIssue(path, line, error));
                first = false;
                continue;
            }
            if (first)
            {
                first = false;
                if (!long.TryParse(fields[0].Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
                {
                    // a header
                    if (!string.Join(',', fields.Select(f => f.Trim())).Equals(expectedHeader, StringComparison.OrdinalIgnoreCase))
                        issues.Add(new ParseIssue(path, line, $"unexpected header '{string.Join(',', fields)}'; expected {expectedHeader} (read in that order)"));
                    continue;
                }
            }
            yield return (line, fields);
        }
    }

    internal static bool TryParseId(string text, out int id) =>
        int.TryParse(text.AsSpan().Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out id) && id > 0;

    internal static void RequireFile(string path, ICollection<ParseIssue> issues)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(issues);
        if (!File.Exists(path))
            throw new FileNotFoundException($"File '{path}' not found.", path);
    }
}
