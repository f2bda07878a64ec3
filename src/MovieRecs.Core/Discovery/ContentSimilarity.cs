using System.Collections.Frozen;
using System.Globalization;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Text;
using MovieRecs.Core.Catalog;

namespace MovieRecs.Core.Discovery;

/// <summary>
/// "Movies like this one" from the catalog's own data: TF-IDF vectors over genres, user tags and title words,
/// compared by cosine through an inverted index. Needs no ratings, so it works for brand-new movies. Immutable and
/// thread-safe once built.
/// </summary>
/// <remarks>
/// <para>The vectors are ML.NET's text transforms, one chain per field (issue 11: it measured as good as the TF-IDF we
/// wrote by hand, docs/discovery.md). Tokens: each genre (<see cref="MovieGenres.Key"/>); each distinct tag whole, by
/// <c>NormalizeText</c> (lower case, no diacritics, no punctuation: "Sci-Fi" and "scifi" are one tag); the words of
/// <see cref="Movie.DisplayTitle"/> (no year, no alternate titles) by <c>NormalizeText</c> and <c>TokenizeIntoWords</c>,
/// minus our title stop words through <c>RemoveStopWords</c>.</para>
/// <para>Weights: <c>ProduceNgrams</c> with TF-IDF (tf = count, idf = ln(N/df): a tag on two movies counts a lot, a genre
/// on half the catalog little) and <c>NormalizeLpNorm</c> per field. The three fields are then weighted here — genres
/// <see cref="GenreWeight"/>, tags <see cref="TagWeight"/>, title <see cref="TitleWeight"/>, as ML.NET has no transform
/// that scales a column — so a movie with twenty tags or a long title does not drown its genres; the whole vector has
/// length 1 and the score is the cosine (0..1). The title weighs least because shared title words are often coincidence
/// ("Story", "Love"), while a shared rare one ("Toy") is caught by its idf.</para>
/// <para>A query adds the postings of the movie's tokens into a dense score array (a few thousand multiply-adds on
/// ml-latest-small, Drama being the longest list) and keeps the best with a bounded insertion list: well under 0.1 ms.</para>
/// </remarks>
public sealed class ContentSimilarity
{
    public const float GenreWeight = 1f;
    public const float TagWeight = 1f;
    public const float TitleWeight = 0.6f;

    const byte GenreKind = 0, TagKind = 1, TitleKind = 2;

    /// <summary>Title words that would link unrelated movies: function words (English and the articles of other
    /// languages MovieLens titles use), sequel markers, generic nouns, single letters and one- or two-digit numbers
    /// ("2", "10"; four-digit ones like "2001" stay). ML.NET's own English list is not used: it also drops "two",
    /// "first", "beyond", "before" and the like, which cost 12 % of the quality measure (docs/discovery.md).</summary>
    static readonly string[] s_titleStopWords = new[]
    {
        "a", "an", "the", "and", "or", "nor", "of", "in", "on", "at", "to", "for", "from", "by", "with", "without", "into",
        "onto", "over", "under", "about", "as", "is", "it", "its", "be", "are", "was", "were", "this", "that", "these",
        "those", "me", "my", "we", "us", "our", "you", "your", "he", "him", "his", "she", "her", "they", "them", "their",
        "what", "who", "whom", "which", "when", "where", "why", "how", "not", "no", "so", "if", "than", "then", "too",
        "very", "can", "will", "just", "do", "does", "did", "have", "has", "had", "up", "down", "out", "off", "all", "any",
        "some", "only", "own", "again", "here", "there", "ll", "re", "ve", "don", "won", "isn", "aren",
        "le", "la", "les", "el", "los", "las", "lo", "il", "gli", "un", "une", "una", "uno", "der", "die", "das",
        "den", "dem", "des", "de", "du", "del", "della", "et", "und", "het", "ein", "eine",
        "part", "vol", "volume", "chapter", "episode", "ii", "iii", "iv", "vi", "vii", "viii", "ix", "xi", "xii",
        "movie", "film",
    }
        .Concat(Enumerable.Range('a', 26).Select(c => ((char)c).ToString()))
        .Concat(Enumerable.Range(0, 100).Select(n => n.ToString(CultureInfo.InvariantCulture)))
        .Concat(Enumerable.Range(0, 10).Select(n => "0" + n))
        .ToArray();

