using System.Text.Json;
using System.Text.RegularExpressions;
using MovieRecs.Core.Catalog;
using MovieRecs.Core.Store;
using MovieRecs.Functions.Infrastructure;

namespace MovieRecs.Functions.Catalog;

/// <summary>A movie as an admin writes it (POST, PUT, PATCH); snake_case on the wire.</summary>
public sealed record MovieWriteRequest(string Title, int? Year, IReadOnlyList<string>? Genres, string? ImdbId, int? TmdbId,
    string? PosterUrl, IReadOnlyList<string>? Tags, int? Id);

/// <summary>A genre as an admin writes it.</summary>
public sealed record GenreWriteRequest(string Name);

/// <summary>
/// Reads movie and genre bodies field by field, so a 400 names every bad field. PUT and POST describe the whole movie
/// (an absent optional field is cleared); PATCH changes only the fields present (null clears an optional one).
/// </summary>
public static partial class CatalogRequests
{
    public const int MaxTitleLength = 300;
    public const int MinYear = 1870;   // before the first films
    public const int MaxTags = 100;
    public const int MaxTagLength = 100;
    public const int MaxGenres = 20;
    public const int MaxUrlLength = 2048;

    /// <summary>Up to ten years ahead: announced films.</summary>
    public static int MaxYear => DateTime.UtcNow.Year + 10;

    public const string MovieExample = """{"title": "Arrival", "year": 2016, "genres": ["Drama", "Sci-Fi"], "imdb_id": "tt2543164", "tmdb_id": 329865}""";
    public const string GenreExample = """{"name": "Neo-Noir"}""";

    [GeneratedRegex("^tt[0-9]{7,10}$")]
    private static partial Regex ImdbIdPattern();

