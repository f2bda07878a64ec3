using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using MovieRecs.Core.MovieLens;
using MovieRecs.Recommender;
using MovieRecs.Recommender.Evaluation;
using MovieRecs.Recommender.Ranking;

namespace MovieRecs.Cli.Commands;

/// <summary>
/// The offline recommender commands: <c>train</c>, <c>evaluate</c>, <c>predict</c>, <c>recommend</c> and <c>generate</c>.
/// Ratings files may be ratings.csv style (header userId,movieId,rating,timestamp) or u.data style (whitespace, no
/// header): Core's <see cref="RatingsFile"/> detects which.
/// </summary>
public static class ModelCommands
{
    /// <summary>Every command of this file, to add to the root command.</summary>
    public static IEnumerable<Command> All() =>
        [CreateTrain(), CreateEvaluate(), CreatePredict(), CreateRecommend(), GenerateCommand.Create()];

    // ------------------------------------------------------------------ shared options

    static Option<string[]> SetOption() => new("--set")
    {
        Description = "Override a training option, NAME=VALUE (repeatable), e.g. --set ialsFactors=128; see docs/recommender.md",
        AllowMultipleArgumentsPerToken = false,
    };

    static Option<int?> SeedOption() => new("--seed") { Description = "Training seed (default 42): same data + seed give the same model bytes" };

    static Option<int?> ThreadsOption() => new("--threads") { Description = "Worker threads (default: all processors)" };

    static TrainingOptions BuildOptions(ParseResult p, Option<string[]> set, Option<int?> seed, Option<int?> threads)
    {
        var o = new TrainingOptions();
        foreach (var item in p.GetValue(set) ?? [])
        {
            var eq = item.IndexOf('=');
            if (eq <= 0)
                throw new ArgumentException($"--set expects NAME=VALUE, not '{item}'");
            o = o.With(item[..eq].Trim(), item[(eq + 1)..].Trim());
        }
        if (p.GetValue(seed) is { } s)
            o = o with { Seed = s };
        if (p.GetValue(threads) is { } t)
            o = o with { Threads = t };
        return o;
    }

    // ------------------------------------------------------------------ train

    static Command CreateTrain()
    {
        var ratings = new Option<FileInfo>("--ratings") { Description = "Ratings file to train on (without it: train on the ratings in storage, as the TrainModel function does)" };
        var output = new Option<FileInfo>("--out") { Description = "Model file to write (with --ratings)" };
        var connection = new Option<string?>("--connection") { Description = "Storage connection string when training from storage (default: the AzureWebJobsStorage variable, else development storage)" };
        var set = SetOption();
        var seed = SeedOption();
        var threads = ThreadsOption();
        var command = new Command("train",
            "Train a model. From storage (default): the TrainModel function's run, writing a new model version and activating it. "
            + "With --ratings F --out F: from a file, saved to a file (versioned binary format)") { ratings, output, connection, set, seed, threads };
        command.SetAction(async (p, ct) =>
        {
            if (p.GetValue(ratings) is null)
            {
                if (p.GetValue(output) is not null)
                {
                    Console.Error.WriteLine("error: --out needs --ratings (training from storage writes a model version to storage)");
                    return 2;
                }
                var connectionString = p.GetValue(connection) ?? Environment.GetEnvironmentVariable("AzureWebJobsStorage") ?? "UseDevelopmentStorage=true";
                return await TrainFromStorageCommand.RunAsync(connectionString, Spectre.Console.AnsiConsole.Console, ct);
            }
            if (p.GetValue(output) is null)
            {
                Console.Error.WriteLine("error: --ratings needs --out (the model file to write)");
                return 2;
            }
            return await Guard(() =>
            {
                var options = BuildOptions(p, set, seed, threads);
                var sw = Stopwatch.StartNew();
                var model = TrainFromFile(p.GetValue(ratings)!.FullName, options, line => Console.Error.WriteLine("  " + line));
                var trainSeconds = sw.Elapsed.TotalSeconds;
                model.Save(p.GetValue(output)!.FullName);
                Console.WriteLine($"trained on {model.RatingCount:N0} ratings ({model.UserCount:N0} users, {model.MovieCount:N0} movies) in {trainSeconds:F2} s; wrote {p.GetValue(output)!.FullName} ({new FileInfo(p.GetValue(output)!.FullName).Length / 1048576.0:F1} MiB)");
                return 0;
            });
        });
        return command;
    }

