using MovieRecs.Core.Catalog;
using MovieRecs.Core.MovieLens;

namespace MovieRecs.Benchmarks;

/// <summary>Finds and loads MovieLens ml-latest-small for the benchmarks.</summary>
static class BenchData
{
    const string Relative = "shared/data/ml-latest-small";

    /// <summary>MOVIERECS_DATA, else the first shared/data/ml-latest-small above the current or base directory.</summary>
    public static string? FindMovieLensSmall(string? explicitDir = null)
    {
        foreach (var candidate in new[] { explicitDir, Environment.GetEnvironmentVariable("MOVIERECS_DATA") })
            if (!string.IsNullOrWhiteSpace(candidate) && Directory.Exists(candidate))
                return Path.GetFullPath(candidate);
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var path = Path.Combine(dir.FullName, Relative);
                if (File.Exists(Path.Combine(path, "movies.csv")))
                    return path;
            }
        }
        return null;
    }

    /// <summary>The ml-latest-small catalog with rating stats set (popularity matters for ranking).</summary>
    public static MovieCatalog LoadCatalog(string? explicitDir = null)
    {
        var dir = FindMovieLensSmall(explicitDir) ?? throw new DirectoryNotFoundException(
            $"MovieLens ml-latest-small not found: set MOVIERECS_DATA or pass --data DIR (looked for {Relative} above the current directory).");
        var issues = new List<ParseIssue>();
        var files = MovieLensReader.Detect(dir);
        var movies = MovieLensReader.LoadMovies(files, issues);
        var stats = MovieStats.Aggregate(MovieLensReader.ReadRatings(files, issues));
        if (issues.Count > 0)
            Console.Error.WriteLine($"{issues.Count} parse issues, first: {issues[0]}");
        return new MovieCatalog(movies, stats);
    }
}
