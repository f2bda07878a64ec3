// Search benchmarks over MovieLens ml-latest-small (found at shared/data/ml-latest-small above the current
// directory, or MOVIERECS_DATA, or --data DIR). Run from the repository root:
//
//   p50/p99/max per query (Stopwatch, no BenchmarkDotNet):
//     dotnet run -c Release --project bench/MovieRecs.Benchmarks -- --percentiles
//   BenchmarkDotNet (mean, allocations):
//     dotnet run -c Release --project bench/MovieRecs.Benchmarks -- --filter '*'
//   Print the first results of a query:
//     dotnet run -c Release --project bench/MovieRecs.Benchmarks -- --query "star wa"
//   Uncached recommendation (fold-in, candidates, ranker) on ml-latest-small, p50/p90/p99 per call (Stopwatch; on
//   Linux also the calling thread's CPU time per call):
//     dotnet run -c Release --project bench/MovieRecs.Benchmarks -- --recommend [--rounds 5]
//   ... or with BenchmarkDotNet: -- --filter '*RecommendationBenchmarks*'
//   What that time is made of (per-user cost by rating count, GC pauses, each stage for the heaviest users):
//     dotnet run -c Release --project bench/MovieRecs.Benchmarks -- --stages [--rounds 5]
//   A training run's models (served model, clusters, ranker) trained again and again in one process (the warm app):
//     dotnet run -c Release --project bench/MovieRecs.Benchmarks -- --train [--rounds 5] [--set name=value ...]
//   (--ranker-only: the learned ranker alone, without the served model beside it, for its own CPU per stage)
//   ... on a ratings csv instead (e.g. 25M generated ratings; one round, under /usr/bin/time -v for the peak memory):
//     dotnet run -c Release --project bench/MovieRecs.Benchmarks -- --train --rounds 1 --ratings /tmp/gen/25m/ratings.csv --movies /tmp/gen/25m
//   Every user's uncached top 10 with exact scores, to compare two builds with diff:
//     dotnet run -c Release --project bench/MovieRecs.Benchmarks -- --lists lists.txt
//   "Similar movies" content vectors, the hand-written TF-IDF against ML.NET's text transforms: quality proxy, example
//   lists, then build cost and Similar(id, 10) latency with the variants interleaved (issue 11; docs/discovery.md):
//     dotnet run -c Release --project bench/MovieRecs.Benchmarks -- --content [--rounds 5]
//   ... one build in a fresh process, for /usr/bin/time (HandWritten, MLNet or MLNetDefaults):
//     dotnet bench/MovieRecs.Benchmarks/bin/Release/net10.0/MovieRecs.Benchmarks.dll --content-build MLNet
//   Time reading a ratings file (e.g. ml-25m's ratings.csv):
//     dotnet run -c Release --project bench/MovieRecs.Benchmarks -- --parse path/to/ratings.csv
//   iALS item vectors on a ratings file: noise edge, optional data spectrum, fits per noise-edge share κ (∞ = uncapped λ):
//     dotnet run -c Release --project bench/MovieRecs.Benchmarks -- --ials-spectrum path/to/ratings.csv [--shares inf,1] [--iterations 1,2,4,10] [--data-spectrum]
using System.Diagnostics;
using BenchmarkDotNet.Running;
using MovieRecs.Core.Catalog;
using MovieRecs.Core.MovieLens;

namespace MovieRecs.Benchmarks;

public static class Program
{
    /// <summary>A realistic mix: a prefix, a word being typed, a typo, an article, a genre, an exact title, a stop-word-heavy prefix, one letter.</summary>
    public static readonly string[] Queries = ["star", "star wa", "godfaher", "the matrix", "comedy", "toy story", "lord of the", "x"];

    /// <summary>Harder cases reported after the main mix.</summary>
    static readonly string[] ExtraQueries =
    [
        "godfahe", "schindlers", "amelie", "a", "the", "s", "' or PartitionKey ne '",
        string.Join(' ', Enumerable.Repeat("lorem ipsum dolor sit amet", 8)),
    ];

