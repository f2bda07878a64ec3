using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Azure;
using MovieRecs.Core.Discovery;
using MovieRecs.Core.Store;
using MovieRecs.Recommender;
using MovieRecs.Recommender.Evaluation;
using MovieRecs.Recommender.Ranking;
using Azure.Data.Tables;
using RatingRow = MovieRecs.Recommender.Rating;

namespace MovieRecs.Core.Engine;

/// <summary>How a run attempt ended.</summary>
public enum TrainingOutcome
{
    /// <summary>The model was written and activated (or the run had already finished: a redelivered message).</summary>
    Succeeded,
    /// <summary>The run failed for a reason a retry cannot fix (e.g. no ratings); recorded as failed.</summary>
    Failed,
}

/// <summary>A run that cannot succeed however often it is retried.</summary>
public sealed class PermanentTrainingException(string message) : Exception(message);

/// <summary>
/// One training run, shared by the queue-triggered function, the standalone listener and <c>movierecs train</c>:
/// read every rating; train the served model on everything and cluster its movies while the learned ranker trains beside
/// it on its time-ordered hold-out (which also gives the run's evaluation); write the version create-only, then move the
/// active pointer. A failure records its error and leaves the active model alone.
/// </summary>
public sealed class TrainingJob(EngineStorage storage, MovieStore store, TimeProvider? time = null, Action<string>? log = null)
{
    readonly TimeProvider _time = time ?? TimeProvider.System;
    public TrainingRuns Runs { get; } = new(storage, time);
    public ModelRepository Models { get; } = new(storage);

    /// <summary>Options the run trains with (product defaults).</summary>
    public TrainingOptions Options { get; init; } = new();

    /// <summary>Without a ranker (switched off, or too little data for its hold-out): share of each user's ratings held out for the evaluation (users with at least <see cref="MinRatingsToHoldOut"/>).</summary>
    public double HoldoutFraction { get; init; } = 0.1;
    public int MinRatingsToHoldOut { get; init; } = 5;

    public static string CodeVersion { get; } =
        typeof(TrainingJob).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(TrainingJob).Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>
    /// Executes attempt <paramref name="attempt"/> of run <paramref name="runId"/>. Returns the outcome for a run that ended;
    /// throws when the attempt failed for a reason a retry may fix (the run is then back in "queued" with the error, or
    /// "failed" on the last attempt). Throws <see cref="KeyNotFoundException"/> for an unknown run.
    /// </summary>
    public async Task<TrainingOutcome> RunAsync(string runId, int attempt, int maxAttempts = EngineStorage.MaxDequeueCount, CancellationToken cancellationToken = default)
    {
        var run = await Runs.StartAsync(runId, attempt, cancellationToken) ?? throw new KeyNotFoundException($"No training run '{runId}'.");
        if (RunStatus.IsFinished(run.Status))
        {
            log?.Invoke($"run {runId} already {run.Status}; nothing to do");
            return run.Status == RunStatus.Succeeded ? TrainingOutcome.Succeeded : TrainingOutcome.Failed;
        }
        log?.Invoke($"run {runId} attempt {attempt} started");
        try
        {
            var version = await TrainAndPublishAsync(runId, run.StartedAt ?? _time.GetUtcNow(), cancellationToken);
            log?.Invoke($"run {runId} succeeded: model {version.Version} is active");
            await Runs.SucceedAsync(runId, version.Version, version.Metrics, CancellationToken.None);
            return TrainingOutcome.Succeeded;
        }
        catch (PermanentTrainingException e)
        {
            log?.Invoke($"run {runId} failed: {e.Message}");
            await Runs.FailAsync(runId, e.Message, CancellationToken.None);
            return TrainingOutcome.Failed;
        }
        catch (Exception e)
        {
            log?.Invoke($"run {runId} attempt {attempt} failed: {e.Message}");
            var error = $"attempt {attempt} of {maxAttempts}: {e.GetType().Name}: {e.Message}";
            if (attempt >= maxAttempts)
                await Runs.FailAsync(runId, error, CancellationToken.None);
            else
                await Runs.RetryLaterAsync(runId, error, CancellationToken.None);
            throw;
        }
    }

