using System.Diagnostics;
using MovieRecs.Core.Engine;
using MovieRecs.Core.MovieLens;
using MovieRecs.Recommender;
using MovieRecs.Recommender.Ranking;

namespace MovieRecs.Benchmarks;

/// <summary>
/// A training run's models (served model, clusters, ranker, side by side as in a run) trained again and again in one
/// process: the warm app's cost of a run without storage. Per round: wall and CPU (user + sys) of the process; the stage
/// lines of the last round.
/// </summary>
static class TrainingRuns
{
    /// <param name="ratingsFile">A ratings csv to train on instead of ml-latest-small (e.g. 25M generated ratings), with the
    /// movies of <paramref name="moviesDir"/> (none without it).</param>
    /// <param name="rankerOnly">Trains the learned ranker alone (as a run trains it beside the served model).</param>
    public static int Run(string? data, int rounds, IEnumerable<string> settings, string? ratingsFile = null, string? moviesDir = null, bool rankerOnly = false)
    {
        var options = new TrainingOptions();
        foreach (var setting in settings) // name=value, as movierecs train --set
        {
            var eq = setting.IndexOf('=');
            if (eq <= 0)
                throw new ArgumentException($"--set expects NAME=VALUE, not '{setting}'");
            options = options.With(setting[..eq].Trim(), setting[(eq + 1)..].Trim());
        }
        var issues = new List<ParseIssue>();
        Rating[] ratings;
        MovieInfo[] movies;
        if (ratingsFile is not null)
        {
            ratings = ReadExactly(ratingsFile, issues);
            movies = moviesDir is null ? [] : MovieLensReader.LoadMovies(moviesDir, issues).Select(m => new MovieInfo(m.Id, m.Year, m.Genres)).ToArray();
        }
        else
        {
            var dir = BenchData.FindMovieLensSmall(data) ?? throw new DirectoryNotFoundException("MovieLens ml-latest-small not found (MOVIERECS_DATA or --data DIR)");
            var files = MovieLensReader.Detect(dir);
            ratings = MovieLensReader.ReadRatings(files, issues).Select(r => new Rating(r.UserId, r.MovieId, r.Rating, r.Timestamp)).ToArray();
            movies = MovieLensReader.LoadMovies(files, issues).Select(m => new MovieInfo(m.Id, m.Year, m.Genres)).ToArray();
        }
        Console.WriteLine($"{ratings.Length:N0} ratings, {movies.Length:N0} movies, {issues.Count} lines skipped");
        var process = Process.GetCurrentProcess();
        var walls = new List<double>();
        var cpus = new List<double>();
        for (var round = 1; round <= rounds; round++)
        {
            var lines = new List<string>();
            process.Refresh();
            var cpu0 = process.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            void Log(string line)
            {
                process.Refresh();
                lock (lines)
                    lines.Add($"{sw.Elapsed.TotalSeconds,6:F2} s, cpu {(process.TotalProcessorTime - cpu0).TotalSeconds,6:F2} s  {line}");
            }
            if (rankerOnly)
            {
                var ranker = LearnedRanker.Train(ratings, movies, options, Log);
                var rankerWall = sw.Elapsed.TotalSeconds;
                process.Refresh();
                var rankerCpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
                Console.WriteLine($"round {round}: wall {rankerWall:F2} s, cpu {rankerCpu:F2} s; ranker alone, ndcg@10 {ranker?.Holdout?.Result.NdcgAtK:F4}");
                if (round == rounds)
                    lines.ForEach(Console.WriteLine);
                if (round > 1)
                {
                    walls.Add(rankerWall);
                    cpus.Add(rankerCpu);
                }
                continue;
            }
            var trained = TrainingJob.TrainModelsAsync(ratings, movies, options, Log).GetAwaiter().GetResult();
            var wall = sw.Elapsed.TotalSeconds;
            process.Refresh();
            var cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
            Console.WriteLine($"round {round}: wall {wall:F2} s, cpu {cpu:F2} s; train {trained.TrainSeconds:F2} s, cluster {trained.ClusterSeconds:F2} s, "
                + $"ranker {trained.Ranker?.Report?.Seconds:F2} s, ndcg@10 {trained.Ranker?.Holdout?.Result.NdcgAtK:F4}, rmse {trained.Model.RatingHoldout?.Rmse:F4}");
            if (round == rounds)
                lines.ForEach(Console.WriteLine);
            if (round > 1) // the first round pays the JIT
            {
                walls.Add(wall);
                cpus.Add(cpu);
            }
        }
        if (walls.Count > 0)
            Console.WriteLine($"after the first round: wall min {walls.Min():F2} median {Median(walls):F2} max {walls.Max():F2} s; "
                + $"cpu min {cpus.Min():F2} median {Median(cpus):F2} max {cpus.Max():F2} s");
        return 0;
    }

    /// <summary>A ratings file in one array of its exact size (as the app's run holds them; a growing list would hold 25M
    /// rows twice): sized by its lines, less a header.</summary>
    internal static Rating[] ReadExactly(string path, List<ParseIssue> issues)
    {
        long lines = 0;
        byte first = 0, last = (byte)'\n';
        using (var f = File.OpenRead(path))
        {
            var buffer = new byte[1 << 20];
            int read;
            while ((read = f.Read(buffer)) > 0)
            {
                if (f.Position == read)
                    first = buffer[0];
                lines += buffer.AsSpan(0, read).Count((byte)'\n');
                last = buffer[read - 1];
            }
        }
        if (last != (byte)'\n')
            lines++;
        if (!char.IsAsciiDigit((char)first))
            lines--; // header
        var rows = new Rating[Math.Max(lines, 0)];
        var n = 0;
        foreach (var r in RatingsFile.Read(path, issues))
        {
            if (n == rows.Length)
                Array.Resize(ref rows, n + n / 2 + 16);
            rows[n++] = new Rating(r.UserId, r.MovieId, r.Rating, r.Timestamp);
        }
        if (n != rows.Length)
            Array.Resize(ref rows, n); // skipped lines
        return rows;
    }

    static double Median(List<double> x)
    {
        var s = x.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }
}
