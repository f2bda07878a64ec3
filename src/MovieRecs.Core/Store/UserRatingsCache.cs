using System.Collections.Concurrent;
using System.Diagnostics;

namespace MovieRecs.Core.Store;

/// <summary>A user's rating rows as read at one moment; <see cref="Version"/> changes whenever they do (any user).</summary>
public sealed record UserSnapshot(IReadOnlyList<UserRatingRow> Rows, long Version);

/// <summary>
/// What this instance knows of users' rating rows: every row it wrote or read, with its ETag (so the next write to
/// it is one conditional call), and, after a read of all the user's rows, all of them (so a user's ratings are served
/// from memory). Rows known to be absent are kept as tombstones (in memory only).
/// </summary>
/// <remarks>
/// Writes through this instance update the entry at once (read-your-writes on the same instance). A full
/// snapshot counts as fresh for <c>maxAge</c> and is refreshed in the background up to twice that age; writes made
/// through other instances become visible within about two <c>maxAge</c>s. Stale knowledge is never trusted for a write: writes are ETag-conditional and a stale ETag just
/// costs a re-read. At most <see cref="MaxUsers"/> users and <see cref="MaxRows"/> rows are kept; the least
/// recently used users go first.
/// </remarks>
public sealed class UserRatingsCache(int maxUsers = 5000, int maxRows = 500_000)
{
    sealed class Entry
    {
        public readonly Lock Gate = new();
        public readonly Dictionary<int, (UserRatingRow Copy, long At)> Rows = [];
        public long CompleteAt;          // Stopwatch timestamp of the last full read started; 0 = partial knowledge
        public long LastUsed;
        public long Version;             // changes whenever Rows do (unique across entries)
        public UserSnapshot? Snapshot;   // Rows as a list, for Version
        public Task<UserSnapshot>? Loading;
    }

    static long s_versions;

    readonly ConcurrentDictionary<int, Entry> _entries = new();
    int _evicting;
    long _rows;

    public int MaxUsers { get; } = maxUsers;
    public int MaxRows { get; } = maxRows;

    /// <summary>Rows held, all users together.</summary>
    public long Rows => Interlocked.Read(ref _rows);

    public int Count => _entries.Count;

    /// <summary>What is known of one row: the row (which may be a tombstone: known absent), known absent, or unknown.</summary>
    public bool TryGet(int userId, int movieId, out UserRatingRow? copy)
    {
        copy = null;
        if (!_entries.TryGetValue(userId, out var entry))
            return false;
        lock (entry.Gate)
        {
            if (entry.Rows.TryGetValue(movieId, out var row))
            {
                copy = row.Copy;
                return true;
            }
            return entry.CompleteAt != 0;   // absent from a full snapshot: known absent (possibly stale)
        }
    }

    /// <summary>Records a row just written or read. An older sequence never replaces a newer one.</summary>
    public void Apply(int userId, UserRatingRow copy)
    {
        var entry = _entries.GetOrAdd(userId, static _ => new Entry { LastUsed = Stopwatch.GetTimestamp() });
        lock (entry.Gate)
        {
            var isNew = !entry.Rows.TryGetValue(copy.MovieId, out var existing);
            if (isNew || copy.Seq >= existing.Copy.Seq)
            {
                if (isNew)
                    Interlocked.Increment(ref _rows);
                entry.Rows[copy.MovieId] = (copy, Stopwatch.GetTimestamp());
                entry.Version = Interlocked.Increment(ref s_versions);
            }
        }
        EvictIfNeeded();
    }

    /// <summary>
    /// Every row of the user (tombstones of rows removed through this instance included), from memory when a full read is younger than
    /// <paramref name="maxAge"/>. Between one and two <paramref name="maxAge"/>s old, the snapshot is still served
    /// while <paramref name="load"/> reads it again in the background, so a user read steadily never waits for
    /// storage; older (or never read), the caller waits for the read. One read at a time per user.
    /// </summary>
    public async Task<UserSnapshot> GetAllAsync(int userId, TimeSpan maxAge, Func<Task<IReadOnlyList<UserRatingRow>>> load)
    {
        var entry = _entries.GetOrAdd(userId, static _ => new Entry());
        Task<UserSnapshot> loading;
        lock (entry.Gate)
        {
            entry.LastUsed = Stopwatch.GetTimestamp();
            var age = entry.CompleteAt == 0 ? TimeSpan.MaxValue : Stopwatch.GetElapsedTime(entry.CompleteAt);
            if (age < maxAge)
                return Snapshot(entry);
            loading = entry.Loading ??= LoadAsync(entry, load);
            if (age < maxAge * 2)
            {
                loading.ContinueWith(static t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted);   // retried by the next reader
                return Snapshot(entry);
            }
        }
        EvictIfNeeded();
        return await loading;
    }

