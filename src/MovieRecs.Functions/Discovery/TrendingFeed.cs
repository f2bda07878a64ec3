using MovieRecs.Core.Discovery;
using MovieRecs.Core.Engine;
using MovieRecs.Core.Store;
using MovieRecs.Functions.Infrastructure;

namespace MovieRecs.Functions.Discovery;

/// <summary>
/// The rating activity trending ranks by: loaded from the stored ratings whenever the catalog (re)loads, and fed live
/// by <see cref="RatingStore.Activity"/> with every rating this instance commits.
/// </summary>
/// <remarks>
/// A reload builds a fresh <see cref="RatingActivity"/> and swaps it in when complete, rather than loading into the
/// served one: an import (possibly <c>--replace</c>) must not leave the old data's events behind, nor count the events
/// of a re-read twice. Live ratings go to the fresh activity from the moment its load starts, so none is lost across
/// the swap (a rating committed during the scan may count twice; trending is a ranking, that is harmless). Ratings
/// written through other instances reach this one at its next reload only.
/// </remarks>
public sealed class TrendingFeed : IDisposable
{
    static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(5);

    readonly RatingStore _ratings;
    readonly ILogger<TrendingFeed> _logger;
    readonly CancellationTokenSource _stopping = new();
    readonly object _gate = new();
    CancellationTokenSource? _loading;
    volatile Trending? _served;

    public TrendingFeed(RatingStore ratings, ILogger<TrendingFeed> logger)
    {
        _ratings = ratings;
        _logger = logger;
    }

    /// <summary>The trending lists, or a 503 until the first load has finished.</summary>
    public Trending Require() =>
        _served ?? throw new ServiceUnavailableException("Trending is still loading the rating activity; retry shortly.");

    /// <summary>True once a load has completed (tests, diagnostics).</summary>
    public bool Loaded => _served is not null;

    /// <summary>
    /// THE ONE PLACE the stored ratings are read for trending. Today a table scan shared with training; to be replaced
    /// by the blob rating log, which has the same role (every rating's movie and time).
    /// </summary>
    static async Task<IEnumerable<RatingEvent>> ReadStoredRatingsAsync(MovieStore store, CancellationToken cancellationToken)
    {
        var (rows, _) = await TrainingJob.ReadRatingsAsync(store, cancellationToken);
        return rows.Select(r => new RatingEvent(r.Item, r.Timestamp));
    }

    /// <summary>Starts loading a fresh activity (cancelling a load still running); the served one stays until it is done.</summary>
    public void Reload()
    {
        var fresh = new RatingActivity();
        CancellationTokenSource cts;
        lock (_gate)
        {
            if (_stopping.IsCancellationRequested)
                return;
            _loading?.Cancel();
            _loading?.Dispose();
            _loading = cts = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            _ratings.Activity = fresh;   // live ratings from now on go where the next list will come from
        }
        _ = Task.Run(() => LoadAsync(fresh, cts.Token));
    }

    async Task LoadAsync(RatingActivity fresh, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var started = DateTime.UtcNow;
                fresh.Load(await ReadStoredRatingsAsync(_ratings.Store, cancellationToken));
                lock (_gate)
                    if (!cancellationToken.IsCancellationRequested)
                        _served = new Trending(fresh);
                _logger.LogInformation("Trending: {Events} rating events within the last 30 days of activity loaded in {Seconds:F1} s.",
                    fresh.Count, (DateTime.UtcNow - started).TotalSeconds);
                return;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                _logger.LogWarning("Could not load the rating activity for trending ({Message}); retrying.", e.Message);
            }
            try { await Task.Delay(RetryDelay, cancellationToken); }
            catch (OperationCanceledException) { return; }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _stopping.Cancel();
            _loading?.Dispose();
        }
    }
}
