using System.Collections.Frozen;
using System.Collections.ObjectModel;
using System.Diagnostics.CodeAnalysis;

namespace MovieRecs.Core.Catalog;

/// <summary>
/// The in-memory movie catalog: immutable movie data, search and listing, plus per-movie stats that are
/// swapped in place as ratings arrive. Safe for any number of concurrent readers alongside
/// <see cref="SetStats"/> callers.
/// </summary>
/// <remarks>
/// <para><b>Search</b> (<see cref="MovieQuery.Search"/>): the text is folded (case, accents, apostrophes removed,
/// other punctuation splits words). Each query word must match a word of the title (alternate titles included)
/// or, failing that, a genre name; a leading article ("the", "a", "les"...) in a query of several words is
/// optional. A query word matches a title word when it is
/// <list type="bullet">
/// <item>the same word: 3 points;</item>
/// <item>a prefix of it ("wa" → "wars"): 2 points;</item>
/// <item>one typo away (insertion, deletion, substitution or swap of adjacent letters), or one typo away from a
/// prefix of it (first letter right: "godfahe" → "godfather"): 1 point. Typos are forgiven only for words of
/// five or more letters that are not themselves a word of any title or genre;</item>
/// <item>a four-digit query word also matches the release year exactly (3 points).</item>
/// </list>
/// Results come in three tiers: (1) exact titles (the query equals the title without its year and with a
/// moved article put back or dropped: "toy story", "the matrix" and "matrix" for "Matrix, The (1999)"),
/// (2) every word matched in the title, (3) some word matched only a genre ("comedy" lists comedies after
/// titles containing "comedy"). Within a tier: more points first, then more ratings, then lower id.</para>
/// <para>Long queries are cut at 512 characters and 32 distinct words; empty or punctuation-only text is no filter.</para>
/// </remarks>
public sealed partial class MovieCatalog
{
    readonly Movie[] _movies;
    readonly ReadOnlyCollection<Movie> _moviesView;
    readonly FrozenDictionary<int, int> _indexById;
    readonly MovieStats[] _stats;
    readonly CatalogIndex _index;
    readonly ReadOnlyCollection<GenreInfo> _genres;
    readonly FrozenDictionary<string, int> _genreIdByName;
    long _totalRatings;
    long _totalHalves;

