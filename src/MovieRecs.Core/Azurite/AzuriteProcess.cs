using MovieRecs.Core.Store;

using System.ComponentModel;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace MovieRecs.Core.Azurite;

public sealed class AzuriteOptions
{
    /// <summary>Data folder. Default: <c>.azurite/</c> at the repository root (next to <c>tools/</c>). Ignored when <see cref="InMemory"/>.</summary>
    public string? Location { get; set; }

    /// <summary>Keep everything in memory (<c>--inMemoryPersistence</c>): for throw-away test runs.</summary>
    public bool InMemory { get; set; }

    public string Host { get; set; } = "127.0.0.1";

    /// <summary>0 picks a free port (tests); 10000/10001/10002 are the well-known ones.</summary>
    public int BlobPort { get; set; }

    public int QueuePort { get; set; }
    public int TablePort { get; set; }

    /// <summary>Folder holding Azurite's package.json. Default: <c>tools/azurite</c> found by walking up from the current directory and the app's base directory.</summary>
    public string? ToolDirectory { get; set; }

    /// <summary>Run <c>npm ci</c> in the tool folder when Azurite is not installed yet.</summary>
    public bool InstallIfMissing { get; set; } = true;

    /// <summary>How long to wait for all three ports to accept connections.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Azurite's access log on stdout (kept in <see cref="AzuriteProcess.Output"/>'s tail). Off by default: it costs time under load.</summary>
    public bool AccessLog { get; set; }
}

/// <summary>
/// Runs the repository's pinned Azurite (tools/azurite, installed with <c>npm ci</c> on demand) as a child
/// process: for the app in Development and for integration test fixtures.
/// Stopping is graceful (SIGTERM / stdin closed) because Azurite writes its data files on a clean stop;
/// a kill of Azurite loses its last seconds of writes. If this process dies, Azurite sees its stdin close, saves and stops too.
/// </summary>
public sealed class AzuriteProcess : IAsyncDisposable
{
    private const int MaxOutputChars = 16_000;

    // Runs inside node: starts Azurite's own entry point with our arguments, and shuts it down when stdin
    // closes (our process exited or called StopAsync) so a crashed test run does not leave Azurite behind.
    // - Once our process is gone, so is the reading end of Azurite's stdout/stderr: its shutdown messages then fail
    //   with EPIPE, and an unhandled stream error would end node before Azurite has saved its data (what lost the last
    //   seconds of acknowledged writes when the app was killed). Those errors are swallowed.
    // - The exit timer is only a backstop for a shutdown that hangs: saving a large database takes seconds.
    // - With a data folder, the pid file tells a later start that this Azurite still owns the folder (see
    //   WaitForEarlierAzuriteAsync); it is removed on exit.
    private const string HostScript =
        "const main=process.argv[1];const fs=require('fs');" +
        "process.stdout.on('error',()=>{});process.stderr.on('error',()=>{});" +
        "const pidFile=process.env.MOVIERECS_AZURITE_PIDFILE;" +
        "if(pidFile){fs.writeFileSync(pidFile,String(process.pid));" +
        "process.on('exit',()=>{try{if(fs.readFileSync(pidFile,'utf8').endsWith(String(process.pid)))fs.unlinkSync(pidFile);}catch(e){}});}" +
        "let stopping=false;" +
        "const stop=()=>{if(stopping)return;stopping=true;" +
        "if(pidFile){try{fs.writeFileSync(pidFile,'stopping '+process.pid);}catch(e){}}" +
        "process.stdin.destroy();setTimeout(()=>process.exit(0),120000).unref();};" +
        "process.on('SIGTERM',stop);process.on('SIGINT',stop);" +
        "process.stdin.on('end',()=>process.emit('SIGTERM'));process.stdin.on('error',()=>process.emit('SIGTERM'));" +
        "process.stdin.resume();require(main);";

    /// <summary>In a data folder: the pid of the Azurite that has it open, "stopping {pid}" once it shuts down (written by that Azurite, removed when it exits).</summary>
    public const string PidFileName = "azurite.pid";

    private readonly Process _process;
    private readonly StringBuilder _output;
    private readonly string? _tempLocation;
    private int _stopped;

    private AzuriteProcess(Process process, StringBuilder output, string host, int blobPort, int queuePort, int tablePort, string? tempLocation)
    {
        _process = process;
        _output = output;
        _tempLocation = tempLocation;
        ProcessId = process.Id;
        Host = host;
        BlobPort = blobPort;
        QueuePort = queuePort;
        TablePort = tablePort;
        ConnectionString = StorageAccount.ForAzurite(host, blobPort, queuePort, tablePort);
    }