    readonly int[] _ids;                       // movie id by index, ascending
    readonly FrozenDictionary<int, int> _indexById;
    readonly int[] _prior;                     // orders equal scores: more popular first
    readonly int[] _rowPtr, _rowTokens;        // per movie: token ids ascending (CSR)
    readonly float[] _rowWeights;
    readonly int[] _postPtr, _postMovies;      // per token: movie indices ascending (CSC)
    readonly float[] _postWeights;
    readonly string[] _tokenText;              // as shown in reasons
    readonly byte[] _tokenKind;

    [ThreadStatic] static float[]? t_scores;

    ContentSimilarity(int[] ids, int[] prior, int[] rowPtr, int[] rowTokens, float[] rowWeights, string[] tokenText, byte[] tokenKind)
    {
        _ids = ids;
        _indexById = ids.Select((id, i) => (id, i)).ToFrozenDictionary(p => p.id, p => p.i);
        _prior = prior;
        _rowPtr = rowPtr;
        _rowTokens = rowTokens;
        _rowWeights = rowWeights;
        _tokenText = tokenText;
        _tokenKind = tokenKind;

        // inverted index: count, prefix-sum, fill in movie order (so each list is ascending)
        _postPtr = new int[tokenText.Length + 1];
        foreach (var t in rowTokens)
            _postPtr[t + 1]++;
        for (var t = 0; t < tokenText.Length; t++)
            _postPtr[t + 1] += _postPtr[t];
        _postMovies = new int[rowTokens.Length];
        _postWeights = new float[rowTokens.Length];
        var fill = _postPtr[..^1].ToArray();
        for (var m = 0; m < ids.Length; m++)
            for (var p = rowPtr[m]; p < rowPtr[m + 1]; p++)
            {
                var at = fill[rowTokens[p]]++;
                _postMovies[at] = m;
                _postWeights[at] = rowWeights[p];
            }
    }

    /// <summary>The movies by ascending id; a repeated id is refused.</summary>
    internal static Movie[] SortedById(IEnumerable<Movie> movies)
    {
        ArgumentNullException.ThrowIfNull(movies);
        var list = movies.OrderBy(m => m.Id).ToArray();
        for (var i = 1; i < list.Length; i++)
            if (list[i].Id == list[i - 1].Id)
                throw new ArgumentException($"Duplicate movie id {list[i].Id}.", nameof(movies));
        return list;
    }

    /// <summary>Builds the vectors and the index.</summary>
    /// <param name="popularity">Orders movies with equal scores (e.g. the catalog's rating count); null = lower id first.</param>
    public static ContentSimilarity Build(IEnumerable<Movie> movies, Func<int, int>? popularity = null)
    {
        var list = SortedById(movies);
        var ids = list.Select(m => m.Id).ToArray();
        var prior = list.Select(m => popularity?.Invoke(m.Id) ?? 0).ToArray();
        if (list.Length == 0)
            return new ContentSimilarity(ids, prior, [0], [], [], [], []);

        // the words as written, to show in reasons: the first spelling seen of each genre and tag key
        var rows = new FieldText[list.Length];
        var shown = new Dictionary<string, string>[3];
        for (var f = 0; f < 3; f++)
            shown[f] = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var m = 0; m < list.Length; m++)
        {
            var genres = list[m].Genres.Where(g => !string.IsNullOrWhiteSpace(g)).ToArray();
            var genreKeys = genres.Select(MovieGenres.Key).ToArray();
            for (var i = 0; i < genres.Length; i++)
                shown[GenreKind].TryAdd(genreKeys[i], genres[i].Trim());
            // NormalizeText keeps only letters and digits: a tag with neither would become an empty token
            var tags = list[m].Tags.Where(t => t.Any(char.IsLetterOrDigit)).ToArray();
            rows[m] = new FieldText { Genres = genreKeys, Tags = tags, Title = list[m].DisplayTitle };
        }

