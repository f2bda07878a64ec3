using System.Collections.Concurrent;
using Azure;
using MovieRecs.Core.Catalog;
using Azure.Data.Tables;

namespace MovieRecs.Core.Store;

/// <summary>
/// Ratings and watch marks: writes that keep every movie's aggregates exact by construction, and the reads.
/// </summary>
/// <remarks>
/// <para><b>The record is the user's rows.</b> A (user, movie) pair is one row <c>{user}m{movie}</c> in the user's
/// partition of <c>ratings</c> (Rating set = rated; no Rating = watched only). Each partition also holds, per movie,
/// the aggregates over its own users: <c>s{movie}</c> (Count, SumHalves, WatchCount, Seq). A movie's aggregates are
/// the sum of its partial rows (a sharded counter). Every change of pair rows is committed in ONE entity-group
/// transaction with the partial rows of the movies it touches: each pair row written conditionally (insert, or
/// replace/delete at the ETag read), each partial row replaced only at the ETag read (or added if absent). A
/// concurrent writer (another instance) makes the transaction fail as a whole; it is re-read and retried (bounded,
/// jittered). So after any interleaving of writes every partial row equals a recount of its partition's rows, and
/// their sum a recount of the movie's.</para>
/// <para><b>Why by user.</b> A request's ratings are one user's: however many movies it rates, it is one
/// transaction (the emulator's cost is per call, ~1 ms, more than per row), and nothing else is written for it but a
/// line of the rating log. Concurrent writes to one partition (1,024 of them, user id mod 1,024) queue up and are
/// committed together, up to 100 operations per transaction, so this instance never conflicts with itself.</para>
/// <para><b>What is remembered.</b> The partial rows' ETags (so a write needs no read) and, through
/// <see cref="UserRatingsCache"/>, the user's rows with theirs. Both are only ever used as a transaction's conditions:
/// a stale memory costs a failed attempt and a read, never a wrong figure. A decision that writes nothing ("not
/// found", "unchanged", "conflict") rests on rows read in the same call.</para>
/// <para><b>Movie totals.</b> This instance keeps every partial row it has seen (latest sequence wins) and their sum
/// per movie, updated as its own transactions commit (<see cref="StatsChanged"/>) and by periodic re-reads of the
/// partial rows (other instances' writes).</para>
/// </remarks>
public sealed class RatingStore
{
    /// <summary>The service's limit for one entity-group transaction.</summary>
    public const int MaxOperationsPerTransaction = 100;

    // An instance busy with a partition commits back to back with the ETags it remembers (one round trip), while
    // another instance needs a read and a commit (two): the latter wins about one race in three, so it gets many
    // attempts and only a tiny jitter. Exhausted, it is a 503 (retry), not a 500.
    const int MaxAttempts = 100;

    readonly MovieStore _store;
    readonly TimeProvider _time;
    readonly ConcurrentDictionary<long, PartialSlot> _slots = new();
    // Every partial row seen and the movies' sums, compact (a row per rating or so on sparse data): guarded by _countLock.
    readonly Lock _countLock = new();
    readonly Dictionary<long, PartialCount> _counted = [];
    readonly Dictionary<int, PartialCount> _totals = [];
    readonly GroupCommitQueue<Pending>?[] _queues = new GroupCommitQueue<Pending>?[MovieStore.RatingPartitions];

    public RatingStore(MovieStore store, UserRatingsCache? cache = null, TimeProvider? time = null)
    {
        _store = store;
        _time = time ?? TimeProvider.System;
        Cache = cache ?? new UserRatingsCache();
    }

    public MovieStore Store => _store;

    /// <summary>The users' rows this instance knows (read or written), with their ETags.</summary>
    public UserRatingsCache Cache { get; }

    /// <summary>
    /// Called with a movie's aggregates (the sum of the partial rows this instance knows) whenever they change, in
    /// order per movie (the app points it at the in-memory catalog).
    /// </summary>
    public Action<int, MovieStats>? StatsChanged { get; set; }

    /// <summary>Where committed ratings are recorded for trending (the app points it at its <see cref="Discovery.RatingActivity"/>).</summary>
    public Discovery.RatingActivity? Activity { get; set; }

