using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Text;
using MovieRecs.Core.Catalog;
using MovieRecs.Core.Discovery;
using MovieRecs.Core.MovieLens;

namespace MovieRecs.Benchmarks;

/// <summary>
/// The "content" similar-movies vectors three ways, compared on ml-latest-small (issue 11): ours
/// (<see cref="ContentSimilarity.Build"/>), ML.NET's text transforms per field (NormalizeText, TokenizeIntoWords,
/// stop words, MapValueToKey, ProduceNgrams with TF-IDF, NormalizeLpNorm; field weights as ours), and FeaturizeText's
/// defaults over one text of title, genres and tags. All three are scored through the same inverted index.
/// </summary>
static class ContentComparison
{
    public enum Variant { Ours, MLNetWeights, MLNetFields, MLNetFieldsEnglishStopWords, MLNetDefaults }

    sealed class ContentRow
    {
        public string[] Genres { get; set; } = [];
        public string[] Tags { get; set; } = [];
        public string Title { get; set; } = "";
        public string Text { get; set; } = "";
    }

    public static ContentSimilarity Build(Variant variant, Movie[] movies, Func<int, int> popularity) => variant switch
    {
        Variant.Ours => ContentSimilarity.Build(movies, popularity),
        Variant.MLNetWeights => BuildMLNetWeights(movies, popularity),
        Variant.MLNetFields => BuildMLNetFields(movies, popularity, englishStopWords: false),
        Variant.MLNetFieldsEnglishStopWords => BuildMLNetFields(movies, popularity, englishStopWords: true),
        _ => BuildMLNetDefaults(movies, popularity),
    };

    static ContentRow[] Rows(Movie[] list) => list.Select(m => new ContentRow
    {
        Genres = m.Genres.Where(g => !string.IsNullOrWhiteSpace(g)).Select(g => g.Trim()).ToArray(),
        Tags = m.Tags.Where(t => !string.IsNullOrWhiteSpace(t)).ToArray(),
        Title = m.DisplayTitle,
        Text = $"{m.DisplayTitle} {string.Join(' ', m.Genres)} {string.Join(' ', m.Tags)}",
    }).ToArray();

