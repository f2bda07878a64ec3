using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Azure;
using MovieRecs.Core.MovieLens;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Specialized;

namespace MovieRecs.Core.Store;

/// <summary>
/// The append-only record of every rating change, in the <c>ratinglog</c> blob container: what training reads, in
/// a few large downloads, instead of scanning the tables entity by entity (the emulator's table store slows and then
/// fails near a million entities).
/// </summary>
/// <remarks>
/// <para>One line per pair state: <c>user,movie,value,unixTime,seq</c>, value a rating, <c>w</c> (watched, not rated)
/// or <c>x</c> (removed). A pair's state with the highest <c>seq</c> is its current one (sequences grow per pair, see
/// <see cref="RatingStore"/>), so appends from many instances need no order among themselves and a line written twice
/// (a retried request) changes nothing.</para>
/// <para>Each instance appends to its own append blob <c>live/{created}-{instance}-{part}.log</c> (one writer per blob,
/// group committed: everything that waits goes into the next block) and starts a new one before the service's
/// 50,000-block limit. An import writes block blobs <c>import/{time}-{n}.log</c>.</para>
/// <para>A rating is logged after its table transaction and before the request is answered: a crash in between leaves
/// an unlogged change that the client's retry of the same request logs.</para>
/// </remarks>
public sealed class RatingLog
{
    public const string ContainerName = "ratinglog";
    const int MaxBlocksPerBlob = 45_000;
    const int MaxLinesPerBlock = 60_000;        // ~40 bytes a line: well under the 4 MiB block limit
    const int ImportLinesPerBlob = 1_000_000;

    /// <summary>One pair's state: a rating, a watch without rating (<see cref="Watched"/>), or removed (neither).</summary>
    public readonly record struct Entry(int UserId, int MovieId, double? Rating, bool Watched, long UnixTime, long Seq)
    {
        public static Entry Of(int userId, int movieId, PairRow? row, long seq, long unixTimeIfRemoved) =>
            new(userId, movieId, row?.Rating, row is { Rating: null }, row?.UnixTime ?? unixTimeIfRemoved, seq);
    }

    sealed class Pending(IReadOnlyList<Entry> entries)
    {
        public IReadOnlyList<Entry> Entries { get; } = entries;
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    readonly GroupCommitQueue<Pending> _queue;
    readonly string _instance = Guid.NewGuid().ToString("N")[..12];
    AppendBlobClient? _blob;   // touched only by the queue's single committer
    int _blocks, _part;

    public RatingLog(BlobServiceClient blobs)
    {
        Container = blobs.GetBlobContainerClient(ContainerName);
        _queue = new GroupCommitQueue<Pending>(
            () =>
            {
                var lines = 0;
                return p => (lines += p.Entries.Count) <= MaxLinesPerBlock || lines == p.Entries.Count;
            },
            AppendAsync,
            (p, e) => p.Done.TrySetException(e),
            // A block append costs the emulator about as much as a small table transaction: at a few hundred single
            // ratings a second, waiting 2 ms lets about half of them share one.
            linger: TimeSpan.FromMilliseconds(2));
    }

    public BlobContainerClient Container { get; }

    /// <summary>Records pair states; completes once they are stored.</summary>
    public Task AppendAsync(IReadOnlyList<Entry> entries)
    {
        if (entries.Count == 0)
            return Task.CompletedTask;
        var pending = new Pending(entries);
        _queue.Enqueue(pending);
        return pending.Done.Task;
    }

