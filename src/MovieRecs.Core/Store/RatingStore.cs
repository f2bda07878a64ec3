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
/// <para><b>The record is the movie's rows.</b> A (user, movie) pair is one row <c>r{movie}u{user}</c> in the movie's
/// partition of <c>ratings</c> (Rating set = rated; no Rating = watched only), next to the movie's stats row
/// <c>s{movie}</c> (Count, SumHalves, WatchCount, Seq). Every change of pair rows is committed in ONE entity-group
/// transaction with the movie's stats row, the latter replaced only if its ETag is still the one read (or added if
/// absent). A concurrent writer (another instance) makes it fail as a whole; it is re-read and retried (bounded,
/// jittered). So after any interleaving of writes the stats row equals a recount of the movie's rows.</para>
/// <para><b>Group commit.</b> Within an instance, writes to one partition (256 of them, movie id mod 256) queue up and
/// are committed together, up to 100 operations per transaction, the changes of many movies side by side: under load
/// one storage call carries dozens of ratings (the emulator's cost is per call, ~1 ms, against ~0.1 ms per row), and
/// this instance never conflicts with itself. Stats rows' ETags are remembered, so a rating normally costs one row
/// in a transaction: a blind insert of the pair row (a 409 reveals an existing one, which is then read).</para>
/// <para><b>The user's copy</b> (<c>userratings</c>, RowKey <c>{user}m{movie}</c> in partition user id mod 32, group
/// committed the same way) is written after the transaction and before the answer. It is a secondary index, ordered by the pair's sequence: every transaction
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
    /// <summary>The service's limit for one entity-group transaction.</summary>
    public const int MaxOperationsPerTransaction = 100;

    // An instance busy with a movie commits back to back with the ETag it remembers (one round trip), while another
    // instance needs a read and a commit (two): the latter wins about one race in three, so it gets many attempts, and
    // only a tiny jitter (a long pause just lets the busy one commit more). Exhausted, it is a 503 (retry), not a 500.
    const int MaxAttempts = 100;

    readonly MovieStore _store;
    readonly TimeProvider _time;
    readonly ConcurrentDictionary<int, MovieSlot> _slots = new();
    readonly GroupCommitQueue<Pending>?[] _movieQueues = new GroupCommitQueue<Pending>?[MovieStore.RatingPartitions];
    readonly GroupCommitQueue<CopyUnit>?[] _copyQueues = new GroupCommitQueue<CopyUnit>?[MovieStore.RatingPartitions];
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

    /// <summary>Where committed ratings are recorded for trending (the app points it at its <see cref="Discovery.RatingActivity"/>).</summary>
    public Discovery.RatingActivity? Activity { get; set; }

    /// <summary>Transactions committed by this instance (diagnostics).</summary>
    public long Transactions => Interlocked.Read(ref _transactions);
    long _transactions;

    /// <summary>ETag-conflict retries (diagnostics).</summary>
    public long Conflicts => Interlocked.Read(ref _conflicts);
    long _conflicts;

    // ================= movie side =================

    sealed class MovieSlot
    {
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

    sealed class Pending(int movieId, PairChange change)
    {
        public int MovieId { get; } = movieId;
        public PairChange Change { get; } = change;
        public TaskCompletionSource<PairResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    MovieSlot SlotOf(int movieId) => _slots.GetOrAdd(movieId, static _ => new MovieSlot());

    GroupCommitQueue<Pending> MovieQueue(int bucket) => _movieQueues[bucket] ??= NewMovieQueue(bucket);

    GroupCommitQueue<Pending> NewMovieQueue(int bucket)
    {
        var queue = new GroupCommitQueue<Pending>(
            // One transaction: at most 100 operations (a row per pair, a stats row per movie), each pair at most once,
            // and a pair that had to wait keeps every later change of it waiting too (order per pair).
            () =>
            {
                var pairs = new HashSet<(int, int)>();
                var blocked = new HashSet<(int, int)>();
                var movies = new HashSet<int>();
                return p =>
                {
                    var key = (p.MovieId, p.Change.UserId);
                    var cost = movies.Contains(p.MovieId) ? 1 : 2;
                    if (blocked.Contains(key) || pairs.Contains(key) || pairs.Count + movies.Count + cost > MaxOperationsPerTransaction)
                    {
                        blocked.Add(key);
                        return false;
                    }
                    pairs.Add(key);
                    movies.Add(p.MovieId);
                    return true;
                };
            },
            group => CommitMoviesAsync(bucket, group),
            (p, e) =>
            {
                SlotOf(p.MovieId).Stats = null;
                p.Done.TrySetException(e);
            });
        return Interlocked.CompareExchange(ref _movieQueues[bucket], queue, null) ?? queue;
    }

    /// <summary>Applies one change to the movie's rows (committed together with concurrent changes of its partition).</summary>
    public Task<PairResult> ApplyAsync(int movieId, PairChange change)
    {
        var pending = NewPending(movieId, change);
        MovieQueue(MovieStore.MovieBucket(movieId)).Enqueue(pending);
        return pending.Done.Task;
    }

    static Pending NewPending(int movieId, PairChange change)
    {
        if (!RatingId.IsRatableMovie(movieId)) throw new ArgumentOutOfRangeException(nameof(movieId));
        if (!RatingId.IsRatableUser(change.UserId)) throw new ArgumentOutOfRangeException(nameof(change));
        if (change.Kind == PairChangeKind.Rate && !MovieLens.RatingScale.IsValid(change.Rating))
            throw new ArgumentOutOfRangeException(nameof(change), change.Rating, "a rating is 0.5..5.0 in steps of 0.5");
        return new Pending(movieId, change);
    }

    /// <summary>One movie's part of a partition commit: what is known of its rows, and the decisions of an attempt.</summary>
    sealed class MovieWork(int movieId, MovieSlot slot, List<Pending> items)
    {
        public int MovieId { get; } = movieId;
        public MovieSlot Slot { get; } = slot;
        public List<Pending> Items { get; } = items;
        // Rows known to be current under `State`: userId → row (null = absent) and its ETag. Unknown rows are assumed
        // absent (a blind insert; a 409 tells otherwise). Rows are always read AFTER the stats state they are combined
        // with (or remembered under it): a commit then proves nothing changed in between (the stats ETag), and a
        // decision that writes nothing ("not found", "unchanged") is as of a sequence no newer than what it saw.
        public Dictionary<int, (PairRow? Row, ETag ETag)> Known { get; } = [];
        public HashSet<int> MustKnow { get; } = [];
        public HashSet<int> FreshlyRead { get; } = [];
        public StatsState? State;
        public bool StatsFresh;
        // This attempt's decisions.
        public PairResult?[] Results = [];
        public MovieStats NewStats = MovieStats.Empty;
        public long Seq;
        public List<(int Item, TableTransactionAction Action)> Actions = [];
        public int FirstAction, StatsAction;
        public bool Done;
    }

    async Task CommitMoviesAsync(int bucket, List<Pending> group)
    {
        var partition = "m" + bucket.ToString("D2", CultureInfo.InvariantCulture);
        var works = group.GroupBy(p => p.MovieId).Select(g => new MovieWork(g.Key, SlotOf(g.Key), g.ToList())).ToList();
        foreach (var w in works)
        {
            w.MustKnow.UnionWith(w.Items.Where(p => p.Change.Kind is PairChangeKind.Unwatch or PairChangeKind.RemoveRating || p.Change.MayExist).Select(p => p.Change.UserId));
            w.State = w.Slot.Stats;
            if (w.State is not null)
                lock (w.Slot)
                    if (ReferenceEquals(w.Slot.RowsState, w.State))
                        foreach (var p in w.Items)
                            if (w.Slot.Rows.TryGetValue(p.Change.UserId, out var remembered))
                                w.Known[p.Change.UserId] = remembered;
        }

        for (var attempt = 1; ; attempt++)
        {
            var active = works.Where(w => !w.Done).ToList();
            if (active.Count == 0)
                return;
            await ReadWhatIsMissingAsync(_store.RatingsTables[bucket], partition, active);

            var actions = new List<TableTransactionAction>();
            var inTransaction = new List<MovieWork>();
            foreach (var w in active)
            {
                Decide(w);
                if (w.Actions.Count > 0)
                {
                    w.FirstAction = actions.Count;
                    actions.AddRange(w.Actions.Select(a => a.Action));
                    w.StatsAction = actions.Count;
                    actions.Add(w.State!.Exists
                        ? new TableTransactionAction(TableTransactionActionType.UpdateReplace, RatingRows.StatsRow(w.MovieId, w.NewStats, w.Seq), w.State.ETag)
                        : new TableTransactionAction(TableTransactionActionType.Add, RatingRows.StatsRow(w.MovieId, w.NewStats, w.Seq)));
                    inTransaction.Add(w);
                }
                else
                {
                    FinishWithoutWriting(w);
                }
            }
            if (inTransaction.Count == 0)
                continue;   // done, or some decisions need fresh reads first

            try
            {
                var response = await _store.RatingsTables[bucket].SubmitTransactionAsync(actions);
                Interlocked.Increment(ref _transactions);
                foreach (var w in inTransaction)
                    FinishCommitted(w, response.Value);
            }
            catch (TableTransactionFailedException e) when (e.Status is 404 or 409 or 412)
            {
                Interlocked.Increment(ref _conflicts);
                if (attempt >= MaxAttempts)
                    throw Contention($"Too many concurrent writers of the movies in partition {partition}; nothing was written, retry.", e);
                var index = e.FailedTransactionActionIndex;
                var failed = index is { } i ? inTransaction.FirstOrDefault(w => i >= w.FirstAction && i <= w.StatsAction) : null;
                foreach (var w in failed is null ? inTransaction : [failed])
                {
                    if (index is null || index == w.StatsAction)
                    {
                        // Another writer changed the movie: read its aggregates again (then every row).
                        w.Slot.Stats = w.State = null;
                    }
                    if (index is null || index != w.StatsAction)
                    {
                        // A pair row was not as assumed (exists, or changed since read): read every row of the movie's
                        // part, and trust nothing remembered for it.
                        foreach (var p in w.Items)
                        {
                            w.MustKnow.Add(p.Change.UserId);
                            w.Known.Remove(p.Change.UserId);
                        }
                        lock (w.Slot)
                            ForgetRows(w.Slot);
                    }
                }
                if (attempt > 3)
                    await Task.Delay(Random.Shared.Next(0, 4));   // a short jittered pause (a long one lets the other writer win more)
            }
        }
    }

    async Task ReadWhatIsMissingAsync(TableClient table, string partition, List<MovieWork> works)
    {
        var statsReads = works.Where(w => w.State is null).Select(async w =>
        {
            w.State = w.Slot.Stats = await ReadStatsAsync(partition, w.MovieId);
            w.StatsFresh = true;
            w.MustKnow.UnionWith(w.Known.Keys);   // read again, after this state
            w.Known.Clear();
        });
        await Task.WhenAll(statsReads);
        var rowReads = works.SelectMany(w => w.MustKnow.Where(u => !w.Known.ContainsKey(u)).Select(u => (Work: w, User: u))).ToList().Select(async r =>
        {
            var e = await table.GetEntityIfExistsAsync(partition, MovieStore.PairRowKey(r.Work.MovieId, r.User));
            return (r.Work, r.User, Row: e.HasValue ? (RatingRows.ToPairRow(e.Value!), e.Value!.ETag) : ((PairRow?)null, default(ETag)));
        });
        foreach (var (w, user, row) in await Task.WhenAll(rowReads))
        {
            w.Known[user] = row;
            w.FreshlyRead.Add(user);
        }
    }

    /// <summary>This attempt's outcome of every change of the movie, the rows to write and the new aggregates.</summary>
    void Decide(MovieWork w)
    {
        var state = w.State!;
        var seq = Math.Max(state.Seq + 1, _time.GetUtcNow().ToUnixTimeMilliseconds());
        var stats = state.Stats;
        var results = new PairResult?[w.Items.Count];
        var actions = new List<(int, TableTransactionAction)>();
        for (var i = 0; i < w.Items.Count; i++)
        {
            var c = w.Items[i].Change;
            var (row, etag) = w.Known.TryGetValue(c.UserId, out var k) ? k : (null, default);
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
                    ? new TableEntity(MovieStore.MovieKey(w.MovieId), MovieStore.PairRowKey(w.MovieId, c.UserId))
                    : RatingRows.MovieRow(w.MovieId, c.UserId, after);
                actions.Add((i, new TableTransactionAction(t, entity, etag)));
                results[i] = new PairResult(outcome, after, seq, null);
            }
            else
            {
                results[i] = new PairResult(outcome, after, after?.Seq ?? state.Seq, null);
            }
        }
        (w.Results, w.NewStats, w.Seq, w.Actions) = (results, stats, seq, actions);
    }

    /// <summary>A movie whose changes write nothing: complete it, unless its decisions rest on knowledge to refresh first.</summary>
    void FinishWithoutWriting(MovieWork w)
    {
        // A "not found" carries the movie's sequence (for a stale user copy's repair); with cached stats it may be
        // old, which is safe but repairs less: read the stats, then the rows, again. No commit validates these
        // decisions: they must rest on rows read in this call, not remembered ones (another instance may have
        // changed them since).
        var remembered = w.Items.Select(p => p.Change.UserId).Where(u => !w.FreshlyRead.Contains(u)).ToList();
        if (remembered.Count > 0)
        {
            foreach (var u in remembered)
            {
                w.Known.Remove(u);
                w.MustKnow.Add(u);
            }
            return;
        }
        if (!w.StatsFresh && w.Results.Any(r => r!.Outcome == PairOutcome.NotFound))
        {
            w.State = null;
            return;
        }
        RememberRows(w.Slot, w.State!, w.Known);
        w.Done = true;
        for (var i = 0; i < w.Items.Count; i++)
            w.Items[i].Done.TrySetResult(w.Results[i]! with { Stats = w.State!.Stats });
    }

    void FinishCommitted(MovieWork w, IReadOnlyList<Response> responses)
    {
        var etag = responses[w.StatsAction].Headers.ETag ?? default;
        var committed = etag == default ? null : new StatsState(w.NewStats, w.Seq, etag, true);
        w.Slot.Stats = committed;
        if (committed is not null)
        {
            // The rows this transaction wrote, and those it saw unchanged, are what storage now holds.
            for (var a = 0; a < w.Actions.Count; a++)
            {
                var owner = w.Actions[a].Item;
                w.Known[w.Items[owner].Change.UserId] = w.Results[owner]!.Row is { } written
                    ? (written, responses[w.FirstAction + a].Headers.ETag ?? default)
                    : (null, default);
            }
            foreach (var (user, _) in w.Known.Where(k => k.Value.Row is not null && k.Value.ETag == default).ToList())
                w.Known.Remove(user);   // no ETag to update it with: read it next time
            RememberRows(w.Slot, committed, w.Known, committedFrom: w.State);
        }
        lock (w.Slot)
        {
            w.Slot.LocalWriteVersion = Interlocked.Increment(ref _writeVersion);
            StatsChanged?.Invoke(w.MovieId, w.NewStats);
        }
        w.Done = true;
        for (var i = 0; i < w.Items.Count; i++)
        {
            var result = w.Results[i]!;
            if (result.Outcome is PairOutcome.Created or PairOutcome.Replaced && result.Row is { IsRated: true } row)
                Activity?.Record(w.MovieId, row.UnixTime);
            w.Items[i].Done.TrySetResult(result with { Stats = w.NewStats });
        }
    }

    /// <summary>Conflicting writers kept winning: "unavailable, retry" (503 with Retry-After through the app's exception handler).</summary>
    static RequestFailedException Contention(string message, Exception inner) => new(503, message, "WriteContention", inner);

    async Task<StatsState> ReadStatsAsync(string partition, int movieId)
    {
        var r = await _store.RatingsOf(movieId).GetEntityIfExistsAsync(partition, MovieStore.StatsRowKey(movieId));
        return r.HasValue
            ? new StatsState(MovieStore.ToStats(r.Value!), r.Value!.GetInt64(RatingRows.Seq) ?? 0, r.Value!.ETag, true)
            : new StatsState(MovieStats.Empty, 0, default, false);
    }

    /// <summary>
    /// Every movie's aggregate row. Also remembers their ETags (so the next write to a movie needs no read) and,
    /// when <paramref name="apply"/> is given, passes each to it unless this instance changed that movie while the
    /// read ran (its own figure is newer).
    /// </summary>
    /// <param name="spreadOver">Spread the per-table reads over this time (a periodic refresh: a steady trickle
    /// rather than a burst of 256 queries that competes with requests for the cores).</param>
    public async Task<Dictionary<int, MovieStats>> LoadAllStatsAsync(Action<int, MovieStats>? apply = null, CancellationToken cancellationToken = default,
        TimeSpan spreadOver = default)
    {
        var all = new Dictionary<int, MovieStats>();
        var pause = spreadOver / _store.RatingsTables.Count;
        for (var t = 0; t < _store.RatingsTables.Count; t++)
        {
            if (t > 0 && pause > TimeSpan.Zero)
                await Task.Delay(pause, cancellationToken);
            await LoadStatsAsync(_store.RatingsTables[t], all, apply, cancellationToken);
        }
        return all;
    }

    async Task LoadStatsAsync(TableClient table, Dictionary<int, MovieStats> all, Action<int, MovieStats>? apply, CancellationToken cancellationToken)
    {
        var before = Interlocked.Read(ref _writeVersion);
        await foreach (var e in table.QueryAsync(MovieStore.AllStatsFilter, cancellationToken: cancellationToken))
        {
            if (!MovieStore.TryParseStatsRowKey(e.RowKey, out var movieId))
                continue;
            var stats = MovieStore.ToStats(e);
            all[movieId] = stats;
            var slot = SlotOf(movieId);
            lock (slot)
            {
                if (slot.LocalWriteVersion > before)
                    continue;
                if (slot.Stats is null || slot.Stats.Seq < (e.GetInt64(RatingRows.Seq) ?? 0))
                    slot.Stats = new StatsState(stats, e.GetInt64(RatingRows.Seq) ?? 0, e.ETag, true);
                apply?.Invoke(movieId, stats);
            }
        }
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
    /// Brings the user's copies up to the given pair states (up to 100 targets of distinct movies), committed
    /// together with other users' copies waiting for the same partition. A copy with an equal or higher sequence is
    /// left alone.
    /// </summary>
    public Task SyncUserCopiesAsync(int userId, IReadOnlyList<CopyTarget> targets, CancellationToken cancellationToken = default)
    {
        if (targets.Count == 0)
            return Task.CompletedTask;
        if (targets.Count > MaxOperationsPerTransaction) throw new ArgumentOutOfRangeException(nameof(targets), "at most 100 per call");
        var unit = new CopyUnit(userId, targets);
        var bucket = MovieStore.UserBucket(userId);
        var queue = _copyQueues[bucket] ??= NewCopyQueue(bucket);
        queue.Enqueue(unit);
        return unit.Done.Task;
    }

    /// <summary>One caller's copies to bring up to date (one user).</summary>
    sealed class CopyUnit(int userId, IReadOnlyList<CopyTarget> targets)
    {
        public int UserId { get; } = userId;
        public IReadOnlyList<CopyTarget> Targets { get; } = targets;
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    GroupCommitQueue<CopyUnit> NewCopyQueue(int bucket)
    {
        var queue = new GroupCommitQueue<CopyUnit>(
            () =>
            {
                // Each copy at most once per transaction, at most 100 of them. Order between units does not matter:
                // a copy is only ever replaced by one with a higher sequence.
                var copies = new HashSet<(int, int)>();
                return u =>
                {
                    if (copies.Count + u.Targets.Count > MaxOperationsPerTransaction || u.Targets.Any(t => copies.Contains((u.UserId, t.MovieId))))
                        return false;
                    foreach (var t in u.Targets)
                        copies.Add((u.UserId, t.MovieId));
                    return true;
                };
            },
            units => CommitCopiesAsync(bucket, units),
            (u, e) => u.Done.TrySetException(e));
        return Interlocked.CompareExchange(ref _copyQueues[bucket], queue, null) ?? queue;
    }

    async Task CommitCopiesAsync(int bucket, List<CopyUnit> units)
    {
        var partition = "u" + bucket.ToString("D2", CultureInfo.InvariantCulture);
        var fresh = new Dictionary<(int User, int Movie), UserCopy?>();   // read in this call: authoritative
        var removedAt = _time.GetUtcNow().ToUnixTimeSeconds();

        // A "not found" removal only repairs an existing copy: look (in storage) before writing a tombstone nobody needs.
        var mustRead = units.SelectMany(u => u.Targets.Where(t => t.Row is null && !t.RemovedNow).Select(t => (u.UserId, t.MovieId))).ToList();
        if (mustRead.Count > 0)
            await ReadCopiesAsync(partition, mustRead, fresh);

        for (var attempt = 1; ; attempt++)
        {
            var actions = new List<TableTransactionAction>();
            var written = new List<(int User, UserCopy Copy)>();
            foreach (var u in units)
                foreach (var t in u.Targets)
                {
                    // Remembered copies may be stale, but only ever older than storage (stored sequences only grow):
                    // skipping on sequence is safe with them, skipping on content needs a fresh read.
                    if (!fresh.TryGetValue((u.UserId, t.MovieId), out var copy))
                        Cache.TryGet(u.UserId, t.MovieId, out copy);
                    if (copy is not null && copy.Seq >= t.Seq)
                        continue;                                    // as new or newer already
                    if (t.Row is null && !t.RemovedNow && (copy is null || copy.IsTombstone))
                        continue;                                    // a repair with nothing to repair (read fresh above)
                    // A removal always writes its tombstone with its own sequence, even over an older tombstone: a late
                    // copy of a write ordered between the two must not come back to life.

                    var entity = RatingRows.UserRow(u.UserId, t.MovieId, t.Row, t.Seq, removedAt);
                    actions.Add(copy is null
                        ? new TableTransactionAction(TableTransactionActionType.Add, entity)
                        : new TableTransactionAction(TableTransactionActionType.UpdateReplace, entity, copy.ETag));
                    written.Add((u.UserId, RatingRows.ToUserCopy(entity)));
                }
            if (actions.Count == 0)
                break;

            try
            {
                IReadOnlyList<ETag?> etags;
                if (actions.Count == 1)
                {
                    var a = actions[0];
                    var entity = (TableEntity)a.Entity;
                    var response = a.ActionType == TableTransactionActionType.Add
                        ? await _store.UserRatingsTables[bucket].AddEntityAsync(entity)
                        : await _store.UserRatingsTables[bucket].UpdateEntityAsync(entity, a.ETag, TableUpdateMode.Replace);
                    etags = [response.Headers.ETag];
                }
                else
                {
                    var response = await _store.UserRatingsTables[bucket].SubmitTransactionAsync(actions);
                    etags = response.Value.Select(r => r.Headers.ETag).ToList();
                }
                for (var i = 0; i < written.Count; i++)
                    Cache.Apply(written[i].User, written[i].Copy with { ETag = etags[i] ?? default });
                break;
            }
            catch (RequestFailedException e) when (e.Status is 404 or 409 or 412)
            {
                if (attempt >= MaxAttempts)
                    throw Contention("Too many concurrent writers of these users' ratings; the change is recorded for the movie but not yet in the user's list: retry (a retry completes it).", e);
                // Someone else wrote a copy first, or our knowledge was stale: read the failing copy (all of them when
                // the service does not say which failed) and decide again; a blind insert covers the unknown others.
                Interlocked.Increment(ref _conflicts);
                var failed = actions.Count == 1 ? 0 : (e as TableTransactionFailedException)?.FailedTransactionActionIndex;
                var reread = failed is { } f && f < written.Count
                    ? [(written[f].User, written[f].Copy.MovieId)]
                    : units.SelectMany(u => u.Targets.Select(t => (u.UserId, t.MovieId))).ToList();
                await ReadCopiesAsync(partition, reread, fresh);
            }
        }
        foreach (var u in units)
            u.Done.TrySetResult();
    }

    async Task ReadCopiesAsync(string partition, IEnumerable<(int User, int Movie)> copies, Dictionary<(int User, int Movie), UserCopy?> fresh)
    {
        var reads = copies.Distinct().Select(async c =>
        {
            var r = await _store.CopiesOf(c.User).GetEntityIfExistsAsync(partition, MovieStore.CopyRowKey(c.User, c.Movie));
            return (c, Copy: r.HasValue ? RatingRows.ToUserCopy(r.Value!) : null);
        }).ToList();
        foreach (var (c, copy) in await Task.WhenAll(reads))
        {
            fresh[c] = copy;
            if (copy is not null)
                Cache.Apply(c.User, copy);
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
        // Always, even when nothing changed: a retried request repairs a copy (or log line) a crash left behind.
        await Task.WhenAll(
            SyncUserCopiesAsync(userId, [TargetOf(movieId, result)], cancellationToken),
            _store.Log.AppendAsync([LogEntryOf(userId, movieId, result)]));
        return result;
    }

    RatingLog.Entry LogEntryOf(int userId, int movieId, PairResult result) =>
        RatingLog.Entry.Of(userId, movieId, result.Row, result.Seq, _time.GetUtcNow().ToUnixTimeSeconds());

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
        var pending = ratings.Select(r => NewPending(r.MovieId, new PairChange(userId, PairChangeKind.Rate, r.Rating, unixTime, MayExist(userId, r.MovieId)))).ToArray();
        foreach (var bucket in pending.GroupBy(p => MovieStore.MovieBucket(p.MovieId)))
            MovieQueue(bucket.Key).EnqueueRange(bucket);   // a request's changes in one partition share a transaction
        var tasks = pending.Select(p => p.Done.Task).ToArray();
        try
        {
            await Task.WhenAll(tasks);
        }
        catch
        {
            // Fall through: sync what was written, then report the failure.
        }
        var targets = new List<CopyTarget>(tasks.Length);
        var log = new List<RatingLog.Entry>(tasks.Length);
        for (var i = 0; i < tasks.Length; i++)
            if (tasks[i].IsCompletedSuccessfully)
            {
                targets.Add(TargetOf(ratings[i].MovieId, tasks[i].Result));
                log.Add(LogEntryOf(userId, ratings[i].MovieId, tasks[i].Result));
            }
        await Task.WhenAll(SyncUserCopiesAsync(userId, targets, cancellationToken), _store.Log.AppendAsync(log));
        var failed = tasks.FirstOrDefault(t => !t.IsCompletedSuccessfully);
        if (failed is not null)
            await failed;   // throws its exception
        return tasks.Select(t => t.Result).ToArray();
    }

    // ================= reads =================

    /// <summary>A pair as stored in the movie's partition (the record), or null.</summary>
    public async Task<PairRow?> GetPairAsync(int userId, int movieId, CancellationToken cancellationToken = default)
    {
        var r = await _store.RatingsOf(movieId).GetEntityIfExistsAsync(MovieStore.MovieKey(movieId), MovieStore.PairRowKey(movieId, userId), cancellationToken: cancellationToken);
        return r.HasValue ? RatingRows.ToPairRow(r.Value!) : null;
    }

    /// <summary>Every copy in the user's partition (tombstones included), read from storage.</summary>
    public async Task<IReadOnlyList<UserCopy>> ReadUserCopiesAsync(int userId, CancellationToken cancellationToken = default)
    {
        var list = new List<UserCopy>();
        var (from, to) = MovieStore.CopyRange(userId);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {MovieStore.UserKey(userId)} and RowKey ge {from} and RowKey lt {to}");
        await foreach (var e in _store.CopiesOf(userId).QueryAsync(filter, cancellationToken: cancellationToken))
            if (MovieStore.TryParseCopyRowKey(e.RowKey, out var user, out _) && user == userId)
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
        var statsTask = _store.RatingsOf(movieId).GetEntityIfExistsAsync(partition, MovieStore.StatsRowKey(movieId), cancellationToken: cancellationToken);
        var items = new List<(int, PairRow)>(take);
        var (from, to) = MovieStore.PairRange(movieId);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey ge {from} and RowKey lt {to}");
        var seen = 0;
        await foreach (var e in _store.RatingsOf(movieId).QueryAsync(filter, maxPerPage: (int)Math.Clamp((long)skip + take, 1, 1000),
                           select: ["RowKey", RatingRows.Rating, RatingRows.UnixTime, RatingRows.Seq], cancellationToken: cancellationToken))
        {
            if (e.GetDouble(RatingRows.Rating) is null)
                continue;
            if (seen++ < skip)
                continue;
            if (MovieStore.TryParsePairRowKey(e.RowKey, out _, out var userId))
                items.Add((userId, RatingRows.ToPairRow(e)));
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
        var stored = await _store.GetStatsAsync(movieId, cancellationToken);
        var (from, to) = MovieStore.PairRange(movieId);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {MovieStore.MovieKey(movieId)} and RowKey ge {from} and RowKey lt {to}");
        await foreach (var e in _store.RatingsOf(movieId).QueryAsync(filter, cancellationToken: cancellationToken))
        {
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