    public string Host { get; }
    public int BlobPort { get; }
    public int QueuePort { get; }
    public int TablePort { get; }

    /// <summary>Explicit endpoints for the chosen ports, account devstoreaccount1 with its well-known key.</summary>
    public string ConnectionString { get; }

    public int ProcessId { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>The tail of Azurite's stdout/stderr.</summary>
    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    public static async Task<AzuriteProcess> StartAsync(AzuriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new AzuriteOptions();
        string toolDirectory = options.ToolDirectory ?? FindToolDirectory()
            ?? throw new InvalidOperationException(
                "Could not find tools/azurite/package.json above the current directory or the app's base directory. Set AzuriteOptions.ToolDirectory.");
        string node = FindOnPath(RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? "node.exe" : "node")
            ?? throw new InvalidOperationException("Node.js was not found on PATH. Azurite needs Node.js (20 or later): install it and make sure `node` runs from a terminal.");

        if (!IsInstalled(toolDirectory))
        {
            if (!options.InstallIfMissing)
                throw new InvalidOperationException($"Azurite is not installed in {toolDirectory}. Run `npm ci` there.");
            await EnsureInstalledAsync(toolDirectory, cancellationToken).ConfigureAwait(false);
        }

        bool pickPorts = options.BlobPort == 0 || options.QueuePort == 0 || options.TablePort == 0;
        // A picked port can be taken by someone else before Azurite binds it: retry with fresh ones.
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await StartOnceAsync(options, toolDirectory, node, cancellationToken).ConfigureAwait(false);
            }
            catch (AzuriteStartException e) when (pickPorts && attempt < 3 && e.Output.Contains("EADDRINUSE", StringComparison.Ordinal))
            {
            }
        }
    }

    private static async Task<AzuriteProcess> StartOnceAsync(AzuriteOptions options, string toolDirectory, string node, CancellationToken cancellationToken)
    {
        int[] free = FreePorts(3);
        int blobPort = options.BlobPort != 0 ? options.BlobPort : free[0];
        int queuePort = options.QueuePort != 0 ? options.QueuePort : free[1];
        int tablePort = options.TablePort != 0 ? options.TablePort : free[2];

        string? tempLocation = null;
        string location;
        if (options.InMemory)
        {
            // --location cannot be combined with --inMemoryPersistence; Azurite then uses its working directory
            // for any stray file, so give it an empty one we remove afterwards.
            location = tempLocation = Path.Combine(Path.GetTempPath(), "movierecs-azurite-" + Guid.NewGuid().ToString("N"));
        }
        else
        {
            location = options.Location ?? Path.Combine(Path.GetFullPath(Path.Combine(toolDirectory, "..", "..")), ".azurite");
        }
        Directory.CreateDirectory(location);
        string? pidFile = options.InMemory ? null : Path.Combine(location, PidFileName);
        if (pidFile is not null)
            await WaitForEarlierAzuriteAsync(pidFile, cancellationToken).ConfigureAwait(false);

        var startInfo = new ProcessStartInfo(node)
        {
            WorkingDirectory = location,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            CreateNoWindow = true,
        };
        foreach (string arg in new[]
        {
            "-e", HostScript, "--", Path.Combine(toolDirectory, "node_modules", "azurite", "dist", "src", "azurite.js"),
            "--blobHost", options.Host, "--blobPort", blobPort.ToString(),
            "--queueHost", options.Host, "--queuePort", queuePort.ToString(),
            "--tableHost", options.Host, "--tablePort", tablePort.ToString(),
            "--disableTelemetry",
        })
        {
            startInfo.ArgumentList.Add(arg);
        }
        if (pidFile is not null)
            startInfo.Environment["MOVIERECS_AZURITE_PIDFILE"] = pidFile;
        if (options.InMemory)
        {
            startInfo.ArgumentList.Add("--inMemoryPersistence");
        }
        else
        {
            startInfo.ArgumentList.Add("--location");
            startInfo.ArgumentList.Add(location);
        }
        if (!options.AccessLog) startInfo.ArgumentList.Add("--silent");

        var output = new StringBuilder();
        // Azurite starts blob, queue, table in that order and says so; the port check alone could be fooled by
        // another process already listening there (Azurite would then die with EADDRINUSE a moment later).
        var tableListening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            Append(output, e.Data);
            if (e.Data?.Contains("Table service is successfully listening", StringComparison.Ordinal) == true) tableListening.TrySetResult();
        };
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"Could not start Node.js ({node}): {e.Message}", e);
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var azurite = new AzuriteProcess(process, output, options.Host, blobPort, queuePort, tablePort, tempLocation);
        try
        {
            await azurite.WaitUntilListeningAsync(tableListening.Task, options.StartTimeout, cancellationToken).ConfigureAwait(false);
            return azurite;
        }
        catch
        {
            await azurite.StopAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task WaitUntilListeningAsync(Task started, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_process.HasExited)
            {
                await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false); // flush output
                throw new AzuriteStartException($"Azurite exited with code {_process.ExitCode} before listening.", Output);
            }
            if (started.IsCompleted && IsListening(Host, BlobPort) && IsListening(Host, QueuePort) && IsListening(Host, TablePort))
                return;
            if (clock.Elapsed > timeout)
                throw new AzuriteStartException($"Azurite did not listen on {Host}:{BlobPort}/{QueuePort}/{TablePort} within {timeout.TotalSeconds:0} s.", Output);
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Stops Azurite cleanly (SIGTERM, and stdin closed, which also works on Windows) so it saves its data,
    /// and kills it if it has not exited after <paramref name="timeout"/> (default 10 s).
    /// </summary>
    public async Task StopAsync(TimeSpan? timeout = null)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
        try
        {
            if (!_process.HasExited)
            {
                if (!RuntimeInformation.IsOSPlatform(OSPlatform.Windows)) _ = Kill(_process.Id, Sigterm);
                try { _process.StandardInput.Close(); } catch (IOException) { }

                using var wait = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
                try
                {
                    await _process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    _process.Kill(entireProcessTree: true);
                    await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }
        finally
        {
            _process.Dispose();
            if (_tempLocation is not null)
            {
                try { Directory.Delete(_tempLocation, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    /// <summary>Whether something accepts TCP connections on host:port (within a short timeout).</summary>
    public static bool IsListening(string host, int port, TimeSpan? timeout = null)
    {
        try
        {
            using var client = new TcpClient();
            return client.ConnectAsync(host, port).Wait(timeout ?? TimeSpan.FromMilliseconds(500)) && client.Connected;
        }
        catch (Exception e) when (e is SocketException or AggregateException)
        {
            return false;
        }
    }

    /// <summary>
    /// Holds a data folder's launch lock (an exclusive file lock, across processes) until disposed: launchers that
    /// check for a running Azurite and start one take it in turn, so two never start on one folder.
    /// </summary>
    public static async Task<IAsyncDisposable> LockFolderAsync(string location, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(location);
        var path = Path.Combine(location, "launch.lock");
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1);
            }
            catch (IOException) when (clock.Elapsed < TimeSpan.FromMinutes(5))
            {
                await Task.Delay(200, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// An Azurite whose parent died stops by itself and saves the folder on its way out (seconds with a large
    /// database). One started on the same folder meanwhile would load the older files and later write them back over
    /// the newer ones, so wait for the earlier one to exit first.
    /// </summary>
    private static async Task WaitForEarlierAzuriteAsync(string pidFile, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (ReadOwner(pidFile) is { } owner)
        {
            if (clock.Elapsed > TimeSpan.FromMinutes(3))
                throw new InvalidOperationException($"Azurite (pid {owner.Pid}) still has {Path.GetDirectoryName(pidFile)} open but does not listen on the expected ports. Stop it (kill {owner.Pid}) and try again.");
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>True while the Azurite that owns the data folder is shutting down (its ports may still answer for a moment).</summary>
    public static bool IsStopping(string location) => ReadOwner(Path.Combine(location, PidFileName)) is { Stopping: true };

    /// <summary>The Azurite named by the pid file when that process is alive and is an Azurite; null otherwise (no file, or a stale one).</summary>
    private static (int Pid, bool Stopping)? ReadOwner(string pidFile)
    {
        string text;
        try
        {
            text = File.ReadAllText(pidFile).Trim();
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
        var stopping = text.StartsWith("stopping ", StringComparison.Ordinal);
        if (!int.TryParse(stopping ? text["stopping ".Length..] : text, out var pid))
            return null;
        try
        {
            using var process = Process.GetProcessById(pid);
            if (process.HasExited) return null;
            // A pid can be reused by an unrelated process after a reboot: on Linux its command line tells.
            var cmdline = $"/proc/{pid}/cmdline";
            return !File.Exists(cmdline) || File.ReadAllText(cmdline).Contains("azurite", StringComparison.OrdinalIgnoreCase) ? (pid, stopping) : null;
        }
        catch (ArgumentException) { return null; }      // no such process
        catch (InvalidOperationException) { return null; }
        catch (IOException) { return null; }
    }

    /// <summary>tools/azurite above the current directory or the app's base directory; null if there is none.</summary>
    public static string? FindToolDirectory()
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "tools", "azurite");
                if (File.Exists(Path.Combine(candidate, "package.json"))) return candidate;
            }
        }
        return null;
    }

    /// <summary>
    /// Runs <c>npm ci</c> in <paramref name="toolDirectory"/> unless Azurite is installed. Several test projects
    /// start at once under <c>dotnet test</c>: a lock file makes one install while the others wait and then reuse it.
    /// </summary>
    public static async Task EnsureInstalledAsync(string toolDirectory, CancellationToken cancellationToken = default)
    {
        if (IsInstalled(toolDirectory)) return;
        string lockPath = Path.Combine(toolDirectory, ".install.lock");
        var clock = Stopwatch.StartNew();
        FileStream? lockFile = null;
        while (lockFile is null)
        {
            try
            {
                // FileShare.None is an exclusive lock across processes (flock on Unix).
                lockFile = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException) when (clock.Elapsed < TimeSpan.FromMinutes(10))
            {
                await Task.Delay(500, cancellationToken).ConfigureAwait(false);
            }
        }
        await using (lockFile.ConfigureAwait(false))
        {
            if (IsInstalled(toolDirectory)) return; // another process installed it while we waited
            bool windows = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);
            string npm = FindOnPath(windows ? "npm.cmd" : "npm")
                ?? throw new InvalidOperationException("npm was not found on PATH; it is needed once to install Azurite (npm ci in tools/azurite).");
            var startInfo = new ProcessStartInfo(npm)
            {
                WorkingDirectory = toolDirectory,
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (string arg in new[] { "ci", "--no-audit", "--no-fund" }) startInfo.ArgumentList.Add(arg);
            using Process npmProcess = Process.Start(startInfo)!;
            Task<string> stdout = npmProcess.StandardOutput.ReadToEndAsync(cancellationToken);
            Task<string> stderr = npmProcess.StandardError.ReadToEndAsync(cancellationToken);
            await npmProcess.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            if (npmProcess.ExitCode != 0 || !IsInstalled(toolDirectory))
                throw new InvalidOperationException($"`npm ci` in {toolDirectory} failed (exit {npmProcess.ExitCode}):\n{await stderr.ConfigureAwait(false)}\n{await stdout.ConfigureAwait(false)}");
        }
    }

    // npm links .bin last, so its presence means the install finished.
    private static bool IsInstalled(string toolDirectory) =>
        File.Exists(Path.Combine(toolDirectory, "node_modules", "azurite", "dist", "src", "azurite.js")) &&
        (File.Exists(Path.Combine(toolDirectory, "node_modules", ".bin", "azurite")) ||
         File.Exists(Path.Combine(toolDirectory, "node_modules", ".bin", "azurite.cmd")));

    private static string? FindOnPath(string fileName)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, fileName);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private static int[] FreePorts(int count)
    {
        // Hold all listeners open together so the ports are distinct.
        var listeners = new List<TcpListener>(count);
        try
        {
            for (int i = 0; i < count; i++)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                listeners.Add(listener);
            }
            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            foreach (TcpListener listener in listeners) listener.Stop();
        }
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null) return;
        lock (output)
        {
            output.AppendLine(line);
            if (output.Length > MaxOutputChars) output.Remove(0, output.Length - MaxOutputChars);
        }
    }

    private const int Sigterm = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    public override string ToString() => $"Azurite pid {ProcessId} on {Host} blob:{BlobPort} queue:{QueuePort} table:{TablePort}";
}

/// <summary>Azurite did not come up; <see cref="Output"/> holds what it printed.</summary>
public sealed class AzuriteStartException : Exception
{
    public AzuriteStartException(string message, string output)
        : base(output.Length == 0 ? message : message + "\nAzurite output:\n" + output)
    {
        Output = output;
    }

    public string Output { get; }
}
