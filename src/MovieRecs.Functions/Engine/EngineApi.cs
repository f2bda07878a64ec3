using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using MovieRecs.Core.Engine;
using MovieRecs.Core.Store;
using MovieRecs.Functions.Admin;
using MovieRecs.Functions.Hosting;

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
    public const string TrainModelFunction = "TrainModel";
    public const string TrainingBinding = "message";

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

    /// <summary>The queue-triggered functions, mapped at the root where the Functions host invokes them.</summary>
    public static void MapEngineFunctions(this IEndpointRouteBuilder app)
    {
        app.MapPost("/" + TrainModelFunction, TrainModelAsync).WithName(TrainModelFunction)
            .WithMetadata(new QueueTrigger(EngineStorage.TrainingQueue, TrainingBinding))
            .RequireAdminKey() // standalone nobody but an admin may invoke it; under the host only the host reaches it
            .ExcludeFromDescription();
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
        TimeProvider time, CancellationToken cancellationToken)
    {
        if (await models.GetManifestAsync(version, cancellationToken) is null)
            return Problems.NotFound($"No model version '{version}'.");
        var pointer = await models.ActivateAsync(version, "activate", time.GetUtcNow(), cancellationToken);
        await RefreshQuietlyAsync(poller);
        return TypedResults.Ok(new ActivatedModel(pointer.Version, pointer.ActivatedAt, pointer.ActivatedBy));
    }

    /// <summary>This instance serves the new model at once; others notice it at their next poll.</summary>
    static async Task RefreshQuietlyAsync(ModelPoller poller)
    {
        try { await poller.RefreshAsync(CancellationToken.None); }
        catch (Exception) { /* the poller retries */ }
    }

    /// <summary>
    /// The Functions host's custom-handler invocation of the queue trigger:
    /// <c>{"Data": {"message": "&lt;queue message&gt;"}, "Metadata": {"DequeueCount": 1, "Id": "...", ...}}</c>, answered with
    /// <c>{"Outputs": {}, "Logs": [...], "ReturnValue": null}</c>: 200 when the message is done with (the run succeeded,
    /// or failed for good and recorded it), 500 to make the host retry it (and move it to training-poison after 5 attempts).
    /// </summary>
    static async Task<IResult> TrainModelAsync(HttpContext http, EngineStorage storage, MovieStore store, TimeProvider time, ModelPoller poller,
        ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger("MovieRecs.Engine.TrainModel");
        var logs = new List<string>();
        void Log(string line)
        {
            lock (logs) logs.Add(line);
            logger.LogInformation("{Line}", line);
        }
        try
        {
            var (text, dequeueCount, id) = await ReadInvocationAsync(http.Request, cancellationToken);
            Log($"message {id ?? "?"} (dequeue count {dequeueCount})");
            var message = TrainingMessage.TryParse(text) ?? throw new FormatException($"Not a training message: '{Shorten(text)}'.");
            var job = new TrainingJob(storage, store, time, Log);
            var outcome = await job.RunAsync(message.RunId, dequeueCount, EngineStorage.MaxDequeueCount, cancellationToken);
            if (outcome == TrainingOutcome.Succeeded)
                await RefreshQuietlyAsync(poller);
            return Invocation(StatusCodes.Status200OK, logs);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            Log($"error: {e.GetType().Name}: {e.Message}");
            return Invocation(StatusCodes.Status500InternalServerError, logs);
        }
    }

    static IResult Invocation(int status, List<string> logs) =>
        Results.Content(new JsonObject
        {
            ["Outputs"] = new JsonObject(),
            ["Logs"] = new JsonArray(logs.Select(l => (JsonNode)l!).ToArray()),
            ["ReturnValue"] = null,
        }.ToJsonString(), "application/json", statusCode: status);

    /// <summary>The message text, dequeue count and message id of an invocation payload.</summary>
    internal static async Task<(string? Text, int DequeueCount, string? Id)> ReadInvocationAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var doc = await JsonDocument.ParseAsync(request.Body, cancellationToken: cancellationToken);
        var root = doc.RootElement;
        string? text = null;
        if (root.TryGetProperty("Data", out var data) && data.ValueKind == JsonValueKind.Object)
        {
            var item = data.TryGetProperty(TrainingBinding, out var named) ? named : data.EnumerateObject().Select(p => p.Value).FirstOrDefault();
            text = item.ValueKind switch
            {
                JsonValueKind.String => item.GetString(),
                JsonValueKind.Undefined or JsonValueKind.Null => null,
                _ => item.GetRawText(), // the host hands a JSON message over as an object
            };
        }
        var dequeueCount = 1;
        string? id = null;
        if (root.TryGetProperty("Metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object)
        {
            if (metadata.TryGetProperty("DequeueCount", out var count))
            {
                if (count.ValueKind == JsonValueKind.Number && count.TryGetInt32(out var n)) dequeueCount = n;
                else if (count.ValueKind == JsonValueKind.String && int.TryParse(count.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out n)) dequeueCount = n;
            }
            if (metadata.TryGetProperty("Id", out var idValue) && idValue.ValueKind == JsonValueKind.String)
                id = idValue.GetString();
        }
        return (text, Math.Max(1, dequeueCount), id);
    }

    static string Shorten(string? text) => text is null ? "" : text.Length <= 100 ? text : text[..100] + "…";
}
