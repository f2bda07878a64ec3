namespace MovieRecs.Functions.Tests;

/// <summary>
/// Finds ml-latest-small ($MOVIERECS_DATA, else shared/data/ml-latest-small above the test). Missing data skips
/// the test with a message, or fails it when MOVIERECS_REQUIRE_DATA=1 (as CI sets).
/// </summary>
public static class TestData
{
    public static string? MovieLensSmall { get; } = Find();

    static string? Find()
    {
        var env = Environment.GetEnvironmentVariable("MOVIERECS_DATA");
        if (!string.IsNullOrWhiteSpace(env))
            return File.Exists(Path.Combine(env, "movies.csv")) ? env : null;
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "shared/data/ml-latest-small/movies.csv")))
                    return Path.Combine(dir.FullName, "shared/data/ml-latest-small");
        return null;
    }
}

/// <summary>A fact that needs ml-latest-small: skipped with a message when it is missing, unless MOVIERECS_REQUIRE_DATA=1.</summary>
public sealed class MovieLensFactAttribute : FactAttribute
{
    public MovieLensFactAttribute()
    {
        if (TestData.MovieLensSmall is null && Environment.GetEnvironmentVariable("MOVIERECS_REQUIRE_DATA") != "1")
            Skip = "MovieLens ml-latest-small not found (set MOVIERECS_DATA or place shared/data/ml-latest-small above the repo).";
    }
}
