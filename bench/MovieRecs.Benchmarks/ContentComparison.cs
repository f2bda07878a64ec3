using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using MovieRecs.Core.Catalog;
using MovieRecs.Core.Discovery;
using MovieRecs.Core.MovieLens;

namespace MovieRecs.Benchmarks;

/// <summary>
/// The "content" similar-movies vectors three ways, compared on ml-latest-small (issue 11): the TF-IDF we wrote by hand
/// (<see cref="HandWrittenContent"/>), ML.NET's text transforms per field as <see cref="ContentSimilarity.Build"/> now
/// uses them, and FeaturizeText's defaults over one text of title, genres and tags. All three are scored through the same
/// inverted index.
/// </summary>
static class ContentComparison
{
    public enum Variant { HandWritten, MLNet, MLNetDefaults }

    public static ContentSimilarity Build(Variant variant, Movie[] movies, Func<int, int> popularity) => variant switch
    {
        Variant.HandWritten => HandWrittenContent.Build(movies, popularity),
        Variant.MLNet => ContentSimilarity.Build(movies, popularity),
        _ => BuildFeaturizeTextDefaults(movies, popularity),
    };

    sealed class MovieText
    {
        public string Text { get; set; } = "";
    }

    /// <summary>FeaturizeText's defaults (word uni- and bigrams, character trigrams, TF, L2) over title, genres and tags,
    /// every token shown as a title word.</summary>
    static ContentSimilarity BuildFeaturizeTextDefaults(Movie[] movies, Func<int, int> popularity)
    {
        var list = movies.OrderBy(m => m.Id).ToArray();
        var ml = new MLContext(seed: 0);
        var data = ml.Data.LoadFromEnumerable(list.Select(m =>
            new MovieText { Text = $"{m.DisplayTitle} {string.Join(' ', m.Genres)} {string.Join(' ', m.Tags)}" }));
        // FeaturizeText normalises its word and character parts apart: the second normalisation makes the cosine a cosine
        var output = ml.Transforms.Text.FeaturizeText("Features", nameof(MovieText.Text))
            .Append(ml.Transforms.NormalizeLpNorm("Features")).Fit(data).Transform(data);
        VBuffer<ReadOnlyMemory<char>> names = default;
        output.Schema["Features"].GetSlotNames(ref names);
        var tokenText = names.DenseValues().Select(n => n.ToString()).ToArray();
        var rowPtr = new int[list.Length + 1];
        var rowTokens = new List<int>();
        var rowWeights = new List<float>();
        var column = output.Schema["Features"];
        using (var cursor = output.GetRowCursor([column]))
        {
            var getter = cursor.GetGetter<VBuffer<float>>(column);
            VBuffer<float> v = default;
            for (var m = 0; cursor.MoveNext(); m++)
            {
                getter(ref v);
                var values = v.GetValues();
                var indices = v.GetIndices();
                for (var i = 0; i < values.Length; i++)
                    if (values[i] != 0)
                    {
                        rowTokens.Add(v.IsDense ? i : indices[i]);
                        rowWeights.Add(values[i]);
                    }
                rowPtr[m + 1] = rowTokens.Count;
            }
        }
        return ContentSimilarity.FromVectors(list.Select(m => m.Id).ToArray(), list.Select(m => popularity(m.Id)).ToArray(),
            rowPtr, [.. rowTokens], [.. rowWeights], tokenText, tokenText.Select(_ => (byte)2).ToArray());
    }

    static (Movie[] Movies, MovieCatalog Catalog, RatingRow[] Ratings) Load(string? data)
    {
        var dir = BenchData.FindMovieLensSmall(data) ?? throw new DirectoryNotFoundException("ml-latest-small not found (MOVIERECS_DATA or --data)");
        var issues = new List<ParseIssue>();
        var files = MovieLensReader.Detect(dir);
        var movies = MovieLensReader.LoadMovies(files, issues).ToArray();
        var ratings = MovieLensReader.ReadRatings(files, issues).ToArray();
        return (movies, new MovieCatalog(movies, MovieStats.Aggregate(ratings)), ratings);
    }

    /// <summary>One build in a fresh process, for whole-process CPU timing (/usr/bin/time) of a variant.</summary>
    public static int BuildOnce(string? data, string variant)
    {
        var v = Enum.Parse<Variant>(variant, ignoreCase: true);
        var (movies, catalog, _) = Load(data);
        var sw = Stopwatch.StartNew();
        var c = Build(v, movies, id => catalog.GetStats(id).Count);
        Console.WriteLine($"{v}: {c.Count} movies in {sw.Elapsed.TotalMilliseconds:0} ms");
        return 0;
    }