    // ------------------------------------------------------------------ evaluate

    static Command CreateEvaluate()
    {
        var train = new Option<FileInfo>("--train") { Description = "Training ratings file", Required = true };
        var test = new Option<FileInfo>("--test") { Description = "Test ratings file: every row is predicted (RMSE, MAE, ECE) and relevant (ranking metrics)", Required = true };
        var k = new Option<int>("--k") { Description = "Cut-off K of the ranking metrics", DefaultValueFactory = _ => 10 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a table" };
        var set = SetOption();
        var seed = SeedOption();
        var threads = ThreadsOption();
        var verbose = new Option<bool>("--verbose") { Description = "Print the training stages and their times to stderr" };
        var movies = MoviesOption();
        var command = new Command("evaluate", "Train on --train, evaluate on --test: rmse, mae, precision/recall/ndcg/map@K, ece, training time, peak memory")
        {
            train, test, k, json, set, seed, threads, verbose, movies,
        };
        command.SetAction((p, ct) => Guard(() =>
        {
            var options = BuildOptions(p, set, seed, threads);
            var cutoff = p.GetValue(k);
            if (cutoff < 1)
                throw new ArgumentException("--k must be at least 1");
            // train_seconds covers reading the training file too (streamed straight into the training layout)
            var catalog = LoadMovies(p.GetValue(movies));
            Action<string>? log = p.GetValue(verbose) ? line => Console.Error.WriteLine("  " + line) : null;
            var sw = Stopwatch.StartNew();
            RecommenderModel model;
            LearnedRanker? ranker = null;
            Memory<Rating> trainRows = default;
            if (options.RankerEnabled == 1)
            {
                // the ranker needs the rows themselves (times included), so the file is read into memory; it sorts them
                // in place once the served model is trained (neither the model nor the lists below depend on their order)
                trainRows = ReadRatings(p.GetValue(train)!.FullName);
                model = RecommenderModel.Train(trainRows.Span, options, log);
                LearnedRanker.ReturnGarbage(); // the served model's training data, before the ranker's
                ranker = LearnedRanker.TrainReordering(trainRows.Span, catalog, options, log);
            }
            else
                model = TrainFromFile(p.GetValue(train)!.FullName, options, log);
            var trainSeconds = sw.Elapsed.TotalSeconds;
            LearnedRanker.ReturnGarbage(); // the ranker's training data, before the evaluation's
            // read after training: the test rows are not held through it
            var testRows = ReadRatings(p.GetValue(test)!.FullName);
            var lists = ranker?.ListsFor(model, trainRows.Span);
            trainRows = default; // the lists hold what the evaluation needs of them
            var result = Evaluator.Evaluate(model, testRows.Span, cutoff, options.Threads, lists);
            using var process = Process.GetCurrentProcess();
            process.Refresh();
            var peakMb = process.PeakWorkingSet64 / 1048576.0;
            if (p.GetValue(json))
            {
                var obj = new Dictionary<string, double>
                {
                    ["rmse"] = Round(result.Rmse), ["mae"] = Round(result.Mae),
                    ["precision_at_k"] = Round(result.PrecisionAtK), ["recall_at_k"] = Round(result.RecallAtK),
                    ["ndcg_at_k"] = Round(result.NdcgAtK), ["map_at_k"] = Round(result.MapAtK), ["ece"] = Round(result.Ece),
                    ["train_seconds"] = Math.Round(trainSeconds, 3), ["peak_memory_mb"] = Math.Round(peakMb, 1),
                };
                Console.WriteLine(JsonSerializer.Serialize(obj));
            }
            else
            {
                Console.WriteLine($"train: {model.RatingCount:N0} ratings, {model.UserCount:N0} users, {model.MovieCount:N0} movies; test: {result.TestRatings:N0} ratings, {result.RankedUsers:N0} users; K = {cutoff}");
                Row("rmse", result.Rmse);
                Row("mae", result.Mae);
                Row($"precision@{cutoff}", result.PrecisionAtK);
                Row($"recall@{cutoff}", result.RecallAtK);
                Row($"ndcg@{cutoff}", result.NdcgAtK);
                Row($"map@{cutoff}", result.MapAtK);
                Row("ece", result.Ece);
                Console.WriteLine($"  {"hits",-16}{result.Hits,10}");
                Console.WriteLine($"  {"cold hits",-16}{result.ColdHits,10}  (movies without training ratings)");
                if (ranker?.Report is { } report)
                    Console.WriteLine($"  ranker: hold-out NDCG@10 {report.HoldoutNdcg:F4} (base {report.HoldoutBaseNdcg:F4}), ECE {report.Ece:F4} (top 10 {report.EceTop10:F4}), candidate recall {report.CandidateRecall:P1}; "
                        + string.Join(", ", report.Features.Take(p.GetValue(verbose) ? report.Features.Count : 8).Select(x => $"{x.Name} {x.Importance:F3}")));
                Console.WriteLine($"  {"train seconds",-16}{trainSeconds,10:F2}");
                Console.WriteLine($"  {"peak memory MB",-16}{peakMb,10:F0}");
            }
            return 0;
        }));
        return command;

        static void Row(string name, double value) => Console.WriteLine($"  {name,-16}{value,10:F4}");
        static double Round(double v) => double.IsFinite(v) ? Math.Round(v, 6) : v;
    }

    // ------------------------------------------------------------------ predict

    static Command CreatePredict()
    {
        var train = new Option<FileInfo?>("--train") { Description = "Ratings file to train on (or give --model)" };
        var modelFile = new Option<FileInfo?>("--model") { Description = "A model file written by 'train' (instead of --train)" };
        var pairs = new Option<FileInfo>("--pairs") { Description = "userId,movieId pairs (csv with or without header, or whitespace-separated; extra columns ignored)", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "CSV to write: userId,movieId,prediction", Required = true };
        var set = SetOption();
        var seed = SeedOption();
        var threads = ThreadsOption();
        var command = new Command("predict", "Predict ratings for (user, movie) pairs; unknown users or movies get the baseline fallback")
        {
            train, modelFile, pairs, output, set, seed, threads,
        };
        command.SetAction((p, ct) => Guard(() =>
        {
            var model = ObtainModel(p, train, modelFile, BuildOptions(p, set, seed, threads));
            var count = 0;
            using var writer = OpenCsv(p.GetValue(output)!.FullName, "userId,movieId,prediction");
            foreach (var (user, movie) in PairsFile.Read(p.GetValue(pairs)!.FullName))
            {
                var prediction = model.PredictRating(user, movie);
                var line = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{user},{movie},{prediction:0.####}\n"));
                writer.Write(line);
                count++;
            }
            Console.Error.WriteLine($"wrote {count:N0} predictions to {p.GetValue(output)!.FullName}");
            return 0;
        }));
        return command;
    }

    // ------------------------------------------------------------------ recommend

    static Command CreateRecommend()
    {
        var train = new Option<FileInfo?>("--train") { Description = "Ratings file to train on (or give --model); a user's rated movies are never recommended" };
        var modelFile = new Option<FileInfo?>("--model") { Description = "A model file written by 'train' (instead of --train)" };
        var usersFile = new Option<FileInfo>("--users") { Description = "Users to recommend for: first column (or userId column) of a csv/whitespace file; a ratings file works (its distinct users)", Required = true };
        var k = new Option<int>("--k") { Description = "Movies per user", DefaultValueFactory = _ => 10 };
        var output = new Option<FileInfo>("--out") { Description = "CSV to write: userId,movieId,rank,score", Required = true };
        var set = SetOption();
        var seed = SeedOption();
        var threads = ThreadsOption();
        var command = new Command("recommend", "Top-K movies for each user (users unknown to the model get the most popular movies)")
        {
            train, modelFile, usersFile, k, output, set, seed, threads,
        };
        command.SetAction((p, ct) => Guard(() =>
        {
            var cutoff = p.GetValue(k);
            if (cutoff < 1)
                throw new ArgumentException("--k must be at least 1");
            var model = ObtainModel(p, train, modelFile, BuildOptions(p, set, seed, threads));
            var users = PairsFile.ReadUsers(p.GetValue(usersFile)!.FullName);
            // parallel over users, written in input order
            var results = new IReadOnlyList<Recommendation>[users.Count];
            Parallel.For(0, users.Count, i => results[i] = model.Recommend(users[i], cutoff));
            using var writer = OpenCsv(p.GetValue(output)!.FullName, "userId,movieId,rank,score");
            var lines = 0;
            for (var i = 0; i < users.Count; i++)
                for (var r = 0; r < results[i].Count; r++)
                {
                    writer.Write(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture,
                        $"{users[i]},{results[i][r].MovieId},{r + 1},{results[i][r].Score:0.######}\n")));
                    lines++;
                }
            Console.Error.WriteLine($"wrote {lines:N0} recommendations for {users.Count:N0} users to {p.GetValue(output)!.FullName}");
            return 0;
        }));
        return command;
    }

