using System.Runtime.CompilerServices;
using MovieRecs.Core.Catalog;

namespace MovieRecs.Core.Discovery;

/// <summary>
/// The catalog's movies pre-sorted for the discovery lists: by popularity overall and per genre, and per genre in
/// chart order, so a request only walks from the top of a list instead of ranking the catalog.
/// </summary>
/// <remarks>
/// Once the orders are older than their max age (default 1 s), the next caller queues a refresh on the thread pool
/// and carries on with them: no request waits for a rebuild except the very first. The refresh re-reads the stats
/// (a read and compare per movie) and sorts again only when some changed. So lists may lag the latest ratings by a
/// second or two; exclusions (what a user has watched) are applied per request and never lag.
/// </remarks>
internal sealed class CatalogRankings
{
    public static readonly TimeSpan DefaultMaxAge = TimeSpan.FromSeconds(1);

    // One per catalog instance: an import replaces the catalog as a whole, and its rankings go with it.
    static readonly ConditionalWeakTable<MovieCatalog, CatalogRankings> s_byCatalog = new();

    readonly MovieCatalog _catalog;
    readonly long _maxAgeMs;
    readonly bool _refreshInBackground;
    readonly CatalogShape _shape;
    readonly object _firstBuild = new();
    volatile RankingSnapshot? _snapshot;
    int _refreshing;

    public static CatalogRankings For(MovieCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return s_byCatalog.GetValue(catalog, c => new CatalogRankings(c, DefaultMaxAge));
    }

    /// <param name="refreshInBackground">False refreshes stale orders within the call (deterministic, for tests).</param>
    public CatalogRankings(MovieCatalog catalog, TimeSpan maxAge, bool refreshInBackground = true)
    {
        _catalog = catalog;
        _maxAgeMs = (long)maxAge.TotalMilliseconds;
        _refreshInBackground = refreshInBackground;
        _shape = new CatalogShape(catalog);
    }

    /// <summary>The catalog's movie and genre ids (fixed for the catalog's life).</summary>
    public CatalogShape Shape => _shape;

    /// <summary>The current orders (see the remarks for how fresh).</summary>
    public RankingSnapshot Current
    {
        get
        {
            var s = _snapshot;
            if (s is null)
            {
                lock (_firstBuild)
                    return _snapshot ??= RankingSnapshot.Build(_catalog, _shape, null, Environment.TickCount64);
            }
            if (Environment.TickCount64 - s.CheckedAtMs < _maxAgeMs || Interlocked.CompareExchange(ref _refreshing, 1, 0) != 0)
                return s;
            if (!_refreshInBackground)
            {
                Refresh();
                return _snapshot!;
            }
            ThreadPool.UnsafeQueueUserWorkItem(static self => self.Refresh(), this, preferLocal: false);
            return s;
        }
    }

    void Refresh()
    {
        try
        {
            _snapshot = RankingSnapshot.Build(_catalog, _shape, _snapshot, Environment.TickCount64);
        }
        finally
        {
            Volatile.Write(ref _refreshing, 0);
        }
    }
}

/// <summary>The parts of a catalog that never change: movie index by id, genre ids.</summary>
internal sealed class CatalogShape
{
    public readonly IReadOnlyList<Movie> Movies;
    /// <summary>Movie id by catalog index (ascending).</summary>
    public readonly int[] MovieIds;
    public readonly Dictionary<int, int> IndexById;
    /// <summary>Genre names as <see cref="MovieCatalog.Genres"/> lists them (sorted by name); a genre id is a position here.</summary>
    public readonly string[] GenreNames;
    public readonly int[][] MovieGenres;
    public readonly int[] GenreSizes;

    public CatalogShape(MovieCatalog catalog)
    {
        Movies = catalog.Movies;
        GenreNames = [.. catalog.Genres.Select(g => g.Name)];
        var genreIds = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var g = 0; g < GenreNames.Length; g++)
            genreIds[GenreNames[g]] = g;
        MovieIds = new int[Movies.Count];
        IndexById = new Dictionary<int, int>(Movies.Count);
        MovieGenres = new int[Movies.Count][];
        GenreSizes = new int[GenreNames.Length];
        var ids = new List<int>(4);
        for (var i = 0; i < Movies.Count; i++)
        {
            MovieIds[i] = Movies[i].Id;
            IndexById[Movies[i].Id] = i;
            ids.Clear();
            foreach (var name in Movies[i].Genres)
                if (!string.IsNullOrWhiteSpace(name) && genreIds.TryGetValue(name.Trim(), out var g) && !ids.Contains(g))
                {
                    ids.Add(g);
                    GenreSizes[g]++;
                }
            MovieGenres[i] = [.. ids];
        }
    }

    public int GenreId(string canonicalName) => Array.FindIndex(GenreNames, n => n.Equals(canonicalName, StringComparison.OrdinalIgnoreCase));
}

/// <summary>Orders computed from one read of the stats. Immutable; movies are referred to by catalog index (id order).</summary>
internal sealed class RankingSnapshot
{
    public readonly CatalogShape Shape;
    /// <summary>When the stats were last read (Environment.TickCount64): at the build, or at a later check that found no change.</summary>
    public readonly long CheckedAtMs;
    public readonly MovieStats[] Stats;
    public readonly double[] Popularity;
    /// <summary>Every movie, most popular first (ties: more watches, more ratings, lower id — as <see cref="MovieCatalog.Popular"/>).</summary>
    public readonly int[] PopularOrder;
    /// <summary>Position of each movie in <see cref="PopularOrder"/>: a total order usable to re-sort any subset.</summary>
    public readonly int[] PopularRank;
    public readonly int[][] GenrePopularOrder;
    /// <summary>Rated movies of each genre in chart order (see <see cref="GenreCharts"/>).</summary>
    public readonly int[][] GenreChartOrder;
    public readonly double[] ChartScore;
    public readonly double GlobalMean;

