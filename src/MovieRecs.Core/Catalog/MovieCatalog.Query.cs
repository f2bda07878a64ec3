namespace MovieRecs.Core.Catalog;

public sealed partial class MovieCatalog
{
    /// <summary>Search text beyond this many characters is ignored.</summary>
    public const int MaxSearchChars = 512;

    /// <summary>Distinct search words beyond this many are ignored.</summary>
    public const int MaxSearchWords = 32;

    /// <summary>Words longer than this get no typo tolerance (no real word is this long).</summary>
    const int MaxTypoWordLength = 32;

    const byte FlagGenre = 1, FlagExact = 2, FlagExcluded = 0x80;
    const byte ExactWord = 3, PrefixWord = 2, TypoWord = 1;

    static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> s_articles =
        MovieTitle.LeadingArticles.GetAlternateLookup<ReadOnlySpan<char>>();

    readonly Scratch?[] _pool;

    /// <summary>
    /// Lists or searches the catalog: filters by <see cref="MovieQuery.Search"/> and <see cref="MovieQuery.Genre"/>,
    /// orders by <see cref="MovieQuery.Sort"/>, and returns one page with the exact total. A page past the end is
    /// empty with the true total; an unknown genre gives an empty result.
    /// </summary>
    public MoviePage Query(MovieQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var genreId = -1;
        if (!string.IsNullOrWhiteSpace(query.Genre))
        {
            genreId = GenreId(query.Genre.Trim());
            if (genreId < 0)
                return new MoviePage([], 0);
        }
        var skip = Math.Max(0, query.Skip);
        var take = Math.Max(0, query.Take);

        var s = Rent();
        try
        {
            var search = query.Search.AsSpan();
            if (search.Length > MaxSearchChars)
                search = search[..MaxSearchChars];
            var tokenCount = search.IsEmpty ? 0 : TextNormalizer.Tokenize(search, s.Chars, s.Tokens, TextNormalizer.ApostropheMode.Join);
            var searching = tokenCount > 0;
            var sort = query.Sort ?? (searching ? MovieSort.Relevance : MovieSort.Id);
            if (sort == MovieSort.Relevance && !searching)
                sort = MovieSort.Id;
            var natural = query.Direction is null || query.Direction == NaturalDirection(sort);

            int count;
            if (searching)
            {
                count = Search(s, tokenCount, genreId);
            }
            else
            {
                var all = genreId < 0 ? null : _index.GenrePostings[genreId];
                count = all?.Length ?? _movies.Length;
                if (sort == MovieSort.Id && natural)
                    return Slice(all, count, skip, take); // already in id order
                if (all is null)
                    for (var i = 0; i < count; i++)
                        s.Cand[i] = i;
                else
                    all.CopyTo(s.Cand, 0);
            }

            var k = (int)Math.Min(count, (long)skip + take);
            if (skip >= k)
                return new MoviePage([], count);
            FillEntries(s, count, sort, natural);
            SelectTop(s.Entries.AsSpan(0, count), k);
            var items = new Movie[k - skip];
            for (var i = skip; i < k; i++)
                items[i - skip] = _movies[s.Entries[i].Index];
            return new MoviePage(items, count);
        }
        finally
        {
            Return(s);
        }
    }

    static SortDirection NaturalDirection(MovieSort sort) =>
        sort is MovieSort.Relevance or MovieSort.Popularity or MovieSort.Rating ? SortDirection.Descending : SortDirection.Ascending;

    MoviePage Slice(int[]? indexes, int count, int skip, int take)
    {
        if (skip >= count)
            return new MoviePage([], count);
        var n = (int)Math.Min(take, (long)count - skip);
        var items = new Movie[n];
        for (var i = 0; i < n; i++)
            items[i] = _movies[indexes is null ? skip + i : indexes[skip + i]];
        return new MoviePage(items, count);
    }

