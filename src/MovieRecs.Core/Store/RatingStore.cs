using System.Collections.Concurrent;
using System.Globalization;
using Azure;
using MovieRecs.Core.Catalog;
using MovieRecs.Storage.Tables;

namespace MovieRecs.Core.Store;

/// <summary>
/// Ratings and watch marks: writes that keep every movie's aggregates exact by construction, and the reads.
/// </summary>
/// <remarks>
/// <para><b>The record is the movie's partition.</b> A (user, movie) pair is one row <c>u{user:D10}</c> in the movie's
/// partition of <c>ratings</c> (Rating set = rated; no Rating = watched only), next to the movie's <c>stats</c> row
/// (Count, SumHalves, WatchCount, Seq). Every change of pair rows is ONE entity-group transaction holding the row
/// changes and the stats row, the latter replaced only if its ETag is still the one read (or added if absent). A
/// concurrent writer (another instance) makes it fail as a whole; it is re-read and retried (bounded, jittered). So
/// after any interleaving of writes the stats row equals a recount of the partition.</para>
/// <para><b>Group commit.</b> Within an instance, writes to one movie queue up and are committed together, up to
/// 99 pairs per transaction: a hot movie costs one transaction per batch of waiting writes rather than one per
/// rating, and this instance never conflicts with itself. The stats row's ETag is remembered, so a write
/// normally costs one call: a blind insert of the pair row (a 409 reveals an existing one, which is then read).</para>
/// <para><b>The user's copy</b> (<c>userratings</c>, the user's partition, RowKey = movie id) is written after the
/// transaction and before the answer. It is a secondary index, ordered by the pair's sequence: every transaction
/// stamps the rows it writes with <c>Seq = max(stats.Seq + 1, now in ms)</c> (monotonic per movie, even across an
/// import that rewrites the stats row), and a copy is only ever replaced by one with a higher Seq, ETag-conditionally.
/// Removing leaves a tombstone in the user's partition so a late, older copy cannot resurrect a removed rating.
/// Concurrent writers of the same pair thus leave both copies equal, whatever order their second steps run in.</para>
/// <para><b>The window.</b> A crash between the two steps leaves a change in the movie's partition (counted in its
/// aggregates) whose user copy is missing or stale. That request got no 2xx. Any later write of the pair, and the
/// client's retry of the same request in particular (the same value is a no-op on the movie side), re-syncs the copy.</para>
/// </remarks>
public sealed class RatingStore
{
    public const int MaxPairsPerTransaction = 99;

    // An instance busy with a movie commits back to back with the ETag it remembers (one round trip), while another
    // instance needs a read and a commit (two): the latter wins about one race in three, so it gets many attempts, and
    // only a tiny jitter (a long pause just lets the busy one commit more). Exhausted, it is a 503 (retry), not a 500.
    const int MaxAttempts = 100;

    readonly MovieStore _store;
    readonly TimeProvider _time;
    readonly ConcurrentDictionary<int, MovieSlot> _slots = new();
    long _writeVersion;

    public RatingStore(MovieStore store, UserRatingsCache? cache = null, TimeProvider? time = null)
    {
        _store = store;
        _time = time ?? TimeProvider.System;
        Cache = cache ?? new UserRatingsCache();
    }

    public MovieStore Store => _store;

    public UserRatingsCache Cache { get; }

    /// <summary>
    /// Called with a movie's aggregates right after a transaction changed them, in commit order per movie (the
    /// app points it at the in-memory catalog).
    /// </summary>
    public Action<int, MovieStats>? StatsChanged { get; set; }

    /// <summary>Transactions committed by this instance (diagnostics).</summary>
    public long Transactions => Interlocked.Read(ref _transactions);
    long _transactions;

    /// <summary>ETag-conflict retries (diagnostics).</summary>
    public long Conflicts => Interlocked.Read(ref _conflicts);
    long _conflicts;

    // ================= movie side =================

