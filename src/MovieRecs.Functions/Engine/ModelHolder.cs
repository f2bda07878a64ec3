using MovieRecs.Core.Discovery;
using MovieRecs.Core.Engine;
using MovieRecs.Recommender;
using MovieRecs.Recommender.Ranking;

namespace MovieRecs.Functions.Engine;

/// <summary>The model this instance serves, with its version and the movie clusters and ranker stored with it.</summary>
/// <param name="Clusters">Null for a version without clusters.json (trained before clustering existed, or clustering failed).</param>
/// <param name="Ranker">Null for a version without ranker files (trained before the ranker existed): the base models' order is served.</param>
public sealed record ServedModel(RecommenderModel Model, string Version, DateTimeOffset LoadedAt, MovieClusters? Clusters = null, LearnedRanker? Ranker = null)
{
    /// <summary>
    /// Cluster index → member movie ids (the clustered movies, then the ones assigned to the cluster afterwards), as the
    /// cluster strategy takes them; null without clusters. One instance for the life of this served model, since
    /// <see cref="ClusterRecommendations"/> maps a list onto the catalog once per instance.
    /// </summary>
    /// <remarks>
    /// Assigned movies (fewer than <see cref="MovieClusters.MinRatings"/> training ratings) are included: on a
    /// ml-latest-small hold-out the cluster strategy's precision@10 was the same with them (5.45 % vs 5.42 %) while
    /// without them 20 of 5,830 recommendations fell back to popularity, and a user who rated mostly rarely rated movies
    /// would get no cluster list at all. They sort late anyway: the strategy walks members by popularity.
    /// </remarks>
    public IReadOnlyList<IReadOnlyList<int>>? ClusterMembers { get; } = Clusters is not { K: > 0 } c ? null
        : Array.AsReadOnly(c.Clusters.Select(m => (IReadOnlyList<int>)Array.AsReadOnly([.. m.MovieIds, .. m.AssignedMovieIds])).ToArray());
}

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
            Swap(await LoadAsync(pointer.Version, cancellationToken));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            if (_failedVersion != pointer.Version)
                logger.LogError("Could not load model {Version}; keeping {Current}: {Error}", pointer.Version, holder.Current?.Version ?? "(none)", e.Message);
            _failedVersion = pointer.Version;
        }
    }

    /// <summary>The version's ranker; unreadable ranker files serve the model without it (the base models' order), as for clusters.</summary>
    async Task<LearnedRanker?> LoadRankerAsync(string version, CancellationToken cancellationToken)
    {
        try
        {
            return await models.LoadRankerAsync(version, cancellationToken);
        }
        catch (FormatException e)
        {
            logger.LogError("Model {Version}: the ranker files are unreadable, serving the model without the ranker: {Error}", version, e.Message);
            return null;
        }
    }

    /// <summary>
    /// Downloads and checks a version without serving it: throws <see cref="Recommender.Serialization.ModelFormatException"/>
    /// when its model cannot be served (incomplete, truncated, corrupt), a storage error when storage fails.
    /// </summary>
    public async Task<ServedModel> LoadAsync(string version, CancellationToken cancellationToken)
    {
        // model, clusters and ranker are loaded together and swapped in as one: a request never sees one version's
        // clusters or ranker with another's model
        var loadingModel = models.LoadModelAsync(version, cancellationToken);
        var loadingClusters = LoadClustersAsync(version, cancellationToken);
        var loadingRanker = LoadRankerAsync(version, cancellationToken);
        await Task.WhenAll(loadingModel, loadingClusters, loadingRanker);
        return new ServedModel(loadingModel.Result, version, DateTimeOffset.UtcNow, loadingClusters.Result, loadingRanker.Result);
    }

    /// <summary>Serves a model loaded by <see cref="LoadAsync"/> (activation: the pointer already names it).</summary>
    public async Task ServeAsync(ServedModel model, CancellationToken cancellationToken)
    {
        // under the gate: a refresh that read the previous pointer cannot swap its model in after this one
        await _gate.WaitAsync(cancellationToken);
        try { Swap(model); }
        finally { _gate.Release(); }
    }

    void Swap(ServedModel served)
    {
        holder.Swap(served);
        _failedVersion = null;
        logger.LogInformation("Serving model {Version} ({Users} users, {Movies} movies, {Clusters}, {Ranker})", served.Version, served.Model.UserCount,
            served.Model.MovieCount, served.Clusters is null ? "no clusters" : $"{served.Clusters.K} clusters", served.Ranker is null ? "no ranker" : "ranker");
    }

    /// <summary>
    /// The version's clusters. A clusters.json that cannot be read (corrupt, or a newer format) does not keep the model
    /// from being served: it is served without clusters. A storage error fails the load, which is retried next tick.
    /// </summary>
    async Task<MovieClusters?> LoadClustersAsync(string version, CancellationToken cancellationToken)
    {
        try
        {
            return await models.LoadClustersAsync(version, cancellationToken);
        }
        catch (FormatException e)
        {
            logger.LogError("Model {Version}: clusters.json is unreadable, serving the model without clusters: {Error}", version, e.Message);
            return null;
        }
    }
}
