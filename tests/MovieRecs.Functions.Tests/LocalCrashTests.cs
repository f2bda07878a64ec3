using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using MovieRecs.Core.Azurite;
using MovieRecs.Core.MovieLens;
using MovieRecs.Core.Store;
using Xunit.Abstractions;

namespace MovieRecs.Functions.Tests;

/// <summary>
/// Local development as the README runs it: `dotnet run` of the app (or of the CLI), which starts its own Azurite on a
/// data folder; then SIGKILL to the app's process only, and a restart straight away. Every acknowledged write must be
/// there afterwards (issue 12: the Azurite child went down with its parent without saving the last seconds).
/// </summary>
[Collection(HeavyCollection.Name)]
public sealed class LocalCrashTests(ITestOutputHelper output) : IDisposable
{
    readonly string _location = Path.Combine(Path.GetTempPath(), "movierecs-crash-" + Guid.NewGuid().ToString("N"));
    readonly int[] _ports = FreePorts(3);
    string Connection => StorageAccount.ForAzurite("127.0.0.1", _ports[0], _ports[1], _ports[2]);

    public void Dispose()
    {
        // Whatever a failed test left: the Azurite that owns the folder.
        if (ReadPid() is { } pid)
            try { Process.GetProcessById(pid).Kill(); } catch (ArgumentException) { }
        try { Directory.Delete(_location, recursive: true); } catch (IOException) { }
    }

    /// <summary>
    /// With ml-latest-small in the folder: the emulator's save on the way out takes seconds, which is what exposed the
    /// defect (a small database was saved before the child's shutdown messages crashed it).
    /// </summary>
    [MovieLensFact]
    public async Task An_import_and_a_burst_of_ratings_killed_under_dotnet_run_lose_nothing_acknowledged()
    {
        if (!OperatingSystem.IsLinux()) return;   // SIGKILL/SIGTERM semantics
        var movies = await ImportKilledPartWayThenCompletedAsync();
        await RatingsSurviveAKillAndAnImmediateRestartAsync(movies);
    }

    /// <summary>`movierecs import` killed part-way, then re-run: it completes, and nothing is doubled. Returns 40 movie ids to rate.</summary>
    async Task<int[]> ImportKilledPartWayThenCompletedAsync()
    {
        var source = TestData.MovieLensSmall!;
        var issues = new List<ParseIssue>();
        var expected = MovieLensReader.ReadRatingsWithLines(MovieLensReader.Detect(source), issues)
            .ToDictionary(r => (r.Row.UserId, r.Row.MovieId), r => (double)r.Row.Rating);

        // Killed once the ratings phase has written some of its rows (the CLI reports progress every 3 s).
        var first = await DotnetRun.ImportAsync(source, Connection, _location, output,
            killWhen: line => line.StartsWith("ratings", StringComparison.Ordinal) && ParseProgress(line) is ({ } done, { } total) && done > 0 && done < total);
        Assert.True(first.Killed, "the import finished before it could be killed part-way:\n" + first.Output);

        var second = await DotnetRun.ImportAsync(source, Connection, _location, output, killWhen: null);
        Assert.Equal(0, second.ExitCode);
        Assert.Contains("Imported 9,742 movies, 100,836 ratings", System.Text.RegularExpressions.Regex.Replace(second.Output, @"\x1b\[[0-9;]*m", ""));

        // What the re-run left, read with an Azurite of our own on the folder (the CLI stopped its own cleanly).
        var azurite = await AzuriteProcess.StartAsync(new AzuriteOptions { Location = _location });
        var store = new MovieStore(azurite.ConnectionString);

        // The log, what training reads: every rating once, with its value.
        var (logged, info) = await store.Log.ReadRatingsAsync();
        Assert.Equal(expected.Count, logged.Length);
        foreach (var r in logged)
            Assert.Equal(expected[(r.UserId, r.MovieId)], (double)r.Rating);
        output.WriteLine($"log: {info.Blobs} blobs, {info.Lines} lines for {info.Pairs} pairs");

        // The tables: every rating once, and every movie's aggregates equal to a recount.
        var stored = 0;
        foreach (var table in store.RatingsTables)
            await foreach (var e in table.QueryAsync<Azure.Data.Tables.TableEntity>(select: ["RowKey", "Rating"]))
                if (MovieStore.TryParsePairRowKey(e.RowKey, out var user, out var movie))
                {
                    stored++;
                    Assert.Equal(expected[(user, movie)], e.GetDouble("Rating"));
                }
        Assert.Equal(expected.Count, stored);
        foreach (var (movie, (recount, sum)) in await Stored.RecountAsync(store, expected.Keys.Select(k => k.MovieId).Distinct()))
            Assert.True(recount == sum, $"movie {movie}: recount {recount}, stored {sum}");

        var state = await store.GetCatalogStateAsync();
        Assert.Equal(expected.Count, state?.RatingCount);
        await azurite.StopAsync();
        return expected.Keys.Select(k => k.MovieId).Distinct().Order().Take(40).ToArray();
    }