    sealed class MovieSlot
    {
        ConcurrentQueue<Pending>? _queue;   // created on the first write: every movie gets a slot, few get writes
        public ConcurrentQueue<Pending> Queue => _queue ?? Interlocked.CompareExchange(ref _queue, new(), null) ?? _queue!;
        public readonly List<Pending> Deferred = [];
        public int Draining;
        public volatile StatsState? Stats;
        public long LocalWriteVersion;
        // Pair rows as they are under RowsState (guarded by lock(this)). Every writer changes the stats row, so while
        // Stats is still that very state (same ETag) these rows are exactly what storage holds: a re-rate or delete
        // needs no read. Any other Stats (a re-read, a conflict, the periodic reload) makes them void.
        public readonly Dictionary<int, (PairRow? Row, ETag ETag)> Rows = [];
        public StatsState? RowsState;
    }

    const int MaxRememberedRows = 250_000;   // all movies together; beyond, rows are just read when needed
    int _rememberedRows;

    /// <summary>
    /// Adds rows known to be current under <paramref name="state"/>, if that is still the movie's state. Rows remembered
    /// under <paramref name="committedFrom"/> (the state our own transaction replaced) stay valid: that transaction
    /// changed only rows it passes here.
    /// </summary>
    void RememberRows(MovieSlot slot, StatsState state, Dictionary<int, (PairRow? Row, ETag ETag)> rows, StatsState? committedFrom = null)
    {
        lock (slot)
        {
            if (!ReferenceEquals(slot.Stats, state))
                return;
            if (!ReferenceEquals(slot.RowsState, state) && !(committedFrom is not null && ReferenceEquals(slot.RowsState, committedFrom)))
                ForgetRows(slot);
            slot.RowsState = state;
            foreach (var (user, row) in rows)
            {
                if (!slot.Rows.ContainsKey(user))
                {
                    if (Volatile.Read(ref _rememberedRows) >= MaxRememberedRows)
                        continue;
                    Interlocked.Increment(ref _rememberedRows);
                }
                slot.Rows[user] = row;
            }
        }
    }

    void ForgetRows(MovieSlot slot)   // under lock(slot)
    {
        Interlocked.Add(ref _rememberedRows, -slot.Rows.Count);
        slot.Rows.Clear();
        slot.RowsState = null;
    }

    sealed record StatsState(MovieStats Stats, long Seq, ETag ETag, bool Exists);

    sealed class Pending(PairChange change)
    {
        public PairChange Change { get; } = change;
        public TaskCompletionSource<PairResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Applies one change to the movie's partition (queued with concurrent changes of the same movie).</summary>
    public Task<PairResult> ApplyAsync(int movieId, PairChange change)
    {
        if (!RatingId.IsRatableMovie(movieId)) throw new ArgumentOutOfRangeException(nameof(movieId));
        if (!RatingId.IsRatableUser(change.UserId)) throw new ArgumentOutOfRangeException(nameof(change));
        if (change.Kind == PairChangeKind.Rate && !MovieLens.RatingScale.IsValid(change.Rating))
            throw new ArgumentOutOfRangeException(nameof(change), change.Rating, "a rating is 0.5..5.0 in steps of 0.5");
        var slot = _slots.GetOrAdd(movieId, static _ => new MovieSlot());
        var pending = new Pending(change);
        slot.Queue.Enqueue(pending);
        if (Interlocked.CompareExchange(ref slot.Draining, 1, 0) == 0)
            _ = DrainAsync(movieId, slot);
        return pending.Done.Task;
    }

    async Task DrainAsync(int movieId, MovieSlot slot)
    {
        await Task.Yield();   // the first caller returns to await its own result like everyone else
        while (true)
        {
            var group = TakeGroup(slot);
            if (group.Count == 0)
            {
                Volatile.Write(ref slot.Draining, 0);
                if (slot.Queue.IsEmpty || Interlocked.CompareExchange(ref slot.Draining, 1, 0) != 0)
                    return;
                continue;
            }
            try
            {
                var results = await CommitGroupAsync(movieId, slot, group);
                for (var i = 0; i < group.Count; i++)
                    group[i].Done.TrySetResult(results[i]);
            }
            catch (Exception e)
            {
                slot.Stats = null;
                foreach (var p in group)
                    p.Done.TrySetException(e);
            }
        }
    }

    /// <summary>Up to 99 waiting changes of distinct users (a pair can appear only once in a transaction).</summary>
    static List<Pending> TakeGroup(MovieSlot slot)
    {
        var group = new List<Pending>();
        var users = new HashSet<int>();
        var deferred = slot.Deferred.ToList();
        slot.Deferred.Clear();
        foreach (var p in deferred)
        {
            if (group.Count < MaxPairsPerTransaction && users.Add(p.Change.UserId)) group.Add(p);
            else slot.Deferred.Add(p);
        }
        while (group.Count < MaxPairsPerTransaction && slot.Queue.TryDequeue(out var next))
        {
            if (users.Add(next.Change.UserId)) group.Add(next);
            else slot.Deferred.Add(next);
        }
        return group;
    }