    RankingSnapshot(CatalogShape shape, long checkedAtMs, MovieStats[] stats, double globalMean)
    {
        Shape = shape;
        CheckedAtMs = checkedAtMs;
        Stats = stats;
        GlobalMean = globalMean;
        var n = stats.Length;
        Popularity = new double[n];
        ChartScore = new double[n];
        var rated = 0;
        for (var i = 0; i < n; i++)
        {
            var s = stats[i];
            Popularity[i] = MovieCatalog.PopularityScore(s);
            ChartScore[i] = GenreCharts.WeightedRating(s, globalMean);
            if (s.Count > 0)
                rated++;
        }

        // One sort of the catalog per rebuild; per-genre orders fall out of distributing it in order.
        var popularKeys = new PopularityKey[n];
        for (var i = 0; i < n; i++)
            popularKeys[i] = new PopularityKey(Popularity[i], stats[i].WatchCount, stats[i].Count, i);
        Array.Sort(popularKeys);
        PopularOrder = new int[n];
        for (var r = 0; r < n; r++)
            PopularOrder[r] = popularKeys[r].Index;
        PopularRank = new int[n];
        for (var r = 0; r < n; r++)
            PopularRank[PopularOrder[r]] = r;
        GenrePopularOrder = Distribute(PopularOrder, shape, shape.GenreSizes);

        var chartKeys = new ChartKey[rated];
        var k = 0;
        for (var i = 0; i < n; i++)
            if (stats[i].Count > 0)
                chartKeys[k++] = new ChartKey(stats[i].Count >= GenreCharts.MinRatings, ChartScore[i], stats[i].Count, i);
        Array.Sort(chartKeys);
        var chart = new int[rated];
        for (var c = 0; c < rated; c++)
            chart[c] = chartKeys[c].Index;
        var ratedPerGenre = new int[shape.GenreNames.Length];
        foreach (var i in chart)
            foreach (var g in shape.MovieGenres[i])
                ratedPerGenre[g]++;
        GenreChartOrder = Distribute(chart, shape, ratedPerGenre);
    }

    /// <summary>Orders from the current stats; when none changed since <paramref name="previous"/>, its orders re-dated.</summary>
    public static RankingSnapshot Build(MovieCatalog catalog, CatalogShape shape, RankingSnapshot? previous, long nowMs)
    {
        var stats = new MovieStats[shape.MovieIds.Length];
        var changed = previous is null;
        for (var i = 0; i < stats.Length; i++)
        {
            stats[i] = catalog.GetStats(shape.MovieIds[i]);
            changed = changed || !stats[i].Equals(previous!.Stats[i]);   // by value: a periodic reload may swap in equal copies
        }
        var mean = catalog.GlobalAverageRating ?? 0;
        return changed || mean != previous!.GlobalMean
            ? new RankingSnapshot(shape, nowMs, stats, mean)
            : new RankingSnapshot(previous, nowMs);
    }

    RankingSnapshot(RankingSnapshot same, long checkedAtMs)
    {
        Shape = same.Shape;
        CheckedAtMs = checkedAtMs;
        Stats = same.Stats;
        Popularity = same.Popularity;
        PopularOrder = same.PopularOrder;
        PopularRank = same.PopularRank;
        GenrePopularOrder = same.GenrePopularOrder;
        GenreChartOrder = same.GenreChartOrder;
        ChartScore = same.ChartScore;
        GlobalMean = same.GlobalMean;
    }

    static int[][] Distribute(int[] order, CatalogShape shape, int[] sizes)
    {
        var lists = new int[sizes.Length][];
        var fill = new int[sizes.Length];
        for (var g = 0; g < sizes.Length; g++)
            lists[g] = new int[sizes[g]];
        foreach (var i in order)
            foreach (var g in shape.MovieGenres[i])
                lists[g][fill[g]++] = i;
        return lists;
    }

    // Sort keys as IComparable structs: Array.Sort specialises on them (no delegate or interface call per comparison).

    /// <summary>Better first: more popular, more watches, more ratings, lower index (= lower id).</summary>
    readonly record struct PopularityKey(double Popularity, int Watches, int Ratings, int Index) : IComparable<PopularityKey>
    {
        public int CompareTo(PopularityKey o)
        {
            var c = o.Popularity.CompareTo(Popularity);
            if (c != 0) return c;
            c = o.Watches.CompareTo(Watches);
            if (c != 0) return c;
            c = o.Ratings.CompareTo(Ratings);
            return c != 0 ? c : Index.CompareTo(o.Index);
        }
    }

    /// <summary>Better first: enough ratings (the rest only fill charts a small catalog cannot fill otherwise), higher
    /// weighted rating, more ratings, lower index.</summary>
    readonly record struct ChartKey(bool Qualifies, double Score, int Ratings, int Index) : IComparable<ChartKey>
    {
        public int CompareTo(ChartKey o)
        {
            var c = o.Qualifies.CompareTo(Qualifies);
            if (c != 0) return c;
            c = o.Score.CompareTo(Score);
            if (c != 0) return c;
            c = o.Ratings.CompareTo(Ratings);
            return c != 0 ? c : Index.CompareTo(o.Index);
        }
    }

    public int MovieId(int index) => Shape.MovieIds[index];

    public bool TryGetIndex(int movieId, out int index) => Shape.IndexById.TryGetValue(movieId, out index);
}
