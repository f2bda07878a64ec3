using MovieRecs.Core.Catalog;
using MovieRecs.Core.Store;

namespace MovieRecs.Functions.Infrastructure;

/// <summary>
/// Brings storage up (tables, demo data on first start) and keeps the in-memory catalog in step with
/// it: polls the catalog version row (one point read) and reloads movies and aggregates when an
/// import has changed it (only the movies when an admin has edited them), and re-reads every movie's aggregates every MovieRecs:StatsRefreshSeconds so ratings
/// written through other instances reach this one's lists and listings (ratings written through this
/// instance update them at once). Storage being down only delays this; the loop retries by itself.
/// </summary>
public sealed class CatalogSync(
    MovieStore store, GenreStore genres, RatingStore ratings, UserStore users, CatalogCache cache, RatingsSettings settings,
    IConfiguration configuration, TimeProvider time, ILogger<CatalogSync> logger, Discovery.TrendingFeed trending,
    Discovery.SimilarMoviesSource similar) : BackgroundService
{
    readonly SemaphoreSlim _reload = new(1, 1);
    DateTimeOffset _statsLoadedAt;
    Task? _statsRefresh;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(configuration.GetValue("MovieRecs:CatalogRefreshSeconds", 2.0));
        var prepared = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!prepared)
                {
                    await store.CreateIfNotExistsAsync(stoppingToken);
                    if (configuration.GetValue("MovieRecs:SeedDemoData", true)
                        && await DemoSeeder.SeedIfEmptyAsync(store, time.GetUtcNow(), stoppingToken))
                        logger.LogInformation("Seeded the demo catalog and ratings.");
                    prepared = true;
                }
                await RefreshAsync(stoppingToken);
                if (time.GetUtcNow() - _statsLoadedAt >= settings.StatsRefresh && _statsRefresh is not { IsCompleted: false })
                    _statsRefresh = RefreshStatsInBackgroundAsync(stoppingToken);   // its own pace: version polling goes on
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning("Catalog sync failed ({Message}); retrying.", e.Message);
            }
            await Task.Delay(interval, time, stoppingToken).ContinueWith(_ => { });
        }
    }

    /// <summary>
    /// Reloads when the stored version (an import) or edit count (admin changes) differs from the one in memory. After
    /// an edit only the movies and genres are read again: the aggregates, the ratings cache and the known users stay.
    /// </summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await _reload.WaitAsync(cancellationToken);   // the poll, an admin write and a reload request may meet
        try
        {
            var state = await store.GetCatalogStateAsync(cancellationToken);
            var version = state?.Version ?? 0;
            var edits = state?.Edits ?? 0;
            var previous = cache.Current;
            if (previous is not null && cache.Version == version && cache.Edits == edits)
                return;
            var editOnly = previous is not null && cache.Version == version;
            if (previous is not null && !editOnly)
            {
                // An import changed the store (possibly replaced it): what this instance remembers of it is stale.
                ratings.ForgetCachedState();
                users.ForgetKnownUsers();
            }
            var movies = await store.LoadMoviesAsync(cancellationToken);
            // Every genre a movie carries has an id (stores imported with names only get them here), and movies show
            // their genres' current names (a rename whose rewrite of the movies is not finished yet included).
            var genreSet = await genres.EnsureAsync(movies.SelectMany(m => m.Genres), cancellationToken);
            for (var i = 0; i < movies.Count; i++)
                if (genreSet.Canonical(movies[i].Genres) is var canonical && !ReferenceEquals(canonical, movies[i].Genres))
                    movies[i] = movies[i] with { Genres = canonical };
            var started = time.GetUtcNow();
            var catalog = new MovieCatalog(movies, editOnly ? previous!.SnapshotStats() : null);
            if (!editOnly)
            {
                var stats = await ratings.LoadAllStatsAsync(cancellationToken: cancellationToken);
                foreach (var (id, s) in stats)
                    if (catalog.Find(id) is not null)
                        catalog.SetStats(id, s);
            }
            cache.Replace(catalog, version, edits, genreSet.All);
            if (!editOnly)
            {
                _statsLoadedAt = started;
                trending.Reload();   // in the background: the catalog serves at once, trending once the ratings are read
            }
            similar.Warm(catalog);   // likewise the content index of similar movies
            logger.LogInformation("Catalog version {Version}.{Edits} loaded: {Movies} movies.", version, edits, movies.Count);
        }
        finally
        {
            _reload.Release();
        }
    }

    /// <summary>Re-reads the movies' aggregates changed since the last read into the loaded catalog.</summary>
    /// <param name="spreadOver">Spread the reads (one per ratings table) over this time instead of a burst.</param>
    public async Task RefreshStatsAsync(CancellationToken cancellationToken, TimeSpan spreadOver = default)
    {
        if (cache.Current is not { } catalog)
            return;
        var started = time.GetUtcNow();
        // Only the partial rows changed since the last read (with a minute's margin for the service's clock): a
        // movie's total is the sum of the partial rows this instance knows, so those are all it needs to learn.
        await ratings.LoadAllStatsAsync((id, s) => catalog.SetStats(id, s), cancellationToken, spreadOver,
            since: _statsLoadedAt == default ? null : _statsLoadedAt - TimeSpan.FromMinutes(1));
        _statsLoadedAt = started;
    }

    async Task RefreshStatsInBackgroundAsync(CancellationToken cancellationToken)
    {
        try
        {
            // A third of the period: 256 queries in a burst cost requests on the same cores a visible tail (search p99
            // 13 ms against 8 ms without the refresh, docs/benchmarks.md).
            await RefreshStatsAsync(cancellationToken, settings.StatsRefresh / 3);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("Aggregates refresh failed ({Message}); retrying.", e.Message);
        }
    }
}