    async Task<PairResult[]> CommitGroupAsync(int movieId, MovieSlot slot, List<Pending> group)
    {
        var partition = MovieStore.MovieKey(movieId);
        // Rows known to be current under `state`: userId → row (null = absent) and its ETag. Unknown rows are assumed
        // absent (a blind insert; 409 tells otherwise). Rows are always read AFTER the stats state they are combined
        // with (or remembered under it): a commit then proves nothing changed in between (the stats ETag), and a
        // decision that writes nothing ("not found", "unchanged") is as of a sequence no newer than what it saw.
        var known = new Dictionary<int, (PairRow? Row, ETag ETag)>();
        var mustKnow = group.Where(p => p.Change.Kind is PairChangeKind.Unwatch or PairChangeKind.RemoveRating || p.Change.MayExist).Select(p => p.Change.UserId).ToHashSet();
        var freshlyRead = new HashSet<int>();
        var state = slot.Stats;
        var statsFresh = false;
        if (state is not null)
            lock (slot)
                if (ReferenceEquals(slot.RowsState, state))
                    foreach (var p in group)
                        if (slot.Rows.TryGetValue(p.Change.UserId, out var remembered))
                            known[p.Change.UserId] = remembered;

        for (var attempt = 1; ; attempt++)
        {
            if (state is null)
            {
                state = slot.Stats = await ReadStatsAsync(partition);
                statsFresh = true;
                mustKnow.UnionWith(known.Keys);   // read again, after this state
                known.Clear();
            }
            var toRead = mustKnow.Where(u => !known.ContainsKey(u)).ToList();
            if (toRead.Count > 0)
            {
                await ReadRowsAsync(partition, toRead, known);
                freshlyRead.UnionWith(toRead);
            }
            var now = _time.GetUtcNow();
            var seq = Math.Max(state.Seq + 1, now.ToUnixTimeMilliseconds());
            var stats = state.Stats;
            var actions = new List<TableTransactionAction>(group.Count + 1);
            var results = new PairResult?[group.Count];
            var actionOwners = new List<int>(group.Count);

            for (var i = 0; i < group.Count; i++)
            {
                var c = group[i].Change;
                var (row, etag) = known.TryGetValue(c.UserId, out var k) ? k : (null, default);
                PairRow? after = row;
                PairOutcome outcome;
                TableTransactionActionType? type = null;
                switch (c.Kind)
                {
                    case PairChangeKind.Rate when row is null:
                        (outcome, after, type) = (PairOutcome.Created, new PairRow(c.Rating, c.UnixTime, seq), TableTransactionActionType.Add);
                        stats = stats with { Count = stats.Count + 1, SumHalves = stats.SumHalves + MovieStats.ToHalves(c.Rating), WatchCount = stats.WatchCount + 1 };
                        break;
                    case PairChangeKind.Rate when row!.Rating is null:
                        (outcome, after, type) = (PairOutcome.Created, new PairRow(c.Rating, c.UnixTime, seq), TableTransactionActionType.UpdateReplace);
                        stats = stats with { Count = stats.Count + 1, SumHalves = stats.SumHalves + MovieStats.ToHalves(c.Rating) };
                        break;
                    case PairChangeKind.Rate when MovieStats.ToHalves(row!.Rating!.Value) == MovieStats.ToHalves(c.Rating):
                        outcome = PairOutcome.Unchanged;
                        break;
                    case PairChangeKind.Rate:
                        (outcome, after, type) = (PairOutcome.Replaced, new PairRow(c.Rating, c.UnixTime, seq), TableTransactionActionType.UpdateReplace);
                        stats = stats with { SumHalves = stats.SumHalves - MovieStats.ToHalves(row!.Rating!.Value) + MovieStats.ToHalves(c.Rating) };
                        break;
                    case PairChangeKind.Watch when row is null:
                        (outcome, after, type) = (PairOutcome.Created, new PairRow(null, c.UnixTime, seq), TableTransactionActionType.Add);
                        stats = stats with { WatchCount = stats.WatchCount + 1 };
                        break;
                    case PairChangeKind.Watch:
                        outcome = PairOutcome.Unchanged;
                        break;
                    case PairChangeKind.Unwatch when row is null:
                    case PairChangeKind.RemoveRating when row is null || row.Rating is null:
                        outcome = PairOutcome.NotFound;
                        break;
                    case PairChangeKind.Unwatch when row!.Rating is not null:
                        outcome = PairOutcome.Conflict;
                        break;
                    case PairChangeKind.Unwatch:
                        (outcome, after, type) = (PairOutcome.Removed, null, TableTransactionActionType.Delete);
                        stats = stats with { WatchCount = stats.WatchCount - 1 };
                        break;
                    case PairChangeKind.RemoveRating:
                        (outcome, after, type) = (PairOutcome.Removed, null, TableTransactionActionType.Delete);
                        stats = stats with { Count = stats.Count - 1, SumHalves = stats.SumHalves - MovieStats.ToHalves(row.Rating!.Value), WatchCount = stats.WatchCount - 1 };
                        break;
                    default:
                        throw new InvalidOperationException($"unhandled change {c.Kind}");
                }

                if (type is { } t)
                {
                    var entity = after is null
                        ? new TableEntity(partition, MovieStore.UserRowKey(c.UserId))
                        : RatingRows.MovieRow(movieId, c.UserId, after);
                    actions.Add(new TableTransactionAction(t, entity, etag));
                    actionOwners.Add(i);
                    results[i] = new PairResult(outcome, after, seq, null);
                }
                else
                {
                    results[i] = new PairResult(outcome, after, after?.Seq ?? state.Seq, null);
                }
            }

            if (actions.Count == 0)
            {
                // Nothing to write. A "not found" carries the movie's sequence (for a stale user copy's repair); with
                // cached stats it may be old, which is safe but repairs less: read the stats, then the rows, again.
                // No commit validates these decisions: they must rest on rows read in this call, not remembered ones
                // (another instance may have changed them since).
                var remembered = group.Select(p => p.Change.UserId).Where(u => !freshlyRead.Contains(u)).ToList();
                if (remembered.Count > 0)
                {
                    foreach (var u in remembered)
                    {
                        known.Remove(u);
                        mustKnow.Add(u);
                    }
                    continue;
                }
                if (!statsFresh && results.Any(r => r!.Outcome == PairOutcome.NotFound))
                {
                    state = null;
                    continue;
                }
                RememberRows(slot, state, known);
                return results.Select(r => r! with { Stats = state.Stats }).ToArray();
            }

            var statsIndex = actions.Count;
            actions.Add(state.Exists
                ? new TableTransactionAction(TableTransactionActionType.UpdateReplace, RatingRows.StatsRow(movieId, stats, seq), state.ETag)
                : new TableTransactionAction(TableTransactionActionType.Add, RatingRows.StatsRow(movieId, stats, seq)));
            try
            {
                var response = await _store.Ratings.SubmitTransactionAsync(actions);
                Interlocked.Increment(ref _transactions);
                var etag = response.Value[statsIndex].Headers.ETag ?? default;
                var committed = etag == default ? null : new StatsState(stats, seq, etag, true);
                slot.Stats = committed;
                if (committed is not null)
                {
                    // The rows this transaction wrote, and those it saw unchanged, are what storage now holds.
                    for (var a = 0; a < actionOwners.Count; a++)
                    {
                        var owner = actionOwners[a];
                        known[group[owner].Change.UserId] = results[owner]!.Row is { } written
                            ? (written, response.Value[a].Headers.ETag ?? default)
                            : (null, default);
                    }
                    foreach (var (user, row) in known.Where(k => k.Value.Row is not null && k.Value.ETag == default).ToList())
                        known.Remove(user);   // no ETag to update it with: read it next time
                    RememberRows(slot, committed, known, committedFrom: state);
                }
                lock (slot)
                {
                    slot.LocalWriteVersion = Interlocked.Increment(ref _writeVersion);
                    StatsChanged?.Invoke(movieId, stats);
                }
                return results.Select(r => r! with { Stats = stats }).ToArray();
            }
            catch (TableTransactionFailedException e) when (e.Status is 404 or 409 or 412)
            {
                Interlocked.Increment(ref _conflicts);
                if (attempt >= MaxAttempts)
                    throw Contention($"Too many concurrent writers of movie {movieId}; nothing was written, retry.", e);
                var index = e.FailedTransactionActionIndex;
                if (index is null || index == statsIndex)
                {
                    // Another writer changed the movie: read its aggregates again (then every row), after a short jittered pause.
                    slot.Stats = state = null;
                    if (attempt > 3)
                        await Task.Delay(Random.Shared.Next(0, 4));
                }
                if (index is null || index != statsIndex)
                {
                    // A pair row was not as assumed (exists, or changed since read): read every row of the group, and
                    // trust nothing remembered for this movie.
                    foreach (var p in group)
                    {
                        mustKnow.Add(p.Change.UserId);
                        known.Remove(p.Change.UserId);
                    }
                    lock (slot)
                        ForgetRows(slot);
                }
            }
        }
    }