    // ------------------------------------------------------------------ helpers

    static Option<string?> MoviesOption() => new("--movies")
    {
        Description = "movies.csv (or its MovieLens directory): years and genres for the ranker's content candidates and features",
    };

    /// <summary>The catalog's years and genres for the ranker (empty without a file: the ranker then has no content).</summary>
    internal static IReadOnlyList<MovieInfo> LoadMovies(string? path)
    {
        if (string.IsNullOrEmpty(path))
            return [];
        var dir = Directory.Exists(path) ? path : Path.GetDirectoryName(Path.GetFullPath(path))!;
        var issues = new List<ParseIssue>();
        var movies = MovieLensReader.LoadMovies(dir, issues);
        ReportIssues(path, issues);
        return movies.Select(m => new MovieInfo(m.Id, m.Year, m.Genres)).ToArray();
    }

    static RecommenderModel ObtainModel(ParseResult p, Option<FileInfo?> train, Option<FileInfo?> modelFile, TrainingOptions options)
    {
        var t = p.GetValue(train);
        var m = p.GetValue(modelFile);
        if ((t is null) == (m is null))
            throw new ArgumentException("give exactly one of --train (a ratings file) or --model (a model file)");
        if (m is not null)
            return RecommenderModel.Load(m.FullName);
        return TrainFromFile(t!.FullName, options, null);
    }