    /// <summary>Builds the catalog. Movies may come in any order; ids must be distinct.</summary>
    /// <param name="movies">The movies.</param>
    /// <param name="stats">Initial stats by movie id (ids not in the catalog are ignored); others start empty.</param>
    public MovieCatalog(IEnumerable<Movie> movies, IReadOnlyDictionary<int, MovieStats>? stats = null)
    {
        ArgumentNullException.ThrowIfNull(movies);
        var list = new List<Movie>();
        foreach (var m in movies)
        {
            ArgumentNullException.ThrowIfNull(m, nameof(movies));
            list.Add(m);
        }
        _movies = [.. list];
        Array.Sort(_movies, (a, b) => a.Id.CompareTo(b.Id));
        for (var i = 1; i < _movies.Length; i++)
            if (_movies[i].Id == _movies[i - 1].Id)
                throw new ArgumentException($"Duplicate movie id {_movies[i].Id}.", nameof(movies));
        _moviesView = Array.AsReadOnly(_movies);
        var byId = new Dictionary<int, int>(_movies.Length);
        for (var i = 0; i < _movies.Length; i++)
            byId[_movies[i].Id] = i;
        _indexById = byId.ToFrozenDictionary();

        _stats = new MovieStats[_movies.Length];
        Array.Fill(_stats, MovieStats.Empty);
        if (stats is not null)
            foreach (var (id, s) in stats)
                if (s is not null && byId.TryGetValue(id, out var i))
                {
                    _stats[i] = s;
                    _totalRatings += s.Count;
                    _totalHalves += s.SumHalves;
                }

        _index = new CatalogIndex(_movies);
        var genres = new GenreInfo[_index.GenreNames.Length];
        var genreIds = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var g = 0; g < genres.Length; g++)
        {
            genres[g] = new GenreInfo(_index.GenreNames[g], _index.GenrePostings[g].Length);
            genreIds[_index.GenreNames[g]] = g;
        }
        _genres = Array.AsReadOnly(genres);
        _genreIdByName = genreIds.ToFrozenDictionary(StringComparer.Ordinal);
        _pool = new Scratch?[Math.Max(4, Environment.ProcessorCount * 2)];
    }

    /// <summary>
    /// Weight of the prior in the Bayesian average used by <see cref="MovieSort.Rating"/>:
    /// (weight × global mean + sum) / (weight + count). Default 10 ratings.
    /// </summary>
    public double BayesianPriorWeight { get; init; } = 10;

    /// <summary>Number of movies.</summary>
    public int Count => _movies.Length;

    /// <summary>All movies, ordered by id.</summary>
    public IReadOnlyList<Movie> Movies => _moviesView;

    /// <summary>The genres present, with their movie counts, sorted by name.</summary>
    public IReadOnlyList<GenreInfo> Genres => _genres;

    /// <summary>The movie with this id, or null.</summary>
    public Movie? Find(int id) => _indexById.TryGetValue(id, out var i) ? _movies[i] : null;

    /// <summary>True when the catalog has a movie with this id.</summary>
    public bool Contains(int id) => _indexById.ContainsKey(id);

    /// <summary>The movie's current stats; <see cref="MovieStats.Empty"/> for unknown ids and unrated movies.</summary>
    public MovieStats GetStats(int id) => _indexById.TryGetValue(id, out var i) ? Volatile.Read(ref _stats[i]) : MovieStats.Empty;

    /// <summary>
    /// Replaces a movie's stats (an atomic reference swap: readers see the old or the new object, never a mix).
    /// Returns false, changing nothing, when the id is not in the catalog.
    /// </summary>
    public bool SetStats(int movieId, MovieStats stats)
    {
        ArgumentNullException.ThrowIfNull(stats);
        if (!_indexById.TryGetValue(movieId, out var i))
            return false;
        var old = Interlocked.Exchange(ref _stats[i], stats);
        Interlocked.Add(ref _totalRatings, stats.Count - old.Count);
        Interlocked.Add(ref _totalHalves, stats.SumHalves - old.SumHalves);
        return true;
    }

    /// <summary>The current stats of every rated or watched movie, by id.</summary>
    public Dictionary<int, MovieStats> SnapshotStats()
    {
        var result = new Dictionary<int, MovieStats>();
        for (var i = 0; i < _movies.Length; i++)
        {
            var s = Volatile.Read(ref _stats[i]);
            if (s.Count > 0 || s.WatchCount > 0)
                result[_movies[i].Id] = s;
        }
        return result;
    }

    /// <summary>Total number of ratings over all movies.</summary>
    public long TotalRatings => Interlocked.Read(ref _totalRatings);

    /// <summary>Mean of all ratings in the catalog, or null when there are none.</summary>
    public double? GlobalAverageRating
    {
        get
        {
            var n = Interlocked.Read(ref _totalRatings);
            return n <= 0 ? null : Interlocked.Read(ref _totalHalves) / (2.0 * n);
        }
    }

    /// <summary>The Bayesian average <see cref="MovieSort.Rating"/> orders by, or null for an unrated or unknown movie.</summary>
    public double? BayesianRating(int movieId)
    {
        var s = GetStats(movieId);
        return s.Count == 0 ? null : Bayesian(s, GlobalAverageRating ?? 0);
    }

    double Bayesian(MovieStats s, double globalMean) =>
        (BayesianPriorWeight * globalMean + s.SumHalves / 2.0) / (BayesianPriorWeight + s.Count);

    /// <summary>
    /// Resolves a genre written any way ("sci-fi", "Sci-Fi", "scifi", "SCI FI", "film noir", "comedies") to the
    /// catalog's spelling. False when no catalog movie has such a genre.
    /// </summary>
    public bool TryResolveGenre(string? input, [NotNullWhen(true)] out string? canonical)
    {
        canonical = null;
        if (string.IsNullOrWhiteSpace(input))
            return false;
        if (_genreIdByName.TryGetValue(input, out var id))
        {
            canonical = _index.GenreNames[id];
            return true;
        }
        if (MovieGenres.TryResolve(input, _index.GenreNames, out var found))
        {
            canonical = found;
            return true;
        }
        return false;
    }

    int GenreId(string genre)
    {
        if (_genreIdByName.TryGetValue(genre, out var id))
            return id;
        return TryResolveGenre(genre, out var canonical) ? _genreIdByName[canonical] : -1;
    }
}
