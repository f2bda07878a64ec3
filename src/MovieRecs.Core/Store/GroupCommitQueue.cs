using System.Collections.Concurrent;

namespace MovieRecs.Core.Store;

/// <summary>
/// One writer per partition, and everything that queued up while it was busy goes into its next commit. Storage
/// (the emulator above all) charges per call far more than per row, so under load each call carries many writes,
/// and an instance never races itself for the same rows.
/// </summary>
/// <typeparam name="T">A queued write; the commit delegate completes it (or <paramref name="fail"/> does).</typeparam>
/// <param name="newGroup">Makes a fresh admission test for one commit: it says whether an item still fits (limits,
/// no two writes of the same row). Items that do not fit wait, in order, for the next commit.</param>
/// <param name="linger">How long an idle queue waits after its first item before committing, so that writes arriving
/// close together share a call even at moderate load (zero: commit at once).</param>
sealed class GroupCommitQueue<T>(Func<Func<T, bool>> newGroup, Func<List<T>, Task> commit, Action<T, Exception> fail, TimeSpan linger = default)
{
    readonly ConcurrentQueue<T> _queue = new();
    readonly List<T> _waiting = [];   // only the draining task touches it
    int _draining;

    public void Enqueue(T item) => EnqueueRange([item]);

    /// <summary>Queues several items at once, so a commit that starts now sees all of them.</summary>
    public void EnqueueRange(IEnumerable<T> items)
    {
        foreach (var item in items)
            _queue.Enqueue(item);
        if (Interlocked.CompareExchange(ref _draining, 1, 0) == 0)
            _ = DrainAsync();
    }

    async Task DrainAsync()
    {
        // Let the caller (and whoever else is enqueueing right now) add more before the first take.
        if (linger > TimeSpan.Zero)
            await Task.Delay(linger);
        else
            await Task.Yield();
        while (true)
        {
            var group = Take();
            if (group.Count == 0)
            {
                Volatile.Write(ref _draining, 0);
                if (_queue.IsEmpty || Interlocked.CompareExchange(ref _draining, 1, 0) != 0)
                    return;
                continue;
            }
            try
            {
                await commit(group);
            }
            catch (Exception e)
            {
                foreach (var item in group)
                    fail(item, e);
            }
        }
    }

    List<T> Take()
    {
        while (_queue.TryDequeue(out var next))
            _waiting.Add(next);
        var fits = newGroup();
        var group = new List<T>();
        var rest = new List<T>();
        foreach (var item in _waiting)
            (fits(item) ? group : rest).Add(item);
        _waiting.Clear();
        _waiting.AddRange(rest);
        return group;
    }
}
