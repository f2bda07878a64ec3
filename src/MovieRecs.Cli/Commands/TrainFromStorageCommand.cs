using System.Diagnostics;
using MovieRecs.Core.Azurite;
using System.CommandLine;
using MovieRecs.Core.Engine;
using MovieRecs.Core.Store;
using Spectre.Console;

namespace MovieRecs.Cli.Commands;

/// <summary>
/// <c>movierecs train [--connection CS]</c>: one training run against the app's storage, exactly as the TrainModel
/// function runs it (same <see cref="TrainingJob"/>): replays the rating log, evaluates on the hold-out, writes
/// <c>models/&lt;version&gt;/</c> create-only and makes it the active model.
/// </summary>
public static class TrainFromStorageCommand
{
    public static async Task<int> RunAsync(string connectionString, IAnsiConsole console, CancellationToken cancellationToken)
    {
        await using var emulator = await LocalAzurite.StartIfNeededAsync(connectionString, Directory.GetCurrentDirectory(), cancellationToken, LocalAzurite.LocationSetting());
        var cs = emulator?.ConnectionString ?? connectionString;
        var storage = new EngineStorage(cs);
        // each line carries the time since the process started and the process's CPU so far: what a run costs outside its stages shows
        using var process = Process.GetCurrentProcess();
        var job = new TrainingJob(storage, new MovieStore(cs), log: line =>
        {
            process.Refresh();
            var wall = (DateTime.Now - process.StartTime).TotalSeconds;
            console.MarkupLineInterpolated($"[grey]{wall,6:F2} s, cpu {process.TotalProcessorTime.TotalSeconds,6:F2} s  {line}[/]");
        });
        var run = await job.Runs.CreateAsync(cancellationToken);
        console.MarkupLineInterpolated($"Run {run.Id}");
        TrainingOutcome outcome;
        try
        {
            outcome = await job.RunAsync(run.Id, attempt: 1, maxAttempts: 1, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            console.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return 1;
        }
        var finished = await job.Runs.GetAsync(run.Id, cancellationToken);
        if (outcome != TrainingOutcome.Succeeded || finished?.ModelVersion is null)
        {
            console.MarkupLineInterpolated($"[red]failed:[/] {finished?.Error ?? "unknown error"}");
            return 1;
        }
        console.MarkupLineInterpolated($"Model [green]{finished.ModelVersion}[/] is active.");
        if (finished.Metrics is { } m)
            console.MarkupLineInterpolated(
                $"rmse {m.Rmse:F4}  mae {m.Mae:F4}  p@10 {m.PrecisionAt10:F4}  r@10 {m.RecallAt10:F4}  ndcg@10 {m.NdcgAt10:F4}  map@10 {m.MapAt10:F4}  ece {m.Ece:F4}  ({m.TestRatings} held-out ratings)");
        return 0;
    }
}
