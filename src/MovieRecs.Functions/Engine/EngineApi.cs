using Microsoft.AspNetCore.Http.HttpResults;
using MovieRecs.Core.Engine;
using MovieRecs.Core.Store;
using MovieRecs.Functions.Admin;
using MovieRecs.Recommender.Serialization;

namespace MovieRecs.Functions.Engine;

public sealed record TrainingRunDetails(
    string Id, string Status, DateTimeOffset QueuedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, double? DurationSeconds,
    int Attempts, string? ModelVersion, ModelMetrics? Metrics, string? Error);

public sealed record ModelVersionDetails(
    string Version, bool Active, DateTimeOffset CreatedAt, string RunId, ModelMetrics? Metrics, ModelDataCounts Data,
    double TrainSeconds, double DurationSeconds, long ModelBytes, string CodeVersion, double? ClusterSeconds, int? ClusterK);

public sealed record ModelVersionsList(string? ActiveVersion, IReadOnlyList<ModelVersionDetails> Models);

public sealed record ActivatedModel(string Version, DateTimeOffset ActivatedAt, string ActivatedBy);

/// <summary>
/// The recommendation engine's endpoints: queue a training run, follow it, list and activate model versions, and
/// the queue-triggered TrainModel function (docs/engine.md).
/// </summary>
public static class EngineApi
{
    public static void MapEngine(this IEndpointRouteBuilder api)
    {
        var v1 = api.MapGroup("/rest/v1/recommendation-engine").WithTags("Recommendation engine");
        v1.MapPost("", RequestTrainingAsync).WithName("RequestTraining").RequireAdminKey()
            .WithSummary("Queue a training run (or join the one already queued); 202 with the run's Location");
        v1.MapGet("/runs/{id}", GetRunAsync).WithName("GetTrainingRun");
        v1.MapGet("/models", ListModelsAsync).WithName("ListModels");
        v1.MapPost("/models/{version}/activate", ActivateAsync).WithName("ActivateModel").RequireAdminKey()
            .WithSummary("Make a model version the active one (roll back or forward)");
        api.MapRecommendations();
    }

    static string RunLocation(string id) => $"/api/rest/v1/recommendation-engine/runs/{id}";

    static async Task<Accepted> RequestTrainingAsync(TrainingRuns runs, HttpContext http, CancellationToken cancellationToken)
    {
        var (run, joined) = await runs.RequestAsync(cancellationToken);
        http.Response.Headers["X-Training-Run-Joined"] = joined ? "true" : "false";
        return TypedResults.Accepted(RunLocation(run.Id));
    }

    static async Task<Results<Ok<TrainingRunDetails>, ProblemHttpResult>> GetRunAsync(string id, TrainingRuns runs, CancellationToken cancellationToken)
    {
        if (await runs.GetAsync(id, cancellationToken) is not { } run)
            return Problems.NotFound($"No training run '{id}'.");
        double? duration = run.StartedAt is { } s && run.FinishedAt is { } f ? (f - s).TotalSeconds : null;
        return TypedResults.Ok(new TrainingRunDetails(run.Id, run.Status, run.QueuedAt, run.StartedAt, run.FinishedAt, duration, run.Attempts,
            run.ModelVersion, run.Metrics, run.Error));
    }

    static async Task<Ok<ModelVersionsList>> ListModelsAsync(ModelRepository models, CancellationToken cancellationToken)
    {
        var list = await models.ListAsync(cancellationToken);
        return TypedResults.Ok(new ModelVersionsList(
            list.FirstOrDefault(m => m.Active)?.Manifest.Version,
            list.Select(m => new ModelVersionDetails(m.Manifest.Version, m.Active, m.Manifest.CreatedAt, m.Manifest.RunId, m.Manifest.Metrics,
                m.Manifest.Data, m.Manifest.TrainSeconds, m.Manifest.DurationSeconds, m.Manifest.ModelBytes, m.Manifest.CodeVersion,
                m.Manifest.ClusterSeconds, m.Manifest.Clusters?.K)).ToList()));
    }

    static async Task<Results<Ok<ActivatedModel>, ProblemHttpResult>> ActivateAsync(string version, ModelRepository models, ModelPoller poller,
        TimeProvider time, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (await models.GetManifestAsync(version, cancellationToken) is null)
            return Problems.NotFound($"No model version '{version}'.");
        // Load it before the pointer moves: a version no instance could serve (truncated, corrupt) is refused, and
        // every instance keeps the model it serves.
        ServedModel served;
        try
        {
            served = await poller.LoadAsync(version, cancellationToken);
        }
        catch (ModelFormatException e)
        {
            loggers.CreateLogger(typeof(EngineApi)).LogWarning("Refused to activate model {Version}: {Error}", version, e.Message);
            return Problems.Status(StatusCodes.Status422UnprocessableEntity, "Model version cannot be served",
                $"Model version '{version}' was not activated: {e.Message}. The active model is unchanged.");
        }
        var pointer = await models.ActivateAsync(version, "activate", time.GetUtcNow(), cancellationToken);
        await poller.ServeAsync(served, CancellationToken.None);
        return TypedResults.Ok(new ActivatedModel(pointer.Version, pointer.ActivatedAt, pointer.ActivatedBy));
    }

    /// <summary>This instance serves the new model at once; others notice it at their next poll.</summary>
    internal static async Task RefreshQuietlyAsync(ModelPoller poller)
    {
        try { await poller.RefreshAsync(CancellationToken.None); }
        catch (Exception) { /* the poller retries */ }
    }
}