    /// <summary>Quality proxy, example lists, then build cost and query latency with the variants interleaved.</summary>
    public static int Run(string? data, int rounds)
    {
        var (movies, catalog, ratings) = Load(data);
        int Popularity(int id) => catalog.GetStats(id).Count;
        var variants = Enum.GetValues<Variant>();
        var built = variants.Select(v => Build(v, movies, Popularity)).ToArray();

        // --- quality: for each movie with >= 20 ratings, its content top 10; per listed movie the share of the query's
        // likers (rating >= 4) who also liked it (and who rated it at all), averaged over the 10 slots (an empty slot
        // counts 0), then over the queries.
        var likers = ratings.Where(r => r.Rating >= 4).GroupBy(r => r.MovieId).ToDictionary(g => g.Key, g => g.Select(r => r.UserId).ToHashSet());
        var raters = ratings.GroupBy(r => r.MovieId).ToDictionary(g => g.Key, g => g.Select(r => r.UserId).ToHashSet());
        var queries = movies.Where(m => Popularity(m.Id) >= 20 && likers.ContainsKey(m.Id)).Select(m => m.Id).ToArray();
        var liked = new double[variants.Length][];
        var rated = new double[variants.Length][];
        var listPopularity = new double[variants.Length];
        var lists = new int[variants.Length][][];
        for (var v = 0; v < variants.Length; v++)
        {
            liked[v] = new double[queries.Length];
            rated[v] = new double[queries.Length];
            lists[v] = new int[queries.Length][];
            for (var i = 0; i < queries.Length; i++)
            {
                var q = likers[queries[i]];
                var hits = built[v].Similar(queries[i], 10);
                lists[v][i] = hits.Select(h => h.MovieId).ToArray();
                foreach (var h in hits)
                {
                    liked[v][i] += likers.TryGetValue(h.MovieId, out var l) ? q.Count(l.Contains) / (double)q.Count : 0;
                    rated[v][i] += raters.TryGetValue(h.MovieId, out var r) ? q.Count(r.Contains) / (double)q.Count : 0;
                    listPopularity[v] += Popularity(h.MovieId);
                }
                liked[v][i] /= 10;
                rated[v][i] /= 10;
            }
            listPopularity[v] /= queries.Length * 10.0;
        }
        Console.WriteLine($"quality: {queries.Length} query movies (>= 20 ratings, >= 1 liker), content top 10, likers = rating >= 4");
        Console.WriteLine($"{"variant",-14} {"co-liked",9} {"co-rated",9} {"mean ratings of listed",23}");
        for (var v = 0; v < variants.Length; v++)
            Console.WriteLine($"{variants[v],-14} {liked[v].Average(),9:0.0000} {rated[v].Average(),9:0.0000} {listPopularity[v],23:0.0}");
        for (var v = 1; v < variants.Length; v++)
        {
            var (dl, sl) = PairedDifference(liked[v], liked[0]);
            var (dr, sr) = PairedDifference(rated[v], rated[0]);
            var overlap = Enumerable.Range(0, queries.Length).Average(i => lists[v][i].Intersect(lists[0][i]).Count() / 10.0);
            Console.WriteLine($"{variants[v]} - {variants[0]}: co-liked {dl:+0.0000;-0.0000} ± {1.96 * sl:0.0000}, co-rated {dr:+0.0000;-0.0000} ± {1.96 * sr:0.0000} (95 %, paired); same movies in the top 10: {overlap:P1}");
        }

        // --- examples: Toy Story and the first movie without ratings that has tags
        var unrated = movies.Where(m => Popularity(m.Id) == 0).OrderByDescending(m => m.Tags.Count).ThenBy(m => m.Id).First();
        foreach (var id in new[] { 1, unrated.Id })
            for (var v = 0; v < variants.Length; v++)
            {
                Console.WriteLine($"\n{variants[v]}: {catalog.Find(id)!.Title} [{string.Join('|', catalog.Find(id)!.Genres)}] tags: {string.Join(", ", catalog.Find(id)!.Tags.Take(8))}");
                foreach (var h in built[v].Similar(id, 10))
                    Console.WriteLine($"  {h.Score:0.000} {catalog.Find(h.MovieId)!.Title,-50} {h.Reason}");
            }

        // --- cost, interleaved: build (wall, process CPU, allocated, retained), then Similar(id, 10) over every movie
        Console.WriteLine($"\ncost: {rounds} rounds, variants interleaved; build = wall / CPU ms, allocated MB, retained MB; query = Similar(id, 10) over all {movies.Length} movies after one warm pass, µs");
        built = null!;
        var process = Process.GetCurrentProcess();
        for (var round = 0; round < rounds; round++)
            foreach (var v in variants)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                var retainedBefore = GC.GetTotalMemory(true);
                var allocatedBefore = GC.GetTotalAllocatedBytes(true);
                process.Refresh();
                var cpuBefore = process.TotalProcessorTime;
                var sw = Stopwatch.StartNew();
                var c = Build(v, movies, Popularity);
                sw.Stop();
                process.Refresh();
                var cpu = (process.TotalProcessorTime - cpuBefore).TotalMilliseconds;
                var allocated = (GC.GetTotalAllocatedBytes(true) - allocatedBefore) / 1e6;
                var retained = (GC.GetTotalMemory(true) - retainedBefore) / 1e6;
                foreach (var m in movies)
                    c.Similar(m.Id, 10);
                var times = new double[movies.Length];
                for (var i = 0; i < movies.Length; i++)
                {
                    var t0 = Stopwatch.GetTimestamp();
                    c.Similar(movies[i].Id, 10);
                    times[i] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
                }
                Array.Sort(times);
                Console.WriteLine($"round {round + 1} {v,-14} build {sw.Elapsed.TotalMilliseconds,7:0} / {cpu,7:0} ms  {allocated,7:0.0} MB  {retained,5:0.0} MB" +
                    $"   query p50 {times[times.Length / 2],6:0.0}  p99 {times[(int)(times.Length * 0.99)],6:0.0}  max {times[^1],7:0.0}  mean {times.Average(),6:0.0}");
                GC.KeepAlive(c);
            }
        return 0;
    }

    static (double Mean, double StandardError) PairedDifference(double[] a, double[] b)
    {
        var d = a.Zip(b, (x, y) => x - y).ToArray();
        var mean = d.Average();
        var variance = d.Sum(x => (x - mean) * (x - mean)) / (d.Length - 1);
        return (mean, Math.Sqrt(variance / d.Length));
    }
}