    void FillEntries(Scratch s, int count, MovieSort sort, bool natural)
    {
        var entries = s.Entries;
        var globalMean = sort == MovieSort.Rating ? GlobalAverageRating ?? 0 : 0;
        for (var i = 0; i < count; i++)
        {
            var m = s.Cand[i];
            long primary, secondary = 0;
            var isNull = false;
            switch (sort)
            {
                case MovieSort.Relevance:
                    var f = s.Flags[i];
                    var tier = (f & FlagExact) != 0 ? 0 : (f & FlagGenre) != 0 ? 2 : 1;
                    primary = tier * 1_000_000L - s.Score[i];
                    secondary = -Volatile.Read(ref _stats[m]).Count;
                    break;
                case MovieSort.Title:
                    primary = _index.TitleRank[m];
                    break;
                case MovieSort.Year:
                    isNull = _index.MovieYear[m] == 0;
                    primary = _index.MovieYear[m];
                    secondary = _index.TitleRank[m];
                    break;
                case MovieSort.Popularity:
                    primary = -Volatile.Read(ref _stats[m]).Count;
                    break;
                case MovieSort.Rating:
                    var st = Volatile.Read(ref _stats[m]);
                    isNull = st.Count == 0;
                    primary = isNull ? 0 : -(long)Math.Round(Bayesian(st, globalMean) * 1e9);
                    secondary = -st.Count;
                    break;
                default:
                    primary = m;
                    break;
            }
            if (isNull)
                primary = long.MaxValue;
            else if (!natural)
                primary = -primary;
            entries[i] = new SortEntry(primary, secondary, m);
        }
    }

    /// <summary>Searches; leaves the matches in s.Cand/Score/Flags and returns their number.</summary>
    int Search(Scratch s, int tokenCount, int genreFilter)
    {
        var chars = s.Chars;
        var words = s.Words;

        // distinct words, in query order
        var wc = 0;
        for (var t = 0; t < tokenCount && wc < MaxSearchWords; t++)
        {
            var tok = s.Tokens[t];
            var span = chars.AsSpan(tok.Start, tok.Length);
            var dup = false;
            for (var j = 0; j < wc && !dup; j++)
                dup = span.SequenceEqual(chars.AsSpan(words[j].Start, words[j].Length));
            if (!dup)
                words[wc++] = new WordInfo { Start = tok.Start, Length = tok.Length };
        }
        var leadingArticle = wc > 1 && s_articles.Contains(chars.AsSpan(words[0].Start, words[0].Length));
        if (leadingArticle)
            words[0].Optional = true;

        s.TypoCount = 0;
        s.GenreMatchCount = 0;
        for (var w = 0; w < wc; w++)
        {
            Match(s, ref words[w]);
            if (words[w].Cost == 0 && !words[w].Optional)
                return 0; // a word nothing matches: no results
        }

        // the cheapest required word first; the optional article last
        var order = s.Order;
        for (var i = 0; i < wc; i++)
        {
            var j = i;
            while (j > 0 && Before(words[i], words[order[j - 1]]))
            {
                order[j] = order[j - 1];
                j--;
            }
            order[j] = i;
        }

        var n = FirstWord(s, ref words[order[0]], genreFilter);
        for (var oi = 1; oi < wc && n > 0; oi++)
            n = NextWord(s, ref words[order[oi]], n);
        if (n > 0)
            MarkExact(s, tokenCount, leadingArticle, n);
        return n;

        static bool Before(in WordInfo a, in WordInfo b) =>
            a.Optional != b.Optional ? !a.Optional : a.Cost < b.Cost;
    }

