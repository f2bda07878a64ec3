using System.Text.Json;
using MovieRecs.Core.Catalog;
using MovieRecs.Core.MovieLens;
using MovieRecs.Core.Store;
using MovieRecs.Functions.Infrastructure;

namespace MovieRecs.Functions.Ratings;

/// <summary>Request bodies of the rating endpoints (documentation; bodies are parsed by <see cref="RatingRequests"/>).</summary>
public sealed record RatingInput(int MovieId, double Rating);

public sealed record RateMoviesRequest(IReadOnlyList<RatingInput> Ratings);

public sealed record CreateRatingRequest(int UserId, int MovieId, double Rating);

public sealed record MarkWatchedRequest(int MovieId);

/// <summary>
/// Parses and validates rating bodies, recording every problem with its path (<c>ratings[3].rating</c>) so one
/// answer names them all. Unknown properties are ignored.
/// </summary>
public static class RatingRequests
{
    public const int MaxBatch = 100;
    public const string ScaleRule = "must be 0.5 to 5.0 in steps of 0.5";

    public sealed record Item(int Index, int MovieId, double Rating);

    /// <summary>
    /// The items of <c>{"ratings": [{"movie_id": 1, "rating": 4}, ...]}</c>, or null when anything is wrong.
    /// <paramref name="onlyUnknownMovies"/> tells a well-formed request naming movies the catalog lacks (422) from a malformed one (400).
    /// </summary>
    public static List<Item>? ParseBatch(JsonElement root, MovieCatalog catalog, ProblemErrors errors, out bool onlyUnknownMovies)
    {
        onlyUnknownMovies = false;
        if (!JsonFields.RequireObject(root, errors, """{"ratings": [{"movie_id": 1, "rating": 4}]}"""))
            return null;
        if (!root.TryGetProperty("ratings", out var array) || array.ValueKind == JsonValueKind.Null)
        {
            errors.Add("ratings", "is required");
            return null;
        }
        if (array.ValueKind != JsonValueKind.Array)
        {
            errors.Add("ratings", $"must be an array (got {JsonFields.KindName(array)})");
            return null;
        }
        var length = array.GetArrayLength();
        if (length is 0 or > MaxBatch)
        {
            errors.Add("ratings", $"must hold 1 to {MaxBatch} items (got {length})");
            return null;
        }

        var items = new List<Item>(length);
        var firstIndexOfMovie = new Dictionary<int, int>();
        int malformed = 0, unknown = 0;
        var index = 0;
        foreach (var element in array.EnumerateArray())
        {
            var path = $"ratings[{index}]";
            if (element.ValueKind != JsonValueKind.Object)
            {
                errors.Add(path, $"must be an object like {{\"movie_id\": 1, \"rating\": 4}} (got {JsonFields.KindName(element)})");
                malformed++;
                index++;
                continue;
            }
            var before = CountOf(errors);
            var movieId = JsonFields.Integer(element, "movie_id", path + ".movie_id", errors, 1, long.MaxValue);
            var rating = Rating(element, "rating", path + ".rating", errors);
            malformed += CountOf(errors) - before;
            if (movieId is { } m)
            {
                if (m > RatingId.MaxMovieId || !catalog.Contains((int)m))
                {
                    errors.Add(path + ".movie_id", $"no movie with id {m}");
                    unknown++;
                }
                else if (!firstIndexOfMovie.TryAdd((int)m, index))
                {
                    errors.Add(path + ".movie_id", $"movie {m} is rated twice in this request (also ratings[{firstIndexOfMovie[(int)m]}])");
                    malformed++;
                }
                else if (rating is { } r)
                {
                    items.Add(new Item(index, (int)m, r));
                }
            }
            index++;
        }
        onlyUnknownMovies = malformed == 0 && unknown > 0;
        return errors.Any ? null : items;
    }

    /// <summary>One rating: <c>{"user_id": 1, "movie_id": 1, "rating": 2.5}</c>. Ids are only checked for shape here.</summary>
    public static (long UserId, long MovieId, double Rating)? ParseOne(JsonElement root, ProblemErrors errors)
    {
        if (!JsonFields.RequireObject(root, errors, """{"user_id": 1, "movie_id": 1, "rating": 2.5}"""))
            return null;
        var user = JsonFields.Integer(root, "user_id", "user_id", errors, 1, long.MaxValue);
        var movie = JsonFields.Integer(root, "movie_id", "movie_id", errors, 1, long.MaxValue);
        var rating = Rating(root, "rating", "rating", errors);
        return user is { } u && movie is { } m && rating is { } r ? (u, m, r) : null;
    }

    /// <summary>A movie id in a body: <c>{"movie_id": 1}</c>.</summary>
    public static long? ParseMovieId(JsonElement root, ProblemErrors errors) =>
        JsonFields.RequireObject(root, errors, """{"movie_id": 1}""")
            ? JsonFields.Integer(root, "movie_id", "movie_id", errors, 1, long.MaxValue)
            : null;

    /// <summary>
    /// The body of a rating edit: <c>{"rating": 4.5, "review": "..."}</c>. PUT (<paramref name="replace"/>) needs the rating
    /// and takes an absent review as none (""); PATCH keeps what is absent (null) and needs at least one field.
    /// </summary>
    public static (double? Rating, string? Review)? ParseEdit(JsonElement root, bool replace, ProblemErrors errors)
    {
        if (!JsonFields.RequireObject(root, errors, """{"rating": 4.5, "review": "..."}"""))
            return null;
        var hasRating = root.TryGetProperty("rating", out var r) && (replace || r.ValueKind != JsonValueKind.Null);
        var rating = hasRating || replace ? Rating(root, "rating", "rating", errors) : null;
        string? review = replace ? "" : null;
        if (root.TryGetProperty("review", out var text))
            review = Review(text, errors) ?? review;
        if (!replace && !hasRating && review is null && !root.TryGetProperty("review", out _))
            errors.Add("body", "must change something: rating, review or both");
        return errors.Any ? null : (rating, review);
    }

    /// <summary>A review: a string of at most <see cref="PairRow.MaxReviewLength"/> characters (line breaks and tabs allowed); null or "" is "no review" ("").</summary>
    public static string? Review(JsonElement value, ProblemErrors errors, string path = "review")
    {
        if (value.ValueKind == JsonValueKind.Null)
            return "";
        if (value.ValueKind != JsonValueKind.String)
        {
            errors.Add(path, $"must be a string (got {JsonFields.KindName(value)})");
            return null;
        }
        var s = value.GetString()!.Trim();
        if (s.Length > PairRow.MaxReviewLength)
            errors.Add(path, $"must be at most {PairRow.MaxReviewLength} characters (got {s.Length})");
        else if (s.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t')))
            errors.Add(path, "must not contain control characters other than line breaks and tabs");
        else
            return s;
        return null;
    }

    static double? Rating(JsonElement obj, string name, string path, ProblemErrors errors)
    {
        if (JsonFields.Number(obj, name, path, errors) is not { } value)
            return null;
        if (!RatingScale.IsValid(value))
        {
            errors.Add(path, $"{ScaleRule} (got {value.ToString(System.Globalization.CultureInfo.InvariantCulture)})");
            return null;
        }
        return Math.Round(value * 2) / 2;
    }

    static int CountOf(ProblemErrors errors) => errors.Count;
}