    // ================= partial aggregates and movie totals =================

    sealed record StatsState(MovieStats Stats, long Seq, ETag ETag, bool Exists)
    {
        public static StatsState Absent { get; } = new(MovieStats.Empty, 0, default, false);
    }

    /// <summary>A movie's partial row in a partition this instance writes: what its next write assumes.</summary>
    sealed class PartialSlot(int partition, int movieId)
    {
        public int Partition { get; } = partition;
        public int MovieId { get; } = movieId;
        /// <summary>The partial row as last read or written (its ETag the next write's condition); null = read it first.</summary>
        public volatile StatsState? State;
    }

    /// <summary>A partial row's figures (or, in <see cref="_totals"/>, a movie's sums; Seq unused there).</summary>
    readonly record struct PartialCount(int Count, long Halves, int Watches, long Seq)
    {
        public MovieStats ToStats() => new(Math.Max(0, Count), Math.Max(0, Halves), Math.Max(0, Watches));
    }

    static long KeyOf(int partition, int movieId) => (long)partition << 32 | (uint)movieId;

    PartialSlot SlotOf(int partition, int movieId) =>
        _slots.GetOrAdd(KeyOf(partition, movieId), static (_, k) => new PartialSlot(k.partition, k.movieId), (partition, movieId));

    /// <summary>Takes a partial row's figures into the movie's total if they are newer than the ones counted.</summary>
    void Count(int partition, int movieId, StatsState state)
    {
        lock (_countLock)
        {
            var key = KeyOf(partition, movieId);
            var had = _counted.TryGetValue(key, out var old);
            if (had && old.Seq > state.Seq)
                return;
            var now = new PartialCount(state.Stats.Count, state.Stats.SumHalves, state.Stats.WatchCount, state.Seq);
            _counted[key] = now;
            if (had && old with { Seq = 0 } == now with { Seq = 0 })
                return;
            var total = _totals.GetValueOrDefault(movieId);
            total = new PartialCount(total.Count + now.Count - old.Count, total.Halves + now.Halves - old.Halves, total.Watches + now.Watches - old.Watches, 0);
            _totals[movieId] = total;
            StatsChanged?.Invoke(movieId, total.ToStats());   // under the lock: in order per movie
        }
    }

    bool IsCounted(int partition, int movieId)
    {
        lock (_countLock)
            return _counted.ContainsKey(KeyOf(partition, movieId));
    }