    /// <summary>
    /// The movie the body describes, starting from <paramref name="current"/> (the stored movie for PATCH, an empty one
    /// otherwise); null with errors recorded when a field is invalid.
    /// </summary>
    public static Movie? ParseMovie(JsonElement root, Movie current, bool partial, GenreStore.GenreSet genres, ProblemErrors errors)
    {
        if (!JsonFields.RequireObject(root, errors, MovieExample))
            return null;
        var movie = current;

        if (Has(root, "title", out var title) || !partial)
        {
            if (RequiredText(title, "title", MaxTitleLength, errors) is { } t)
                movie = movie with { Title = t };
        }
        if (Has(root, "year", out var year))
            movie = movie with { Year = year.ValueKind == JsonValueKind.Null ? null : (int?)Integer(year, "year", MinYear, MaxYear, errors) };
        else if (!partial)
            movie = movie with { Year = MovieTitle.ParseYear(movie.Title) };   // "Heat (1995)" carries its year, as imports do
        if (Has(root, "genres", out var genreList) || !partial)
            movie = movie with { Genres = Genres(genreList, genres, errors) ?? [] };
        if (Has(root, "imdb_id", out var imdb) || !partial)
        {
            var id = OptionalText(imdb, "imdb_id", 12, errors);
            if (id is not null && !ImdbIdPattern().IsMatch(id))
                errors.Add("imdb_id", $"must look like tt0114709 (tt and 7-10 digits), got '{id}'");
            movie = movie with { ImdbId = id };
        }
        if (Has(root, "tmdb_id", out var tmdb) || !partial)
            movie = movie with { TmdbId = tmdb.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined ? null : (int?)Integer(tmdb, "tmdb_id", 1, int.MaxValue, errors) };
        if (Has(root, "poster_url", out var poster) || !partial)
        {
            var url = OptionalText(poster, "poster_url", MaxUrlLength, errors);
            if (url is not null && !(Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
                errors.Add("poster_url", "must be an absolute http or https URL");
            movie = movie with { PosterUrl = url };
        }
        if (Has(root, "tags", out var tags) || !partial)
            movie = movie with { Tags = Tags(tags, errors) ?? [] };
        return errors.Any ? null : movie;
    }

    /// <summary>The optional explicit id of a new movie (POST), or null.</summary>
    public static int? ParseNewMovieId(JsonElement root, ProblemErrors errors) =>
        root.ValueKind == JsonValueKind.Object && Has(root, "id", out var id) && id.ValueKind != JsonValueKind.Null
            ? (int?)Integer(id, "id", 1, RatingId.MaxMovieId, errors) : null;

    /// <summary>A genre's name: required (unless <paramref name="partial"/>), 1..40 characters, at least one letter or digit, no '|'.</summary>
    public static string? ParseGenreName(JsonElement root, bool partial, ProblemErrors errors)
    {
        if (!JsonFields.RequireObject(root, errors, GenreExample))
            return null;
        if (!Has(root, "name", out var value) && partial)
            return null;
        var name = RequiredText(value, "name", GenreStore.MaxNameLength, errors);
        if (name is null)
            return null;
        if (name.Contains('|'))
            errors.Add("name", "must not contain '|' (movies store their genres '|'-separated)");
        else if (MovieGenres.Key(name).Length == 0)
            errors.Add("name", "must contain a letter or digit");
        else
            return name;
        return null;
    }

    /// <summary>The names of <c>genres</c>: each a genre's name (any case or spelling it answers to) or its numeric id.</summary>
    static List<string>? Genres(JsonElement value, GenreStore.GenreSet genres, ProblemErrors errors)
    {
        if (value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
            return null;
        if (value.ValueKind != JsonValueKind.Array)
        {
            errors.Add("genres", $"must be an array of genre names or ids, like [\"Drama\", 7] (got {JsonFields.KindName(value)})");
            return null;
        }
        if (value.GetArrayLength() > MaxGenres)
        {
            errors.Add("genres", $"must list at most {MaxGenres} genres (got {value.GetArrayLength()})");
            return null;
        }
        var names = new List<string>();
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            var path = $"genres[{i++}]";
            Genre? genre = null;
            if (item.ValueKind == JsonValueKind.String)
            {
                genre = genres.Resolve(item.GetString());
                if (genre is null)
                    errors.Add(path, $"no genre '{Shorten(item.GetString()!)}'; known: {string.Join(", ", genres.All.Select(g => g.Name))} (create it first: POST /api/rest/v1/genres)");
            }
            else if (item.ValueKind == JsonValueKind.Number)
            {
                if (Integer(item, path, 1, int.MaxValue, errors) is { } id && (genre = genres.Find((int)id)) is null)
                    errors.Add(path, $"no genre with id {id}");
            }
            else
                errors.Add(path, $"must be a genre name or id (got {JsonFields.KindName(item)})");
            if (genre is not null && !names.Contains(genre.Name))
                names.Add(genre.Name);
        }
        return names;
    }

    static List<string>? Tags(JsonElement value, ProblemErrors errors)
    {
        if (value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
            return null;
        if (value.ValueKind != JsonValueKind.Array)
        {
            errors.Add("tags", $"must be an array of strings (got {JsonFields.KindName(value)})");
            return null;
        }
        if (value.GetArrayLength() > MaxTags)
        {
            errors.Add("tags", $"must list at most {MaxTags} tags (got {value.GetArrayLength()})");
            return null;
        }
        var tags = new List<string>();
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (RequiredText(item, $"tags[{i++}]", MaxTagLength, errors) is { } tag && !tags.Contains(tag, StringComparer.OrdinalIgnoreCase))
                tags.Add(tag);
        }
        return tags;
    }

    static bool Has(JsonElement root, string name, out JsonElement value)
    {
        if (root.TryGetProperty(name, out value))
            return true;
        value = default;   // Undefined: absent
        return false;
    }

    static string? RequiredText(JsonElement value, string path, int maxLength, ProblemErrors errors)
    {
        if (value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            errors.Add(path, "is required");
            return null;
        }
        var text = Text(value, path, maxLength, errors);
        if (text is { Length: 0 })
        {
            errors.Add(path, "must not be empty");
            return null;
        }
        return text;
    }

    static string? OptionalText(JsonElement value, string path, int maxLength, ProblemErrors errors) =>
        value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined ? null : Text(value, path, maxLength, errors) is { Length: > 0 } s ? s : null;

    static string? Text(JsonElement value, string path, int maxLength, ProblemErrors errors)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            errors.Add(path, $"must be a string (got {JsonFields.KindName(value)})");
            return null;
        }
        var s = value.GetString()!.Trim();
        if (s.Length > maxLength)
            errors.Add(path, $"must be at most {maxLength} characters (got {s.Length})");
        else if (s.Any(char.IsControl))
            errors.Add(path, "must not contain control characters");
        else
            return s;
        return null;
    }

    static long? Integer(JsonElement value, string path, long min, long max, ProblemErrors errors)
    {
        if (value.ValueKind != JsonValueKind.Number)
        {
            errors.Add(path, $"must be an integer (got {JsonFields.KindName(value)})");
            return null;
        }
        if (!value.TryGetInt64(out var n))
        {
            errors.Add(path, $"must be a whole number (got {value.GetRawText()})");
            return null;
        }
        if (n < min || n > max)
        {
            errors.Add(path, max == int.MaxValue ? $"must be at least {min} (got {n})" : $"must be from {min} to {max} (got {n})");
            return null;
        }
        return n;
    }

    static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
