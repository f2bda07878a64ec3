using System.Diagnostics;
using MovieRecs.Core.Catalog;
using MovieRecs.Core.MovieLens;
using Azure.Data.Tables;

namespace MovieRecs.Core.Store;

public sealed record ImportData(string Source, IReadOnlyList<Movie> Movies, IReadOnlyList<RatingRow> Ratings);

public sealed record ImportProgress(string Phase, long Done, long Total, double RowsPerSecond);

public sealed record ImportResult(int Movies, long Ratings, int Users, long RowsWritten, bool ReplacedEarlierData, TimeSpan Duration);

/// <summary>
/// Writes a catalog and its ratings into the store in entity-group transactions (never a half-applied
/// batch). Re-running with the same data changes nothing: rows are keyed by their natural ids, and on a
/// store that already holds ratings each movie partition is read first so only differences are written
/// and the aggregate row is recomputed from what is stored. The catalog version is bumped last, which
/// is what tells running instances to reload.
/// </summary>
public sealed class CatalogImporter(MovieStore store, int concurrency = 16)
{
    const int BatchSize = 100;
    static readonly TableEntity ImportMarker = new("catalog", "import");

    public async Task<ImportResult> ImportAsync(ImportData data, bool replace, IProgress<ImportProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        await store.CreateIfNotExistsAsync(cancellationToken);
        var state = await store.GetCatalogStateAsync(cancellationToken);

        // The demo data is a placeholder: real data replaces it rather than mixing with it.
        var wipe = replace || state is { IsDemo: true };
        if (wipe && state is not null)
            await store.DeleteAllDataAsync(cancellationToken);
        var empty = wipe || !await HasAnyRatingAsync(cancellationToken);
        // Marks an import in progress until the catalog version moves: a re-run of an import killed after its last
        // write but before that still moves it, so running instances reload.
        var resumed = (await store.Meta.GetEntityIfExistsAsync<TableEntity>(ImportMarker.PartitionKey, ImportMarker.RowKey, cancellationToken: cancellationToken)).HasValue;
        await store.Meta.UpsertEntityAsync(ImportMarker, cancellationToken: cancellationToken);

        var writer = new BatchWriter(concurrency, progress, clock);
        long written = 0;

        // Movies: batches of 100 per partition; unchanged movies are not rewritten.
        var storedMovies = empty ? [] : (await store.LoadMoviesAsync(cancellationToken)).ToDictionary(m => m.Id);
        // A movie an admin deleted stays deleted: re-running an import does not bring it back (--replace does).
        var deletedMovies = empty ? [] : await store.LoadDeletedMovieIdsAsync(cancellationToken);
        var changedMovies = data.Movies.Where(m => !deletedMovies.Contains(m.Id) && (!storedMovies.TryGetValue(m.Id, out var old) || !SameMovie(old, m))).ToList();
        writer.StartPhase("movies", data.Movies.Count);
        writer.Advance(data.Movies.Count - changedMovies.Count);
        foreach (var chunk in changedMovies.GroupBy(m => MovieStore.MoviePartition(m.Id)).SelectMany(p => p.Chunk(BatchSize)))
            writer.Submit(store.Movies, chunk.Select(m => new TableTransactionAction(TableTransactionActionType.UpsertReplace, MovieStore.ToEntity(m))).ToList(), chunk.Length, cancellationToken);
        written += await writer.DrainAsync(cancellationToken);
        // Movies created through the API get ids above every imported one (CatalogEditor).
        if (data.Movies.Count > 0)
            await IdBlockAllocator.RaiseAsync(store.Meta, CatalogEditor.MovieSequence, data.Movies.Max(m => m.Id) + 1L, cancellationToken);

        // New users get ids above every imported one: raise the id sequence before any imported user exists.
        if (data.Ratings.Count > 0)
            await IdBlockAllocator.RaiseAsync(store.Meta, UserStore.UserSequence, data.Ratings.Max(r => r.UserId) + 1L, cancellationToken);

        // Ratings by user partition, each with the partition's aggregate rows of the movies it rates. Every partition's
        // changes are worked out first, then logged, then written: with the log (what training reads) ahead of the
        // tables, an import killed part-way never leaves a stored rating that the log lacks, and a re-run writes and
        // logs whatever is still missing (rows that already match are skipped, so nothing is doubled).
        var plans = new PartitionPlan[MovieStore.RatingPartitions];
        await Parallel.ForEachAsync(data.Ratings.GroupBy(r => MovieStore.RatingPartition(r.UserId)),
            new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken },
            async (group, ct) => plans[group.Key] = await PlanPartitionAsync(group.Key, group.ToList(), empty, ct));
        var log = plans.Where(p => p is not null).SelectMany(p => p.Log).ToList();
        if (log.Count > 0)
            await store.Log.WriteImportAsync(log, cancellationToken);