    /// <summary>
    /// Reads every partial aggregate row (changed since <paramref name="since"/> when given) into the movie totals,
    /// and remembers their ETags (so the next write needs no read). Returns every movie's total afterwards, and passes
    /// each to <paramref name="apply"/> when given.
    /// </summary>
    /// <param name="spreadOver">Spread the per-table reads over this time (a periodic refresh: a steady trickle
    /// rather than a burst of 256 queries that competes with requests for the cores).</param>
    public async Task<Dictionary<int, MovieStats>> LoadAllStatsAsync(Action<int, MovieStats>? apply = null, CancellationToken cancellationToken = default,
        TimeSpan spreadOver = default, DateTimeOffset? since = null)
    {
        var filter = since is { } from
            ? MovieStore.AllStatsFilter + " and " + TableClient.CreateQueryFilter($"Timestamp ge {from}")
            : MovieStore.AllStatsFilter;
        var pause = spreadOver / _store.RatingsTables.Count;
        for (var t = 0; t < _store.RatingsTables.Count; t++)
        {
            if (t > 0 && pause > TimeSpan.Zero)
                await Task.Delay(pause, cancellationToken);
            await foreach (var e in _store.RatingsTables[t].QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
                if (MovieStore.TryParsePartitionKey(e.PartitionKey, out var partition) && MovieStore.TryParseStatsRowKey(e.RowKey, out var movieId))
                    Learn(partition, movieId, ToState(e));
        }
        Dictionary<int, MovieStats> all;
        lock (_countLock)
            all = _totals.ToDictionary(t => t.Key, t => t.Value.ToStats());
        if (apply is not null)
            foreach (var (movieId, stats) in all)
                apply(movieId, stats);
        return all;
    }

    /// <summary>A partial row read from storage: counted, and the next write's assumption where this instance writes it (unless it knows a newer one).</summary>
    void Learn(int partition, int movieId, StatsState state)
    {
        Count(partition, movieId, state);
        if (_slots.TryGetValue(KeyOf(partition, movieId), out var slot))
            lock (slot)
                if (slot.State is not { } known || known.Seq <= state.Seq)
                    slot.State = state;
    }

    static StatsState ToState(TableEntity e) => new(MovieStore.ToStats(e), e.GetInt64(RatingRows.Seq) ?? 0, e.ETag, true);

    /// <summary>
    /// A movie's exact aggregates, read now from every table (the sum of its partial rows), and its pair rows when
    /// <paramref name="withRows"/>: (user, row) in user-id order.
    /// </summary>
    async Task<(MovieStats Stats, List<(int UserId, PairRow Row)> Rows)> ReadMovieAsync(int movieId, bool withRows, CancellationToken cancellationToken)
    {
        var filter = withRows ? MovieStore.MovieRowsFilter(movieId) : TableClient.CreateQueryFilter($"RowKey eq {MovieStore.StatsRowKey(movieId)}");
        var perTable = await Task.WhenAll(_store.RatingsTables.Select(async table =>
        {
            var rows = new List<TableEntity>();
            await foreach (var e in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
                rows.Add(e);
            return rows;
        }));
        int count = 0, watches = 0;
        long halves = 0;
        var pairs = new List<(int, PairRow)>();
        foreach (var e in perTable.SelectMany(r => r))
        {
            if (MovieStore.TryParseStatsRowKey(e.RowKey, out _))
            {
                var state = ToState(e);
                if (MovieStore.TryParsePartitionKey(e.PartitionKey, out var partition))
                    Learn(partition, movieId, state);
                count += state.Stats.Count;
                halves += state.Stats.SumHalves;
                watches += state.Stats.WatchCount;
            }
            else if (MovieStore.TryParsePairRowKey(e.RowKey, out var userId, out _))
            {
                pairs.Add((userId, RatingRows.ToPairRow(e)));
            }
        }
        pairs.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return (new MovieStats(count, halves, watches), pairs);
    }

    /// <summary>A movie's exact aggregates, read from storage now (the sum of its partial rows).</summary>
    public async Task<MovieStats> ReadMovieStatsAsync(int movieId, CancellationToken cancellationToken = default) =>
        (await ReadMovieAsync(movieId, withRows: false, cancellationToken)).Stats;

    /// <summary>Forgets remembered aggregates and rows (after the store was replaced).</summary>
    public void ForgetCachedState()
    {
        _slots.Clear();
        lock (_countLock)
        {
            _counted.Clear();
            _totals.Clear();
        }
        Cache.Clear();
    }

    // ================= writes =================

    sealed class Pending(int movieId, PairChange change)
    {
        public int MovieId { get; } = movieId;
        public PairChange Change { get; } = change;
        public TaskCompletionSource<PairResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    GroupCommitQueue<Pending> Queue(int partition) => _queues[partition] ??= NewQueue(partition);

    GroupCommitQueue<Pending> NewQueue(int partition)
    {
        var queue = new GroupCommitQueue<Pending>(
            // One transaction: at most 100 operations (a row per pair, a partial row per movie), each pair at most
            // once, and a pair that had to wait keeps every later change of it waiting too (order per pair).
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
            group => CommitAsync(partition, group),
            (p, e) =>
            {
                SlotOf(partition, p.MovieId).State = null;
                p.Done.TrySetException(e);
            });
        return Interlocked.CompareExchange(ref _queues[partition], queue, null) ?? queue;
    }

    static Pending NewPending(int movieId, PairChange change)
    {
        if (!RatingId.IsRatableMovie(movieId)) throw new ArgumentOutOfRangeException(nameof(movieId));
        if (!RatingId.IsRatableUser(change.UserId)) throw new ArgumentOutOfRangeException(nameof(change));
        if ((change.Kind == PairChangeKind.Rate || change.Kind == PairChangeKind.Edit && !double.IsNaN(change.Rating)) && !MovieLens.RatingScale.IsValid(change.Rating))
            throw new ArgumentOutOfRangeException(nameof(change), change.Rating, "a rating is 0.5..5.0 in steps of 0.5");
        if (change.Review is { Length: > PairRow.MaxReviewLength })
            throw new ArgumentOutOfRangeException(nameof(change), $"a review is at most {PairRow.MaxReviewLength} characters");
        return new Pending(movieId, change);
    }

    /// <summary>Applies one change to the pair (committed together with concurrent changes of its partition).</summary>
    public Task<PairResult> ApplyAsync(int movieId, PairChange change)
    {
        var pending = NewPending(movieId, change);
        Queue(MovieStore.RatingPartition(change.UserId)).Enqueue(pending);
        return pending.Done.Task;
    }

    /// <summary>One movie's part of a partition commit: what is known of its rows, and the decisions of an attempt.</summary>
    sealed class MovieWork(PartialSlot slot, List<Pending> items)
    {
        public int MovieId => Slot.MovieId;
        public PartialSlot Slot { get; } = slot;
        public List<Pending> Items { get; } = items;
        // Rows as known: userId → row (null = absent) and its ETag. Unknown rows are assumed absent (an insert; a 409
        // tells otherwise). Every write is conditional on what it assumes, so stale knowledge fails the attempt.
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

    async Task CommitAsync(int partition, List<Pending> group)
    {
        var table = _store.TableOf(partition);
        var partitionKey = MovieStore.PartitionKey(partition);
        var works = group.GroupBy(p => p.MovieId).Select(g => new MovieWork(SlotOf(partition, g.Key), g.ToList())).ToList();
        foreach (var w in works)
        {
            // Never seen by this instance (which read every partial row at start): assume absent, an insert proves it.
            w.State = w.Slot.State ?? (IsCounted(partition, w.MovieId) ? null : StatsState.Absent);
            foreach (var p in w.Items)
            {
                if (p.Change.Kind is PairChangeKind.Unwatch or PairChangeKind.RemoveRating or PairChangeKind.Edit)
                    w.MustKnow.Add(p.Change.UserId);
                else if (Cache.TryGet(p.Change.UserId, w.MovieId, out var copy))
                    w.Known[p.Change.UserId] = copy is null || copy.IsTombstone ? (null, default) : (RowOf(copy), copy.ETag);
            }
        }

        for (var attempt = 1; ; attempt++)
        {
            var active = works.Where(w => !w.Done).ToList();
            if (active.Count == 0)
                return;
            await ReadWhatIsMissingAsync(table, partitionKey, active);

            var actions = new List<TableTransactionAction>();
            var inTransaction = new List<MovieWork>();
            foreach (var w in active)
            {
                Decide(w);
                if (w.Actions.Count > 0)
                {
                    // The commit is conditional on the partial row, so it also confirms this movie's changes that write
                    // nothing, but only if their rows were read after that partial row's state: otherwise (rows known
                    // from the cache, or read before a re-read of the partial row) read them first, then decide again.
                    var writing = w.Actions.Select(a => a.Item).ToHashSet();
                    var stale = w.Items.Where((p, i) => !writing.Contains(i) && !w.FreshlyRead.Contains(p.Change.UserId)).Select(p => p.Change.UserId).ToList();
                    if (stale.Count > 0)
                    {
                        foreach (var u in stale)
                        {
                            w.Known.Remove(u);
                            w.MustKnow.Add(u);
                        }
                        continue;
                    }
                    w.FirstAction = actions.Count;
                    actions.AddRange(w.Actions.Select(a => a.Action));
                    w.StatsAction = actions.Count;
                    actions.Add(w.State!.Exists
                        ? new TableTransactionAction(TableTransactionActionType.UpdateReplace, RatingRows.StatsRow(partition, w.MovieId, w.NewStats, w.Seq), w.State.ETag)
                        : new TableTransactionAction(TableTransactionActionType.Add, RatingRows.StatsRow(partition, w.MovieId, w.NewStats, w.Seq)));
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
                var response = await table.SubmitTransactionAsync(actions);
                foreach (var w in inTransaction)
                    FinishCommitted(w, response.Value);
            }
            catch (TableTransactionFailedException e) when (e.Status is 404 or 409 or 412)
            {
                if (attempt >= MaxAttempts)
                    throw Contention($"Too many concurrent writers of partition {partitionKey}; nothing was written, retry.", e);
                var index = e.FailedTransactionActionIndex;
                var failed = index is { } i ? inTransaction.FirstOrDefault(w => i >= w.FirstAction && i <= w.StatsAction) : null;
                foreach (var w in failed is null ? inTransaction : [failed])
                {
                    if (index is null || index == w.StatsAction)
                        w.Slot.State = w.State = null;   // another writer changed the partial row: read it again (then the rows)
                    if (index is null || index != w.StatsAction)
                        foreach (var p in w.Items)
                        {
                            // A pair row was not as assumed: read the rows of this movie's part.
                            w.MustKnow.Add(p.Change.UserId);
                            w.Known.Remove(p.Change.UserId);
                        }
                }
                if (attempt > 3)
                    await Task.Delay(Random.Shared.Next(0, 4));   // a short jittered pause (a long one lets the other writer win more)
            }
        }
    }

    static PairRow RowOf(UserRatingRow copy) => new(copy.Rating, copy.UnixTime, copy.Seq) { Review = copy.Review };

    static string? NewReview(string? asked, string? stored) => asked is null ? stored : asked.Length == 0 ? null : asked;

    async Task ReadWhatIsMissingAsync(TableClient table, string partitionKey, List<MovieWork> works)
    {
        var statsReads = works.Where(w => w.State is null).Select(async w =>
        {
            var r = await table.GetEntityIfExistsAsync<TableEntity>(partitionKey, MovieStore.StatsRowKey(w.MovieId));
            var state = r.HasValue ? ToState(r.Value!) : StatsState.Absent;
            if (r.HasValue)
                Count(w.Slot.Partition, w.MovieId, state);
            w.Slot.State = state;
            w.State = state;
            w.StatsFresh = true;
            w.FreshlyRead.Clear();   // rows read before this state do not prove a decision as of it
        });
        await Task.WhenAll(statsReads);
        var rowReads = works.SelectMany(w => w.MustKnow.Where(u => !w.Known.ContainsKey(u)).Select(u => (Work: w, User: u))).ToList().Select(async r =>
        {
            var e = await table.GetEntityIfExistsAsync<TableEntity>(partitionKey, MovieStore.PairRowKey(r.User, r.Work.MovieId));
            return (r.Work, r.User, Entity: e.HasValue ? e.Value : null);
        });
        foreach (var (w, user, entity) in await Task.WhenAll(rowReads))
        {
            if (entity is not null)
            {
                w.Known[user] = (RatingRows.ToPairRow(entity), entity.ETag);
                Cache.Apply(user, RatingRows.ToUserRow(entity));
            }
            else
            {
                w.Known[user] = (null, default);
                Cache.Apply(user, RatingRows.ToUserRow(w.MovieId, null, w.State!.Seq, default));   // known absent as of the partial's sequence
            }
            w.FreshlyRead.Add(user);
            w.MustKnow.Remove(user);
        }
    }

    /// <summary>This attempt's outcome of every change of the movie, the rows to write and the new partial aggregates.</summary>
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
                    (outcome, after, type) = (PairOutcome.Created, new PairRow(c.Rating, c.UnixTime, seq) { Review = NewReview(c.Review, null) }, TableTransactionActionType.Add);
                    stats = stats with { Count = stats.Count + 1, SumHalves = stats.SumHalves + MovieStats.ToHalves(c.Rating), WatchCount = stats.WatchCount + 1 };
                    break;
                case PairChangeKind.Rate when row!.Rating is null:
                    (outcome, after, type) = (PairOutcome.Created, new PairRow(c.Rating, c.UnixTime, seq) { Review = NewReview(c.Review, null) }, TableTransactionActionType.UpdateReplace);
                    stats = stats with { Count = stats.Count + 1, SumHalves = stats.SumHalves + MovieStats.ToHalves(c.Rating) };
                    break;
                case PairChangeKind.Rate or PairChangeKind.Edit when row is not null && row.Rating is not null
                        && MovieStats.ToHalves(row.Rating.Value) == MovieStats.ToHalves(double.IsNaN(c.Rating) ? row.Rating.Value : c.Rating)
                        && NewReview(c.Review, row.Review) == row.Review:
                    outcome = PairOutcome.Unchanged;
                    break;
                case PairChangeKind.Edit when row is null || row.Rating is null:
                    outcome = PairOutcome.NotFound;
                    break;
                case PairChangeKind.Rate or PairChangeKind.Edit:
                {
                    var rating = double.IsNaN(c.Rating) ? row!.Rating!.Value : c.Rating;
                    (outcome, after, type) = (PairOutcome.Replaced, new PairRow(rating, c.UnixTime, seq) { Review = NewReview(c.Review, row!.Review) },
                        TableTransactionActionType.UpdateReplace);
                    stats = stats with { SumHalves = stats.SumHalves - MovieStats.ToHalves(row!.Rating!.Value) + MovieStats.ToHalves(rating) };
                    break;
                }
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
                actions.Add((i, new TableTransactionAction(t, RatingRows.PairEntity(c.UserId, w.MovieId, after), etag)));
                results[i] = new PairResult(outcome, after, seq);
            }
            else
            {
                results[i] = new PairResult(outcome, after, after?.Seq ?? state.Seq);
            }
        }
        (w.Results, w.NewStats, w.Seq, w.Actions) = (results, stats, seq, actions);
    }

    /// <summary>A movie whose changes write nothing: complete it, unless its decisions rest on knowledge to refresh first.</summary>
    void FinishWithoutWriting(MovieWork w)
    {
        // No commit validates these decisions: they must rest on rows read in this call, not remembered ones (another
        // instance may have changed them since). A "not found" carries the partial's sequence (the log orders the
        // removal by it): with a remembered partial it may be old, so read the partial, then the rows, again.
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
            w.State = null;   // read it, then the rows again
            return;
        }
        w.Done = true;
        for (var i = 0; i < w.Items.Count; i++)
            w.Items[i].Done.TrySetResult(w.Results[i]!);
    }

    void FinishCommitted(MovieWork w, IReadOnlyList<Response> responses)
    {
        var etag = responses[w.StatsAction].Headers.ETag ?? default;
        var committed = new StatsState(w.NewStats, w.Seq, etag, true);
        // Without an ETag (never from Azure or Azurite) the next write reads the partial row first.
        w.Slot.State = etag == default ? null : committed;
        Count(w.Slot.Partition, w.MovieId, committed);
        for (var a = 0; a < w.Actions.Count; a++)
        {
            var item = w.Actions[a].Item;
            var userId = w.Items[item].Change.UserId;
            var result = w.Results[item]!;
            var rowETag = responses[w.FirstAction + a].Headers.ETag ?? default;
            if (result.Row is not null && rowETag == default)
                Cache.Forget(userId, w.MovieId);
            else
                Cache.Apply(userId, RatingRows.ToUserRow(w.MovieId, result.Row, w.Seq, rowETag));
        }
        w.Done = true;
        for (var i = 0; i < w.Items.Count; i++)
        {
            var result = w.Results[i]!;
            if (result.Outcome is PairOutcome.Created or PairOutcome.Replaced && result.Row is { IsRated: true } row)
                Activity?.Record(w.MovieId, row.UnixTime);
            w.Items[i].Done.TrySetResult(result);
        }
    }

    /// <summary>Conflicting writers kept winning: "unavailable, retry" (503 with Retry-After through the app's exception handler).</summary>
    static RequestFailedException Contention(string message, Exception inner) => new(503, message, "WriteContention", inner);

    // ================= operations =================

    /// <summary>Rates (creates or replaces); the same value again changes nothing. Returns once it is stored and logged.</summary>
    public Task<PairResult> RateAsync(int userId, int movieId, double rating, long unixTime, CancellationToken cancellationToken = default) =>
        ApplyOneAsync(userId, movieId, new PairChange(userId, PairChangeKind.Rate, rating, unixTime));

    public Task<PairResult> RemoveRatingAsync(int userId, int movieId, CancellationToken cancellationToken = default) =>
        ApplyOneAsync(userId, movieId, new PairChange(userId, PairChangeKind.RemoveRating, 0, 0));

    public Task<PairResult> WatchAsync(int userId, int movieId, long unixTime, CancellationToken cancellationToken = default) =>
        ApplyOneAsync(userId, movieId, new PairChange(userId, PairChangeKind.Watch, 0, unixTime));

    public Task<PairResult> UnwatchAsync(int userId, int movieId, CancellationToken cancellationToken = default) =>
        ApplyOneAsync(userId, movieId, new PairChange(userId, PairChangeKind.Unwatch, 0, 0));

    /// <summary>
    /// Changes an existing rating: its score (NaN keeps it) and review (null keeps it, "" removes it). NotFound when the
    /// pair is not rated; the same values again change nothing.
    /// </summary>
    public Task<PairResult> EditAsync(int userId, int movieId, double rating, string? review, long unixTime, CancellationToken cancellationToken = default) =>
        ApplyOneAsync(userId, movieId, new PairChange(userId, PairChangeKind.Edit, rating, unixTime, review));

    /// <summary>
    /// Removes every rating and watch mark of the user (a closed account), each through the ordinary remove path, so
    /// every partial aggregate row stays a recount. Reads the user's rows from storage first; returns how many pairs
    /// were removed. Safe to repeat.
    /// </summary>
    public async Task<int> RemoveAllOfUserAsync(int userId, CancellationToken cancellationToken = default)
    {
        var removed = 0;
        // A rating that arrives meanwhile (another instance, before the caller's lock-out reached it) is met by the next pass.
        for (var pass = 1; ; pass++)
        {
            var rows = await ReadUserRowsAsync(userId, cancellationToken);
            if (rows.Count == 0)
                return removed;
            if (pass > 5)
                throw Contention($"User {userId} kept getting new ratings while being removed; retry.", new InvalidOperationException());
            removed += await RemoveRowsAsync(userId, rows);
        }
    }

    async Task<int> RemoveRowsAsync(int userId, IReadOnlyList<UserRatingRow> rows)
    {
        var removed = 0;
        foreach (var chunk in rows.Chunk(MaxOperationsPerTransaction / 2))
        {
            var results = await ApplyManyAsync(userId, [.. chunk.Select(r =>
                NewPending(r.MovieId, new PairChange(userId, r.IsRated ? PairChangeKind.RemoveRating : PairChangeKind.Unwatch, 0, 0)))]);
            removed += results.Count(r => r.Outcome == PairOutcome.Removed);
        }
        return removed;
    }

    /// <summary>
    /// Changes of one user's pairs (distinct movies): queued together in the user's partition (shared transactions), then
    /// one rating log append of every change that was applied, even when another failed (whose exception is then thrown).
    /// </summary>
    async Task<PairResult[]> ApplyManyAsync(int userId, Pending[] pending)
    {
        Queue(MovieStore.RatingPartition(userId)).EnqueueRange(pending);
        var tasks = pending.Select(p => p.Done.Task).ToArray();
        try
        {
            await Task.WhenAll(tasks);
        }
        catch
        {
            // Fall through: log what was written, then report the failure.
        }
        var log = new List<RatingLog.Entry>(tasks.Length);
        for (var i = 0; i < tasks.Length; i++)
            if (tasks[i].IsCompletedSuccessfully)
                log.Add(LogEntryOf(userId, pending[i].MovieId, tasks[i].Result));
        await _store.Log.AppendAsync(log);
        var failed = tasks.FirstOrDefault(t => !t.IsCompletedSuccessfully);
        if (failed is not null)
            await failed;   // throws its exception
        return tasks.Select(t => t.Result).ToArray();
    }

    async Task<PairResult> ApplyOneAsync(int userId, int movieId, PairChange change)
    {
        var result = await ApplyAsync(movieId, change);
        // Always, even when nothing changed: a retried request repairs a log line a crash left out.
        await _store.Log.AppendAsync([LogEntryOf(userId, movieId, result)]);
        return result;
    }

    RatingLog.Entry LogEntryOf(int userId, int movieId, PairResult result) =>
        RatingLog.Entry.Of(userId, movieId, result.Row, result.Seq, _time.GetUtcNow().ToUnixTimeSeconds());

    /// <summary>
    /// Rates several movies for one user (distinct movies, at most 100): one transaction (shared with other writers of
    /// the user's partition, split if it would exceed 100 operations), then one rating log append.
    /// </summary>
    public async Task<PairResult[]> RateManyAsync(int userId, IReadOnlyList<(int MovieId, double Rating)> ratings, long unixTime, CancellationToken cancellationToken = default)
    {
        if (ratings.Count > 100) throw new ArgumentOutOfRangeException(nameof(ratings), "at most 100 per call");
        if (ratings.Select(r => r.MovieId).Distinct().Count() != ratings.Count) throw new ArgumentException("movies must be distinct", nameof(ratings));
        // One user: one partition, shared transactions.
        return await ApplyManyAsync(userId, [.. ratings.Select(r => NewPending(r.MovieId, new PairChange(userId, PairChangeKind.Rate, r.Rating, unixTime)))]);
    }

    // ================= reads =================

    /// <summary>A pair as stored, or null.</summary>
    public async Task<PairRow?> GetPairAsync(int userId, int movieId, CancellationToken cancellationToken = default)
    {
        var r = await _store.RatingsOfUser(userId).GetEntityIfExistsAsync<TableEntity>(MovieStore.UserKey(userId), MovieStore.PairRowKey(userId, movieId), cancellationToken: cancellationToken);
        return r.HasValue ? RatingRows.ToPairRow(r.Value!) : null;
    }

    /// <summary>Every row of the user (ratings and watch marks), read from storage.</summary>
    public async Task<IReadOnlyList<UserRatingRow>> ReadUserRowsAsync(int userId, CancellationToken cancellationToken = default)
    {
        var list = new List<UserRatingRow>();
        var (from, to) = MovieStore.UserRange(userId);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {MovieStore.UserKey(userId)} and RowKey ge {from} and RowKey lt {to}");
        await foreach (var e in _store.RatingsOfUser(userId).QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
            if (MovieStore.TryParsePairRowKey(e.RowKey, out var user, out _) && user == userId)
                list.Add(RatingRows.ToUserRow(e));
        return list;
    }

    /// <summary>The user's rows from this instance's memory when read less than <paramref name="maxAge"/> ago.</summary>
    public async Task<IReadOnlyList<UserRatingRow>> GetUserRowsAsync(int userId, TimeSpan maxAge, CancellationToken cancellationToken = default) =>
        (await GetUserSnapshotAsync(userId, maxAge, cancellationToken)).Rows;

    /// <summary>As <see cref="GetUserRowsAsync"/>, with a version that changes whenever the rows do (for memoizing what is derived from them).</summary>
    public Task<UserSnapshot> GetUserSnapshotAsync(int userId, TimeSpan maxAge, CancellationToken cancellationToken = default) =>
        Cache.GetAllAsync(userId, maxAge, () => ReadUserRowsAsync(userId, CancellationToken.None));

    /// <summary>
    /// One page of a movie's ratings in user-id order (stable while ratings arrive), and the movie's exact
    /// aggregates. Reads the movie's rows from every table (a query on MovieId each): a cold path.
    /// </summary>
    public async Task<(IReadOnlyList<(int UserId, PairRow Row)> Items, MovieStats Stats)> GetMovieRatingsPageAsync(
        int movieId, int skip, int take, CancellationToken cancellationToken = default)
    {
        var (stats, rows) = await ReadMovieAsync(movieId, withRows: true, cancellationToken);
        return (rows.Where(r => r.Row.IsRated).Skip(skip).Take(take).ToList(), stats);
    }
}