    public static int Main(string[] args)
    {
        var data = Option(args, "--data");
        if (args.Contains("--percentiles"))
            return Percentiles(data, int.TryParse(Option(args, "--iterations"), out var n) ? n : 20_000);
        if (Option(args, "--query") is { } q)
            return Show(data, q);
        if (Option(args, "--parse") is { } path)
            return Parse(path);
        if (Option(args, "--lists") is { } listsPath)
            return UncachedRecommendation.WriteLists(data, listsPath);
        if (Option(args, "--content-build") is { } variant)
            return ContentComparison.BuildOnce(data, variant);
        if (Option(args, "--ials-spectrum") is { } ialsRatings)
            return IalsSpectrum.Run(ialsRatings,
                (Option(args, "--shares") ?? "inf,1").Split(',').Select(x => x == "inf" ? float.PositiveInfinity : float.Parse(x, System.Globalization.CultureInfo.InvariantCulture)).ToArray(),
                Option(args, "--iterations")?.Split(',').Select(int.Parse).ToArray(), args.Contains("--data-spectrum"));
        if (args.Contains("--content"))
            return ContentComparison.Run(data, int.TryParse(Option(args, "--rounds"), out var contentRounds) ? contentRounds : 5);
        if (args.Contains("--train"))
            return TrainingRuns.Run(data, int.TryParse(Option(args, "--rounds"), out var trainRounds) ? trainRounds : 5,
                args.Select((a, i) => (a, i)).Where(x => x.a == "--set" && x.i + 1 < args.Length).Select(x => args[x.i + 1]),
                Option(args, "--ratings"), Option(args, "--movies"), rankerOnly: args.Contains("--ranker-only"));
        if (args.Contains("--stages"))
            return StageBreakdown.Run(data, int.TryParse(Option(args, "--rounds"), out var repeats) ? repeats : 5);
        if (args.Contains("--recommend"))
            return UncachedRecommendation.Percentiles(data, int.TryParse(Option(args, "--rounds"), out var rounds) ? rounds : 5);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }

    static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    static int Percentiles(string? data, int iterations)
    {
        var load = Stopwatch.StartNew();
        var catalog = BenchData.LoadCatalog(data);
        Console.WriteLine($"catalog: {catalog.Count} movies, {catalog.TotalRatings} ratings, built in {load.ElapsedMilliseconds} ms");
        Console.WriteLine($"{iterations} timed searches per query after {iterations / 10} warm-up; first page of 20; single thread");
        Console.WriteLine($"{"query",-28} {"total",6} {"p50 µs",8} {"p99 µs",8} {"max µs",8} {"B/op",7}");
        var worstP99 = 0.0;
        foreach (var (query, extra) in Queries.Select(q => (q, false)).Concat(ExtraQueries.Select(q => (q, true))))
        {
            var request = new MovieQuery { Search = query, Take = 20 };
            for (var i = 0; i < iterations / 10; i++)
                catalog.Query(request);
            var times = new double[iterations];
            var total = 0;
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < iterations; i++)
            {
                var t0 = Stopwatch.GetTimestamp();
                total = catalog.Query(request).Total;
                times[i] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
            }
            var bytes = (GC.GetAllocatedBytesForCurrentThread() - before) / iterations;
            Array.Sort(times);
            var p99 = times[(int)(iterations * 0.99)];
            if (!extra)
                worstP99 = Math.Max(worstP99, p99);
            var label = query.Length > 26 ? query[..23] + "..." : query;
            Console.WriteLine($"{(extra ? "+ " : "") + "\"" + label + "\"",-28} {total,6} {times[iterations / 2],8:0.0} {p99,8:0.0} {times[^1],8:0.0} {bytes,7}");
        }
        Console.WriteLine($"worst p99 over the main mix: {worstP99:0.0} µs (target: 1000 µs)");
        return 0;
    }

    static int Show(string? data, string query)
    {
        var catalog = BenchData.LoadCatalog(data);
        var page = catalog.Query(new MovieQuery { Search = query, Take = 15 });
        Console.WriteLine($"\"{query}\": {page.Total} matches");
        foreach (var m in page.Items)
            Console.WriteLine($"  {m.Id,7}  {catalog.GetStats(m.Id).Count,4} ratings  {m.Title}  [{string.Join('|', m.Genres)}]");
        return 0;
    }

    static int Parse(string path)
    {
        var issues = new List<ParseIssue>();
        var sw = Stopwatch.StartNew();
        var rows = RatingsFile.ReadAll(path, issues);
        sw.Stop();
        Console.WriteLine($"{rows.Count:N0} ratings in {sw.Elapsed.TotalSeconds:0.00} s ({rows.Count / sw.Elapsed.TotalSeconds:N0}/s), {issues.Count} issues");
        foreach (var i in issues.Take(5))
            Console.WriteLine($"  {i}");
        return 0;
    }
}