    /// <summary>Finds what a query word matches: exact term, prefix range, typo terms, year, genres; and its cost.</summary>
    void Match(Scratch s, ref WordInfo info)
    {
        var w = s.Chars.AsSpan(info.Start, info.Length);
        var terms = _index.Terms;
        var lo = LowerBound(terms, w);
        var hi = PrefixEnd(terms, w, lo);
        info.Lo = lo;
        info.Hi = hi;
        info.Exact = lo < hi && terms[lo].Length == w.Length ? lo : -1;
        long cost = _index.PostingPrefix[hi] - _index.PostingPrefix[lo];

        info.Year = 0;
        if (w.Length == 4 && char.IsAsciiDigit(w[0]) && char.IsAsciiDigit(w[1]) && char.IsAsciiDigit(w[2]) && char.IsAsciiDigit(w[3]))
        {
            var y = (w[0] - '0') * 1000 + (w[1] - '0') * 100 + (w[2] - '0') * 10 + (w[3] - '0');
            if (_index.YearPostings.TryGetValue(y, out var yp))
            {
                info.Year = y;
                cost += yp.Length;
            }
        }

        // genres
        info.GenreStart = s.GenreMatchCount;
        var genreExact = false;
        var typos = w.Length >= 5 && w.Length <= MaxTypoWordLength && info.Exact < 0;
        var genreTokens = _index.GenreTokens;
        for (var g = 0; g < genreTokens.Length; g++)
        {
            var token = genreTokens[g].AsSpan();
            byte q = 0;
            if (token.StartsWith(w))
            {
                q = token.Length == w.Length ? ExactWord : PrefixWord;
                genreExact |= q == ExactWord;
            }
            else if (typos && (Typo.WithinOneEdit(w, token) || Typo.WithinOneEditOfPrefix(w, token)))
                q = TypoWord;
            if (q == 0)
                continue;
            foreach (var gid in _index.GenreTokenGenres[g])
                AddGenreMatch(s, info.GenreStart, gid, q);
        }
        info.GenreCount = s.GenreMatchCount - info.GenreStart;
        for (var i = info.GenreStart; i < s.GenreMatchCount; i++)
            cost += _index.GenrePostings[s.GenreMatches[i].Genre].Length;

        // typos in titles
        info.TypoStart = s.TypoCount;
        if (typos && !genreExact)
        {
            var stamp = s.NextTermStamp();
            Span<char> buf = stackalloc char[w.Length];
            ProbeDeletes(s, w, w, lo, hi, stamp);
            for (var i = 0; i < w.Length; i++)
            {
                if (i > 0 && w[i] == w[i - 1])
                    continue;
                w[..i].CopyTo(buf);
                w[(i + 1)..].CopyTo(buf[i..]);
                ProbeDeletes(s, w, buf[..^1], lo, hi, stamp);
            }
            // a typo in a word still being typed: scan the words with the same first letter
            var flo = LowerBound(terms, w[..1]);
            var fhi = PrefixEnd(terms, w[..1], flo);
            for (var t = flo; t < fhi; t++)
            {
                if ((t >= lo && t < hi) || s.TermStamp[t] == stamp || terms[t].Length < w.Length - 1)
                    continue;
                if (Typo.WithinOneEditOfPrefix(w, terms[t]))
                {
                    s.TermStamp[t] = stamp;
                    AddTypo(s, t);
                }
            }
        }
        info.TypoCount = s.TypoCount - info.TypoStart;
        for (var i = info.TypoStart; i < s.TypoCount; i++)
            cost += _index.Postings[s.TypoTerms[i]].Length;
        info.Cost = cost;
    }

    void ProbeDeletes(Scratch s, ReadOnlySpan<char> word, ReadOnlySpan<char> key, int lo, int hi, int stamp)
    {
        if (!_index.DeletesLookup.TryGetValue(key, out var ids))
            return;
        foreach (var t in ids)
        {
            if ((t >= lo && t < hi) || s.TermStamp[t] == stamp)
                continue;
            if (Typo.WithinOneEdit(word, _index.Terms[t]))
            {
                s.TermStamp[t] = stamp;
                AddTypo(s, t);
            }
        }
    }

    static void AddTypo(Scratch s, int term)
    {
        if (s.TypoCount == s.TypoTerms.Length)
            Array.Resize(ref s.TypoTerms, s.TypoTerms.Length * 2);
        s.TypoTerms[s.TypoCount++] = term;
    }

    static void AddGenreMatch(Scratch s, int start, int genre, byte quality)
    {
        for (var i = start; i < s.GenreMatchCount; i++)
        {
            if (s.GenreMatches[i].Genre == genre)
            {
                if (quality > s.GenreMatches[i].Quality)
                    s.GenreMatches[i].Quality = quality;
                return;
            }
        }
        if (s.GenreMatchCount == s.GenreMatches.Length)
            Array.Resize(ref s.GenreMatches, s.GenreMatches.Length * 2);
        s.GenreMatches[s.GenreMatchCount++] = new GenreMatch { Genre = genre, Quality = quality };
    }

    /// <summary>The candidates: every movie the first (most selective) word matches.</summary>
    int FirstWord(Scratch s, ref WordInfo w, int genreFilter)
    {
        var stamp = s.NextMovieStamp();
        var n = 0;
        if (w.Exact >= 0)
            AddPostings(s, _index.Postings[w.Exact], ExactWord, 0, stamp, genreFilter, ref n);
        for (var t = w.Lo; t < w.Hi; t++)
            if (t != w.Exact)
                AddPostings(s, _index.Postings[t], PrefixWord, 0, stamp, genreFilter, ref n);
        for (var i = 0; i < w.TypoCount; i++)
            AddPostings(s, _index.Postings[s.TypoTerms[w.TypoStart + i]], TypoWord, 0, stamp, genreFilter, ref n);
        if (w.Year != 0)
            AddPostings(s, _index.YearPostings[w.Year], ExactWord, 0, stamp, genreFilter, ref n);
        for (var i = 0; i < w.GenreCount; i++)
        {
            var gm = s.GenreMatches[w.GenreStart + i];
            AddPostings(s, _index.GenrePostings[gm.Genre], gm.Quality, FlagGenre, stamp, genreFilter, ref n);
        }
        for (var i = 0; i < n; i++)
        {
            var m = s.Cand[i];
            s.Score[i] = s.MovieQual[m];
            s.Flags[i] = s.MovieFlag[m];
        }
        return n;
    }

