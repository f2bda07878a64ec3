using System.Collections.Frozen;
using MovieRecs.Core.Catalog;
using MovieRecs.Core.Discovery;

namespace MovieRecs.Benchmarks;

/// <summary>
/// The content vectors as we wrote them by hand before issue 11 switched <see cref="ContentSimilarity"/> to ML.NET's
/// text transforms, kept as the yardstick of <c>--content</c>: genres, tags folded by <see cref="TextNormalizer"/>, title
/// words; tf = 1 + ln(count), idf = ln(1 + N/df); each field L2-normalised and weighted, the whole to length 1.
/// </summary>
static class HandWrittenContent
{
    const byte GenreKind = 0, TagKind = 1, TitleKind = 2;

    static readonly FrozenSet<string> s_stopWords = ContentSimilarity.TitleStopWords.ToFrozenSet(StringComparer.Ordinal);

    public static ContentSimilarity Build(IEnumerable<Movie> movies, Func<int, int>? popularity = null)
    {
        var list = ContentSimilarity.SortedById(movies);

        // tokens per movie, as runs of (token id, count) in ascending token order
        var vocabulary = new[] { new Dictionary<string, int>(), new Dictionary<string, int>(), new Dictionary<string, int>() };
        var genreByText = new Dictionary<string, int>(StringComparer.Ordinal); // genre strings repeat: skip the folding
        var tokenText = new List<string>();
        var tokenKind = new List<byte>();
        var df = new List<int>();
        int TokenOf(byte kind, string key, string display)
        {
            if (!vocabulary[kind].TryGetValue(key, out var t))
            {
                vocabulary[kind][key] = t = tokenText.Count;
                tokenText.Add(display);
                tokenKind.Add(kind);
                df.Add(0);
            }
            return t;
        }
        var n = list.Length;
        var rowPtr = new int[n + 1];
        var runTokens = new List<int>();
        var runCounts = new List<int>();
        var scratch = new List<int>();
        for (var m = 0; m < n; m++)
        {
            var movie = list[m];
            scratch.Clear();
            foreach (var g in movie.Genres)
            {
                if (string.IsNullOrWhiteSpace(g))
                    continue;
                if (!genreByText.TryGetValue(g, out var t))
                    genreByText[g] = t = TokenOf(GenreKind, MovieGenres.Key(g), g.Trim());
                scratch.Add(t);
            }
            foreach (var tag in movie.Tags)
            {
                var key = TextNormalizer.Normalize(tag);
                if (key.Length > 0)
                    scratch.Add(TokenOf(TagKind, key, tag.Trim()));
            }
            foreach (var word in TitleWords(movie))
                scratch.Add(TokenOf(TitleKind, word, word));
            scratch.Sort();
            for (var i = 0; i < scratch.Count; i++)
            {
                if (i > 0 && scratch[i] == scratch[i - 1])
                {
                    runCounts[^1]++;
                    continue;
                }
                runTokens.Add(scratch[i]);
                runCounts.Add(1);
                df[scratch[i]]++;
            }
            rowPtr[m + 1] = runTokens.Count;
        }

        var rowTokens = runTokens.ToArray();
        var rowWeights = new float[rowTokens.Length];
        Span<double> fieldNorm = stackalloc double[3];
        ReadOnlySpan<float> fieldWeight = [ContentSimilarity.GenreWeight, ContentSimilarity.TagWeight, ContentSimilarity.TitleWeight];
        var idf = df.Select(d => Math.Log(1 + (double)n / d)).ToArray();
        for (var m = 0; m < n; m++)
        {
            int from = rowPtr[m], to = rowPtr[m + 1];
            fieldNorm.Clear();
            for (var p = from; p < to; p++)
            {
                var w = (1 + Math.Log(runCounts[p])) * idf[rowTokens[p]];
                rowWeights[p] = (float)w;
                fieldNorm[tokenKind[rowTokens[p]]] += w * w;
            }
            // each present field scaled to length = its weight, then the whole vector to length 1
            double total = 0;
            for (var f = 0; f < 3; f++)
                if (fieldNorm[f] > 0)
                    total += fieldWeight[f] * fieldWeight[f];
            for (var p = from; p < to; p++)
            {
                var kind = tokenKind[rowTokens[p]];
                rowWeights[p] = (float)(rowWeights[p] / Math.Sqrt(fieldNorm[kind]) * fieldWeight[kind] / Math.Sqrt(total));
            }
        }
        var prior = list.Select(m => popularity?.Invoke(m.Id) ?? 0).ToArray();
        return ContentSimilarity.FromVectors(list.Select(m => m.Id).ToArray(), prior, rowPtr, rowTokens, rowWeights, [.. tokenText], [.. tokenKind]);
    }

    /// <summary>The title words that count: folded words of the display title minus stop words, single letters and
    /// short numbers ("2", "10"; four-digit ones like "2001" stay).</summary>
    public static IEnumerable<string> TitleWords(Movie movie)
    {
        foreach (var w in TextNormalizer.Words(movie.DisplayTitle))
        {
            if (w.Length < 2 || s_stopWords.Contains(w))
                continue;
            if (w.Length <= 2 && w.All(char.IsAsciiDigit))
                continue;
            yield return w;
        }
    }
}