    /// <summary>Streams a ratings file into training (no in-memory copy of the file's rows); skipped lines go to stderr.</summary>
    internal static RecommenderModel TrainFromFile(string path, TrainingOptions options, Action<string>? log)
    {
        var issues = new List<ParseIssue>();
        var rows = RatingsFile.Read(path, issues).Select(r => new Rating(r.UserId, r.MovieId, r.Rating, r.Timestamp));
        RecommenderModel model;
        try
        {
            model = RecommenderModel.Train(rows, options, log, EstimateLines(path));
        }
        catch (ArgumentException) when (issues.Count > 0)
        {
            ReportIssues(path, issues);
            throw new InvalidDataException($"{path}: no ratings could be read");
        }
        ReportIssues(path, issues);
        return model;
    }

    /// <summary>Lines in a text file, estimated from the average length of its first 64 KiB.</summary>
    static int EstimateLines(string path)
    {
        using var f = File.OpenRead(path);
        var buffer = new byte[65536];
        var n = f.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        var lines = buffer.AsSpan(0, n).Count((byte)'\n');
        if (lines == 0)
            return 16;
        return (int)Math.Clamp(f.Length * 1.05 / ((double)n / lines), 16, int.MaxValue / 2);
    }

    static void ReportIssues(string path, List<ParseIssue> issues)
    {
        if (issues.Count == 0)
            return;
        Console.Error.WriteLine($"{path}: skipped {issues.Count:N0} line(s)");
        foreach (var issue in issues.Take(5))
            Console.Error.WriteLine("  " + issue);
    }

    /// <summary>Reads a ratings file (format detected by Core) into the library's rating type; skipped lines go to stderr.</summary>
    internal static Memory<Rating> ReadRatings(string path)
    {
        var issues = new List<ParseIssue>();
        // sized by an exact count of the lines (one spare: a last line without newline), so 25M rows are not held twice
        // (a list's array and its copy)
        var rows = new Rating[CountLines(path) + 1];
        var n = 0;
        foreach (var r in RatingsFile.Read(path, issues))
        {
            if (n == rows.Length)
                Array.Resize(ref rows, n + n / 2 + 16);
            rows[n++] = new Rating(r.UserId, r.MovieId, r.Rating, r.Timestamp);
        }
        ReportIssues(path, issues);
        if (n == 0)
            throw new InvalidDataException($"{path}: no ratings could be read");
        return rows.AsMemory(0, n); // not trimmed: a copy for the header's spare row
    }