    /// <summary>Conflicting writers kept winning: "unavailable, retry" (503 with Retry-After through the app's exception handler).</summary>
    static RequestFailedException Contention(string message, Exception inner) => new(503, message, "WriteContention", inner);

    async Task ReadRowsAsync(string partition, IEnumerable<int> users, Dictionary<int, (PairRow? Row, ETag ETag)> known)
    {
        var reads = users.Distinct().Select(async u =>
        {
            var r = await _store.Ratings.GetEntityIfExistsAsync(partition, MovieStore.UserRowKey(u));
            return (User: u, Entity: r.HasValue ? r.Value : null);
        }).ToList();
        foreach (var (user, entity) in await Task.WhenAll(reads))
            known[user] = entity is null ? (null, default) : (RatingRows.ToPairRow(entity), entity.ETag);
    }

    async Task<StatsState> ReadStatsAsync(string partition)
    {
        var r = await _store.Ratings.GetEntityIfExistsAsync(partition, MovieStore.StatsRowKey);
        return r.HasValue
            ? new StatsState(MovieStore.ToStats(r.Value!), r.Value!.GetInt64(RatingRows.Seq) ?? 0, r.Value!.ETag, true)
            : new StatsState(MovieStats.Empty, 0, default, false);
    }

    /// <summary>
    /// Every movie's aggregate row. Also remembers their ETags (so the next write to a movie needs no read) and,
    /// when <paramref name="apply"/> is given, passes each to it unless this instance changed that movie while the
    /// read ran (its own figure is newer).
    /// </summary>
    public async Task<Dictionary<int, MovieStats>> LoadAllStatsAsync(Action<int, MovieStats>? apply = null, CancellationToken cancellationToken = default)
    {
        var before = Interlocked.Read(ref _writeVersion);
        var all = new Dictionary<int, MovieStats>();
        var filter = TableClient.CreateQueryFilter($"RowKey eq {MovieStore.StatsRowKey}");
        await foreach (var e in _store.Ratings.QueryAsync(filter, cancellationToken: cancellationToken))
        {
            if (!int.TryParse(e.PartitionKey, NumberStyles.None, CultureInfo.InvariantCulture, out var movieId))
                continue;
            var stats = MovieStore.ToStats(e);
            all[movieId] = stats;
            var slot = _slots.GetOrAdd(movieId, static _ => new MovieSlot());
            lock (slot)
            {
                if (slot.LocalWriteVersion > before)
                    continue;
                if (slot.Stats is null || slot.Stats.Seq < (e.GetInt64(RatingRows.Seq) ?? 0))
                    slot.Stats = new StatsState(stats, e.GetInt64(RatingRows.Seq) ?? 0, e.ETag, true);
                apply?.Invoke(movieId, stats);
            }
        }
        return all;
    }

