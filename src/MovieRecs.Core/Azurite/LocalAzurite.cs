using MovieRecs.Core.Store;

namespace MovieRecs.Core.Azurite;

/// <summary>
/// Development storage for the app and the CLI alike: when the connection string is
/// <c>UseDevelopmentStorage=true</c> and nothing listens on the emulator ports, start the pinned Azurite on
/// the well-known ports with its data under the repository's git-ignored <c>.azurite/</c> folder. Given a data folder
/// of its own (<c>MovieRecs:AzuriteLocation</c>), an explicit local Azurite connection string works the same way on
/// its own ports (tests use that to run the app as `dotnet run` does, beside other emulators).
/// </summary>
/// <remarks>
/// One Azurite per data folder: launchers take the folder's lock in turn, reuse an emulator already listening, and
/// wait for one still saving the folder on its way out (its parent was killed) before starting another on it.
/// </remarks>
public static class LocalAzurite
{
    /// <summary>The started emulator (dispose it to stop it cleanly), or null when none was needed.</summary>
    public static async Task<AzuriteProcess?> StartIfNeededAsync(string? connectionString, string startDirectory, CancellationToken cancellationToken = default, string? location = null)
    {
        if (StorageAccount.LocalAzuritePorts(connectionString, explicitEndpoints: location is not null) is not { } ports)
            return null;
        location ??= Path.Combine(RepositoryRoot(startDirectory) ?? RepositoryRoot(AppContext.BaseDirectory) ?? startDirectory, ".azurite");
        if (IsRunning(ports) && !AzuriteProcess.IsStopping(location))
            return null;
        await using var folderLock = await AzuriteProcess.LockFolderAsync(location, cancellationToken);
        if (IsRunning(ports) && !AzuriteProcess.IsStopping(location))
            return null; // another launcher started it while we waited for the lock
        return await AzuriteProcess.StartAsync(new AzuriteOptions
        {
            Location = location,
            BlobPort = ports.Blob,
            QueuePort = ports.Queue,
            TablePort = ports.Table,
        }, cancellationToken);
    }

    /// <summary>The data folder named by <c>MovieRecs__AzuriteLocation</c> in the environment (the CLI's view of the app's setting), else null.</summary>
    public static string? LocationSetting() =>
        Environment.GetEnvironmentVariable("MovieRecs__AzuriteLocation") is { Length: > 0 } location ? Path.GetFullPath(location) : null;

    static bool IsRunning((int Blob, int Queue, int Table) ports) =>
        AzuriteProcess.IsListening("127.0.0.1", ports.Blob) && AzuriteProcess.IsListening("127.0.0.1", ports.Queue) && AzuriteProcess.IsListening("127.0.0.1", ports.Table);

    /// <summary>The folder holding MovieRecsFunctions.sln at or above <paramref name="start"/>.</summary>
    public static string? RepositoryRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MovieRecsFunctions.sln")))
                return dir.FullName;
        return null;
    }
}