    async Task<UserSnapshot> LoadAsync(Entry entry, Func<Task<IReadOnlyList<UserRatingRow>>> load)
    {
        await Task.Yield();   // run outside the caller's lock
        var started = Stopwatch.GetTimestamp();
        try
        {
            var loaded = await load();
            lock (entry.Gate)
            {
                // The usual re-read finds what is held: keep the held objects (the version, the snapshot, and what
                // callers derived from it stay). Swapping in equal copies every few seconds only promoted a few
                // hundred thousand short-lived objects a minute to the old generation, and its collections showed
                // as the tail latency of every endpoint that reads a user's ratings.
                if (entry.CompleteAt != 0 && Holds(entry, loaded))
                {
                    entry.CompleteAt = started;
                    return Snapshot(entry);
                }
                // Rows applied while the read ran may be newer than what it saw: keep those.
                var recent = entry.Rows.Where(r => r.Value.At >= started).ToList();
                var previous = entry.CompleteAt == 0 ? null : entry.Rows.ToDictionary(r => r.Key, r => r.Value.Copy);
                var before = entry.Rows.Count;
                entry.Rows.Clear();
                foreach (var copy in loaded)
                    entry.Rows[copy.MovieId] = (copy, started);
                foreach (var (movieId, row) in recent)
                    if (!entry.Rows.TryGetValue(movieId, out var seen) || row.Copy.Seq >= seen.Copy.Seq)
                        entry.Rows[movieId] = row;
                entry.CompleteAt = started;
                // A re-read that found the same rows keeps the version (and the snapshot, and whatever callers
                // derived from it: a folded-in profile is not worth recomputing every few seconds for nothing).
                if (previous is null || previous.Count != entry.Rows.Count || entry.Rows.Any(r => !previous.TryGetValue(r.Key, out var old) || old != r.Value.Copy))
                    entry.Version = Interlocked.Increment(ref s_versions);
                Interlocked.Add(ref _rows, entry.Rows.Count - before);
                return Snapshot(entry);
            }
        }
        finally
        {
            lock (entry.Gate)
                entry.Loading = null;
            EvictIfNeeded();
        }
    }

    static bool Holds(Entry entry, IReadOnlyList<UserRatingRow> loaded)
    {
        if (entry.Rows.Count != loaded.Count)
            return false;
        foreach (var copy in loaded)
            if (!entry.Rows.TryGetValue(copy.MovieId, out var held) || held.Copy != copy)
                return false;
        return true;
    }

    /// <summary>Forgets one row (its state is unknown); a full snapshot of the user is no longer complete.</summary>
    public void Forget(int userId, int movieId)
    {
        if (!_entries.TryGetValue(userId, out var entry))
            return;
        lock (entry.Gate)
        {
            if (entry.Rows.Remove(movieId))
                Interlocked.Decrement(ref _rows);
            entry.CompleteAt = 0;
            entry.Version = Interlocked.Increment(ref s_versions);
        }
    }

    /// <summary>Forgets everything (e.g. after the store was replaced by an import).</summary>
    public void Clear()
    {
        _entries.Clear();
        Interlocked.Exchange(ref _rows, 0);
    }

    /// <summary>The entry's rows as an immutable list, built once per version (called under the entry's lock).</summary>
    static UserSnapshot Snapshot(Entry entry)
    {
        if (entry.Snapshot is { } cached && cached.Version == entry.Version)
            return cached;
        var list = new UserRatingRow[entry.Rows.Count];
        var i = 0;
        foreach (var row in entry.Rows.Values)
            list[i++] = row.Copy;
        return entry.Snapshot = new UserSnapshot(list, entry.Version);
    }

    void EvictIfNeeded()
    {
        if ((_entries.Count <= MaxUsers && Interlocked.Read(ref _rows) <= MaxRows) || Interlocked.Exchange(ref _evicting, 1) == 1)
            return;
        try
        {
            // Oldest first, down to 90% of both limits.
            foreach (var victim in _entries.OrderBy(e => Volatile.Read(ref e.Value.LastUsed)).ToList())
            {
                if (_entries.Count <= MaxUsers * 9 / 10 && Interlocked.Read(ref _rows) <= MaxRows * 9L / 10)
                    break;
                if (_entries.TryRemove(victim))
                    lock (victim.Value.Gate)
                        Interlocked.Add(ref _rows, -victim.Value.Rows.Count);
            }
            // Recount exactly (a write in flight may have reached an entry just removed).
            long rows = 0;
            foreach (var entry in _entries.Values)
                lock (entry.Gate)
                    rows += entry.Rows.Count;
            Interlocked.Exchange(ref _rows, rows);
        }
        finally
        {
            Volatile.Write(ref _evicting, 0);
        }
    }
}
