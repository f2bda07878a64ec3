using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace MovieRecs.Functions;

/// <summary>RFC 9457 problem responses, each naming what was wrong.</summary>
public static class Problems
{
    public static ProblemHttpResult Status(int status, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title);

    public static ProblemHttpResult NotFound(string detail) =>
        Status(StatusCodes.Status404NotFound, "Not found", detail);

    public static ProblemHttpResult Conflict(string detail) =>
        Status(StatusCodes.Status409Conflict, "Conflict", detail);

    public static ProblemHttpResult UserNotFound(int id) => NotFound($"No user with id {id}.");

    public static ProblemHttpResult MovieNotFound(long id) => NotFound($"No movie with id {id}.");
}

/// <summary>
/// Collects every invalid parameter of a request so one 400 names them all, e.g.
/// <c>{"errors": {"limit": ["must be an integer from 1 to 100"]}}</c>.
/// </summary>
public sealed class ProblemErrors
{
    readonly Dictionary<string, string[]> _errors = new(StringComparer.Ordinal);

    public bool Any => _errors.Count > 0;

    /// <summary>Number of messages recorded.</summary>
    public int Count => _errors.Values.Sum(v => v.Length);

    public void Add(string field, string message) =>
        _errors[field] = _errors.TryGetValue(field, out var existing) ? [.. existing, message] : [message];

    /// <summary>
    /// The paging query of a list: limit (1..<paramref name="maxLimit"/>, default <paramref name="defaultLimit"/>), page
    /// (from 1), and how many items come before that page (past the end: an empty page with the true total).
    /// </summary>
    public (int Take, int Page, int Skip) Paging(string? limit, string? page, int maxLimit, int defaultLimit)
    {
        var take = Int("limit", limit, 1, maxLimit, defaultLimit);
        var number = Int("page", page, 1, int.MaxValue, 1);
        return (take, number, (int)Math.Min((long)(number - 1) * take, int.MaxValue));
    }

    /// <summary>Parses an optional integer query value within [min, max]; records an error otherwise.</summary>
    public int Int(string field, string? text, int min, int max, int fallback)
    {
        if (text is null)
            return fallback;
        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            Add(field, max == int.MaxValue
                ? $"must be an integer of at least {min} (got '{Truncate(text)}')"
                : $"must be an integer from {min} to {max} (got '{Truncate(text)}')");
            return fallback;
        }
        return value;
    }

    /// <summary>The errors as a problem with another status than 400 (e.g. 422 for unknown movies inside a batch).</summary>
    public ProblemHttpResult ToProblem(int status, string title) =>
        TypedResults.Problem(new HttpValidationProblemDetails(_errors)
        {
            Status = status,
            Title = title,
            Detail = string.Join("; ", _errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}")),
        });

    public ValidationProblem ToResult() =>
        TypedResults.ValidationProblem(_errors,
            detail: string.Join("; ", _errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}")),
            title: "Invalid request");

    static string Truncate(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