    /// <summary>Forgets remembered aggregates and copies (after the store was replaced).</summary>
    public void ForgetCachedState()
    {
        foreach (var slot in _slots.Values)
        {
            slot.Stats = null;
            lock (slot)
                ForgetRows(slot);
        }
        Cache.Clear();
    }

    // ================= user side =================

    /// <summary>What one user copy must become: the pair's state after a movie-side change.</summary>
    /// <param name="RemovedNow">This change removed the pair: write a tombstone even where no copy is known.</param>
    public readonly record struct CopyTarget(int MovieId, PairRow? Row, long Seq, bool RemovedNow);

    public static CopyTarget TargetOf(int movieId, PairResult result) =>
        new(movieId, result.Row, result.Seq, result.Outcome == PairOutcome.Removed);

    /// <summary>
    /// Brings the user's copies up to the given pair states (one transaction in the user's partition; up to 100
    /// targets of distinct movies). A copy with an equal or higher sequence is left alone.
    /// </summary>
    public async Task SyncUserCopiesAsync(int userId, IReadOnlyList<CopyTarget> targets, CancellationToken cancellationToken = default)
    {
        if (targets.Count == 0)
            return;
        if (targets.Count > 100) throw new ArgumentOutOfRangeException(nameof(targets), "at most 100 per call");
        var partition = MovieStore.UserKey(userId);
        var fresh = new Dictionary<int, UserCopy?>();   // read in this call: authoritative
        var removedAt = _time.GetUtcNow().ToUnixTimeSeconds();

        // A "not found" removal only repairs an existing copy: look (in storage) before writing a tombstone nobody needs.
        var mustRead = targets.Where(t => t.Row is null && !t.RemovedNow).Select(t => t.MovieId).ToList();
        if (mustRead.Count > 0)
            await ReadCopiesAsync(userId, mustRead, fresh, cancellationToken);

        for (var attempt = 1; ; attempt++)
        {
            var actions = new List<TableTransactionAction>();
            var written = new List<UserCopy>();
            foreach (var t in targets)
            {
                // Remembered copies may be stale, but only ever older than storage (stored sequences only grow):
                // skipping on sequence is safe with them, skipping on content needs a fresh read.
                if (!fresh.TryGetValue(t.MovieId, out var copy))
                    Cache.TryGet(userId, t.MovieId, out copy);
                if (copy is not null && copy.Seq >= t.Seq)
                    continue;                                    // as new or newer already
                if (t.Row is null && !t.RemovedNow && (copy is null || copy.IsTombstone))
                    continue;                                    // a repair with nothing to repair (read fresh above)
                // A removal always writes its tombstone with its own sequence, even over an older tombstone: a late
                // copy of a write ordered between the two must not come back to life.

                var entity = RatingRows.UserRow(userId, t.MovieId, t.Row, t.Seq, removedAt);
                actions.Add(copy is null
                    ? new TableTransactionAction(TableTransactionActionType.Add, entity)
                    : new TableTransactionAction(TableTransactionActionType.UpdateReplace, entity, copy.ETag));
                written.Add(RatingRows.ToUserCopy(entity));
            }
            if (actions.Count == 0)
                return;

            try
            {
                IReadOnlyList<ETag?> etags;
                if (actions.Count == 1)
                {
                    var a = actions[0];
                    var entity = (TableEntity)a.Entity;
                    var response = a.ActionType == TableTransactionActionType.Add
                        ? await _store.UserRatings.AddEntityAsync(entity, cancellationToken)
                        : await _store.UserRatings.UpdateEntityAsync(entity, a.ETag, TableUpdateMode.Replace, cancellationToken);
                    etags = [response.Headers.ETag];
                }
                else
                {
                    var response = await _store.UserRatings.SubmitTransactionAsync(actions, cancellationToken);
                    etags = response.Value.Select(r => r.Headers.ETag).ToList();
                }
                for (var i = 0; i < written.Count; i++)
                    Cache.Apply(userId, written[i] with { ETag = etags[i] ?? default });
                return;
            }
            catch (RequestFailedException e) when (e.Status is 404 or 409 or 412)
            {
                if (attempt >= MaxAttempts)
                    throw Contention($"Too many concurrent writers of user {userId}'s ratings; the change is recorded for the movie but not yet in the user's list: retry (a retry completes it).", e);
                // Someone else wrote a copy first, or our knowledge was stale: read the failing copy (all of them when
                // the service does not say which failed) and decide again; a blind insert covers the unknown others.
                Interlocked.Increment(ref _conflicts);
                var failed = actions.Count == 1 ? 0 : (e as TableTransactionFailedException)?.FailedTransactionActionIndex;
                var reread = failed is { } f && f < written.Count ? [written[f].MovieId] : targets.Select(t => t.MovieId);
                await ReadCopiesAsync(userId, reread, fresh, cancellationToken);
            }
        }
    }

