using System.Security.Cryptography;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;

namespace MovieRecs.Core.Engine;

public static class RunStatus
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";

    public static bool IsFinished(string status) => status is Succeeded or Failed;
}

/// <summary>One training run as recorded in the <c>runs</c> table (PartitionKey "run", RowKey = id).</summary>
public sealed record TrainingRun(
    string Id,
    string Status,
    DateTimeOffset QueuedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    int Attempts,
    string? Error,
    string? ModelVersion,
    ModelMetrics? Metrics,
    ETag ETag);

/// <summary>
/// The training runs: creating one (or joining the one still queued), moving it through queued → running →
/// succeeded | failed. The row <c>("meta", "queued")</c> names the run that is queued and not yet started; it is only
/// ever replaced ETag-conditionally, so concurrent requests agree on one queued run.
/// </summary>
public sealed class TrainingRuns(EngineStorage storage, TimeProvider? time = null)
{
    const string RunPartition = "run";
    const string MetaPartition = "meta";
    const string QueuedRow = "queued";

    /// <summary>A run queued longer than this without starting is not joined (its message may have been lost).</summary>
    public static TimeSpan StaleAfter { get; set; } = TimeSpan.FromMinutes(15);

    readonly TimeProvider _time = time ?? TimeProvider.System;

    public static bool IsValidRunId(string id) =>
        id.Length is >= 8 and <= 64 && id.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'z' or '-');

    /// <summary>A new run id: UTC time then random, so ids sort by creation.</summary>
    public string NewRunId() =>
        _time.GetUtcNow().UtcDateTime.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture)
        + "-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    public async Task<TrainingRun?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        if (!IsValidRunId(id))
            return null;
        await storage.EnsureCreatedAsync(cancellationToken);
        var r = await storage.Runs.GetEntityIfExistsAsync<TableEntity>(RunPartition, id, cancellationToken: cancellationToken);
        return r.HasValue ? ToRun(r.Value!) : null;
    }

    /// <summary>
    /// Queues a training run, or joins the run already queued (not started yet). Returns the run and whether it was joined.
    /// </summary>
    public async Task<(TrainingRun Run, bool Joined)> RequestAsync(CancellationToken cancellationToken = default)
    {
        await storage.EnsureCreatedAsync(cancellationToken);
        for (var attempt = 1; ; attempt++)
        {
            var meta = await storage.Runs.GetEntityIfExistsAsync<TableEntity>(MetaPartition, QueuedRow, cancellationToken: cancellationToken);
            if (meta.HasValue && meta.Value!.GetString("RunId") is { } queuedId
                && await GetAsync(queuedId, cancellationToken) is { Status: RunStatus.Queued } queued
                && _time.GetUtcNow() - queued.QueuedAt < StaleAfter)
                return (queued, true);

            var run = await CreateAsync(cancellationToken);
            var pointer = new TableEntity(MetaPartition, QueuedRow) { ["RunId"] = run.Id };
            try
            {
                if (meta.HasValue)
                    await storage.Runs.UpdateEntityAsync(pointer, meta.Value!.ETag, TableUpdateMode.Replace, cancellationToken);
                else
                    await storage.Runs.AddEntityAsync(pointer, cancellationToken);
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412 or 404 && attempt < 10)
            {
                // Another request queued a run at the same moment: drop ours and join theirs.
                await storage.Runs.DeleteEntityAsync(RunPartition, run.Id, cancellationToken: CancellationToken.None);
                continue;
            }

            try
            {
                await storage.Queue.SendMessageAsync(new TrainingMessage(run.Id).ToJson(), cancellationToken);
            }
            catch (Exception e)
            {
                await FailAsync(run.Id, $"Could not queue the run: {e.Message}", CancellationToken.None);
                throw;
            }
            return (run, false);
        }
    }

    /// <summary>Records a new queued run without touching the queue (the CLI runs it directly).</summary>
    public async Task<TrainingRun> CreateAsync(CancellationToken cancellationToken = default)
    {
        await storage.EnsureCreatedAsync(cancellationToken);
        var now = _time.GetUtcNow();
        var id = NewRunId();
        var entity = new TableEntity(RunPartition, id) { ["Status"] = RunStatus.Queued, ["QueuedAt"] = now, ["Attempts"] = 0 };
        var response = await storage.Runs.AddEntityAsync(entity, cancellationToken);
        return new TrainingRun(id, RunStatus.Queued, now, null, null, 0, null, null, null, response.Headers.ETag ?? default);
    }

    /// <summary>
    /// Marks the run started (attempt <paramref name="attempt"/>) and stops new requests from joining it. Null when the
    /// run is unknown; the run unchanged when it has already finished (a redelivered message).
    /// </summary>
    public async Task<TrainingRun?> StartAsync(string id, int attempt, CancellationToken cancellationToken = default)
    {
        var run = await GetAsync(id, cancellationToken);
        if (run is null || RunStatus.IsFinished(run.Status))
            return run;
        var now = _time.GetUtcNow();
        var entity = new TableEntity(RunPartition, id) { ["Status"] = RunStatus.Running, ["StartedAt"] = now, ["Attempts"] = attempt };
        await storage.Runs.UpdateEntityAsync(entity, ETag.All, TableUpdateMode.Merge, cancellationToken);

        var meta = await storage.Runs.GetEntityIfExistsAsync<TableEntity>(MetaPartition, QueuedRow, cancellationToken: cancellationToken);
        if (meta.HasValue && meta.Value!.GetString("RunId") == id)
        {
            try { await storage.Runs.DeleteEntityAsync(MetaPartition, QueuedRow, meta.Value.ETag, cancellationToken); }
            catch (RequestFailedException e) when (e.Status is 404 or 412) { }
        }
        return run with { Status = RunStatus.Running, StartedAt = now, Attempts = attempt };
    }

    public Task SucceedAsync(string id, string modelVersion, ModelMetrics? metrics, CancellationToken cancellationToken = default)
    {
        var entity = new TableEntity(RunPartition, id)
        {
            ["Status"] = RunStatus.Succeeded, ["FinishedAt"] = _time.GetUtcNow(), ["ModelVersion"] = modelVersion, ["Error"] = "",
        };
        if (metrics is not null)
            entity["Metrics"] = JsonSerializer.Serialize(metrics, EngineStorage.Json);
        return storage.Runs.UpdateEntityAsync(entity, ETag.All, TableUpdateMode.Merge, cancellationToken);
    }

    public Task FailAsync(string id, string error, CancellationToken cancellationToken = default) =>
        storage.Runs.UpdateEntityAsync(new TableEntity(RunPartition, id)
        {
            ["Status"] = RunStatus.Failed, ["FinishedAt"] = _time.GetUtcNow(), ["Error"] = Truncate(error),
        }, ETag.All, TableUpdateMode.Merge, cancellationToken);

    /// <summary>
    /// Records the run failed unless it has finished: for a message given up on without an attempt reporting back (the
    /// process running it died), so the run does not stay "running" forever. False when there was nothing to record.
    /// </summary>
    public async Task<bool> FailIfUnfinishedAsync(string id, string error, CancellationToken cancellationToken = default)
    {
        if (await GetAsync(id, cancellationToken) is not { } run || RunStatus.IsFinished(run.Status))
            return false;
        try
        {
            // at the ETag read: an attempt that was only slow and finished meanwhile keeps its outcome
            await storage.Runs.UpdateEntityAsync(new TableEntity(RunPartition, id)
            {
                ["Status"] = RunStatus.Failed, ["FinishedAt"] = _time.GetUtcNow(), ["Error"] = Truncate(error),
            }, run.ETag, TableUpdateMode.Merge, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            return false;
        }
    }

    /// <summary>An attempt failed and will be retried: the run goes back to queued, with the error kept for inspection.</summary>
    public Task RetryLaterAsync(string id, string error, CancellationToken cancellationToken = default) =>
        storage.Runs.UpdateEntityAsync(new TableEntity(RunPartition, id)
        {
            ["Status"] = RunStatus.Queued, ["Error"] = Truncate(error),
        }, ETag.All, TableUpdateMode.Merge, cancellationToken);

    static string Truncate(string error) => error.Length <= 16_000 ? error : error[..16_000] + "…";

    static TrainingRun ToRun(TableEntity e)
    {
        var metricsJson = e.GetString("Metrics");
        return new TrainingRun(
            e.RowKey,
            e.GetString("Status") ?? RunStatus.Queued,
            e.GetDateTimeOffset("QueuedAt") ?? DateTimeOffset.MinValue,
            e.GetDateTimeOffset("StartedAt"),
            e.GetDateTimeOffset("FinishedAt"),
            e.GetInt32("Attempts") ?? 0,
            e.GetString("Error") is { Length: > 0 } error ? error : null,
            e.GetString("ModelVersion") is { Length: > 0 } version ? version : null,
            string.IsNullOrEmpty(metricsJson) ? null : JsonSerializer.Deserialize<ModelMetrics>(metricsJson, EngineStorage.Json),
            e.ETag);
    }
}
