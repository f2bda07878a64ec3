using System.CommandLine;
using System.Text.Json;
using MovieRecs.Cli.Commands;
using MovieRecs.Core.MovieLens;

namespace MovieRecs.Recommender.Tests;

[CollectionDefinition("console", DisableParallelization = true)]
public sealed class ConsoleCollection;

/// <summary>The recommender's CLI commands, run in-process (they write to the console, so not in parallel).</summary>
[Collection("console")]
public class CliTests
{
    static async Task<(int Code, string Out)> Run(params string[] args)
    {
        var root = new RootCommand("test");
        foreach (var c in ModelCommands.All())
            root.Subcommands.Add(c);
        var previous = Console.Out;
        var writer = new StringWriter();
        Console.SetOut(writer);
        try
        {
            var code = await root.Parse(args).InvokeAsync();
            return (code, writer.ToString());
        }
        finally
        {
            Console.SetOut(previous);
        }
    }

    [Fact]
    public void GeneratorIsDeterministicAndWritesTheMovieLensLayout()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        GenerateCommand.Generate(300, 200, 9_000, 11, a.Path);
        GenerateCommand.Generate(300, 200, 9_000, 11, b.Path);
        Assert.Equal(File.ReadAllBytes(Path.Combine(a.Path, "ratings.csv")), File.ReadAllBytes(Path.Combine(b.Path, "ratings.csv")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(a.Path, "movies.csv")), File.ReadAllBytes(Path.Combine(b.Path, "movies.csv")));

        var issues = new List<ParseIssue>();
        var ratings = RatingsFile.ReadAll(Path.Combine(a.Path, "ratings.csv"), issues);
        Assert.Empty(issues);
        Assert.Equal(9_000, ratings.Count);
        Assert.Equal(9_000, ratings.Select(r => (r.UserId, r.MovieId)).Distinct().Count());
        Assert.All(ratings, r => Assert.InRange(r.MovieId, 1, 200));
        Assert.Equal("userId,movieId,rating,timestamp", File.ReadLines(Path.Combine(a.Path, "ratings.csv")).First());
        var movies = File.ReadAllLines(Path.Combine(a.Path, "movies.csv"));
        Assert.Equal("movieId,title,genres", movies[0]);
        Assert.Equal(201, movies.Length);
        Assert.Matches(@"^1,[A-Za-z0-9 ]+ \(\d{4}\),[A-Za-z|-]+$", movies[1]);
        // popularity skew: the most rated tenth of the movies holds far more than a tenth of the ratings
        var top = ratings.GroupBy(r => r.MovieId).Select(g => g.Count()).OrderDescending().Take(20).Sum();
        Assert.True(top > 9_000 * 0.2, $"top 10% hold {top}");

        using var c = new TempDir();
        GenerateCommand.Generate(300, 200, 9_000, 12, c.Path);
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(a.Path, "ratings.csv")), File.ReadAllBytes(Path.Combine(c.Path, "ratings.csv")));
    }

    [Fact]
    public async Task EvaluatePrintsExactlyTheAgreedJsonKeys()
    {
        using var dir = new TempDir();
        GenerateCommand.Generate(200, 150, 6_000, 3, dir.Path);
        var lines = File.ReadAllLines(Path.Combine(dir.Path, "ratings.csv"));
        File.WriteAllLines(dir.File("train.csv"), lines.Where((_, i) => i == 0 || i % 5 != 0));
        File.WriteAllLines(dir.File("test.csv"), lines.Where((_, i) => i == 0 || i % 5 == 0));
        var (code, output) = await Run("evaluate", "--train", dir.File("train.csv"), "--test", dir.File("test.csv"), "--json",
            "--set", "mfEpochs=10", "--set", "ialsFactors=16");
        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(output);
        string[] keys = ["rmse", "mae", "precision_at_k", "recall_at_k", "ndcg_at_k", "map_at_k", "ece", "train_seconds", "peak_memory_mb"];
        Assert.Equal(keys, json.RootElement.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.InRange(json.RootElement.GetProperty("rmse").GetDouble(), 0.3, 1.5);
        Assert.InRange(json.RootElement.GetProperty("ndcg_at_k").GetDouble(), 0.0, 1.0);
    }

    [Fact]
    public async Task PredictAndRecommendWriteTheAgreedCsv()
    {
        using var dir = new TempDir();
        GenerateCommand.Generate(100, 80, 2_000, 5, dir.Path);
        var ratings = Path.Combine(dir.Path, "ratings.csv");
        File.WriteAllText(dir.File("pairs.txt"), "1 5\n1 99999\n99999 5\n2\t7\textra\n");
        var (code, _) = await Run("predict", "--train", ratings, "--pairs", dir.File("pairs.txt"), "--out", dir.File("p.csv"), "--set", "mfEpochs=5");
        Assert.Equal(0, code);
        var p = File.ReadAllLines(dir.File("p.csv"));
        Assert.Equal("userId,movieId,prediction", p[0]);
        Assert.Equal(["1,5", "1,99999", "99999,5", "2,7"], p[1..].Select(l => string.Join(',', l.Split(',')[..2])).ToArray());
        Assert.All(p[1..], l => Assert.InRange(double.Parse(l.Split(',')[2], System.Globalization.CultureInfo.InvariantCulture), 0.5, 5));

        (code, _) = await Run("train", "--ratings", ratings, "--out", dir.File("m.bin"), "--set", "mfEpochs=5");
        Assert.Equal(0, code);
        // A file needs a file: --ratings without --out (or --out alone, which would mean training from storage) is an error.
        Assert.Equal(2, (await Run("train", "--ratings", ratings)).Item1);
        Assert.Equal(2, (await Run("train", "--out", dir.File("x.bin"))).Item1);
        (code, _) = await Run("recommend", "--model", dir.File("m.bin"), "--users", ratings, "--k", "5", "--out", dir.File("r.csv"));
        Assert.Equal(0, code);
        var r = File.ReadAllLines(dir.File("r.csv"));
        Assert.Equal("userId,movieId,rank,score", r[0]);
        var rated = RatingsFile.ReadAll(ratings, new List<ParseIssue>()).Select(x => (x.UserId, x.MovieId)).ToHashSet();
        var rows = r[1..].Select(l => l.Split(',')).ToArray();
        Assert.Equal(100 * 5, rows.Length);
        Assert.DoesNotContain(rows, x => rated.Contains((int.Parse(x[0]), int.Parse(x[1]))));
        Assert.Equal(Enumerable.Range(1, 5).Select(i => i.ToString()), rows.Take(5).Select(x => x[2]));
    }

    [Fact]
    public async Task BadInputGivesAMessageNotAStackTrace()
    {
        var previous = Console.Error;
        var err = new StringWriter();
        Console.SetError(err);
        try
        {
            var (code, _) = await Run("evaluate", "--train", "/nonexistent/train.csv", "--test", "/nonexistent/test.csv");
            Assert.Equal(2, code);
            Assert.Contains("error:", err.ToString());
        }
        finally
        {
            Console.SetError(previous);
        }
    }
}
