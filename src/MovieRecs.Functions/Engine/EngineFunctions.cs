using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using MovieRecs.Core.Engine;
using MovieRecs.Core.Store;
using MovieRecs.Functions.Hosting;

namespace MovieRecs.Functions.Engine;

/// <summary>
/// The Functions entry points of the recommendation engine: the HTTP functions (training runs, model versions,
/// recommendations) each run the endpoint of their name (<see cref="FunctionEndpoints"/>); TrainModel is the queue
/// trigger. Under the Functions host the host delivers each message of the <c>training</c> queue, retries it when
/// TrainModel throws and moves it to <c>training-poison</c> after maxDequeueCount (5, host.json). Standalone,
/// <see cref="TrainingQueueListener"/> does the same with the Queues SDK and calls TrainModel.
/// </summary>
public sealed class EngineFunctions(FunctionEndpoints endpoints, EngineStorage storage, MovieStore store, EngineSettings settings, TimeProvider time,
    ModelPoller poller, ILogger<EngineFunctions> logger)
{
    public const string TrainModelFunction = "TrainModel";

    /// <summary>Trains the run the message names. Returns when the message is done with (the run succeeded, or failed
    /// for good and says so); throws to have the message retried.</summary>
    [Function(TrainModelFunction)]
    public async Task TrainModel([QueueTrigger(EngineStorage.TrainingQueue, Connection = "AzureWebJobsStorage")] QueueMessage message,
        CancellationToken cancellationToken)
    {
        logger.LogInformation("Training message {Id} (dequeue count {Count})", message.MessageId, message.DequeueCount);
        var parsed = TrainingMessage.TryParse(message.MessageText)
            ?? throw new FormatException($"Not a training message: '{Shorten(message.MessageText)}'.");
        var job = new TrainingJob(storage, store, time, line => logger.LogInformation("{Line}", line));
        var attempt = (int)Math.Clamp(message.DequeueCount, 1, int.MaxValue);
        if (await job.RunAsync(parsed.RunId, attempt, settings.MaxDequeueCount, cancellationToken) == TrainingOutcome.Succeeded)
            await EngineApi.RefreshQuietlyAsync(poller); // this instance serves the new model at once
    }

    static string Shorten(string? text) => text is null ? "" : text.Length <= 100 ? text : text[..100] + "…";

    [Function(nameof(RequestTraining))]
    public IResult RequestTraining([HttpTrigger(AuthorizationLevel.Function, "post", Route = "rest/v1/recommendation-engine")] HttpRequest request) =>
        endpoints.Run(nameof(RequestTraining), request);

    [Function(nameof(ListModels))]
    public IResult ListModels([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "rest/v1/recommendation-engine/models")] HttpRequest request) =>
        endpoints.Run(nameof(ListModels), request);

    [Function(nameof(ActivateModel))]
    public IResult ActivateModel([HttpTrigger(AuthorizationLevel.Function, "post", Route = "rest/v1/recommendation-engine/models/{version}/activate")] HttpRequest request) =>
        endpoints.Run(nameof(ActivateModel), request);

    [Function(nameof(GetTrainingRun))]
    public IResult GetTrainingRun([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "rest/v1/recommendation-engine/runs/{id}")] HttpRequest request) =>
        endpoints.Run(nameof(GetTrainingRun), request);

    [Function(nameof(GetRecommendedMovies))]
    public IResult GetRecommendedMovies([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "rest/v1/user/{id:int}/recommended-movies")] HttpRequest request) =>
        endpoints.Run(nameof(GetRecommendedMovies), request);

    [Function(nameof(GetRecommendationsLegacy))]
    public IResult GetRecommendationsLegacy([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "users/{id:int}/recommendations")] HttpRequest request) =>
        endpoints.Run(nameof(GetRecommendationsLegacy), request);
}
