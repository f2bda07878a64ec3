using System.Diagnostics;
using MovieRecs.Recommender;
using MovieRecs.Recommender.Algorithms;
using MovieRecs.Recommender.Ranking;

namespace MovieRecs.Benchmarks;

/// <summary>
/// What an uncached recommendation's time is made of: each user's best-of-N time against their rating count, then each
/// stage timed alone (best of N) for the users with the most ratings, and the GC pauses of a timed pass.
/// </summary>
static class StageBreakdown
{
    public static int Run(string? data, int repeats)
    {
        var bench = UncachedRecommendation.Train(data);
        var users = bench.Users;
        // the first pass (each user's first call, the code's first calls after training): what the warm-up leaves out
        var first = new double[users.Length];
        for (var i = 0; i < users.Length; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            bench.Recommend(i);
            first[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        var firstSorted = first.Order().ToArray();
        Console.WriteLine($"first pass: the very first call {first[0]:F3} ms, the next 9 {first.Skip(1).Take(9).Sum():F3} ms together; "
            + $"p50 {firstSorted[users.Length / 2]:F3} ms, p99 {firstSorted[(int)(users.Length * 0.99)]:F3} ms, max {firstSorted[^1]:F3} ms");

        // every user, best of N: the per-user cost without the machine's noise
        var best = new double[users.Length];
        Array.Fill(best, double.MaxValue);
        var gcBefore = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration());
        for (var round = 0; round < repeats; round++)
            for (var i = 0; i < users.Length; i++)
            {
                var t0 = Stopwatch.GetTimestamp();
                bench.Recommend(i);
                best[i] = Math.Min(best[i], Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            }
        var pause = GC.GetTotalPauseDuration() - gcBefore.Item4;
        Console.WriteLine($"{repeats} passes over {users.Length} users: GCs gen0 {GC.CollectionCount(0) - gcBefore.Item1}, gen1 {GC.CollectionCount(1) - gcBefore.Item2}, "
            + $"gen2 {GC.CollectionCount(2) - gcBefore.Item3}, total pause {pause.TotalMilliseconds:F1} ms");
        Console.WriteLine($"{"ratings",-12} {"users",5} {"best-of-N mean ms",18} {"max ms",8}");
        foreach (var (lo, hi) in new[] { (0, 50), (50, 200), (200, 500), (500, 1000), (1000, 10_000) })
        {
            var sel = Enumerable.Range(0, users.Length).Where(i => users[i].Pairs.Length >= lo && users[i].Pairs.Length < hi).ToArray();
            if (sel.Length > 0)
                Console.WriteLine($"{$"{lo}-{hi}",-12} {sel.Length,5} {sel.Average(i => best[i]),18:F3} {sel.Max(i => best[i]),8:F3}");
        }
        var sorted = best.Order().ToArray();
        Console.WriteLine($"best-of-N over users: p50 {sorted[sorted.Length / 2]:F3} ms, p90 {sorted[(int)(sorted.Length * 0.9)]:F3} ms, p99 {sorted[(int)(sorted.Length * 0.99)]:F3} ms, max {sorted[^1]:F3} ms");

        // stage by stage for the heaviest users
        var model = bench.Model;
        var ranker = bench.Ranker;
        var context = ranker.ContextFor(model);
        var features = new RankerFeatures();
        var ials = new float[model.MovieCount];
        var ease = new float[model.MovieCount];
        var scratch = new float[model.EaseMovieCount];
        Console.WriteLine($"{"user#",5} {"ratings",7} {"foldin",7} {"mf",7} {"ials",7} {"iALS·p",7} {"EASE",7} {"cand+ft",7} {"trees",7} {"rest",7} {"total",7}  (ms, best of {repeats})");
        var byCount = Enumerable.Range(0, users.Length).OrderByDescending(i => users[i].Pairs.Length).ToArray();
        // the 12 heaviest users, then users at the 90th, 50th and 10th percentile of rating counts and the lightest
        foreach (var i in byCount.Take(12).Concat([byCount[users.Length / 10], byCount[users.Length / 2], byCount[users.Length * 9 / 10], byCount[^1]]))
        {
            var (history, pairs) = users[i];
            var profile = model.FoldIn(pairs);
            var byTime = history.OrderBy(r => r.Time).ThenBy(r => r.MovieId).ToArray();
            var foldIn = Best(repeats, () => model.FoldIn(pairs));
            var mf = Best(repeats, () => model.SolveMf(model.Rating.Mf[0], profile.Items, profile.Values));
            var solveIals = Best(repeats, () => model.SolveIals(profile.Items, profile.Values));
            var matVec = Best(repeats, () => Simd.MatVec(model.IalsItems, profile.IalsVector, ials, model.MovieCount, model.IalsFactors));
            var baseScores = Best(repeats, () => model.BaseScores(profile, ials, ease, scratch));
            var build = Best(repeats, () => features.Build(context, profile, byTime, [], false, ranker.Counts));
            var n = features.Build(context, profile, byTime, [], false, ranker.Counts);
            var trees = Best(repeats, () => ranker.ScoreRows(features.Features, n));
            var recommend = Best(repeats, () => ranker.Recommend(model, profile, history, 10));
            Console.WriteLine($"{i,5} {pairs.Length,7} {foldIn,7:F3} {mf,7:F3} {solveIals,7:F3} {matVec,7:F3} {baseScores - matVec,7:F3} {build - baseScores,7:F3} "
                + $"{trees,7:F3} {recommend - build - trees,7:F3} {foldIn + recommend,7:F3}");
        }
        return 0;
    }

    static double Best(int repeats, Action action)
    {
        var best = double.MaxValue;
        for (var r = 0; r < repeats; r++)
        {
            var t0 = Stopwatch.GetTimestamp();
            action();
            best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }
        return best;
    }
}
