namespace MovieRecs.Recommender.Algorithms;

/// <summary>
/// Deterministic parallel loops: the index range is cut into fixed chunks (independent of timing), so work whose
/// items are independent gives the same bytes on every run, and per-chunk partial sums can be reduced in chunk order.
/// </summary>
internal static class Parallelism
{
    /// <summary>Runs <paramref name="body"/>(start, end) over fixed chunks of [0, count) on up to <paramref name="threads"/> threads.</summary>
    public static void For(int count, int threads, Action<int, int> body, int minChunk = 64)
    {
        if (count <= 0)
            return;
        threads = Math.Max(1, threads);
        var chunks = Math.Max(1, Math.Min(threads * 8, (count + minChunk - 1) / minChunk));
        if (threads == 1 || chunks == 1)
        {
            body(0, count);
            return;
        }
        var size = (count + chunks - 1) / chunks;
        chunks = (count + size - 1) / size;
        System.Threading.Tasks.Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads },
            c => body(c * size, Math.Min(count, (c + 1) * size)));
    }

    /// <summary>Runs <paramref name="body"/>(chunk, start, end) over exactly <paramref name="chunks"/> fixed chunks.</summary>
    public static void ForChunks(int count, int chunks, int threads, Action<int, int, int> body)
    {
        var size = (count + chunks - 1) / Math.Max(1, chunks);
        System.Threading.Tasks.Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) },
            c => body(c, Math.Min(count, c * size), Math.Min(count, (c + 1) * size)));
    }

    public static int DefaultThreads => Math.Max(1, Environment.ProcessorCount);
}