        writer.StartPhase("ratings", data.Ratings.Count);
        foreach (var plan in plans.Where(p => p is not null))
        {
            writer.Advance(plan.Unchanged);
            var table = store.TableOf(plan.Partition);
            writer.Enqueue(() => SubmitChunksAsync(table, plan.Transactions, writer, cancellationToken));
        }
        written += await writer.DrainAsync(cancellationToken);

        // Users: created at their first rating, so a re-run finds the same rows and writes nothing.
        var storedUsers = new HashSet<string>();
        if (!empty)
            await foreach (var e in store.Users.QueryAsync<TableEntity>(select: ["RowKey"], cancellationToken: cancellationToken))
                storedUsers.Add(e.RowKey);
        var users = data.Ratings.GroupBy(r => r.UserId).Select(g => (Id: g.Key, First: g.Min(r => r.Timestamp))).ToList();
        var newUsers = users.Where(u => !storedUsers.Contains(MovieStore.UserRowKey(u.Id))).ToList();
        writer.StartPhase("users", users.Count);
        writer.Advance(users.Count - newUsers.Count);
        foreach (var partition in newUsers.GroupBy(u => MovieStore.UserPartition(u.Id)))
            foreach (var chunk in partition.Chunk(BatchSize))
                writer.Submit(store.Users, chunk.Select(u => new TableTransactionAction(TableTransactionActionType.UpsertMerge,
                    new TableEntity(partition.Key, MovieStore.UserRowKey(u.Id)) { ["Created"] = DateTimeOffset.FromUnixTimeSeconds(u.First) })).ToList(), chunk.Length, cancellationToken);
        written += await writer.DrainAsync(cancellationToken);

        if (written > 0 || state is null || resumed)
            await store.SetCatalogStateAsync(new CatalogState(
                (state?.Version ?? 0) + 1, data.Source, DateTimeOffset.UtcNow, data.Movies.Count, data.Ratings.Count), cancellationToken);
        await store.Meta.DeleteEntityAsync(ImportMarker.PartitionKey, ImportMarker.RowKey, cancellationToken: cancellationToken);

