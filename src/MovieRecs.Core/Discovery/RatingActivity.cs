namespace MovieRecs.Core.Discovery;

/// <summary>A rating given to a movie at a unix time (seconds).</summary>
public readonly record struct RatingEvent(int MovieId, long UnixTime);

/// <summary>
/// The recent rating events <see cref="Trending"/> ranks by: an in-memory, bounded, thread-safe record fed by an
/// initial load and by live appends from any number of threads.
/// </summary>
/// <remarks>
/// Two bounds keep it small: only events within <see cref="Retention"/> (30 days, the longest trending window) of the
/// newest event are kept — trending never looks further back, whether relative to now or to the newest rating — and at
/// most <see cref="Capacity"/> of them (the oldest go first; 500,000 events ≈ 6 MB by default). Removed or changed
/// ratings are not taken back: the event of rating a movie happened all the same.
/// </remarks>
public sealed class RatingActivity
{
    public const int DefaultCapacity = 500_000;
    public static readonly TimeSpan Retention = TimeSpan.FromDays(30);
    static readonly long s_retentionSeconds = (long)Retention.TotalSeconds;

    readonly object _gate = new();
    // Movies get dense slot numbers on first sight so a tally is an array walk, not a hash per event.
    // Slots are never reused: there are at most as many as movies ever rated.
    readonly Dictionary<int, int> _slotOfMovie = [];
    readonly List<int> _movieOfSlot = [];
    double[] _scoreScratch = [];
    int[] _countScratch = [];
    // A ring of slots in arrival order (which is time order but for small disorder): the oldest at _head.
    int[] _movies;
    long[] _times;
    int _head;
    int _count;
    long _newest = long.MinValue;
    long _version;

    public RatingActivity(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _movies = new int[Math.Min(capacity, 1024)];
        _times = new long[_movies.Length];
    }

    /// <summary>The most events kept.</summary>
    public int Capacity { get; }

    /// <summary>Events held now.</summary>
    public int Count
    {
        get { lock (_gate) return _count; }
    }

    /// <summary>Time of the newest event ever recorded, or null when none was.</summary>
    public long? NewestUnixTime
    {
        get { lock (_gate) return _newest == long.MinValue ? null : _newest; }
    }

    /// <summary>Bumped by every change: lets <see cref="Trending"/> tell a stale cache from a current one.</summary>
    internal long Version
    {
        get { lock (_gate) return _version; }
    }

    /// <summary>Records one rating (a live write). Events older than <see cref="Retention"/> before the newest are ignored.</summary>
    public void Record(int movieId, long unixTime)
    {
        lock (_gate)
        {
            if (_newest != long.MinValue && unixTime <= _newest - s_retentionSeconds)
                return;
            if (unixTime > _newest)
                _newest = unixTime;
            if (_count == Capacity)
            {
                _head = (_head + 1) % _movies.Length;   // full: the oldest goes
                _count--;
            }
            else if (_count == _movies.Length)
                Resize((int)Math.Min(Capacity, 2L * _count));
            var at = (_head + _count) % _movies.Length;
            _movies[at] = SlotOf(movieId);
            _times[at] = unixTime;
            _count++;
            // Arrival order is nearly time order, so expired events gather at the head.
            var cutoff = _newest - s_retentionSeconds;
            while (_count > 0 && _times[_head] <= cutoff)
            {
                _head = (_head + 1) % _movies.Length;
                _count--;
            }
            _version++;
        }
    }