    /// <summary>25 clients re-rating 40 movies through `dotnet run` of the app, SIGKILL to the app, an immediate restart.</summary>
    async Task RatingsSurviveAKillAndAnImmediateRestartAsync(int[] movies)
    {
        const int Clients = 25;
        await using var app = await DotnetRun.StartAppAsync(Connection, _location, output);
        var users = new int[Clients];
        for (var i = 0; i < Clients; i++)
            users[i] = await app.Client.CreateUserAsync();
        var firstAzurite = ReadPid();
        Assert.NotNull(firstAzurite);

        // Each client owns a user and re-rates 40 movies over and over: the last acknowledged value of a pair is its
        // value, unless a request for it was in flight at the kill (then either value may stand).
        var acked = new ConcurrentDictionary<(int User, int Movie), double>();
        var inFlight = new ConcurrentDictionary<(int User, int Movie), double>();
        using var stop = new CancellationTokenSource();
        var clients = Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
        {
            var random = new Random(c);
            while (!stop.IsCancellationRequested)
            {
                var pair = (users[c], movies[random.Next(movies.Length)]);
                var rating = random.Next(1, 11) / 2.0;
                inFlight[pair] = rating;
                try
                {
                    var response = await app.Client.RateAsync(pair.Item1, pair.Item2, rating);
                    if (!response.IsSuccessStatusCode)
                        continue;   // left in flight: it may or may not have been stored
                    acked[pair] = rating;
                    inFlight.TryRemove(pair, out _);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
                {
                    return;   // the app is gone
                }
            }
        })).ToList();

        // Longer than Azurite's 5 s save interval: what it held only in memory is what a kill used to lose.
        await Task.Delay(TimeSpan.FromSeconds(12));
        var ackedBeforeKill = acked.Count;
        app.KillApp();
        stop.Cancel();
        await Task.WhenAll(clients);
        output.WriteLine($"{ackedBeforeKill} pairs acknowledged before the kill, {acked.Count} in all, {inFlight.Count} in flight");
        Assert.True(ackedBeforeKill > 100, "too few writes before the kill to prove anything");

        // Restart at once, as a developer would: it must not bring up a second Azurite over the folder the first one
        // is still saving, and every acknowledged value must be there.
        await using (var second = await DotnetRun.StartAppAsync(Connection, _location, output))
        {
            await AssertStoredAsync(second.Client, users, movies, acked, inFlight);
            Assert.Single(AzuritesOn(_location));

            // A clean stop (SIGTERM, as Ctrl+C or an IDE's stop) stops the Azurite the app started, after saving.
            var azurite = ReadPid();
            Assert.NotNull(azurite);
            await second.StopAppAsync();
            Assert.Empty(AzuritesOn(_location));
            Assert.Null(ReadPid());
        }