    async Task<ModelManifest> TrainAndPublishAsync(string runId, DateTimeOffset startedAt, CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        var catalog = store.LoadMoviesAsync(cancellationToken); // beside the ratings: two stores, no order between them
        var (ratings, skipped) = await ReadRatingsAsync(store, cancellationToken);
        var readSeconds = total.Elapsed.TotalSeconds;
        log?.Invoke($"read {ratings.Length} ratings ({skipped} watch-only marks skipped) in {readSeconds:F2} s");
        var movies = (await catalog).Select(m => new MovieInfo(m.Id, m.Year, m.Genres)).ToArray();
        log?.Invoke($"read {movies.Length} movies at {total.Elapsed.TotalSeconds:F2} s");
        if (ratings.Length == 0)
            throw new PermanentTrainingException("There are no ratings to train on.");

        // the served model and its clusters are written while the ranker still trains (its LightGBM stage leaves a core
        // idle); the manifest, written last, completes the version
        var version = ModelRepository.VersionFor(startedAt, runId);
        using var buffer = new MemoryStream();
        async Task WriteModelFiles(RecommenderModel served, BinaryData? clusters)
        {
            served.Save(buffer);
            await Models.WriteModelFilesAsync(version, new BinaryData(buffer.GetBuffer().AsMemory(0, (int)buffer.Length)), clusters, cancellationToken);
            log?.Invoke($"model file ({buffer.Length} bytes) and clusters written at {total.Elapsed.TotalSeconds:F2} s");
        }
        var (model, trainSeconds, clusters, clustersJson, clusterSeconds, ranker) = await TrainModelsAsync(ratings, movies, Options, log, cancellationToken,
            whileRankerTrains: WriteModelFiles);
        log?.Invoke($"models done at {total.Elapsed.TotalSeconds:F2} s");
        double? rankerSeconds = ranker is null ? null : ranker.Report?.Seconds;
        BinaryData? rankerZip = null, rankerData = null;
        if (ranker?.SaveToBytes() is (var zip, var data))
            (rankerZip, rankerData) = (new BinaryData(zip), new BinaryData(data));
        cancellationToken.ThrowIfCancellationRequested();

        // The evaluation: the ranker's hold-out when there is a ranker (no extra training), else a random per-user
        // hold-out with a base model of its own (small data or the ranker switched off).
        var sw = Stopwatch.StartNew();
        ModelMetrics? metrics = null;
        string protocol;
        int evaluationTrain, evaluationTest;
        if (ranker?.Holdout is { } holdout && model.RatingHoldout is { } rating)
        {
            // ranking from the ranker's time-ordered hold-out; stars from the rating model's own random hold-out
            var e = holdout.Result;
            metrics = new ModelMetrics(rating.Rmse, rating.Mae, e.PrecisionAtK, e.RecallAtK, e.NdcgAtK, e.MapAtK, rating.Ece, e.TestRatings, e.RankedUsers);
            protocol = $"ranking metrics: {holdout.Protocol}. rmse, mae, ece: the served rating model's own hold-out ({rating.Ratings} ratings, "
                + $"{Options.HoldoutFraction:P0} of all at random, seed {Options.Seed}) before it is refitted on all ratings; ece two-fold";
            (evaluationTrain, evaluationTest) = (holdout.TrainRatings, e.TestRatings);
        }
        else
        {
            var (train, test) = Split(ratings, HoldoutFraction, MinRatingsToHoldOut, Options.Seed);
            if (test.Length > 0)
            {
                var evaluationModel = await Task.Run(() => RecommenderModel.Train(train.AsSpan(), Options), cancellationToken);
                var e = await Task.Run(() => Evaluator.Evaluate(evaluationModel, test, 10, Options.Threads), cancellationToken);
                metrics = new ModelMetrics(e.Rmse, e.Mae, e.PrecisionAtK, e.RecallAtK, e.NdcgAtK, e.MapAtK, e.Ece, e.TestRatings, e.RankedUsers);
            }
            protocol = $"per-user hold-out: {HoldoutFraction:P0} of the ratings of each user with at least {MinRatingsToHoldOut}, seed {Options.Seed}; "
                + "metrics of a model trained on the rest; the served model is trained on all ratings";
            (evaluationTrain, evaluationTest) = (train.Length, test.Length);
        }
        var evaluationSeconds = ranker?.Holdout?.Seconds ?? sw.Elapsed.TotalSeconds;
        if (metrics is not null)
            log?.Invoke($"evaluation on {metrics.TestRatings} held-out ratings: rmse {metrics.Rmse:F4}, ndcg@10 {metrics.NdcgAt10:F4}");

        var manifest = new ModelManifest(
            version, runId, _time.GetUtcNow(), RecommenderModel.Algorithm, RecommenderModel.FormatVersion,
            Options.ToParameters().ToDictionary(p => p.Key, p => p.Value),
            new ModelDataCounts(model.UserCount, model.MovieCount, ratings.Length, skipped, evaluationTrain, evaluationTest),
            metrics, protocol,
            readSeconds, trainSeconds, evaluationSeconds, total.Elapsed.TotalSeconds, buffer.Length, CodeVersion,
            clusterSeconds, clusters is null ? null : ModelClustersSummary.From(clusters, clustersJson!.ToMemory().Length),
            ModelRepository.Sha256(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)),
            rankerSeconds, ranker?.Report is { } report ? ModelRankerSummary.From(report, rankerZip!.ToMemory().Length, rankerData!.ToMemory().Length) : null);
        await Models.CompleteVersionAsync(manifest, rankerZip is null ? null : (rankerZip, rankerData!), cancellationToken);
        log?.Invoke($"version {manifest.Version} complete at {total.Elapsed.TotalSeconds:F2} s");
        await Models.ActivateAsync(manifest.Version, $"run {runId}", _time.GetUtcNow(), cancellationToken);
        return manifest;
    }

    /// <summary>What a run trains, between reading the ratings and writing the version.</summary>
    public sealed record TrainedModels(RecommenderModel Model, double TrainSeconds, MovieClusters? Clusters, BinaryData? ClustersJson,
        double? ClusterSeconds, LearnedRanker? Ranker);

    /// <summary>Above this many ratings the served model and the ranker train one after the other, and the ranker sorts the
    /// run's ratings in place instead of a copy: side by side, both sides' data at once would not fit in 3 GB at 25M
    /// ratings (docs/benchmarks.md, issue 11).</summary>
    public const int SideBySideMaxRatings = 5_000_000;

    /// <summary>
    /// The served model, its clusters and the learned ranker (null when switched off or too little data). The ranker (with
    /// its own time-ordered hold-out, which is also the run's evaluation) and the served model do not depend on each
    /// other: they train side by side, each on the cores the other leaves idle; above <see cref="SideBySideMaxRatings"/>
    /// the ranker starts after the served model and reorders <paramref name="ratings"/> in place (the same rows).
    /// </summary>
    /// <param name="sideBySideMaxRatings">The limit above which the two sides train one after the other (tests set it low).</param>
    /// <param name="whileRankerTrains">Called with the served model and its clusters' JSON once both are done (e.g. to write
    /// them), awaited before this returns: side by side while the ranker may still train; above the limit only after the
    /// ranker, whose memory is then the run's peak (a 25M-rating model file buffered beside it would add to it).</param>
    public static async Task<TrainedModels> TrainModelsAsync(RatingRow[] ratings, IReadOnlyList<MovieInfo> movies, TrainingOptions options,
        Action<string>? log = null, CancellationToken cancellationToken = default, int sideBySideMaxRatings = SideBySideMaxRatings,
        Func<RecommenderModel, BinaryData?, Task>? whileRankerTrains = null)
    {
        var sw = Stopwatch.StartNew();
        var sideBySide = ratings.Length <= sideBySideMaxRatings;
        Task<LearnedRanker?> StartRanker() => Task.Run(() => options.RankerEnabled != 1 ? null
            : sideBySide ? LearnedRanker.Train(ratings, movies, options, log) : LearnedRanker.TrainReordering(ratings, movies, options, log), cancellationToken);
        var rankerTask = sideBySide ? StartRanker() : null;
        var model = await Task.Run(() => RecommenderModel.Train(ratings.AsSpan(), options, log is null ? null : line => log($"served model: {line}")), cancellationToken);
        var trainSeconds = sw.Elapsed.TotalSeconds;
        log?.Invoke($"trained on {ratings.Length} ratings in {trainSeconds:F2} s");
        if (rankerTask is null)
        {
            LearnedRanker.ReturnGarbage(); // the served model's training data, before the ranker's
            rankerTask = StartRanker(); // beside the clustering
        }

        // Clusters are stored with the model they were computed from, so a served model and its clusters always match.
        var clusterWatch = Stopwatch.StartNew();
        var (clusters, clustersJson) = await ClusterAsync(model, options, log, cancellationToken);
        double? clusterSeconds = clusters is null ? null : clusterWatch.Elapsed.TotalSeconds;

        var beside = sideBySide ? (whileRankerTrains?.Invoke(model, clustersJson) ?? Task.CompletedTask) : Task.CompletedTask;
        LearnedRanker? ranker;
        try
        {
            ranker = await rankerTask;
        }
        finally
        {
            await beside; // a failure of either fails the run; neither task is left running unobserved
        }
        if (!sideBySide && whileRankerTrains is not null)
            await whileRankerTrains(model, clustersJson);
        cancellationToken.ThrowIfCancellationRequested();
        return new TrainedModels(model, trainSeconds, clusters, clustersJson, clusterSeconds, ranker);
    }

    /// <summary>
    /// k-means over the model's movie vectors (k by silhouette, seeded with the run's seed). A failure is logged and the
    /// version is published without clusters: the cluster strategy then falls back to popularity, which beats no model.
    /// </summary>
    static async Task<(MovieClusters? Clusters, BinaryData? Json)> ClusterAsync(RecommenderModel model, TrainingOptions options, Action<string>? log, CancellationToken cancellationToken)
    {
        var sw = Stopwatch.StartNew();
        try
        {
            var clusters = await Task.Run(() => MovieClusters.Build(model, seed: options.Seed, threads: options.Threads), cancellationToken);
            var json = BinaryData.FromString(clusters.ToJson());
            log?.Invoke($"clustered {clusters.Clusters.Sum(c => c.MovieIds.Count)} movies into k = {clusters.K} (silhouette {clusters.Silhouette:F3}) in {sw.Elapsed.TotalSeconds:F2} s");
            return (clusters, json);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log?.Invoke($"clustering failed ({e.GetType().Name}: {e.Message}); the version is published without clusters");
            return (null, null);
        }
    }

    /// <summary>Every current rating, replayed from the rating log (a few blob downloads, not a table scan).</summary>
    public static async Task<(RatingRow[] Ratings, int SkippedWatchOnly)> ReadRatingsAsync(MovieStore store, CancellationToken cancellationToken = default)
    {
        var (ratings, info) = await store.Log.ReadRatingsAsync(cancellationToken);
        return (Array.ConvertAll(ratings, r => new RatingRow(r.UserId, r.MovieId, r.Rating, r.Timestamp)), info.WatchOnly);
    }

    /// <summary>Per-user hold-out: of each user with at least <paramref name="minRatings"/> ratings, a random <paramref name="fraction"/> (at least one).</summary>
    public static (RatingRow[] Train, RatingRow[] Test) Split(RatingRow[] ratings, double fraction, int minRatings, int seed)
    {
        var train = new List<RatingRow>(ratings.Length);
        var test = new List<RatingRow>((int)(ratings.Length * fraction) + 16);
        foreach (var user in ratings.GroupBy(r => r.User))
        {
            var rows = user.ToArray();
            if (rows.Length < minRatings)
            {
                train.AddRange(rows);
                continue;
            }
            var random = new Random(unchecked(seed * 1_000_003 + user.Key));
            random.Shuffle(rows);
            var held = Math.Max(1, (int)Math.Round(rows.Length * fraction));
            test.AddRange(rows.AsSpan(0, held));
            train.AddRange(rows.AsSpan(held));
        }
        return (train.ToArray(), test.ToArray());
    }
}
