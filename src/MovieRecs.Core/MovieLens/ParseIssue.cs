namespace MovieRecs.Core.MovieLens;

/// <summary>A line a reader skipped, and why.</summary>
/// <param name="File">The file's path as given to the reader.</param>
/// <param name="Line">1-based line number (the header is line 1).</param>
/// <param name="Message">What was wrong.</param>
public sealed record ParseIssue(string File, int Line, string Message)
{
    public override string ToString() => $"{File}:{Line}: {Message}";
}