    async Task ReadCopiesAsync(int userId, IEnumerable<int> movieIds, Dictionary<int, UserCopy?> fresh, CancellationToken cancellationToken)
    {
        var partition = MovieStore.UserKey(userId);
        var reads = movieIds.Distinct().Select(async m =>
        {
            var r = await _store.UserRatings.GetEntityIfExistsAsync(partition, MovieStore.MovieRowKey(m), cancellationToken: cancellationToken);
            return (Movie: m, Copy: r.HasValue ? RatingRows.ToUserCopy(r.Value!) : null);
        }).ToList();
        foreach (var (movie, copy) in await Task.WhenAll(reads))
        {
            fresh[movie] = copy;
            if (copy is not null)
                Cache.Apply(userId, copy);
        }
    }

    // ================= operations: movie side, then the user's copy =================

    /// <summary>Rates (creates or replaces); the same value again changes nothing. Returns once both copies are written.</summary>
    public Task<PairResult> RateAsync(int userId, int movieId, double rating, long unixTime, CancellationToken cancellationToken = default) =>
        ApplyOneAsync(userId, movieId, new PairChange(userId, PairChangeKind.Rate, rating, unixTime, MayExist(userId, movieId)), cancellationToken);

    public Task<PairResult> RemoveRatingAsync(int userId, int movieId, CancellationToken cancellationToken = default) =>
        ApplyOneAsync(userId, movieId, new PairChange(userId, PairChangeKind.RemoveRating, 0, 0), cancellationToken);