    async Task AppendAsync(List<Pending> group)
    {
        var text = new StringBuilder(group.Sum(p => p.Entries.Count) * 40);
        foreach (var p in group)
            foreach (var e in p.Entries)
                AppendLine(text, e);
        var content = BinaryData.FromString(text.ToString());
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (_blob is null || _blocks >= MaxBlocksPerBlob)
                {
                    var name = $"live/{DateTimeOffset.UtcNow:yyyyMMddTHHmmssfff}-{_instance}-{_part++:D4}.log";
                    var blob = Container.GetAppendBlobClient(name);
                    await blob.CreateAsync();
                    (_blob, _blocks) = (blob, 0);
                }
                await _blob.AppendBlockAsync(content.ToStream());
                _blocks++;
                break;
            }
            catch (RequestFailedException e) when (e.Status == 404 && attempt < 3)
            {
                // The container or our blob was removed (an import replaced the data): start a new blob.
                await Container.CreateIfNotExistsAsync();
                _blob = null;
            }
        }
        foreach (var p in group)
            p.Done.TrySetResult();
    }

    static void AppendLine(StringBuilder text, Entry e)
    {
        var inv = CultureInfo.InvariantCulture;
        text.Append(e.UserId.ToString(inv)).Append(',').Append(e.MovieId.ToString(inv)).Append(',');
        if (e.Rating is { } r) text.Append(r.ToString("0.0", inv));
        else text.Append(e.Watched ? 'w' : 'x');
        text.Append(',').Append(e.UnixTime.ToString(inv)).Append(',').Append(e.Seq.ToString(inv)).Append('\n');
    }

    /// <summary>Writes imported ratings as block blobs (all of them carry the import's sequences).</summary>
    public async Task WriteImportAsync(IReadOnlyList<Entry> entries, CancellationToken cancellationToken = default)
    {
        await Container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        var stamp = DateTimeOffset.UtcNow.ToString("yyyyMMddTHHmmssfff", CultureInfo.InvariantCulture);
        var parts = entries.Chunk(ImportLinesPerBlob).Select((chunk, n) => (chunk, n)).ToList();
        await Parallel.ForEachAsync(parts, new ParallelOptions { MaxDegreeOfParallelism = 2, CancellationToken = cancellationToken }, async (part, ct) =>
        {
            var text = new StringBuilder(part.chunk.Length * 40);
            foreach (var e in part.chunk)
                AppendLine(text, e);
            await Container.GetBlobClient($"import/{stamp}-{_instance}-{part.n:D4}.log").UploadAsync(BinaryData.FromString(text.ToString()), overwrite: true, ct);
        });
    }

    /// <summary>Removes every log blob (the data is being replaced).</summary>
    public async Task DeleteAllAsync(CancellationToken cancellationToken = default)
    {
        if (!(await Container.ExistsAsync(cancellationToken)).Value)
            return;
        var names = new List<string>();
        await foreach (var item in Container.GetBlobsAsync(cancellationToken: cancellationToken))
            names.Add(item.Name);
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken },
            async (name, ct) => await Container.GetBlobClient(name).DeleteIfExistsAsync(cancellationToken: ct));
    }

    /// <summary>Statistics of one replay of the log.</summary>
    public sealed record ReplayInfo(int Blobs, long Bytes, long Lines, int Pairs, int WatchOnly, int Removed, int Malformed);

    /// <summary>
    /// Every current rating: each pair's state with the highest sequence, ratings only (watch-only marks and removed
    /// pairs left out).
    /// </summary>
    public async Task<(RatingRow[] Ratings, ReplayInfo Info)> ReadRatingsAsync(CancellationToken cancellationToken = default)
    {
        var names = new List<string>();
        if ((await Container.ExistsAsync(cancellationToken)).Value)
            await foreach (var item in Container.GetBlobsAsync(cancellationToken: cancellationToken))
                names.Add(item.Name);

        // Downloads run ahead (a few at a time) while earlier blobs are parsed.
        var latest = new Dictionary<long, Entry>();
        long bytes = 0, lines = 0;
        var malformed = 0;
        var downloads = new Queue<Task<BinaryData>>();
        var next = 0;
        void Start() => downloads.Enqueue(Download(names[next++]));
        async Task<BinaryData> Download(string name) => (await Container.GetBlobClient(name).DownloadContentAsync(cancellationToken)).Value.Content;
        while (next < names.Count && downloads.Count < 3) Start();
        while (downloads.Count > 0)
        {
            var data = await downloads.Dequeue();
            if (next < names.Count) Start();
            var span = data.ToMemory().Span;
            bytes += span.Length;
            while (span.Length > 0)
            {
                var end = span.IndexOf((byte)'\n');
                var line = end < 0 ? span : span[..end];
                span = end < 0 ? [] : span[(end + 1)..];
                if (line.IsEmpty)
                    continue;
                lines++;
                if (!TryParse(line, out var entry))
                {
                    malformed++;
                    continue;
                }
                var key = ((long)entry.UserId << 32) | (uint)entry.MovieId;
                if (!latest.TryGetValue(key, out var seen) || entry.Seq >= seen.Seq)
                    latest[key] = entry;
            }
        }

        var ratings = new List<RatingRow>(latest.Count);
        int watchOnly = 0, removed = 0;
        foreach (var e in latest.Values)
        {
            if (e.Rating is { } r) ratings.Add(new RatingRow(e.UserId, e.MovieId, (float)r, e.UnixTime));
            else if (e.Watched) watchOnly++;
            else removed++;
        }
        return (ratings.ToArray(), new ReplayInfo(names.Count, bytes, lines, latest.Count, watchOnly, removed, malformed));
    }

    static bool TryParse(ReadOnlySpan<byte> line, out Entry entry)
    {
        entry = default;
        Span<Range> fields = stackalloc Range[5];
        var count = 0;
        var start = 0;
        for (var i = 0; i <= line.Length; i++)
        {
            if (i < line.Length && line[i] != (byte)',')
                continue;
            if (count == fields.Length)
                return false;
            fields[count++] = start..i;
            start = i + 1;
        }
        if (count != fields.Length)
            return false;
        if (!Utf8Parser.TryParse(line[fields[0]], out int user, out var n0) || n0 != line[fields[0]].Length
            || !Utf8Parser.TryParse(line[fields[1]], out int movie, out var n1) || n1 != line[fields[1]].Length
            || !Utf8Parser.TryParse(line[fields[3]], out long time, out var n3) || n3 != line[fields[3]].Length
            || !Utf8Parser.TryParse(line[fields[4]], out long seq, out var n4) || n4 != line[fields[4]].Length)
            return false;
        var value = line[fields[2]];
        if (value.Length == 1 && value[0] == (byte)'w') entry = new Entry(user, movie, null, true, time, seq);
        else if (value.Length == 1 && value[0] == (byte)'x') entry = new Entry(user, movie, null, false, time, seq);
        else if (Utf8Parser.TryParse(value, out double rating, out var nv) && nv == value.Length && RatingScale.IsValid(rating)) entry = new Entry(user, movie, rating, false, time, seq);
        else return false;
        return true;
    }
}
