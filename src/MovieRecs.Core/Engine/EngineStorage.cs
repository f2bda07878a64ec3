using System.Text.Json;
using System.Text.Json.Serialization;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using MovieRecs.Core.Store;

namespace MovieRecs.Core.Engine;

/// <summary>
/// Where the recommendation engine keeps its state: the <c>runs</c> table (training runs and the "queued run" row),
/// the <c>training</c> queue (Base64, as the Functions queue trigger expects) and its <c>training-poison</c> queue,
/// and the <c>models</c> blob container (one folder per model version plus the <c>active.json</c> pointer).
/// </summary>
public sealed class EngineStorage
{
    public const string RunsTable = "runs";
    public const string TrainingQueue = "training";
    public const string PoisonQueue = TrainingQueue + "-poison";
    public const string ModelsContainer = "models";

    /// <summary>Attempts before a message goes to the poison queue (the Functions host's maxDequeueCount default).</summary>
    public const int MaxDequeueCount = 5;

    Task? _created;
    readonly Lock _lock = new();

    /// <summary>For the CLI and tests; the app passes the account it registered.</summary>
    public EngineStorage(string connectionString) : this(StorageAccount.FromConnectionString(connectionString)) { }

    public EngineStorage(StorageAccount account)
    {
        Runs = account.Tables.GetTableClient(RunsTable);
        Queue = account.Queues.GetQueueClient(TrainingQueue);
        Poison = account.Queues.GetQueueClient(PoisonQueue);
        Models = account.Blobs.GetBlobContainerClient(ModelsContainer);
    }

    public TableClient Runs { get; }
    public QueueClient Queue { get; }
    public QueueClient Poison { get; }
    public BlobContainerClient Models { get; }

    /// <summary>Creates the table, queues and container once per instance (again after a failure).</summary>
    public Task EnsureCreatedAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (_created is null || _created.IsFaulted || _created.IsCanceled)
                _created = CreateAsync(cancellationToken);
            return _created;
        }
    }

    async Task CreateAsync(CancellationToken cancellationToken)
    {
        await Task.WhenAll(
            Runs.CreateIfNotExistsAsync(cancellationToken),
            Queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken),
            Poison.CreateIfNotExistsAsync(cancellationToken: cancellationToken),
            Models.CreateIfNotExistsAsync(cancellationToken: cancellationToken));
    }

    /// <summary>JSON of manifests, pointers and queue messages: snake_case, compact.</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static readonly JsonSerializerOptions IndentedJson = new(Json) { WriteIndented = true };
}

/// <summary>The training queue's message: which run to execute.</summary>
public sealed record TrainingMessage(string RunId)
{
    public string ToJson() => JsonSerializer.Serialize(this, EngineStorage.Json);

    /// <summary>Parses a message body; null when it is not a training message.</summary>
    public static TrainingMessage? TryParse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        try
        {
            var m = JsonSerializer.Deserialize<TrainingMessage>(text, EngineStorage.Json);
            return m is { RunId: { Length: > 0 } id } && TrainingRuns.IsValidRunId(id) ? m : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
