using MovieRecs.Core.MovieLens;
using MovieRecs.Recommender;

namespace MovieRecs.Recommender.Tests;

/// <summary>
/// Finds the evaluation splits of ml-latest-small for tests: $MOVIERECS_SPLITS (the splits directory itself), else the
/// first <c>shared/data/ml-latest-small-splits</c> found walking up from the test's base directory or the current
/// directory (the repo is /work/main with data in /work/shared; in CI the clone sits next to shared/).
/// Tests marked <see cref="SplitsFactAttribute"/> are skipped when it is missing, unless MOVIERECS_REQUIRE_DATA=1,
/// which makes them fail instead.
/// </summary>
public static class TestData
{
    public const string DataVariable = "MOVIERECS_SPLITS";
    public const string RequireVariable = "MOVIERECS_REQUIRE_DATA";
    const string Relative = "shared/data/ml-latest-small-splits";

    static readonly Lazy<string?> s_dir = new(Find);

    /// <summary>The splits directory, or null.</summary>
    public static string? Splits => s_dir.Value;

    /// <summary>True when MOVIERECS_REQUIRE_DATA=1: missing data fails the tests instead of skipping them.</summary>
    public static bool Required => Environment.GetEnvironmentVariable(RequireVariable) == "1";

    public static string SkipReason =>
        $"ml-latest-small splits not found (set {DataVariable}, or put them at {Relative} above {AppContext.BaseDirectory}); " +
        $"set {RequireVariable}=1 to fail instead of skipping.";

    /// <summary>The directory, or a test failure explaining where it was looked for.</summary>
    public static string RequireSplits() =>
        Splits ?? throw new Xunit.Sdk.XunitException(SkipReason.Replace("set " + RequireVariable + "=1 to fail instead of skipping.", RequireVariable + "=1 is set."));

    /// <summary>Reads one split file (e.g. "rating.train.csv") with Core's reader.</summary>
    public static Rating[] Load(string name)
    {
        var issues = new List<ParseIssue>();
        var rows = RatingsFile.ReadAll(Path.Combine(RequireSplits(), name), issues);
        Assert.Empty(issues);
        return rows.Select(r => new Rating(r.UserId, r.MovieId, r.Rating, r.Timestamp)).ToArray();
    }

    static string? Find()
    {
        var env = Environment.GetEnvironmentVariable(DataVariable);
        if (!string.IsNullOrWhiteSpace(env))
            return File.Exists(Path.Combine(env, "rating.train.csv")) ? Path.GetFullPath(env) : null;
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, Relative);
                if (File.Exists(Path.Combine(candidate, "rating.train.csv")))
                    return candidate;
            }
        return null;
    }
}

/// <summary>A fact that needs the ml-latest-small splits: skipped when they are missing, unless MOVIERECS_REQUIRE_DATA=1.</summary>
public sealed class SplitsFactAttribute : FactAttribute
{
    public SplitsFactAttribute()
    {
        if (TestData.Splits is null && !TestData.Required)
            Skip = TestData.SkipReason;
    }
}

/// <summary>A temporary directory deleted on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("movierecs-rec-test-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

/// <summary>
/// Small synthetic data with clear structure: <see cref="Clusters"/> groups of <see cref="MoviesPerCluster"/> movies
/// (cluster c holds movie ids c·100 + 1 …); each user loves one cluster (rates most of its movies 4–5) and rates a few
/// other movies low. Sessions: a user's ratings are a minute apart.
/// </summary>
public static class Synthetic
{
    public const int Clusters = 4;
    public const int MoviesPerCluster = 25;

    public static int Movie(int cluster, int k) => cluster * 100 + k + 1;
    public static int ClusterOf(int movieId) => (movieId - 1) / 100;

    public static Rating[] Make(int users = 200, int seed = 1)
    {
        var rng = new Random(seed);
        var list = new List<Rating>();
        for (var u = 1; u <= users; u++)
        {
            var home = u % Clusters;
            var t = 1_000_000_000L + u * 1000L;
            foreach (var k in Enumerable.Range(0, MoviesPerCluster).Where(_ => rng.NextDouble() < 0.6))
                list.Add(new Rating(u, Movie(home, k), rng.NextDouble() < 0.8 ? 5f : 4f, t += 60));
            for (var x = 0; x < 3; x++)
            {
                var other = (home + 1 + rng.Next(Clusters - 1)) % Clusters;
                list.Add(new Rating(u, Movie(other, rng.Next(MoviesPerCluster)), rng.NextDouble() < 0.5 ? 1f : 2f, t += 60));
            }
        }
        return list.ToArray();
    }

    /// <summary>Fast settings for unit tests (small factors, few epochs).</summary>
    public static TrainingOptions FastOptions => new()
    {
        MfFactors = 8, MfEpochs = 20, IalsFactors = 16, IalsIterations = 6, EaseMaxItems = 200, Threads = 2,
    };
}