        return new ImportResult(data.Movies.Count, data.Ratings.Count, users.Count, written, wipe && state is not null, clock.Elapsed);
    }

    /// <summary>What one movie has stored in a partition: rating per user, their reviews, watch-only marks, the aggregate row.</summary>
    sealed class StoredMovie
    {
        public readonly Dictionary<int, double> Rated = [];
        public readonly Dictionary<int, string> Reviews = [];
        public readonly HashSet<int> WatchedOnly = [];
        public MovieStats? Stats;
        public long Seq;
    }

    /// <summary>One rating partition's import: its transactions, the log lines they carry, and how many ratings were already stored.</summary>
    sealed record PartitionPlan(int Partition, List<List<TableTransactionAction>> Transactions, List<RatingLog.Entry> Log, int Unchanged);

    /// <summary>One rating partition: the rows that differ from what is stored, and each changed movie's aggregate row there.</summary>
    async Task<PartitionPlan> PlanPartitionAsync(int partition, List<RatingRow> ratings, bool empty, CancellationToken cancellationToken)
    {
        var table = store.TableOf(partition);
        var partitionKey = MovieStore.PartitionKey(partition);
        var stored = new Dictionary<int, StoredMovie>();
        StoredMovie Of(int movieId) => stored.TryGetValue(movieId, out var m) ? m : stored[movieId] = new StoredMovie();
        if (!empty)
        {
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partitionKey}");
            await foreach (var e in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
            {
                if (MovieStore.TryParseStatsRowKey(e.RowKey, out var statsOf))
                    (Of(statsOf).Stats, Of(statsOf).Seq) = (MovieStore.ToStats(e), e.GetInt64(RatingRows.Seq) ?? 0);
                else if (MovieStore.TryParsePairRowKey(e.RowKey, out var userId, out var movieId))
                {
                    if (e.GetDouble(RatingRows.Rating) is { } value) Of(movieId).Rated[userId] = value;
                    else Of(movieId).WatchedOnly.Add(userId);
                    if (e.GetString(RatingRows.Review) is { } review) Of(movieId).Reviews[userId] = review;
                }
            }
        }

        // The file's rating replaces a stored one for the same user (re-rating semantics), and a watch-only mark; a review
        // the user wrote stays with the pair (files carry none), as when a user re-rates through the API.
        var transactions = new List<List<TableTransactionAction>>();
        var log = new List<RatingLog.Entry>();
        var unchanged = 0;
        foreach (var movie in ratings.GroupBy(r => r.MovieId).OrderBy(g => g.Key))
        {
            var old = Of(movie.Key);
            var merged = new Dictionary<int, double>(old.Rated);
            var actions = new List<TableTransactionAction>();
            // Its sequence only grows (the rating log orders pair states by it).
            var seq = Math.Max(old.Seq + 1, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            foreach (var r in movie)
            {
                if (old.Rated.TryGetValue(r.UserId, out var value) && value == r.Rating)
                {
                    unchanged++;
                    continue;
                }
                merged[r.UserId] = r.Rating;
                actions.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace,
                    RatingRows.PairEntity(r.UserId, r.MovieId, new PairRow(r.Rating, r.Timestamp, seq) { Review = old.Reviews.GetValueOrDefault(r.UserId) })));
                log.Add(new RatingLog.Entry(r.UserId, r.MovieId, r.Rating, false, r.Timestamp, seq));
            }
            // Exactly a recount of the movie's rows in this partition as they will be: every pair row is a watch, the rated ones are ratings.
            var stats = new MovieStats(merged.Count, merged.Values.Sum(v => (long)Math.Round(v * 2)), merged.Count + old.WatchedOnly.Count(u => !merged.ContainsKey(u)));
            if (actions.Count == 0 && old.Stats == stats)
                continue;
            actions.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, RatingRows.StatsRow(partition, movie.Key, stats, seq)));
            // A movie's rows and its aggregate row share one transaction where they fit, so a kill never leaves them apart.
            if (transactions.Count == 0)
                transactions.Add([]);
            foreach (var chunk in actions.Chunk(BatchSize))
            {
                if (transactions[^1].Count + chunk.Length > BatchSize)
                    transactions.Add([]);
                transactions[^1].AddRange(chunk);
            }
        }
        return new PartitionPlan(partition, transactions, log, unchanged);
    }

    /// <summary>The partition's transactions, two at a time (rows are upserts: their order does not matter).</summary>
    static async Task<long> SubmitChunksAsync(TableClient table, List<List<TableTransactionAction>> transactions, BatchWriter writer, CancellationToken cancellationToken)
    {
        await Parallel.ForEachAsync(transactions, new ParallelOptions { MaxDegreeOfParallelism = 2, CancellationToken = cancellationToken }, async (chunk, ct) =>
        {
            await table.SubmitTransactionAsync(chunk, ct);
            writer.Advance(chunk.Count(a => !MovieStore.TryParseStatsRowKey(a.Entity.RowKey, out _)));   // progress counts ratings
        });
        return transactions.Sum(t => t.Count);
    }

    static bool SameMovie(Movie a, Movie b) =>
        a.Id == b.Id && a.Title == b.Title && a.Year == b.Year && a.ImdbId == b.ImdbId && a.TmdbId == b.TmdbId && a.PosterUrl == b.PosterUrl
        && a.Genres.SequenceEqual(b.Genres) && a.Tags.SequenceEqual(b.Tags);

    async Task<bool> HasAnyRatingAsync(CancellationToken cancellationToken)
    {
        foreach (var table in store.RatingsTables)
            await foreach (var _ in table.QueryAsync<TableEntity>(maxPerPage: 1, select: ["PartitionKey"], cancellationToken: cancellationToken))
                return true;
        return false;
    }

    /// <summary>Runs storage writes with bounded concurrency and reports rows/s.</summary>
    sealed class BatchWriter(int concurrency, IProgress<ImportProgress>? progress, Stopwatch clock)
    {
        readonly SemaphoreSlim _slots = new(concurrency);
        readonly List<Task<long>> _pending = [];
        readonly Lock _reportLock = new();
        string _phase = "";
        long _done, _total;
        TimeSpan _phaseStart, _lastReport;

        public void StartPhase(string phase, long total)
        {
            (_phase, _done, _total, _phaseStart) = (phase, 0, total, clock.Elapsed);
            Report(force: true);
        }

        public void Submit(TableClient table, IReadOnlyList<TableTransactionAction> actions, int rows, CancellationToken cancellationToken) =>
            Enqueue(async () =>
            {
                await table.SubmitTransactionAsync(actions, cancellationToken);
                Advance(rows);
                return actions.Count;
            });

        public void Enqueue(Func<Task<long>> work) => _pending.Add(RunAsync(work));

        async Task<long> RunAsync(Func<Task<long>> work)
        {
            await _slots.WaitAsync();
            try { return await work(); }
            finally { _slots.Release(); }
        }

        public void Advance(long rows)
        {
            Interlocked.Add(ref _done, rows);
            Report(force: false);
        }

        public async Task<long> DrainAsync(CancellationToken cancellationToken)
        {
            var results = await Task.WhenAll(_pending).WaitAsync(cancellationToken);
            _pending.Clear();
            Report(force: true);
            return results.Sum();
        }

        void Report(bool force)
        {
            if (progress is null)
                return;
            var now = clock.Elapsed;
            lock (_reportLock)
            {
                if (!force && now - _lastReport < TimeSpan.FromMilliseconds(250))
                    return;
                _lastReport = now;
            }
            var seconds = (now - _phaseStart).TotalSeconds;
            var done = Interlocked.Read(ref _done);
            progress.Report(new ImportProgress(_phase, done, _total, seconds > 0 ? done / seconds : 0));
        }
    }
}
