using MovieRecs.Core.Azurite;
using System.CommandLine;
using MovieRecs.Core.Catalog;
using MovieRecs.Core.MovieLens;
using MovieRecs.Core.Store;
using Spectre.Console;

namespace MovieRecs.Cli.Commands;

/// <summary><c>movierecs import --source DIR</c>: loads a MovieLens folder into the app's storage.</summary>
public static class ImportCommand
{
    public static Command Create()
    {
        var source = new Option<DirectoryInfo>("--source") { Description = "MovieLens folder: movies.csv/ratings.csv/links.csv/tags.csv or u.item/u.data", Required = true };
        var connection = new Option<string?>("--connection") { Description = "Storage connection string (default: the AzureWebJobsStorage variable, else development storage)" };
        var replace = new Option<bool>("--replace") { Description = "Wipe all earlier data first" };
        var command = new Command("import", "Import a MovieLens data set into storage (idempotent; replaces the demo data)") { source, connection, replace };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var connectionString = parse.GetValue(connection) ?? Environment.GetEnvironmentVariable("AzureWebJobsStorage") ?? "UseDevelopmentStorage=true";
            return await RunAsync(parse.GetValue(source)!.FullName, connectionString, parse.GetValue(replace), AnsiConsole.Console, cancellationToken);
        });
        return command;
    }

    public static async Task<int> RunAsync(string directory, string connectionString, bool replace, IAnsiConsole console, CancellationToken cancellationToken)
    {
        List<ParseIssue> issues = [];
        ImportData data;
        try
        {
            data = Read(directory, issues);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            console.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return 2;
        }
        console.MarkupLineInterpolated($"Read {data.Movies.Count:N0} movies and {data.Ratings.Count:N0} ratings from {directory}.");
        ReportIssues(issues, console);

        await using var emulator = await LocalAzurite.StartIfNeededAsync(connectionString, Directory.GetCurrentDirectory(), cancellationToken, LocalAzurite.LocationSetting());
        var store = new MovieStore(emulator?.ConnectionString ?? connectionString);
        ImportResult result;
        if (console.Profile.Capabilities.Interactive)
        {
            result = null!;
            await console.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(async context =>
                {
                    var tasks = new Dictionary<string, ProgressTask>();
                    var progress = new SynchronousProgress<ImportProgress>(p =>
                    {
                        if (!tasks.TryGetValue(p.Phase, out var task))
                            tasks[p.Phase] = task = context.AddTask(p.Phase, maxValue: Math.Max(1, p.Total));
                        task.Value = p.Done;
                        task.Description = Describe(p);
                    });
                    result = await new CatalogImporter(store).ImportAsync(data, replace, progress, cancellationToken);
                });
        }
        else
        {
            // Redirected output (CI, logs): a line per phase when it completes, and every few seconds in between.
            var lastLine = DateTime.MinValue;
            var progress = new SynchronousProgress<ImportProgress>(p =>
            {
                if (p.Done < p.Total && DateTime.UtcNow - lastLine < TimeSpan.FromSeconds(3))
                    return;
                lastLine = DateTime.UtcNow;
                console.WriteLine(Describe(p));
            });
            result = await new CatalogImporter(store).ImportAsync(data, replace, progress, cancellationToken);
        }
        console.MarkupLineInterpolated(
            $"[green]Imported[/] {result.Movies:N0} movies, {result.Ratings:N0} ratings, {result.Users:N0} users: {result.RowsWritten:N0} rows written in {result.Duration.TotalSeconds:N1} s{(result.ReplacedEarlierData ? " (earlier data replaced)" : "")}.");
        console.MarkupLineInterpolated($"Skipped lines: {issues.Count:N0}.");
        return 0;
    }

    /// <summary>Reads the folder; ratings of movies the catalog does not hold are reported with their line and skipped.</summary>
    public static ImportData Read(string directory, List<ParseIssue> issues)
    {
        var files = MovieLensReader.Detect(directory);
        var movies = MovieLensReader.LoadMovies(files, issues);
        var known = movies.Select(m => m.Id).ToHashSet();
        var ratings = new List<RatingRow>();
        foreach (var (row, line) in MovieLensReader.ReadRatingsWithLines(files, issues))
        {
            if (known.Contains(row.MovieId))
                ratings.Add(row);
            else
                issues.Add(new ParseIssue(files.RatingsPath!, line, $"rating of unknown movie {row.MovieId}"));
        }
        return new ImportData("import:" + Path.GetFileName(Path.TrimEndingDirectorySeparator(directory)), movies, ratings);
    }

    static string Describe(ImportProgress p) => $"{p.Phase,-17} {p.Done,10:N0}/{p.Total:N0}  {p.RowsPerSecond,8:N0} rows/s";

    static void ReportIssues(List<ParseIssue> issues, IAnsiConsole console)
    {
        if (issues.Count == 0)
            return;
        console.MarkupLineInterpolated($"[yellow]{issues.Count:N0} line(s) skipped:[/]");
        foreach (var group in issues.GroupBy(i => i.Message.Split(' ')[0]).OrderByDescending(g => g.Count()))
        {
            foreach (var issue in group.Take(5))
                console.WriteLine($"  {issue}");
            if (group.Count() > 5)
                console.WriteLine($"  … and {group.Count() - 5:N0} more like these");
        }
    }

    /// <summary>Reports on the caller's thread (Progress&lt;T&gt; would post to the thread pool out of order).</summary>
    sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        readonly Lock _gate = new();
        public void Report(T value) { lock (_gate) report(value); }
    }
}
