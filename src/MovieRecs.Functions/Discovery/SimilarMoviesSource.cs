using System.Collections.Concurrent;
using System.Diagnostics;
using MovieRecs.Core.Catalog;
using MovieRecs.Core.Discovery;
using MovieRecs.Functions.Engine;

namespace MovieRecs.Functions.Discovery;

/// <summary>
/// The <see cref="SimilarMovies"/> of the current catalog and served model. The content index is built once per catalog
/// instance (an import replaces the catalog) and started in the background when the catalog loads: it takes 25–50 ms on
/// ml-latest-small on a quiet machine and 150–400 ms on a busy one, too much for a request. The blend with the model
/// (a copy of its unit vectors, a few milliseconds) is built on the first request after a model swap.
/// </summary>
public sealed class SimilarMoviesSource(ModelHolder holder, ILogger<SimilarMoviesSource> logger)
{
    sealed class ContentEntry(MovieCatalog catalog, Lazy<ContentSimilarity> content)
    {
        public readonly MovieCatalog Catalog = catalog;
        public readonly Lazy<ContentSimilarity> Content = content;
    }

    /// <summary>The similar movies with the model they were built with (null: none yet).</summary>
    public sealed record Current(SimilarMovies Similar, ServedModel? Served)
    {
        const int MaxRemembered = 50_000;
        readonly ConcurrentDictionary<(int, SimilarityStrategy, int), SimilarMoviesResult> _found = new();

        /// <summary>
        /// <see cref="SimilarMovies.Find"/>, remembered: a list depends only on the movie, the strategy, the limit, the
        /// catalog and the model, and a new catalog or model makes a new <see cref="Current"/>.
        /// </summary>
        public SimilarMoviesResult Find(int movieId, int limit, SimilarityStrategy strategy)
        {
            var key = (movieId, strategy, limit);
            if (_found.TryGetValue(key, out var found))
                return found;
            found = Similar.Find(movieId, limit, strategy);
            if (_found.Count >= MaxRemembered)
                _found.Clear();
            _found[key] = found;
            return found;
        }
    }

    sealed record Entry(ContentSimilarity Content, ServedModel? Served, Current Value);

    readonly Lock _gate = new();
    volatile ContentEntry? _content;
    volatile Entry? _similar;

    /// <summary>Starts building the content index of <paramref name="catalog"/> on the thread pool (called when a catalog loads).</summary>
    public void Warm(MovieCatalog catalog) =>
        _ = Task.Run(() =>
        {
            try { _ = ContentFor(catalog).Value; }
            catch (Exception e) { logger.LogError("Could not build the content index: {Error}", e.Message); }
        });

    /// <summary>For <paramref name="catalog"/> (the request's) and the served model.</summary>
    public Current Get(MovieCatalog catalog)
    {
        var served = holder.Current;
        var content = ContentFor(catalog).Value;
        var s = _similar;
        if (s is not null && ReferenceEquals(s.Content, content) && ReferenceEquals(s.Served, served))
            return s.Value;
        lock (_gate)
        {
            s = _similar;
            if (s is not null && ReferenceEquals(s.Content, content) && ReferenceEquals(s.Served, served))
                return s.Value;
            var value = new Current(new SimilarMovies(content, served?.Model), served);
            _similar = new Entry(content, served, value);
            return value;
        }
    }

    Lazy<ContentSimilarity> ContentFor(MovieCatalog catalog)
    {
        var c = _content;
        if (c is not null && ReferenceEquals(c.Catalog, catalog))
            return c.Content;
        lock (_gate)
        {
            c = _content;
            if (c is not null && ReferenceEquals(c.Catalog, catalog))
                return c.Content;
            // One build per catalog, concurrent callers wait for it. Equal scores go to the movie with more ratings (at build time).
            c = new ContentEntry(catalog, new Lazy<ContentSimilarity>(() =>
            {
                var sw = Stopwatch.StartNew();
                var built = ContentSimilarity.Build(catalog.Movies, id => catalog.GetStats(id).Count);
                logger.LogInformation("Similar movies: content index of {Movies} movies built in {Milliseconds:F0} ms.", built.Count, sw.Elapsed.TotalMilliseconds);
                return built;
            }, LazyThreadSafetyMode.ExecutionAndPublication));
            _content = c;
            return c.Content;
        }
    }
}
