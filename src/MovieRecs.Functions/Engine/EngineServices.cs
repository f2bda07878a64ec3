using System.Globalization;
using MovieRecs.Core.Engine;
using MovieRecs.Core.Store;
using MovieRecs.Functions.Hosting;

namespace MovieRecs.Functions.Engine;

/// <summary>Settings of the recommendation engine (section <c>MovieRecs:Engine</c>).</summary>
public sealed record EngineSettings
{
    /// <summary>Run the standalone queue listener (never under the Functions host, which triggers TrainModel itself).</summary>
    public bool Listener { get; init; } = true;
    /// <summary>How often the listener polls an empty queue.</summary>
    public TimeSpan QueuePollInterval { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>Visibility timeout of a message being processed (renewed at half of it while training runs).</summary>
    public TimeSpan VisibilityTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Delay before a failed message is visible again (as host.json's extensions.queues.visibilityTimeout: 30 s).</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Attempts before a message goes to training-poison.</summary>
    public int MaxDequeueCount { get; init; } = EngineStorage.MaxDequeueCount;
    /// <summary>How often every instance checks models/active.json for a newly activated model.</summary>
    public TimeSpan ModelPollInterval { get; init; } = TimeSpan.FromSeconds(10);

    public static EngineSettings From(IConfiguration configuration)
    {
        var section = configuration.GetSection("MovieRecs:Engine");
        static TimeSpan Seconds(string? text, TimeSpan fallback) =>
            double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s >= 0 ? TimeSpan.FromSeconds(s) : fallback;
        var d = new EngineSettings();
        return new EngineSettings
        {
            Listener = !bool.TryParse(section["Listener"], out var listener) || listener,
            QueuePollInterval = Seconds(section["QueuePollSeconds"], d.QueuePollInterval),
            VisibilityTimeout = Seconds(section["VisibilityTimeoutSeconds"], d.VisibilityTimeout),
            RetryDelay = Seconds(section["RetryDelaySeconds"], d.RetryDelay),
            MaxDequeueCount = int.TryParse(section["MaxDequeueCount"], out var max) && max >= 1 ? max : d.MaxDequeueCount,
            ModelPollInterval = Seconds(section["ModelPollSeconds"], d.ModelPollInterval),
        };
    }
}

public static class EngineServices
{
    public static void AddEngine(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton(sp => EngineSettings.From(sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton(sp => new EngineStorage(sp.GetRequiredService<StorageAccount>()));
        services.AddSingleton(sp => new TrainingRuns(sp.GetRequiredService<EngineStorage>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new ModelRepository(sp.GetRequiredService<EngineStorage>()));
        services.AddSingleton(sp =>
        {
            var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger("MovieRecs.Engine.Training");
            return new TrainingJob(sp.GetRequiredService<EngineStorage>(), sp.GetRequiredService<MovieStore>(), sp.GetRequiredService<TimeProvider>(),
                line => logger.LogInformation("{Line}", line));
        });
        services.AddSingleton<ModelHolder>();
        services.AddSingleton<RecommendationService>();
        services.AddSingleton<ModelPoller>();
        services.AddHostedService(sp => sp.GetRequiredService<ModelPoller>());
        services.AddSingleton<EngineFunctions>();
        services.AddSingleton<TrainingQueueListener>();
        services.AddHostedService(sp => sp.GetRequiredService<TrainingQueueListener>());
    }
}