    static int CountLines(string path)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        var buffer = new byte[1 << 20];
        long lines = 0;
        int read;
        while ((read = f.Read(buffer)) > 0)
            lines += buffer.AsSpan(0, read).Count((byte)'\n');
        return (int)Math.Min(lines, int.MaxValue / 2);
    }

    static Stream OpenCsv(string path, string header)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir))
            Directory.CreateDirectory(dir);
        var s = new BufferedStream(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None), 1 << 16);
        s.Write(Encoding.ASCII.GetBytes(header + "\n"));
        return s;
    }

    /// <summary>Runs a command body, turning expected failures into a message and exit code 2.</summary>
    static Task<int> Guard(Func<int> body)
    {
        try
        {
            return Task.FromResult(body());
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or UnauthorizedAccessException or FormatException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return Task.FromResult(2);
        }
    }
}

/// <summary>Reads (user, movie) pairs and user lists from csv (header optional) or whitespace-separated files.</summary>
internal static class PairsFile
{
    public static IEnumerable<(int User, int Movie)> Read(string path)
    {
        int userCol = 0, movieCol = 1, lineNo = 0;
        foreach (var raw in File.ReadLines(path))
        {
            lineNo++;
            var line = raw.Trim();
            if (line.Length == 0)
                continue;
            var fields = Split(line);
            if (lineNo == 1 && fields.Length > 0 && !int.TryParse(fields[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
            {
                (userCol, movieCol) = HeaderColumns(fields, path);
                continue;
            }
            if (fields.Length <= Math.Max(userCol, movieCol)
                || !int.TryParse(fields[userCol], NumberStyles.Integer, CultureInfo.InvariantCulture, out var user)
                || !int.TryParse(fields[movieCol], NumberStyles.Integer, CultureInfo.InvariantCulture, out var movie))
            {
                Console.Error.WriteLine($"{path}:{lineNo}: skipped (expected userId and movieId)");
                continue;
            }
            yield return (user, movie);
        }
    }

    /// <summary>Distinct user ids in order of first appearance (first column, or the userId column of a header).</summary>
    public static List<int> ReadUsers(string path)
    {
        var seen = new HashSet<int>();
        var users = new List<int>();
        var userCol = 0;
        var lineNo = 0;
        foreach (var raw in File.ReadLines(path))
        {
            lineNo++;
            var line = raw.Trim();
            if (line.Length == 0)
                continue;
            var fields = Split(line);
            if (lineNo == 1 && !int.TryParse(fields[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
            {
                var at = Array.FindIndex(fields, f => IsUserHeader(f));
                userCol = at >= 0 ? at : 0;
                continue;
            }
            if (fields.Length > userCol && int.TryParse(fields[userCol], NumberStyles.Integer, CultureInfo.InvariantCulture, out var user))
            {
                if (seen.Add(user))
                    users.Add(user);
            }
            else
                Console.Error.WriteLine($"{path}:{lineNo}: skipped (expected a user id)");
        }
        return users;
    }

    static string[] Split(string line) =>
        line.Contains(',')
            ? line.Split(',', StringSplitOptions.TrimEntries).Select(f => f.Trim('"')).ToArray()
            : line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);

    static bool IsUserHeader(string f) => f.Replace("_", "").ToLowerInvariant() is "userid" or "user" or "uid";

    static (int, int) HeaderColumns(string[] fields, string path)
    {
        var user = Array.FindIndex(fields, IsUserHeader);
        var movie = Array.FindIndex(fields, f => f.Replace("_", "").ToLowerInvariant() is "movieid" or "movie" or "itemid" or "item" or "mid");
        if (user < 0 || movie < 0)
            throw new InvalidDataException($"{path}: the header '{string.Join(",", fields)}' does not name userId and movieId columns");
        return (user, movie);
    }
}
