using System.Globalization;
using Azure;
using Azure.Data.Tables;

namespace MovieRecs.Core.Store;

/// <summary>
/// Numeric ids unique across instances without a counter write per id: the <c>meta</c> row (PartitionKey "ids",
/// RowKey = the sequence name) holds <c>Next</c>; an instance reserves a block of ids [Next, Next + block) with
/// one ETag-conditional update and hands them out from memory. Ids of a block an instance never used are skipped,
/// never reused. The importer raises <c>Next</c> above the largest id it imports (<see cref="RaiseAsync"/>); when the
/// row does not exist yet, the first reservation starts above the largest id found by <c>floor</c>.
/// </summary>
public sealed class IdBlockAllocator(TableClient meta, string name, int blockSize, Func<CancellationToken, Task<long>> floor)
{
    public const string Partition = "ids";
    const string NextProperty = "Next";

    readonly SemaphoreSlim _gate = new(1, 1);
    long _next, _end;

    public int BlockSize { get; } = blockSize > 0 ? blockSize : throw new ArgumentOutOfRangeException(nameof(blockSize));

    /// <summary>Storage writes made to reserve blocks (diagnostics).</summary>
    public int Reservations { get; private set; }

    public async Task<long> NextAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_next >= _end)
                (_next, _end) = await ReserveAsync(cancellationToken);
            return _next++;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Drops the rest of the current block (an id of it turned out to be taken, e.g. by an import).</summary>
    public void DiscardBlock()
    {
        _gate.Wait();
        try { _next = _end; }
        finally { _gate.Release(); }
    }

    async Task<(long Start, long End)> ReserveAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var row = await meta.GetEntityIfExistsAsync<TableEntity>(Partition, name, cancellationToken: cancellationToken);
            try
            {
                if (!row.HasValue)
                {
                    var start = Math.Max(1, await floor(cancellationToken) + 1);
                    await meta.AddEntityAsync(new TableEntity(Partition, name) { [NextProperty] = start + BlockSize }, cancellationToken);
                    Reservations++;
                    return (start, start + BlockSize);
                }
                var next = Math.Max(1, row.Value!.GetInt64(NextProperty) ?? 1);
                await meta.UpdateEntityAsync(new TableEntity(Partition, name) { [NextProperty] = next + BlockSize }, row.Value.ETag, TableUpdateMode.Replace, cancellationToken);
                Reservations++;
                return (next, next + BlockSize);
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412 or 404 && attempt < 50)
            {
                await Task.Delay(Random.Shared.Next(1, 10 * Math.Min(attempt, 10)), cancellationToken);   // another instance reserved first
            }
        }
    }

    /// <summary>Makes sure the sequence continues above <paramref name="atLeast"/> - 1 (creates the row if needed).</summary>
    public static async Task RaiseAsync(TableClient meta, string name, long atLeast, CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            var row = await meta.GetEntityIfExistsAsync<TableEntity>(Partition, name, cancellationToken: cancellationToken);
            try
            {
                if (!row.HasValue)
                    await meta.AddEntityAsync(new TableEntity(Partition, name) { [NextProperty] = atLeast }, cancellationToken);
                else if ((row.Value!.GetInt64(NextProperty) ?? 0) < atLeast)
                    await meta.UpdateEntityAsync(new TableEntity(Partition, name) { [NextProperty] = atLeast }, row.Value.ETag, TableUpdateMode.Replace, cancellationToken);
                return;
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412 or 404 && attempt < 50)
            {
                await Task.Delay(Random.Shared.Next(1, 10 * Math.Min(attempt, 10)), cancellationToken);
            }
        }
    }

    /// <summary>The stored next id of a sequence, or null when it has none yet.</summary>
    public static async Task<long?> PeekAsync(TableClient meta, string name, CancellationToken cancellationToken = default)
    {
        var row = await meta.GetEntityIfExistsAsync<TableEntity>(Partition, name, cancellationToken: cancellationToken);
        return row.HasValue ? row.Value!.GetInt64(NextProperty) : null;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{name}: block {_next}..{_end}");
}
