using MovieRecs.Core.Store;
using MovieRecs.Core.Azurite;

namespace MovieRecs.Functions.Infrastructure;

/// <summary>
/// In Development with <c>UseDevelopmentStorage=true</c> and nothing on the Azurite ports, starts the pinned
/// Azurite (installed from npm on first use) and stops it cleanly on shutdown so no write is lost.
/// </summary>
public sealed class DevelopmentStorage(IConfiguration configuration, StorageConnection connection, IHostEnvironment environment, ILogger<DevelopmentStorage> logger) : IHostedService
{
    AzuriteProcess? _azurite;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!environment.IsDevelopment() || !configuration.GetValue("MovieRecs:StartAzurite", false))
            return;
        logger.LogInformation("Checking development storage (the first start installs Azurite from npm)...");
        _azurite = await LocalAzurite.StartIfNeededAsync(connection.ConnectionString, environment.ContentRootPath, cancellationToken,
            location: configuration["MovieRecs:AzuriteLocation"] is { Length: > 0 } location ? Path.GetFullPath(location) : null);
        if (_azurite is not null)
            logger.LogInformation("Started {Azurite}.", _azurite);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_azurite is null)
            return;
        logger.LogInformation("Stopping Azurite...");
        await _azurite.DisposeAsync();
        _azurite = null;
    }
}