        var ml = new MLContext(seed: 0);
        var data = ml.Data.LoadFromEnumerable(rows);
        const NgramExtractingEstimator.WeightingCriteria TfIdf = NgramExtractingEstimator.WeightingCriteria.TfIdf;
        var tfIdf = ml.Transforms.Conversion.MapValueToKey("GenreKeys", nameof(FieldText.Genres))
            .Append(ml.Transforms.Text.ProduceNgrams("GenreVector", "GenreKeys", ngramLength: 1, useAllLengths: false, weighting: TfIdf))
            .Append(ml.Transforms.Text.NormalizeText("TagWords", nameof(FieldText.Tags), keepDiacritics: false, keepPunctuations: false))
            .Append(ml.Transforms.Conversion.MapValueToKey("TagKeys", "TagWords"))
            .Append(ml.Transforms.Text.ProduceNgrams("TagVector", "TagKeys", ngramLength: 1, useAllLengths: false, weighting: TfIdf))
            .Append(ml.Transforms.Text.NormalizeText("TitleText", nameof(FieldText.Title), keepDiacritics: false, keepPunctuations: false))
            .Append(ml.Transforms.Text.TokenizeIntoWords("TitleWords", "TitleText"))
            .Append(ml.Transforms.Text.RemoveStopWords("TitleWords", stopwords: s_titleStopWords))
            .Append(ml.Transforms.Conversion.MapValueToKey("TitleKeys", "TitleWords"))
            .Append(ml.Transforms.Text.ProduceNgrams("TitleVector", "TitleKeys", ngramLength: 1, useAllLengths: false, weighting: TfIdf));
        var weighted = tfIdf.Fit(data).Transform(data);
        // a field no movie has (the demo catalog has no tags) is a vector of no known size, which NormalizeLpNorm refuses
        var vectors = new[] { "GenreVector", "TagVector", "TitleVector" };
        var present = vectors.Select(c => weighted.Schema[c].Type is VectorDataViewType { Size: > 0 }).ToArray();
        var output = weighted;
        for (var f = 0; f < 3; f++)
            if (present[f])
                output = ml.Transforms.NormalizeLpNorm(vectors[f]).Fit(output).Transform(output);

        // a tag is shown as first written: the normalised words come back in the order of the row's tags
        var tagWords = output.Schema["TagWords"];
        using (var cursor = output.GetRowCursor([tagWords]))
        {
            var getter = cursor.GetGetter<VBuffer<ReadOnlyMemory<char>>>(tagWords);
            VBuffer<ReadOnlyMemory<char>> words = default;
            for (var m = 0; cursor.MoveNext(); m++)
            {
                getter(ref words);
                var i = 0;
                foreach (var word in words.DenseValues())
                    shown[TagKind].TryAdd(word.ToString(), rows[m].Tags[i++].Trim());
            }
        }