    /// <summary>Our tokens (genres, folded tags, <see cref="ContentSimilarity.TitleWords"/>), weighted by ML.NET: separates
    /// what the tokenisation does from what the weighting does.</summary>
    static ContentSimilarity BuildMLNetWeights(Movie[] movies, Func<int, int> popularity)
    {
        var list = movies.OrderBy(m => m.Id).ToArray();
        var ml = new MLContext(seed: 0);
        var rows = Rows(list);
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i].Tags = list[i].Tags.Select(TextNormalizer.Normalize).Where(t => t.Length > 0).ToArray();
            rows[i].Text = string.Join(' ', ContentSimilarity.TitleWords(list[i]));
        }
        var data = ml.Data.LoadFromEnumerable(rows);
        const NgramExtractingEstimator.WeightingCriteria TfIdf = NgramExtractingEstimator.WeightingCriteria.TfIdf;
        var pipeline = ml.Transforms.Conversion.MapValueToKey("GenreKeys", "Genres")
            .Append(ml.Transforms.Text.ProduceNgrams("GenreVec", "GenreKeys", ngramLength: 1, useAllLengths: false, weighting: TfIdf))
            .Append(ml.Transforms.NormalizeLpNorm("GenreVec"))
            .Append(ml.Transforms.Conversion.MapValueToKey("TagKeys", "Tags"))
            .Append(ml.Transforms.Text.ProduceNgrams("TagVec", "TagKeys", ngramLength: 1, useAllLengths: false, weighting: TfIdf))
            .Append(ml.Transforms.NormalizeLpNorm("TagVec"))
            .Append(ml.Transforms.Text.TokenizeIntoWords("TitleWords", "Text"))
            .Append(ml.Transforms.Conversion.MapValueToKey("TitleKeys", "TitleWords"))
            .Append(ml.Transforms.Text.ProduceNgrams("TitleVec", "TitleKeys", ngramLength: 1, useAllLengths: false, weighting: TfIdf))
            .Append(ml.Transforms.NormalizeLpNorm("TitleVec"));
        var output = pipeline.Fit(data).Transform(data);
        return FromColumns(list, popularity, output,
            [("GenreVec", 0, ContentSimilarity.GenreWeight), ("TagVec", 1, ContentSimilarity.TagWeight), ("TitleVec", 2, ContentSimilarity.TitleWeight)]);
    }

    /// <summary>Each field normalised, tokenised, TF-IDF weighted and L2-normalised by ML.NET; the field weights and the
    /// final normalisation applied while copying the vectors out. Title stop words: ours (through RemoveStopWords), and
    /// with <paramref name="englishStopWords"/> also ML.NET's English list.</summary>
    static ContentSimilarity BuildMLNetFields(Movie[] movies, Func<int, int> popularity, bool englishStopWords)
    {
        var list = movies.OrderBy(m => m.Id).ToArray();
        var ml = new MLContext(seed: 0);
        var data = ml.Data.LoadFromEnumerable(Rows(list));
        // our title stop words plus what TitleWords drops by rule: single letters and one- or two-digit numbers
        var stopWords = ContentSimilarity.TitleStopWords
            .Concat(Enumerable.Range('a', 26).Select(c => ((char)c).ToString()))
            .Concat(Enumerable.Range(0, 100).Select(i => i.ToString()))
            .Concat(Enumerable.Range(0, 10).Select(i => "0" + i))
            .ToArray();
        const NgramExtractingEstimator.WeightingCriteria TfIdf = NgramExtractingEstimator.WeightingCriteria.TfIdf;
        IEstimator<ITransformer> title = ml.Transforms.Text.NormalizeText("TitleText", "Title", keepDiacritics: false, keepPunctuations: false)
            .Append(ml.Transforms.Text.TokenizeIntoWords("TitleWords", "TitleText"));
        if (englishStopWords)
            title = title.Append(ml.Transforms.Text.RemoveDefaultStopWords("TitleWords"));
        var pipeline = ml.Transforms.Conversion.MapValueToKey("GenreKeys", "Genres")
            .Append(ml.Transforms.Text.ProduceNgrams("GenreVec", "GenreKeys", ngramLength: 1, useAllLengths: false, weighting: TfIdf))
            .Append(ml.Transforms.NormalizeLpNorm("GenreVec"))
            .Append(ml.Transforms.Text.NormalizeText("TagText", "Tags", keepDiacritics: false, keepPunctuations: false))
            .Append(ml.Transforms.Conversion.MapValueToKey("TagKeys", "TagText"))
            .Append(ml.Transforms.Text.ProduceNgrams("TagVec", "TagKeys", ngramLength: 1, useAllLengths: false, weighting: TfIdf))
            .Append(ml.Transforms.NormalizeLpNorm("TagVec"))
            .Append(title)
            .Append(ml.Transforms.Text.RemoveStopWords("TitleWords", stopwords: stopWords))
            .Append(ml.Transforms.Conversion.MapValueToKey("TitleKeys", "TitleWords"))
            .Append(ml.Transforms.Text.ProduceNgrams("TitleVec", "TitleKeys", ngramLength: 1, useAllLengths: false, weighting: TfIdf))
            .Append(ml.Transforms.NormalizeLpNorm("TitleVec"));
        var output = pipeline.Fit(data).Transform(data);
        return FromColumns(list, popularity, output,
            [("GenreVec", 0, ContentSimilarity.GenreWeight), ("TagVec", 1, ContentSimilarity.TagWeight), ("TitleVec", 2, ContentSimilarity.TitleWeight)]);
    }

    /// <summary>FeaturizeText's defaults (word uni- and bigrams, character trigrams, TF, L2) over title, genres and tags.</summary>
    static ContentSimilarity BuildMLNetDefaults(Movie[] movies, Func<int, int> popularity)
    {
        var list = movies.OrderBy(m => m.Id).ToArray();
        var ml = new MLContext(seed: 0);
        var data = ml.Data.LoadFromEnumerable(Rows(list));
        // FeaturizeText normalises its word and character parts apart; the second normalisation makes the cosine a cosine
        var output = ml.Transforms.Text.FeaturizeText("Features", "Text")
            .Append(ml.Transforms.NormalizeLpNorm("Features")).Fit(data).Transform(data);
        return FromColumns(list, popularity, output, [("Features", 2, 1f)]);
    }

    /// <summary>Concatenates the columns' vectors, each scaled by its weight (ML.NET has no transform that scales a column),
    /// the whole to length 1, into the index.</summary>
    static ContentSimilarity FromColumns(Movie[] list, Func<int, int> popularity, IDataView output, (string Column, byte Kind, float Weight)[] fields)
    {
        var tokenText = new List<string>();
        var tokenKind = new List<byte>();
        var offsets = new int[fields.Length];
        var columns = new VBuffer<float>[fields.Length][];
        for (var f = 0; f < fields.Length; f++)
        {
            offsets[f] = tokenText.Count;
            VBuffer<ReadOnlyMemory<char>> names = default;
            output.Schema[fields[f].Column].GetSlotNames(ref names);
            foreach (var name in names.DenseValues())
            {
                tokenText.Add(name.ToString());
                tokenKind.Add(fields[f].Kind);
            }
            columns[f] = Vectors(output, fields[f].Column, list.Length);
        }
        var rowPtr = new int[list.Length + 1];
        var rowTokens = new List<int>();
        var rowWeights = new List<float>();
        for (var m = 0; m < list.Length; m++)
        {
            // every column is unit length (or empty): the row's squared length is the sum of the present columns'
            // squared weights, computed so, movies with the same genres and nothing else tie exactly, as in ours, and
            // the tie goes to the more popular one
            double total = 0;
            for (var f = 0; f < fields.Length; f++)
                if (HasWeight(columns[f][m]))
                    total += fields[f].Weight * fields[f].Weight;
            for (var f = 0; f < fields.Length; f++)
            {
                var v = columns[f][m];
                var values = v.GetValues();
                var indices = v.GetIndices();
                for (var i = 0; i < values.Length; i++)
                    if (values[i] != 0)
                    {
                        rowTokens.Add(offsets[f] + (v.IsDense ? i : indices[i]));
                        rowWeights.Add((float)(values[i] * fields[f].Weight / Math.Sqrt(total)));
                    }
            }
            rowPtr[m + 1] = rowTokens.Count;
        }
        return ContentSimilarity.FromVectors(list.Select(m => m.Id).ToArray(), list.Select(m => popularity(m.Id)).ToArray(),
            rowPtr, [.. rowTokens], [.. rowWeights], [.. tokenText], [.. tokenKind]);
    }

    /// <summary>The column's vectors, each copied out of the cursor's reused buffer.</summary>
    static VBuffer<float>[] Vectors(IDataView output, string column, int count)
    {
        var result = new VBuffer<float>[count];
        var col = output.Schema[column];
        using var cursor = output.GetRowCursor([col]);
        var getter = cursor.GetGetter<VBuffer<float>>(col);
        VBuffer<float> buffer = default;
        for (var i = 0; cursor.MoveNext(); i++)
        {
            getter(ref buffer);
            buffer.CopyTo(ref result[i]);
        }
        return result;
    }

    static bool HasWeight(VBuffer<float> v)
    {
        foreach (var x in v.GetValues())
            if (x != 0)
                return true;
        return false;
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
            Console.WriteLine($"{variants[v]} - Ours: co-liked {dl:+0.0000;-0.0000} ± {1.96 * sl:0.0000}, co-rated {dr:+0.0000;-0.0000} ± {1.96 * sr:0.0000} (95 %, paired); same movies in the top 10: {overlap:P1}");
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