        await using var third = await DotnetRun.StartAppAsync(Connection, _location, output);
        await AssertStoredAsync(third.Client, users, movies, acked, inFlight);
        await third.StopAppAsync();
    }

    async Task AssertStoredAsync(HttpClient client, int[] users, int[] movies, ConcurrentDictionary<(int User, int Movie), double> acked,
        ConcurrentDictionary<(int User, int Movie), double> inFlight)
    {
        var missing = 0;
        var older = 0;
        foreach (var user in users)
        {
            var listed = await client.UserRatingsAsync(user);
            foreach (var ((u, movie), rating) in acked.Where(p => p.Key.User == user))
            {
                if (!listed.TryGetValue(movie, out var value))
                    missing++;
                else if (value != rating && !(inFlight.TryGetValue((u, movie), out var pending) && pending == value))
                    older++;
            }
        }
        Assert.True(missing == 0 && older == 0, $"of {acked.Count} acknowledged pairs, {missing} missing and {older} with another value");

        var store = new MovieStore(Connection);
        foreach (var (movie, (recount, sum)) in await Stored.RecountAsync(store, movies))
            Assert.True(recount == sum, $"movie {movie}: recount {recount}, stored {sum}");
    }

    int? ReadPid()
    {
        var file = Path.Combine(_location, AzuriteProcess.PidFileName);
        // "{pid}", or "stopping {pid}" while that Azurite shuts down
        return File.Exists(file) && int.TryParse(File.ReadAllText(file).Split(' ')[^1], out var pid) ? pid : null;
    }

    /// <summary>Live node processes running Azurite on this data folder.</summary>
    static List<int> AzuritesOn(string location)
    {
        var found = new List<int>();
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (cmdline.Contains("azurite", StringComparison.Ordinal) && cmdline.Contains(location, StringComparison.Ordinal))
                    found.Add(pid);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return found;
    }

    static (long? Done, long? Total) ParseProgress(string line)
    {
        // "ratings               12,000/100,836     4,000 rows/s"
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2 || parts[1].Split('/') is not [var done, var total]) return (null, null);
        return (long.TryParse(done.Replace(",", ""), out var d) ? d : null, long.TryParse(total.Replace(",", ""), out var t) ? t : null);
    }

    static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        listeners.ForEach(l => l.Start());
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        listeners.ForEach(l => l.Stop());
        return ports;
    }

    /// <summary>`dotnet run --no-build --project ...` (the test run built it), as the README starts the app and the CLI.</summary>
    sealed class DotnetRun : IAsyncDisposable
    {
        static readonly string Root = LocalAzurite.RepositoryRoot(AppContext.BaseDirectory)
            ?? throw new InvalidOperationException("repository root not found above the test binaries");

        readonly Process _run;
        readonly StringBuilder _output = new();

        readonly string _program;

        DotnetRun(Process run, string program) => (_run, _program) = (run, program);

        public HttpClient Client { get; private set; } = null!;

        string Output
        {
            get { lock (_output) return _output.ToString(); }
        }

        static DotnetRun Start(string project, string connection, string location, IEnumerable<string> args, Action<string>? onLine = null)
        {
            var start = new ProcessStartInfo("dotnet")
            {
                WorkingDirectory = Root,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[] { "run", "--no-build", "--project", project, "--" }.Concat(args))
                start.ArgumentList.Add(arg);
            start.Environment["AzureWebJobsStorage"] = connection;
            start.Environment["MovieRecs__AzuriteLocation"] = location;
            start.Environment["Logging__LogLevel__Default"] = "Warning";
            start.Environment.Remove("ASPNETCORE_ENVIRONMENT");   // the launch profile's Development, as for a developer
            var run = new DotnetRun(Process.Start(start)!, project.EndsWith("Cli", StringComparison.Ordinal) ? "movierecs" : "MovieRecs.Functions");
            void Line(string? line)
            {
                if (line is null) return;
                lock (run._output) run._output.AppendLine(line);
                onLine?.Invoke(line);
            }
            run._run.OutputDataReceived += (_, e) => Line(e.Data);
            run._run.ErrorDataReceived += (_, e) => Line(e.Data);
            run._run.BeginOutputReadLine();
            run._run.BeginErrorReadLine();
            return run;
        }

        public static async Task<DotnetRun> StartAppAsync(string connection, string location, ITestOutputHelper output)
        {
            var port = FreePorts(1)[0];
            var run = Start("src/MovieRecs.Functions", connection, location, ["--urls", $"http://127.0.0.1:{port}"]);
            run.Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(15) };
            var clock = Stopwatch.StartNew();
            while (true)
            {
                try
                {
                    if ((await run.Client.GetAsync("/api/health")).StatusCode == HttpStatusCode.OK)
                    {
                        output.WriteLine($"app up in {clock.Elapsed.TotalSeconds:F1} s");
                        return run;
                    }
                }
                catch (HttpRequestException) { }
                catch (TaskCanceledException) { }
                // longer than the 3 minutes a start waits for the earlier Azurite to save and exit (AzuriteProcess)
                if (run._run.HasExited || clock.Elapsed > TimeSpan.FromSeconds(240))
                {
                    output.WriteLine(run.Output);
                    throw new InvalidOperationException($"app did not become healthy (dotnet run exited: {run._run.HasExited})");
                }
                await Task.Delay(200);
            }
        }

        public sealed record ImportRun(bool Killed, int ExitCode, string Output);

        /// <summary>`movierecs import`; SIGKILL to the CLI's own process at the first output line that <paramref name="killWhen"/> accepts.</summary>
        public static async Task<ImportRun> ImportAsync(string source, string connection, string location, ITestOutputHelper output, Func<string, bool>? killWhen)
        {
            var killed = 0;
            DotnetRun? run = null;
            var clock = Stopwatch.StartNew();
            run = Start("src/MovieRecs.Cli", connection, location, ["import", "--source", source], line =>
            {
                if (killWhen is not null && killWhen(line) && Interlocked.Exchange(ref killed, 1) == 0)
                {
                    while (run is null) Thread.Yield();
                    run.KillApp();
                }
            });
            await run._run.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
            output.WriteLine($"import ({(killed == 1 ? "killed" : "completed")}) after {clock.Elapsed.TotalSeconds:F1} s:\n{run.Output}");
            return new ImportRun(killed == 1, run._run.ExitCode, run.Output);
        }

        /// <summary>The process `dotnet run` started (the app or the CLI itself), not `dotnet run`.</summary>
        int ChildPid()
        {
            var clock = Stopwatch.StartNew();
            while (true)
            {
                foreach (var dir in Directory.GetDirectories("/proc"))
                {
                    if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
                    try
                    {
                        // stat: "pid (comm) state ppid ..." (comm may hold spaces: split after its closing parenthesis)
                        var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                        var ppid = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
                        // Its own program, not a helper process the SDK may start (an MSBuild node).
                        if (ppid == _run.Id && File.ReadAllText(Path.Combine(dir, "cmdline")).Contains(_program, StringComparison.OrdinalIgnoreCase)) return pid;
                    }
                    catch (IOException) { }
                    catch (FormatException) { }
                }
                if (clock.Elapsed > TimeSpan.FromSeconds(10))
                    throw new InvalidOperationException("dotnet run has no child process");
                Thread.Sleep(50);
            }
        }

        /// <summary>SIGKILL to the app's own process only: `dotnet run` and Azurite get no signal from us.</summary>
        public void KillApp()
        {
            Assert.Equal(0, Kill(ChildPid(), 9));
        }

        /// <summary>SIGTERM to the app's process (what Ctrl+C or an IDE's stop sends), then wait for `dotnet run` to end.</summary>
        public async Task StopAppAsync()
        {
            Assert.Equal(0, Kill(ChildPid(), 15));
            await _run.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }

        public async ValueTask DisposeAsync()
        {
            if (!_run.HasExited)
            {
                try { KillApp(); } catch (InvalidOperationException) { }
                await _run.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            }
            _run.Dispose();
            Client?.Dispose();
        }

        [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        static extern int Kill(int pid, int signal);
    }
}