    public Task<PairResult> WatchAsync(int userId, int movieId, long unixTime, CancellationToken cancellationToken = default) =>
        ApplyOneAsync(userId, movieId, new PairChange(userId, PairChangeKind.Watch, 0, unixTime, MayExist(userId, movieId)), cancellationToken);

    public Task<PairResult> UnwatchAsync(int userId, int movieId, CancellationToken cancellationToken = default) =>
        ApplyOneAsync(userId, movieId, new PairChange(userId, PairChangeKind.Unwatch, 0, 0), cancellationToken);

    /// <summary>This instance has seen a live copy of the pair: its movie row probably exists.</summary>
    bool MayExist(int userId, int movieId) => Cache.TryGet(userId, movieId, out var copy) && copy is { IsTombstone: false };

    async Task<PairResult> ApplyOneAsync(int userId, int movieId, PairChange change, CancellationToken cancellationToken)
    {
        var result = await ApplyAsync(movieId, change);
        // Always, even when nothing changed: a retried request repairs a copy a crash left behind.
        await SyncUserCopiesAsync(userId, [TargetOf(movieId, result)], cancellationToken);
        return result;
    }

    /// <summary>
    /// Rates several movies for one user (distinct movies, at most 100): one transaction per movie (grouped with
    /// other writers of the same movie), then one for all the user's copies. If a movie's write fails (storage
    /// unavailable) the others stay written, their copies are still synced, and the failure is thrown: a retry of
    /// the same request completes it (re-applying a value is a no-op).
    /// </summary>
    public async Task<PairResult[]> RateManyAsync(int userId, IReadOnlyList<(int MovieId, double Rating)> ratings, long unixTime, CancellationToken cancellationToken = default)
    {
        if (ratings.Count > 100) throw new ArgumentOutOfRangeException(nameof(ratings), "at most 100 per call");
        if (ratings.Select(r => r.MovieId).Distinct().Count() != ratings.Count) throw new ArgumentException("movies must be distinct", nameof(ratings));
        var tasks = ratings.Select(r => ApplyAsync(r.MovieId, new PairChange(userId, PairChangeKind.Rate, r.Rating, unixTime, MayExist(userId, r.MovieId)))).ToArray();
        try
        {
            await Task.WhenAll(tasks);
        }
        catch
        {
            // Fall through: sync what was written, then report the failure.
        }
        var targets = new List<CopyTarget>(tasks.Length);
        for (var i = 0; i < tasks.Length; i++)
            if (tasks[i].IsCompletedSuccessfully)
                targets.Add(TargetOf(ratings[i].MovieId, tasks[i].Result));
        await SyncUserCopiesAsync(userId, targets, cancellationToken);
        var failed = tasks.FirstOrDefault(t => !t.IsCompletedSuccessfully);
        if (failed is not null)
            await failed;   // throws its exception
        return tasks.Select(t => t.Result).ToArray();
    }

