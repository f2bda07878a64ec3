using MovieRecs.Core.Engine;
using MovieRecs.Recommender;

namespace MovieRecs.Functions.Engine;

/// <summary>The model this instance serves, with its version.</summary>
public sealed record ServedModel(RecommenderModel Model, string Version, DateTimeOffset LoadedAt);

/// <summary>
/// The active model in memory. Swapped as a whole by one reference write, so a request uses either the old or the
/// new model throughout, never a mix, and no request fails during a swap. Null until the first model exists.
/// </summary>
public sealed class ModelHolder
{
    volatile ServedModel? _current;

    public ServedModel? Current => _current;

    public void Swap(ServedModel model) => _current = model;
}

/// <summary>
/// Loads the active model at startup and polls <c>models/active.json</c> every <see cref="EngineSettings.ModelPollInterval"/>;
/// a changed version is downloaded and swapped in. Errors are logged and retried on the next tick; the served model stays.
/// </summary>
public sealed class ModelPoller(ModelHolder holder, ModelRepository models, EngineSettings settings, ILogger<ModelPoller> logger) : BackgroundService
{
    string? _failedVersion;
    readonly SemaphoreSlim _gate = new(1, 1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RefreshAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning("Could not check the active model: {Error}", e.Message);
            }
            try { await Task.Delay(settings.ModelPollInterval, stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>Loads the active version when it differs from the one served.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try { await RefreshCoreAsync(cancellationToken); }
        finally { _gate.Release(); }
    }

    async Task RefreshCoreAsync(CancellationToken cancellationToken)
    {
        var (pointer, _) = await models.GetActiveAsync(cancellationToken);
        if (pointer is null || pointer.Version == holder.Current?.Version)
            return;
        try
        {
            var model = await models.LoadModelAsync(pointer.Version, cancellationToken);
            holder.Swap(new ServedModel(model, pointer.Version, DateTimeOffset.UtcNow));
            _failedVersion = null;
            logger.LogInformation("Serving model {Version} ({Users} users, {Movies} movies)", pointer.Version, model.UserCount, model.MovieCount);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            if (_failedVersion != pointer.Version)
                logger.LogError("Could not load model {Version}; keeping {Current}: {Error}", pointer.Version, holder.Current?.Version ?? "(none)", e.Message);
            _failedVersion = pointer.Version;
        }
    }
}
