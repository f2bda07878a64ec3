using System.Diagnostics;
using MovieRecs.Core.Catalog;
using MovieRecs.Core.MovieLens;
using MovieRecs.Storage.Tables;

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

    public async Task<ImportResult> ImportAsync(ImportData data, bool replace, IProgress<ImportProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        await store.CreateIfNotExistsAsync(cancellationToken);
        var state = await store.GetCatalogStateAsync(cancellationToken);

        // The demo data is a placeholder: real data replaces it rather than mixing with it.
        var wipe = replace || state is { IsDemo: true };
        if (wipe && state is not null)
            await store.DeleteAllDataAsync(cancellationToken);
        var empty = wipe || !await HasAnyRowAsync(store.Ratings, cancellationToken);

        var writer = new BatchWriter(concurrency, progress, clock);
        long written = 0;

        // Movies: batches of 100 per partition; unchanged movies are not rewritten.
        var storedMovies = empty ? [] : (await store.LoadMoviesAsync(cancellationToken)).ToDictionary(m => m.Id);
        var changedMovies = data.Movies.Where(m => !storedMovies.TryGetValue(m.Id, out var old) || !SameMovie(old, m)).ToList();
        writer.StartPhase("movies", data.Movies.Count);
        writer.Advance(data.Movies.Count - changedMovies.Count);
        foreach (var chunk in changedMovies.GroupBy(m => MovieStore.MoviePartition(m.Id)).SelectMany(p => p.Chunk(BatchSize)))
            writer.Submit(store.Movies, chunk.Select(m => new TableTransactionAction(TableTransactionActionType.UpsertReplace, MovieStore.ToEntity(m))).ToList(), chunk.Length, cancellationToken);
        written += await writer.DrainAsync(cancellationToken);

        // New users get ids above every imported one: raise the id sequence before any imported user exists.
        if (data.Ratings.Count > 0)
            await IdBlockAllocator.RaiseAsync(store.Meta, UserStore.UserSequence, data.Ratings.Max(r => r.UserId) + 1L, cancellationToken);

        // Ratings by movie, each partition with its aggregate row.
        writer.StartPhase("ratings by movie", data.Ratings.Count);
        foreach (var group in data.Ratings.GroupBy(r => r.MovieId))
            writer.Enqueue(() => WriteMoviePartitionAsync(group.Key, group.ToList(), empty, writer, cancellationToken));
        written += await writer.DrainAsync(cancellationToken);

        // Ratings by user.
        writer.StartPhase("ratings by user", data.Ratings.Count);
        foreach (var group in data.Ratings.GroupBy(r => r.UserId))
            writer.Enqueue(() => WriteUserPartitionAsync(group.Key, group.ToList(), empty, writer, cancellationToken));
        written += await writer.DrainAsync(cancellationToken);

        // Users: created at their first rating, so a re-run finds the same rows and writes nothing.
        var storedUsers = new HashSet<string>();
        if (!empty)
            await foreach (var e in store.Users.QueryAsync(select: ["RowKey"], cancellationToken: cancellationToken))
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

        if (written == 0 && state is not null)
            return new ImportResult(data.Movies.Count, data.Ratings.Count, users.Count, 0, false, clock.Elapsed);

        await store.SetCatalogStateAsync(new CatalogState(
            (state?.Version ?? 0) + 1, data.Source, DateTimeOffset.UtcNow, data.Movies.Count, data.Ratings.Count), cancellationToken);

        return new ImportResult(data.Movies.Count, data.Ratings.Count, users.Count, written, wipe && state is not null, clock.Elapsed);
    }

    public static TableEntity RatingEntity(RatingRow r) => new(MovieStore.MovieKey(r.MovieId), MovieStore.UserRowKey(r.UserId))
    {
        ["Rating"] = (double)r.Rating,
        ["UnixTime"] = r.Timestamp,
    };

    public static TableEntity UserRatingEntity(RatingRow r) => new(MovieStore.UserKey(r.UserId), MovieStore.MovieRowKey(r.MovieId))
    {
        ["Rating"] = (double)r.Rating,
        ["UnixTime"] = r.Timestamp,
    };

    async Task<long> WriteMoviePartitionAsync(int movieId, List<RatingRow> ratings, bool empty, BatchWriter writer, CancellationToken cancellationToken)
    {
        var table = store.Ratings;
        var partition = MovieStore.MovieKey(movieId);

        // What is stored already (skipped on an empty store): rating per user, watch-only marks (rows without a
        // rating, see RatingStore), plus the aggregate row.
        var stored = new Dictionary<string, double>();
        var watchedOnly = new HashSet<string>();
        MovieStats? storedStats = null;
        long storedSeq = 0;
        if (!empty)
        {
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition}");
            await foreach (var e in table.QueryAsync(filter, cancellationToken: cancellationToken))
            {
                if (e.RowKey == MovieStore.StatsRowKey)
                {
                    storedStats = MovieStore.ToStats(e);
                    storedSeq = e.GetInt64(RatingRows.Seq) ?? 0;
                }
                else if (e.GetDouble("Rating") is { } value)
                    stored[e.RowKey] = value;
                else
                    watchedOnly.Add(e.RowKey);
            }
        }

        // The file's rating replaces a stored one for the same user (re-rating semantics), and a watch-only mark.
        var merged = new Dictionary<string, double>(stored);
        var changes = new List<TableTransactionAction>();
        foreach (var r in ratings)
        {
            var key = MovieStore.UserRowKey(r.UserId);
            if (stored.TryGetValue(key, out var old) && old == r.Rating)
                continue;
            merged[key] = r.Rating;
            changes.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, RatingEntity(r)));
        }

        // Exactly a recount of the partition as it will be: every pair row is a watch, the rated ones are ratings.
        var stats = new MovieStats(merged.Count, merged.Values.Sum(v => (long)Math.Round(v * 2)), merged.Count + watchedOnly.Count(k => !merged.ContainsKey(k)));
        if (changes.Count == 0 && storedStats == stats)
        {
            writer.Advance(ratings.Count);
            return 0;
        }

        // The aggregate row goes into the last batch of the partition, after every rating row it counts. Its sequence
        // only grows (RatingStore orders users' copies by it).
        var statsAction = new TableTransactionAction(TableTransactionActionType.UpsertReplace,
            RatingRows.StatsRow(movieId, stats, Math.Max(storedSeq + 1, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds())));
        long written = 0;
        var batches = changes.Chunk(BatchSize - 1).ToList();
        if (batches.Count == 0)
            batches.Add([]);
        for (var i = 0; i < batches.Count; i++)
        {
            var actions = batches[i].ToList();
            if (i == batches.Count - 1)
                actions.Add(statsAction);
            await table.SubmitTransactionAsync(actions, cancellationToken);
            written += actions.Count;
        }
        writer.Advance(ratings.Count);
        return written;
    }

    async Task<long> WriteUserPartitionAsync(int userId, List<RatingRow> ratings, bool empty, BatchWriter writer, CancellationToken cancellationToken)
    {
        var stored = new Dictionary<string, double>();
        if (!empty)
        {
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {MovieStore.UserKey(userId)}");
            await foreach (var e in store.UserRatings.QueryAsync(filter, select: ["RowKey", "Rating"], cancellationToken: cancellationToken))
                if (e.GetDouble("Rating") is { } value)
                    stored[e.RowKey] = value;
        }
        var changes = ratings
            .Where(r => !(stored.TryGetValue(MovieStore.MovieRowKey(r.MovieId), out var old) && old == r.Rating))
            .Select(r => new TableTransactionAction(TableTransactionActionType.UpsertReplace, UserRatingEntity(r)))
            .ToList();
        long written = 0;
        foreach (var chunk in changes.Chunk(BatchSize))
        {
            await store.UserRatings.SubmitTransactionAsync(chunk, cancellationToken);
            written += chunk.Length;
        }
        writer.Advance(ratings.Count);
        return written;
    }

    static bool SameMovie(Movie a, Movie b) =>
        a.Id == b.Id && a.Title == b.Title && a.Year == b.Year && a.ImdbId == b.ImdbId && a.TmdbId == b.TmdbId && a.PosterUrl == b.PosterUrl
        && a.Genres.SequenceEqual(b.Genres) && a.Tags.SequenceEqual(b.Tags);

    static async Task<bool> HasAnyRowAsync(TableClient table, CancellationToken cancellationToken)
    {
        await foreach (var _ in table.QueryAsync(maxPerPage: 1, select: ["PartitionKey"], cancellationToken: cancellationToken))
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