    // ================= reads =================

    /// <summary>A pair as stored in the movie's partition (the record), or null.</summary>
    public async Task<PairRow?> GetPairAsync(int userId, int movieId, CancellationToken cancellationToken = default)
    {
        var r = await _store.Ratings.GetEntityIfExistsAsync(MovieStore.MovieKey(movieId), MovieStore.UserRowKey(userId), cancellationToken: cancellationToken);
        return r.HasValue ? RatingRows.ToPairRow(r.Value!) : null;
    }

    /// <summary>Every copy in the user's partition (tombstones included), read from storage.</summary>
    public async Task<IReadOnlyList<UserCopy>> ReadUserCopiesAsync(int userId, CancellationToken cancellationToken = default)
    {
        var list = new List<UserCopy>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {MovieStore.UserKey(userId)}");
        await foreach (var e in _store.UserRatings.QueryAsync(filter, cancellationToken: cancellationToken))
            if (int.TryParse(e.RowKey, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                list.Add(RatingRows.ToUserCopy(e));
        return list;
    }

    /// <summary>The user's copies from this instance's memory when read less than <paramref name="maxAge"/> ago.</summary>
    public async Task<IReadOnlyList<UserCopy>> GetUserCopiesAsync(int userId, TimeSpan maxAge, CancellationToken cancellationToken = default) =>
        (await GetUserSnapshotAsync(userId, maxAge, cancellationToken)).Copies;

    /// <summary>As <see cref="GetUserCopiesAsync"/>, with a version that changes whenever the copies do (for memoizing what is derived from them).</summary>
    public Task<UserSnapshot> GetUserSnapshotAsync(int userId, TimeSpan maxAge, CancellationToken cancellationToken = default) =>
        Cache.GetAllAsync(userId, maxAge, () => ReadUserCopiesAsync(userId, CancellationToken.None));

    /// <summary>
    /// One page of a movie's ratings in user-id order (stable while ratings arrive), read from the movie's
    /// partition, and the movie's exact rating count.
    /// </summary>
    public async Task<(IReadOnlyList<(int UserId, PairRow Row)> Items, MovieStats Stats)> GetMovieRatingsPageAsync(
        int movieId, int skip, int take, CancellationToken cancellationToken = default)
    {
        var partition = MovieStore.MovieKey(movieId);
        var statsTask = _store.Ratings.GetEntityIfExistsAsync(partition, MovieStore.StatsRowKey, cancellationToken: cancellationToken);
        var items = new List<(int, PairRow)>(take);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey gt {"u"} and RowKey lt {"v"}");
        var seen = 0;
        await foreach (var e in _store.Ratings.QueryAsync(filter, maxPerPage: (int)Math.Clamp((long)skip + take, 1, 1000),
                           select: ["RowKey", RatingRows.Rating, RatingRows.UnixTime, RatingRows.Seq], cancellationToken: cancellationToken))
        {
            if (e.GetDouble(RatingRows.Rating) is null)
                continue;
            if (seen++ < skip)
                continue;
            items.Add((int.Parse(e.RowKey.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture), RatingRows.ToPairRow(e)));
            if (items.Count >= take)
                break;
        }
        var stats = await statsTask;
        return (items, stats.HasValue ? MovieStore.ToStats(stats.Value!) : MovieStats.Empty);
    }

    /// <summary>
    /// Recounts a movie's partition: (aggregates from the rows, the stats row as stored). Equal unless something
    /// wrote around this class.
    /// </summary>
    public async Task<(MovieStats Recount, MovieStats Stored)> RecountAsync(int movieId, CancellationToken cancellationToken = default)
    {
        int count = 0, watches = 0;
        long halves = 0;
        var stored = MovieStats.Empty;
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {MovieStore.MovieKey(movieId)}");
        await foreach (var e in _store.Ratings.QueryAsync(filter, cancellationToken: cancellationToken))
        {
            if (e.RowKey == MovieStore.StatsRowKey)
            {
                stored = MovieStore.ToStats(e);
                continue;
            }
            watches++;
            if (e.GetDouble(RatingRows.Rating) is { } r)
            {
                count++;
                halves += MovieStats.ToHalves(r);
            }
        }
        return (new MovieStats(count, halves, watches), stored);
    }
}
