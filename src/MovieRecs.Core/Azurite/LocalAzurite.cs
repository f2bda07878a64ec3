using MovieRecs.Core.Store;

namespace MovieRecs.Core.Azurite;

/// <summary>
/// Development storage for the app and the CLI alike: when the connection string is
/// <c>UseDevelopmentStorage=true</c> and nothing listens on the emulator ports, start the pinned Azurite on
/// the well-known ports with its data under the repository's git-ignored <c>.azurite/</c> folder.
/// </summary>
public static class LocalAzurite
{
    /// <summary>The started emulator (dispose it to stop it cleanly), or null when none was needed.</summary>
    public static async Task<AzuriteProcess?> StartIfNeededAsync(string? connectionString, string startDirectory, CancellationToken cancellationToken = default)
    {
        if (!StorageAccount.IsDevelopmentStorage(connectionString) || AzuriteProcess.DevelopmentStorageIsRunning())
            return null;
        var root = RepositoryRoot(startDirectory) ?? RepositoryRoot(AppContext.BaseDirectory) ?? startDirectory;
        return await AzuriteProcess.StartAsync(new AzuriteOptions
        {
            Location = Path.Combine(root, ".azurite"),
            BlobPort = 10000,
            QueuePort = 10001,
            TablePort = 10002,
        }, cancellationToken);
    }

    /// <summary>The folder holding MovieRecsFunctions.sln at or above <paramref name="start"/>.</summary>
    public static string? RepositoryRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MovieRecsFunctions.sln")))
                return dir.FullName;
        return null;
    }
}