    /// <summary>
    /// Adds many events at once (the initial load), in any order, merged with what is already held. Events are read
    /// outside the lock, so live <see cref="Record"/> calls carry on meanwhile; memory stays within about twice the capacity.
    /// </summary>
    public void Load(IEnumerable<RatingEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var batch = new List<RatingEvent>();
        var newest = long.MinValue;
        foreach (var e in events)
        {
            if (newest != long.MinValue && e.UnixTime <= newest - s_retentionSeconds)
                continue;
            batch.Add(e);
            newest = Math.Max(newest, e.UnixTime);
            if (batch.Count >= 2 * Math.Max(Capacity, 1024))
                Compact(batch, newest);
        }

        lock (_gate)
        {
            for (var k = 0; k < _count; k++)
            {
                var at = (_head + k) % _movies.Length;
                batch.Add(new RatingEvent(_movieOfSlot[_movies[at]], _times[at]));
            }
            _newest = Math.Max(_newest, newest);
            Compact(batch, _newest);
            var size = (int)Math.Min(Capacity, Math.Max(1024, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)batch.Count)));
            _movies = new int[size];
            _times = new long[size];
            for (var k = 0; k < batch.Count; k++)
            {
                _movies[k] = SlotOf(batch[k].MovieId);
                _times[k] = batch[k].UnixTime;
            }
            _head = 0;
            _count = batch.Count;
            _version++;
        }
    }

    /// <summary>Leaves <paramref name="batch"/> in time order, within retention of <paramref name="newest"/>, at most Capacity long.</summary>
    void Compact(List<RatingEvent> batch, long newest)
    {
        var cutoff = newest - s_retentionSeconds;
        batch.RemoveAll(e => e.UnixTime <= cutoff);
        batch.Sort((a, b) => a.UnixTime.CompareTo(b.UnixTime));
        if (batch.Count > Capacity)
            batch.RemoveRange(0, batch.Count - Capacity);
    }

    void Resize(int size)
    {
        var movies = new int[size];
        var times = new long[size];
        for (var k = 0; k < _count; k++)
        {
            var at = (_head + k) % _movies.Length;
            movies[k] = _movies[at];
            times[k] = _times[at];
        }
        _movies = movies;
        _times = times;
        _head = 0;
    }

    int SlotOf(int movieId)
    {
        ref var slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_slotOfMovie, movieId, out var seen);
        if (!seen)
        {
            slot = _movieOfSlot.Count;
            _movieOfSlot.Add(movieId);
        }
        return slot;
    }

    /// <summary>
    /// The <paramref name="take"/> movies with the highest decayed counts over the events in
    /// (<paramref name="fromExclusive"/>, <paramref name="toInclusive"/>]: each event adds 2^(−age ÷ half-life), age
    /// measured back from <paramref name="toInclusive"/>. Best first; ties: more events, lower id.
    /// </summary>
    internal TrendingMovie[] Top(long fromExclusive, long toInclusive, double halfLifeSeconds, int take)
    {
        var decay = -Math.Log(2) / halfLifeSeconds;
        var heap = new PriorityQueue<TrendingMovie, TrendingMovie>(take + 1, TrendingMovie.WorseFirst);
        lock (_gate)
        {
            var slots = _movieOfSlot.Count;
            if (_scoreScratch.Length < slots)
            {
                _scoreScratch = new double[Math.Max(slots, 2 * _scoreScratch.Length)];
                _countScratch = new int[_scoreScratch.Length];
            }
            var score = _scoreScratch;
            var count = _countScratch;
            for (var k = 0; k < _count; k++)
            {
                var at = _head + k;
                if (at >= _movies.Length)
                    at -= _movies.Length;
                var t = _times[at];
                if (t <= fromExclusive || t > toInclusive)
                    continue;
                var slot = _movies[at];
                score[slot] += Math.Exp(decay * (toInclusive - t));
                count[slot]++;
            }
            for (var slot = 0; slot < slots; slot++)
            {
                if (count[slot] == 0)
                    continue;
                var m = new TrendingMovie(_movieOfSlot[slot], score[slot], count[slot]);
                score[slot] = 0;   // leave the scratch clean for the next call
                count[slot] = 0;
                if (heap.Count < take)
                    heap.Enqueue(m, m);
                else if (TrendingMovie.WorseFirst.Compare(m, heap.Peek()) > 0)
                    heap.EnqueueDequeue(m, m);
            }
        }
        var result = new TrendingMovie[heap.Count];
        for (var k = result.Length - 1; k >= 0; k--)
            result[k] = heap.Dequeue();
        return result;
    }
}