    void AddPostings(Scratch s, int[] postings, byte quality, byte flag, int stamp, int genreFilter, ref int n)
    {
        var movieStamp = s.MovieStamp;
        var qual = s.MovieQual;
        var flags = s.MovieFlag;
        foreach (var m in postings)
        {
            if (movieStamp[m] != stamp)
            {
                movieStamp[m] = stamp;
                if (genreFilter >= 0 && Array.IndexOf(_index.MovieGenres[m], genreFilter) < 0)
                {
                    flags[m] = FlagExcluded;
                    continue;
                }
                qual[m] = quality;
                flags[m] = flag;
                s.Cand[n++] = m;
            }
            else if (flags[m] == flag && quality > qual[m])
            {
                qual[m] = quality; // same kind of match (title or genre), better quality
            }
        }
    }

    /// <summary>Keeps the candidates a further word also matches, adding its points.</summary>
    int NextWord(Scratch s, ref WordInfo w, int n)
    {
        var termStamp = s.TermStamp;
        var ts = s.NextTermStamp();
        for (var i = 0; i < w.TypoCount; i++)
            termStamp[s.TypoTerms[w.TypoStart + i]] = ts;
        var genreQual = s.GenreQual;
        Array.Clear(genreQual);
        for (var i = 0; i < w.GenreCount; i++)
        {
            var gm = s.GenreMatches[w.GenreStart + i];
            genreQual[gm.Genre] = gm.Quality;
        }
        int exact = w.Exact, lo = w.Lo, hi = w.Hi, year = w.Year;
        var kept = 0;
        for (var i = 0; i < n; i++)
        {
            var m = s.Cand[i];
            var best = 0;
            foreach (var t in _index.MovieTerms[m])
            {
                var q = t == exact ? ExactWord : (t >= lo && t < hi) ? PrefixWord : termStamp[t] == ts ? TypoWord : 0;
                if (q > best)
                {
                    best = q;
                    if (q == ExactWord)
                        break;
                }
            }
            if (best < ExactWord && year != 0 && _index.MovieYear[m] == year)
                best = ExactWord;
            var flags = s.Flags[i];
            if (best == 0)
            {
                foreach (var g in _index.MovieGenres[m])
                    if (genreQual[g] > best)
                        best = genreQual[g];
                if (best > 0)
                    flags |= FlagGenre;
                else if (!w.Optional)
                    continue;
            }
            s.Cand[kept] = m;
            s.Score[kept] = s.Score[i] + best;
            s.Flags[kept] = flags;
            kept++;
        }
        return kept;
    }

    /// <summary>Flags the candidates whose title equals the query (also without a leading article).</summary>
    void MarkExact(Scratch s, int tokenCount, bool leadingArticle, int n)
    {
        var chars = s.Chars;
        var keyStart = MaxSearchChars * 2;
        var pos = keyStart;
        var afterFirst = -1;
        for (var t = 0; t < tokenCount; t++)
        {
            if (t > 0)
                chars[pos++] = ' ';
            if (t == 1)
                afterFirst = pos;
            var tok = s.Tokens[t];
            chars.AsSpan(tok.Start, tok.Length).CopyTo(chars.AsSpan(pos));
            pos += tok.Length;
        }
        var stamp = s.NextMovieStamp();
        var any = false;
        if (_index.ExactLookup.TryGetValue(chars.AsSpan(keyStart, pos - keyStart), out var ids))
        {
            any = true;
            foreach (var m in ids)
                s.MovieStamp[m] = stamp;
        }
        if (leadingArticle && afterFirst > 0 && _index.ExactLookup.TryGetValue(chars.AsSpan(afterFirst, pos - afterFirst), out ids))
        {
            any = true;
            foreach (var m in ids)
                s.MovieStamp[m] = stamp;
        }
        if (!any)
            return;
        for (var i = 0; i < n; i++)
            if (s.MovieStamp[s.Cand[i]] == stamp)
                s.Flags[i] |= FlagExact;
    }