        // the three fields side by side: token ids by field, each field's vector scaled to its weight, the whole to length 1
        ReadOnlySpan<float> fieldWeight = [GenreWeight, TagWeight, TitleWeight];
        var tokenText = new List<string>();
        var tokenKind = new List<byte>();
        var offsets = new int[3];
        var columns = new VBuffer<float>[3][];
        for (var f = 0; f < 3; f++)
        {
            offsets[f] = tokenText.Count;
            columns[f] = new VBuffer<float>[list.Length];
            if (!present[f])
                continue;
            VBuffer<ReadOnlyMemory<char>> names = default;
            output.Schema[vectors[f]].GetSlotNames(ref names);
            foreach (var name in names.DenseValues())
            {
                var key = name.ToString();
                tokenText.Add(shown[f].GetValueOrDefault(key, key));
                tokenKind.Add((byte)f);
            }
            columns[f] = Column(output, vectors[f], list.Length);
        }
        var rowPtr = new int[list.Length + 1];
        var rowTokens = new List<int>();
        var rowWeights = new List<float>();
        for (var m = 0; m < list.Length; m++)
        {
            // each present field has length 1: summing the squared weights (not the entries) keeps movies with the same
            // genres and nothing else exactly tied, so the tie goes to the more popular one
            double total = 0;
            for (var f = 0; f < 3; f++)
                if (columns[f][m].GetValues().ContainsAnyExcept(0f))
                    total += fieldWeight[f] * fieldWeight[f];
            for (var f = 0; f < 3; f++)
            {
                var v = columns[f][m];
                var values = v.GetValues();
                var indices = v.GetIndices();
                for (var i = 0; i < values.Length; i++)
                    if (values[i] != 0)
                    {
                        rowTokens.Add(offsets[f] + (v.IsDense ? i : indices[i]));
                        rowWeights.Add((float)(values[i] * fieldWeight[f] / Math.Sqrt(total)));
                    }
            }
            rowPtr[m + 1] = rowTokens.Count;
        }
        return new ContentSimilarity(ids, prior, rowPtr, [.. rowTokens], [.. rowWeights], [.. tokenText], [.. tokenKind]);
    }

    /// <summary>One movie's fields as ML.NET reads them.</summary>
    sealed class FieldText
    {
        public string[] Genres { get; set; } = [];
        public string[] Tags { get; set; } = [];
        public string Title { get; set; } = "";
    }

    /// <summary>A vector column's rows, each copied out of the cursor's reused buffer.</summary>
    static VBuffer<float>[] Column(IDataView output, string name, int rows)
    {
        var result = new VBuffer<float>[rows];
        var column = output.Schema[name];
        using var cursor = output.GetRowCursor([column]);
        var getter = cursor.GetGetter<VBuffer<float>>(column);
        VBuffer<float> buffer = default;
        for (var i = 0; cursor.MoveNext(); i++)
        {
            getter(ref buffer);
            buffer.CopyTo(ref result[i]);
        }
        return result;
    }

    /// <summary>The title stop words (the benchmark's hand-written variant uses the same).</summary>
    internal static IReadOnlyList<string> TitleStopWords => s_titleStopWords;

    /// <summary>An index over vectors built elsewhere (the benchmark's hand-written TF-IDF and FeaturizeText variants):
    /// movie ids ascending, each row's token ids ascending, rows unit length; kinds 0 genre, 1 tag, 2 title word.</summary>
    internal static ContentSimilarity FromVectors(int[] ids, int[] prior, int[] rowPtr, int[] rowTokens, float[] rowWeights,
        string[] tokenText, byte[] tokenKind) => new(ids, prior, rowPtr, rowTokens, rowWeights, tokenText, tokenKind);

    /// <summary>Number of movies.</summary>
    public int Count => _ids.Length;

    public bool Contains(int movieId) => _indexById.ContainsKey(movieId);

    /// <summary>
    /// The <paramref name="count"/> movies most similar to <paramref name="movieId"/>, best first, each with the reason in
    /// words. Only movies sharing at least one token are returned; never the movie itself; empty for an unknown movie.
    /// Equal scores: more popular first, then lower id.
    /// </summary>
    public IReadOnlyList<SimilarMovie> Similar(int movieId, int count)
    {
        var q = IndexOf(movieId);
        if (q < 0 || count <= 0)
            return [];
        var scores = Scratch(_ids.Length);
        try
        {
            AddScores(q, scores, 1f);
            scores[q] = 0;
            var top = new TopHits(count, _prior);
            top.OfferAll(scores);
            var hits = new SimilarMovie[top.Count];
            for (var r = 0; r < hits.Length; r++)
                hits[r] = new SimilarMovie(_ids[top.Index(r)], top.Score(r), ReasonAt(q, top.Index(r)));
            return hits;
        }
        finally
        {
            Array.Clear(scores);
        }
    }

    /// <summary>Cosine similarity of two movies' content vectors (0 when either is unknown).</summary>
    public float Similarity(int movieId, int otherId)
    {
        int a = IndexOf(movieId), b = IndexOf(otherId);
        if (a < 0 || b < 0)
            return 0;
        float sum = 0;
        Intersect(a, b, (_, wa, wb) => sum += wa * wb);
        return sum;
    }

    /// <summary>What the two movies share, in words: "shares Sci-Fi, Thriller; tagged 'dreams'; title: 'toy', 'story'";
    /// empty when nothing.</summary>
    public string Reason(int movieId, int otherId)
    {
        int a = IndexOf(movieId), b = IndexOf(otherId);
        return a < 0 || b < 0 ? string.Empty : ReasonAt(a, b);
    }

    // ------------------------------------------------------------------ for SimilarMovies (catalog indices)

    internal int IndexOf(int movieId) => _indexById.TryGetValue(movieId, out var i) ? i : -1;
    internal int MovieIdAt(int index) => _ids[index];
    internal int[] Prior => _prior;

    /// <summary>scores[m] += weight · cos(q, m) for every movie sharing a token with q (q itself included).</summary>
    internal void AddScores(int q, float[] scores, float weight)
    {
        for (var p = _rowPtr[q]; p < _rowPtr[q + 1]; p++)
        {
            var t = _rowTokens[p];
            var wq = weight * _rowWeights[p];
            for (var e = _postPtr[t]; e < _postPtr[t + 1]; e++)
                scores[_postMovies[e]] += wq * _postWeights[e];
        }
    }

    /// <summary>A zeroed per-thread array of <paramref name="length"/> floats; the caller leaves it zeroed.</summary>
    static float[] Scratch(int length)
    {
        var s = t_scores;
        if (s is null || s.Length != length)
            t_scores = s = new float[length];
        return s;
    }

    void Intersect(int a, int b, Action<int, float, float> shared)
    {
        int pa = _rowPtr[a], ea = _rowPtr[a + 1], pb = _rowPtr[b], eb = _rowPtr[b + 1];
        while (pa < ea && pb < eb)
        {
            int ta = _rowTokens[pa], tb = _rowTokens[pb];
            if (ta < tb)
                pa++;
            else if (tb < ta)
                pb++;
            else
            {
                shared(ta, _rowWeights[pa], _rowWeights[pb]);
                pa++;
                pb++;
            }
        }
    }

    internal string ReasonAt(int a, int b)
    {
        var genres = new List<string>();
        var tags = new List<(string Text, float Weight)>();
        var words = new List<(string Text, float Weight)>();
        Intersect(a, b, (t, wa, wb) =>
        {
            switch (_tokenKind[t])
            {
                case GenreKind: genres.Add(_tokenText[t]); break;
                case TagKind: tags.Add((_tokenText[t], wa * wb)); break;
                default: words.Add((_tokenText[t], wa * wb)); break;
            }
        });
        var sb = new StringBuilder();
        if (genres.Count > 0)
        {
            genres.Sort(StringComparer.Ordinal);
            sb.Append("shares ").AppendJoin(", ", genres);
        }
        // the rarest (heaviest) shared tags and words first, at most three of each
        static void Quoted(StringBuilder sb, string label, List<(string Text, float Weight)> items)
        {
            if (items.Count == 0)
                return;
            items.Sort((x, y) => y.Weight != x.Weight ? y.Weight.CompareTo(x.Weight) : string.CompareOrdinal(x.Text, y.Text));
            if (sb.Length > 0)
                sb.Append("; ");
            sb.Append(label);
            for (var i = 0; i < Math.Min(3, items.Count); i++)
                sb.Append(i == 0 ? " '" : ", '").Append(items[i].Text).Append('\'');
        }
        Quoted(sb, "tagged", tags);
        Quoted(sb, "title:", words);
        return sb.ToString();
    }
}

