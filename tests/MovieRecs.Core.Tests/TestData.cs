using MovieRecs.Core.Catalog;
using MovieRecs.Core.MovieLens;

namespace MovieRecs.Core.Tests;

/// <summary>
/// Finds MovieLens ml-latest-small for tests: $MOVIERECS_DATA (the data set's own directory), else the first
/// <c>shared/data/ml-latest-small</c> found walking up from the test's base directory or the current directory
/// (the repo is /work/main with data in /work/shared; in CI the clone sits next to shared/).
/// Tests marked <see cref="MovieLensFactAttribute"/> are skipped when it is missing, unless
/// MOVIERECS_REQUIRE_DATA=1, which makes them fail instead.
/// </summary>
public static class TestData
{
    public const string DataVariable = "MOVIERECS_DATA";
    public const string RequireVariable = "MOVIERECS_REQUIRE_DATA";
    const string Relative = "shared/data/ml-latest-small";

    static readonly Lazy<string?> s_dir = new(Find);
    static readonly Lazy<(List<Movie> Movies, List<RatingRow> Ratings, List<ParseIssue> Issues)> s_small = new(Load);
    static readonly Lazy<MovieCatalog> s_catalog = new(() =>
        new MovieCatalog(SmallMovies, MovieStats.Aggregate(SmallRatings)));

    /// <summary>The ml-latest-small directory, or null.</summary>
    public static string? MovieLensSmall => s_dir.Value;

    /// <summary>True when MOVIERECS_REQUIRE_DATA=1: missing data fails the tests instead of skipping them.</summary>
    public static bool Required => Environment.GetEnvironmentVariable(RequireVariable) == "1";

    public static string SkipReason =>
        $"MovieLens ml-latest-small not found (set {DataVariable}, or put it at {Relative} above {AppContext.BaseDirectory}); " +
        $"set {RequireVariable}=1 to fail instead of skipping.";

    /// <summary>The directory, or a test failure explaining where it was looked for.</summary>
    public static string RequireMovieLensSmall() =>
        MovieLensSmall ?? throw new Xunit.Sdk.XunitException(SkipReason.Replace("set " + RequireVariable + "=1 to fail instead of skipping.", RequireVariable + "=1 is set."));

    public static List<Movie> SmallMovies => s_small.Value.Movies;
    public static List<RatingRow> SmallRatings => s_small.Value.Ratings;
    public static List<ParseIssue> SmallIssues => s_small.Value.Issues;

    /// <summary>ml-latest-small as a catalog with stats from its ratings (built once per test run).</summary>
    public static MovieCatalog SmallCatalog => s_catalog.Value;

    static string? Find()
    {
        var env = Environment.GetEnvironmentVariable(DataVariable);
        if (!string.IsNullOrWhiteSpace(env))
            return File.Exists(Path.Combine(env, "movies.csv")) ? Path.GetFullPath(env) : null;
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, Relative);
                if (File.Exists(Path.Combine(candidate, "movies.csv")))
                    return candidate;
            }
        return null;
    }

    static (List<Movie>, List<RatingRow>, List<ParseIssue>) Load()
    {
        var files = MovieLensReader.Detect(RequireMovieLensSmall());
        var issues = new List<ParseIssue>();
        var movies = MovieLensReader.LoadMovies(files, issues);
        var ratings = RatingsFile.ReadAll(files.RatingsPath!, issues);
        return (movies, ratings, issues);
    }
}

/// <summary>A fact that needs ml-latest-small: skipped when it is missing, unless MOVIERECS_REQUIRE_DATA=1.</summary>
public sealed class MovieLensFactAttribute : FactAttribute
{
    public MovieLensFactAttribute()
    {
        if (TestData.MovieLensSmall is null && !TestData.Required)
            Skip = TestData.SkipReason;
    }
}

/// <summary>A temporary directory deleted on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("movierecs-test-").FullName;

    public string File(string name, string content, System.Text.Encoding? encoding = null)
    {
        var p = System.IO.Path.Combine(Path, name);
        System.IO.File.WriteAllText(p, content, encoding ?? new System.Text.UTF8Encoding(false));
        return p;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