    /// <summary>First index whose term is ≥ <paramref name="key"/>.</summary>
    static int LowerBound(string[] terms, ReadOnlySpan<char> key)
    {
        int lo = 0, hi = terms.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (terms[mid].AsSpan().SequenceCompareTo(key) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo;
    }

    /// <summary>First index from <paramref name="from"/> whose term does not start with <paramref name="prefix"/>.</summary>
    static int PrefixEnd(string[] terms, ReadOnlySpan<char> prefix, int from)
    {
        int lo = from, hi = terms.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (terms[mid].AsSpan().StartsWith(prefix))
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo;
    }

    /// <summary>Leaves the <paramref name="k"/> smallest entries, sorted, at the start of <paramref name="entries"/>.</summary>
    internal static void SelectTop(Span<SortEntry> entries, int k)
    {
        if (k <= 0)
            return;
        var cmp = new EntryComparer();
        if (k >= entries.Length / 4 || entries.Length <= 64)
        {
            entries.Sort(cmp);
            return;
        }
        var heap = entries[..k]; // max-heap of the k smallest seen so far
        for (var i = k / 2 - 1; i >= 0; i--)
            SiftDown(heap, i);
        for (var i = k; i < entries.Length; i++)
        {
            if (EntryComparer.Less(entries[i], heap[0]))
            {
                heap[0] = entries[i];
                SiftDown(heap, 0);
            }
        }
        heap.Sort(cmp);

        static void SiftDown(Span<SortEntry> heap, int i)
        {
            var n = heap.Length;
            while (true)
            {
                var largest = i;
                int l = 2 * i + 1, r = l + 1;
                if (l < n && EntryComparer.Less(heap[largest], heap[l]))
                    largest = l;
                if (r < n && EntryComparer.Less(heap[largest], heap[r]))
                    largest = r;
                if (largest == i)
                    return;
                (heap[i], heap[largest]) = (heap[largest], heap[i]);
                i = largest;
            }
        }
    }

    Scratch Rent()
    {
        var pool = _pool;
        for (var i = 0; i < pool.Length; i++)
        {
            var s = Interlocked.Exchange(ref pool[i], null);
            if (s is not null)
                return s;
        }
        return new Scratch(_movies.Length, _index.Terms.Length, _index.GenreNames.Length);
    }

    void Return(Scratch s)
    {
        var pool = _pool;
        for (var i = 0; i < pool.Length; i++)
            if (Interlocked.CompareExchange(ref pool[i], s, null) is null)
                return;
    }

    internal readonly record struct SortEntry(long Primary, long Secondary, int Index);

    readonly struct EntryComparer : IComparer<SortEntry>
    {
        public int Compare(SortEntry a, SortEntry b) =>
            a.Primary != b.Primary ? a.Primary.CompareTo(b.Primary)
            : a.Secondary != b.Secondary ? a.Secondary.CompareTo(b.Secondary)
            : a.Index.CompareTo(b.Index);

        public static bool Less(in SortEntry a, in SortEntry b) =>
            a.Primary != b.Primary ? a.Primary < b.Primary
            : a.Secondary != b.Secondary ? a.Secondary < b.Secondary
            : a.Index < b.Index;
    }

    struct WordInfo
    {
        public int Start, Length;
        public int Exact, Lo, Hi, Year;
        public int TypoStart, TypoCount, GenreStart, GenreCount;
        public long Cost;
        public bool Optional;
    }

    struct GenreMatch
    {
        public int Genre;
        public byte Quality;
    }

    /// <summary>Per-query working memory, pooled per catalog so a search allocates only its result page.</summary>
    sealed class Scratch(int movies, int terms, int genres)
    {
        public readonly int[] MovieStamp = new int[movies];
        public readonly byte[] MovieQual = new byte[movies];
        public readonly byte[] MovieFlag = new byte[movies];
        public readonly int[] TermStamp = new int[terms];
        public readonly int[] Cand = new int[movies];
        public readonly int[] Score = new int[movies];
        public readonly byte[] Flags = new byte[movies];
        public readonly SortEntry[] Entries = new SortEntry[movies];
        public readonly byte[] GenreQual = new byte[genres];
        public readonly char[] Chars = new char[MaxSearchChars * 4];
        public readonly TextNormalizer.Token[] Tokens = new TextNormalizer.Token[MaxSearchChars];
        public readonly WordInfo[] Words = new WordInfo[MaxSearchWords];
        public readonly int[] Order = new int[MaxSearchWords];
        public int[] TypoTerms = new int[64];
        public int TypoCount;
        public GenreMatch[] GenreMatches = new GenreMatch[32];
        public int GenreMatchCount;
        int _movieStamp, _termStamp;

        public int NextMovieStamp()
        {
            if (++_movieStamp == int.MaxValue)
            {
                Array.Clear(MovieStamp);
                _movieStamp = 1;
            }
            return _movieStamp;
        }

        public int NextTermStamp()
        {
            if (++_termStamp == int.MaxValue)
            {
                Array.Clear(TermStamp);
                _termStamp = 1;
            }
            return _termStamp;
        }
    }
}