/// <summary>The best entries by (score, prior, lower index), kept in a small sorted array: after the first few hundred
/// candidates almost none gets past the worst kept one.</summary>
internal sealed class TopHits(int capacity, int[] prior)
{
    readonly int[] _index = new int[Math.Max(1, capacity)];
    readonly float[] _score = new float[Math.Max(1, capacity)];
    int _count;

    public int Count => _count;
    public int Index(int rank) => _index[rank];

    /// <summary>Offers every positive score. Only scores reaching the worst kept one are looked at further, so the branch
    /// is predictable once the list is full (a plain "> 0" test mispredicted on half of a genre query's movies).</summary>
    public void OfferAll(ReadOnlySpan<float> scores)
    {
        var threshold = float.Epsilon;
        for (var m = 0; m < scores.Length; m++)
            if (scores[m] >= threshold)
            {
                Offer(m, scores[m]);
                if (_count == _index.Length)
                    threshold = _score[_count - 1];
            }
    }
    public float Score(int rank) => _score[rank];

    bool Better(int i, float s, int j, float t) =>
        s > t || (s == t && (prior[i] > prior[j] || (prior[i] == prior[j] && i < j)));

    public void Offer(int index, float score)
    {
        if (float.IsNaN(score))
            return;
        var full = _count == _index.Length;
        if (full && !Better(index, score, _index[_count - 1], _score[_count - 1]))
            return;
        var at = full ? _count - 1 : _count++;
        while (at > 0 && Better(index, score, _index[at - 1], _score[at - 1]))
        {
            _index[at] = _index[at - 1];
            _score[at] = _score[at - 1];
            at--;
        }
        _index[at] = index;
        _score[at] = score;
    }
}
