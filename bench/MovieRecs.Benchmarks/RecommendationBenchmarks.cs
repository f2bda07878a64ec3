using System.Diagnostics;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using MovieRecs.Core.MovieLens;
using MovieRecs.Recommender;
using MovieRecs.Recommender.Ranking;

namespace MovieRecs.Benchmarks;

/// <summary>
/// An uncached recommendation on ml-latest-small, as the service computes it when no list is kept for the user: the
/// fold-in of the user's ratings, the ranker's candidates and features, the trees, the calibrated probabilities.
/// The model and the ranker are trained once (default options) before anything is timed.
/// </summary>
public sealed class UncachedRecommendation
{
    public required RecommenderModel Model { get; init; }
    public required LearnedRanker Ranker { get; init; }
    /// <summary>Every user's ratings with their times, and the same as (movie, rating) pairs for the fold-in.</summary>
    public required (RatedMovie[] History, (int MovieId, float Rating)[] Pairs)[] Users { get; init; }

    public static UncachedRecommendation Train(string? data)
    {
        var dir = BenchData.FindMovieLensSmall(data) ?? throw new DirectoryNotFoundException("MovieLens ml-latest-small not found (MOVIERECS_DATA or --data DIR)");
        var files = MovieLensReader.Detect(dir);
        var issues = new List<ParseIssue>();
        var rows = MovieLensReader.ReadRatings(files, issues).Select(r => new Rating(r.UserId, r.MovieId, r.Rating, r.Timestamp)).ToArray();
        var movies = MovieLensReader.LoadMovies(files, issues).Select(m => new MovieInfo(m.Id, m.Year, m.Genres)).ToArray();
        var options = new TrainingOptions();
        var model = RecommenderModel.Train(rows.AsSpan(), options);
        var ranker = LearnedRanker.Train(rows, movies, options) ?? throw new InvalidOperationException("no ranker");
        var users = rows.GroupBy(r => r.User).OrderBy(g => g.Key)
            .Select(g => (g.Select(r => new RatedMovie(r.Item, r.Value, r.Timestamp)).ToArray(), g.Select(r => (r.Item, r.Value)).ToArray()))
            .ToArray();
        return new UncachedRecommendation { Model = model, Ranker = ranker, Users = users };
    }

    [StructLayout(LayoutKind.Sequential)]
    struct TimeSpec
    {
        public long Seconds, Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    static extern int ClockGetTime(int clock, out TimeSpec time);

    /// <summary>CPU time the calling thread has used (Linux CLOCK_THREAD_CPUTIME_ID); 0 elsewhere.</summary>
    static double ThreadCpuMilliseconds()
    {
        if (!OperatingSystem.IsLinux() || ClockGetTime(3, out var t) != 0)
            return 0;
        return t.Seconds * 1e3 + t.Nanoseconds / 1e6;
    }

    /// <summary>One uncached top 10 for user number <paramref name="index"/> (modulo the user count).</summary>
    public int Recommend(int index)
    {
        var (history, pairs) = Users[index % Users.Length];
        var profile = Model.FoldIn(pairs);
        return Ranker.Recommend(Model, profile, history, 10).Count;
    }

    /// <summary>Writes every user's uncached top 10 (movie, score, probability, the folded profile's predicted rating, exact
    /// to the bit) to <paramref name="path"/>, so two builds' lists can be compared with diff.</summary>
    public static int WriteLists(string? data, string path)
    {
        var bench = Train(data);
        using var w = new StreamWriter(path);
        foreach (var (history, pairs) in bench.Users)
        {
            var profile = bench.Model.FoldIn(pairs);
            var list = bench.Ranker.Recommend(bench.Model, profile, history, 10);
            // and the folded profile's predicted ratings of those movies (the rating model's side of the fold-in)
            w.WriteLine(string.Join(' ', list.Select(r => FormattableString.Invariant(
                $"{r.MovieId}:{r.Score:R}:{r.Probability:R}:{bench.Model.PredictRating(profile, r.MovieId):R}"))));
        }
        Console.WriteLine($"{bench.Users.Length} lists written to {path}");
        return 0;
    }

    /// <summary>p50/p90/p99/max of single calls on one thread, every user in turn (Stopwatch per call).</summary>
    public static int Percentiles(string? data, int rounds)
    {
        var sw = Stopwatch.StartNew();
        var bench = Train(data);
        Console.WriteLine($"model and ranker trained in {sw.Elapsed.TotalSeconds:F1} s; {bench.Users.Length} users");
        for (var i = 0; i < bench.Users.Length; i++)
            bench.Recommend(i); // warm-up: every user once
        var n = rounds * bench.Users.Length;
        var times = new double[n];
        var cpu = new double[n];
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < n; i++)
        {
            var c0 = ThreadCpuMilliseconds();
            var t0 = Stopwatch.GetTimestamp();
            bench.Recommend(i);
            times[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            cpu[i] = ThreadCpuMilliseconds() - c0;
        }
        var bytes = (GC.GetAllocatedBytesForCurrentThread() - before) / n;
        Array.Sort(times);
        Array.Sort(cpu);
        Console.WriteLine($"uncached recommendation (fold-in, candidates, ranker), {n} calls, one thread: p50 {times[n / 2]:F3} ms, "
            + $"p90 {times[(int)(n * 0.9)]:F3} ms, p99 {times[(int)(n * 0.99)]:F3} ms, max {times[^1]:F3} ms, {bytes:N0} B/call (target p99 ≤ 5 ms)");
        // the thread's own CPU time per call: the code's cost without the time the thread waited for a core
        if (OperatingSystem.IsLinux())
            Console.WriteLine($"CPU time of the calling thread per call: p50 {cpu[n / 2]:F3} ms, p90 {cpu[(int)(n * 0.9)]:F3} ms, "
                + $"p99 {cpu[(int)(n * 0.99)]:F3} ms, max {cpu[^1]:F3} ms");
        return 0;
    }
}

/// <summary>BenchmarkDotNet's view of <see cref="UncachedRecommendation"/> (mean and allocations over users in turn).</summary>
[MemoryDiagnoser]
public class RecommendationBenchmarks
{
    UncachedRecommendation _bench = null!;
    int _next;

    [GlobalSetup]
    public void Setup() => _bench = UncachedRecommendation.Train(null);

    [Benchmark]
    public int UncachedTop10() => _bench.Recommend(_next++);
}
