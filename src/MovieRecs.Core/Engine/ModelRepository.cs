using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Azure;
using MovieRecs.Core.Discovery;
using MovieRecs.Recommender;
using MovieRecs.Recommender.Serialization;
using MovieRecs.Recommender.Ranking;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace MovieRecs.Core.Engine;

/// <summary>Offline metrics of a model, measured on a per-user hold-out (see docs/engine.md).</summary>
public sealed record ModelMetrics(
    double Rmse, double Mae, double PrecisionAt10, double RecallAt10, double NdcgAt10, double MapAt10, double Ece,
    int TestRatings, int RankedUsers);

/// <summary>What a model was trained on.</summary>
public sealed record ModelDataCounts(int Users, int Movies, int Ratings, int SkippedWatchOnly, int EvaluationTrainRatings, int EvaluationTestRatings);

/// <summary>One k tried by the clustering, with its mean silhouette.</summary>
public sealed record ClusterKTried(int K, double Silhouette);

/// <summary>What <c>clusters.json</c> holds (docs/discovery.md), summarised in the manifest.</summary>
/// <param name="ClusteredMovies">Movies with at least <paramref name="MinRatings"/> training ratings, which the k-means was fitted on.</param>
/// <param name="AssignedMovies">The model's other movies, placed at the nearest centroid afterwards.</param>
/// <param name="Tried">Every k evaluated (<see cref="MovieClusters.DefaultMinK"/>..<see cref="MovieClusters.DefaultMaxK"/>), ascending.</param>
public sealed record ModelClustersSummary(int K, double Silhouette, int Seed, int MinRatings, int ClusteredMovies, int AssignedMovies,
    IReadOnlyList<ClusterKTried> Tried, long Bytes)
{
    public static ModelClustersSummary From(MovieClusters clusters, long bytes) => new(
        clusters.K, Math.Round(clusters.Silhouette, 4), clusters.Seed, clusters.MinRatings,
        clusters.Clusters.Sum(c => c.MovieIds.Count), clusters.Clusters.Sum(c => c.AssignedMovieIds.Count),
        [.. clusters.Tried.Select(t => new ClusterKTried(t.K, Math.Round(t.Silhouette, 4)))], bytes);
}

/// <summary>The learned ranker of a version (<c>ranker.zip</c>: the ML.NET LightGBM model; <c>ranker.bin</c>: the movie
/// statistics its features read and the probability calibration), as trained and measured on its time-ordered hold-out.</summary>
public sealed record ModelRankerSummary(
    string ModelFile, string DataFile, long ModelBytes, long DataBytes, string Trainer, string Event,
    IReadOnlyDictionary<string, double> Parameters, IReadOnlyList<RankerFeatureImportance> Features,
    int TrainUsers, int CalibrationUsers, int TrainRows, double CandidateRecall, double HoldoutNdcgAt10, double HoldoutBaseNdcgAt10,
    double Ece, double EceTop10, double PositiveRate)
{
    public static ModelRankerSummary From(RankerReport r, long modelBytes, long dataBytes) => new(
        ModelRepository.RankerModelBlob, ModelRepository.RankerDataBlob, modelBytes, dataBytes, "Microsoft.ML.LightGbm LambdaRank", r.Event,
        r.Parameters, r.Features, r.TrainUsers, r.CalibrationUsers, r.TrainRows, Math.Round(r.CandidateRecall, 4), r.HoldoutNdcg, r.HoldoutBaseNdcg,
        r.Ece, r.EceTop10, r.PositiveRate);
}

/// <summary>The <c>manifest.json</c> next to every <c>model.bin</c>.</summary>
/// <param name="ClusterSeconds">Time to cluster the served model's movies (compare with <paramref name="TrainSeconds"/>); null
/// in versions written before training clustered, and when clustering failed (the version then has no clusters.json).</param>
/// <param name="Clusters">Null when the version has no <c>clusters.json</c>.</param>
/// <param name="ModelSha256">SHA-256 of <c>model.bin</c> (lower-case hex), checked before the model is served; null in
/// versions written before it was recorded (their length is still checked).</param>
/// <param name="RankerSeconds">Time to train the ranker (its own base model on the earlier ratings included); null without a ranker.</param>
/// <param name="Ranker">Null for a version without a ranker (trained before it existed, disabled, or too little data).</param>
public sealed record ModelManifest(
    string Version,
    string RunId,
    DateTimeOffset CreatedAt,
    string Algorithm,
    int FormatVersion,
    IReadOnlyDictionary<string, double> Parameters,
    ModelDataCounts Data,
    ModelMetrics? Metrics,
    string EvaluationProtocol,
    double ReadSeconds,
    double TrainSeconds,
    double EvaluationSeconds,
    double DurationSeconds,
    long ModelBytes,
    string CodeVersion,
    double? ClusterSeconds = null,
    ModelClustersSummary? Clusters = null,
    string? ModelSha256 = null,
    double? RankerSeconds = null,
    ModelRankerSummary? Ranker = null);

/// <summary>The <c>models/active.json</c> pointer: which version instances serve.</summary>
public sealed record ActiveModelPointer(string Version, DateTimeOffset ActivatedAt, string ActivatedBy);

/// <summary>A version in the repository with its manifest and whether it is the active one.</summary>
public sealed record ModelVersionInfo(ModelManifest Manifest, bool Active);

/// <summary>
/// Model versions in blob storage: <c>models/&lt;yyyyMMddTHHmmssZ&gt;-&lt;runId&gt;/model.bin</c>, <c>clusters.json</c> (versions
/// trained before clustering existed have none) and <c>manifest.json</c>, written create-only (If-None-Match: *: nothing is ever overwritten), and the <c>models/active.json</c> pointer,
/// moved only with ETag-conditional writes.
/// </summary>
public sealed class ModelRepository(EngineStorage storage)
{
    public const string ActivePointerBlob = "active.json";
    public const string ModelBlob = "model.bin";
    public const string ManifestBlob = "manifest.json";
    public const string ClustersBlob = "clusters.json";
    public const string RankerModelBlob = "ranker.zip";
    public const string RankerDataBlob = "ranker.bin";

    public static string VersionFor(DateTimeOffset createdAt, string runId) =>
        createdAt.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture) + "-" + runId;

    public static bool IsValidVersion(string version) =>
        version.Length is >= 18 and <= 100 && version.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'z' or >= 'A' and <= 'Z' or '-');

    /// <summary>
    /// Uploads a new version's model and its clusters (when given), the first half of a version: a training run writes
    /// them while its ranker still trains. The version stays incomplete (unlisted, unloadable) until
    /// <see cref="CompleteVersionAsync"/> writes its manifest. Every blob is create-only.
    /// </summary>
    public async Task WriteModelFilesAsync(string version, BinaryData model, BinaryData? clusters, CancellationToken cancellationToken = default)
    {
        await storage.EnsureCreatedAsync(cancellationToken);
        await CreateAsync($"{version}/{ModelBlob}", model, "application/octet-stream", cancellationToken);
        if (clusters is not null)
            await CreateAsync($"{version}/{ClustersBlob}", clusters, "application/json", cancellationToken);
    }

    /// <summary>The rest of a version after <see cref="WriteModelFilesAsync"/>: the ranker's files (when given), then the
    /// manifest last (a manifest means the version is complete).</summary>
    public async Task CompleteVersionAsync(ModelManifest manifest, (BinaryData Model, BinaryData Data)? ranker = null, CancellationToken cancellationToken = default)
    {
        await storage.EnsureCreatedAsync(cancellationToken);
        if (ranker is { } r)
        {
            await CreateAsync($"{manifest.Version}/{RankerModelBlob}", r.Model, "application/zip", cancellationToken);
            await CreateAsync($"{manifest.Version}/{RankerDataBlob}", r.Data, "application/octet-stream", cancellationToken);
        }
        await CreateAsync($"{manifest.Version}/{ManifestBlob}",
            BinaryData.FromString(JsonSerializer.Serialize(manifest, EngineStorage.IndentedJson)), "application/json", cancellationToken);
    }

    Task CreateAsync(string name, BinaryData content, string contentType, CancellationToken cancellationToken) =>
        storage.Models.GetBlobClient(name).UploadAsync(content, new BlobUploadOptions
        {
            Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
            HttpHeaders = new BlobHttpHeaders { ContentType = contentType },
        }, cancellationToken);

    public async Task<ModelManifest?> GetManifestAsync(string version, CancellationToken cancellationToken = default)
    {
        if (!IsValidVersion(version))
            return null;
        await storage.EnsureCreatedAsync(cancellationToken);
        try
        {
            var r = await storage.Models.GetBlobClient($"{version}/{ManifestBlob}").DownloadContentAsync(cancellationToken);
            return JsonSerializer.Deserialize<ModelManifest>(r.Value.Content.ToString(), EngineStorage.Json);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>
    /// The version's model, checked against its manifest first: a <c>model.bin</c> that is missing, of another length or
    /// (when the manifest records it) another SHA-256 than the trainer wrote is refused, as is one the reader rejects.
    /// </summary>
    /// <exception cref="ModelFormatException">The version cannot be served (incomplete, truncated or corrupt).</exception>
    public async Task<RecommenderModel> LoadModelAsync(string version, CancellationToken cancellationToken = default)
    {
        var manifest = await GetManifestAsync(version, cancellationToken)
            ?? throw new ModelFormatException($"model version '{version}' has no manifest (an incomplete or unknown version)");
        BinaryData content;
        try
        {
            content = (await storage.Models.GetBlobClient($"{version}/{ModelBlob}").DownloadContentAsync(cancellationToken)).Value.Content;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw new ModelFormatException($"model version '{version}' has no {ModelBlob}");
        }
        var bytes = content.ToMemory();
        if (bytes.Length != manifest.ModelBytes)
            throw new ModelFormatException($"{ModelBlob} of '{version}' has {bytes.Length} bytes where its manifest says {manifest.ModelBytes} (truncated or replaced)");
        if (manifest.ModelSha256 is { } expected && !expected.Equals(Sha256(bytes.Span), StringComparison.OrdinalIgnoreCase))
            throw new ModelFormatException($"{ModelBlob} of '{version}' does not match the SHA-256 in its manifest (corrupt)");
        using var stream = content.ToStream();
        try
        {
            return RecommenderModel.Load(stream);
        }
        catch (Exception e) when (e is not ModelFormatException)
        {
            // the reader checks structure, not every value: whatever else a damaged file trips is the same verdict
            throw new ModelFormatException($"{ModelBlob} of '{version}' cannot be read ({e.GetType().Name}: {e.Message})");
        }
    }

    public static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
    /// <summary>The version's ranker, or null when it has none (a version trained before the ranker existed).</summary>
    /// <exception cref="FormatException">The files are there but unreadable (or of a newer format).</exception>
    public async Task<LearnedRanker?> LoadRankerAsync(string version, CancellationToken cancellationToken = default)
    {
        try
        {
            var zip = storage.Models.GetBlobClient($"{version}/{RankerModelBlob}").DownloadContentAsync(cancellationToken);
            var data = storage.Models.GetBlobClient($"{version}/{RankerDataBlob}").DownloadContentAsync(cancellationToken);
            await Task.WhenAll(zip, data);
            using var zipStream = zip.Result.Value.Content.ToStream();
            using var dataStream = data.Result.Value.Content.ToStream();
            try
            {
                return LearnedRanker.Load(zipStream, dataStream);
            }
            catch (Exception e) when (e is not FormatException and not OperationCanceledException)
            {
                throw new FormatException($"the ranker files are unreadable: {e.Message}", e);
            }
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>The version's clusters, or null when it has no clusters.json (a version trained before clustering existed).</summary>
    /// <exception cref="FormatException">The file is there but unreadable (or of a newer format).</exception>
    public async Task<MovieClusters?> LoadClustersAsync(string version, CancellationToken cancellationToken = default)
    {
        try
        {
            var r = await storage.Models.GetBlobClient($"{version}/{ClustersBlob}").DownloadContentAsync(cancellationToken);
            return MovieClusters.FromJson(r.Value.Content.ToString());
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>The active pointer and its ETag (null pointer and default ETag when there is none yet).</summary>
    public async Task<(ActiveModelPointer? Pointer, ETag ETag)> GetActiveAsync(CancellationToken cancellationToken = default)
    {
        await storage.EnsureCreatedAsync(cancellationToken);
        try
        {
            var r = await storage.Models.GetBlobClient(ActivePointerBlob).DownloadContentAsync(cancellationToken);
            return (JsonSerializer.Deserialize<ActiveModelPointer>(r.Value.Content.ToString(), EngineStorage.Json), r.Value.Details.ETag);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return (null, default);
        }
    }

    /// <summary>
    /// Points <c>active.json</c> at <paramref name="version"/>: read, then write conditioned on the ETag read (or on
    /// absence), re-read and retried when another writer moved it in between. Last writer wins, no write is lost half-way.
    /// </summary>
    public async Task<ActiveModelPointer> ActivateAsync(string version, string activatedBy, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var pointer = new ActiveModelPointer(version, now, activatedBy);
        var body = BinaryData.FromString(JsonSerializer.Serialize(pointer, EngineStorage.IndentedJson));
        for (var attempt = 1; ; attempt++)
        {
            var (_, etag) = await GetActiveAsync(cancellationToken);
            var conditions = etag == default ? new BlobRequestConditions { IfNoneMatch = ETag.All } : new BlobRequestConditions { IfMatch = etag };
            try
            {
                await storage.Models.GetBlobClient(ActivePointerBlob).UploadAsync(body, new BlobUploadOptions
                {
                    Conditions = conditions,
                    HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
                }, cancellationToken);
                return pointer;
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412 && attempt < 20)
            {
                await Task.Delay(Random.Shared.Next(10, 50 * attempt), cancellationToken);
            }
        }
    }

    /// <summary>Every complete version (one with a manifest), newest first, and which one is active.</summary>
    public async Task<IReadOnlyList<ModelVersionInfo>> ListAsync(CancellationToken cancellationToken = default)
    {
        await storage.EnsureCreatedAsync(cancellationToken);
        var versions = new List<string>();
        await foreach (var blob in storage.Models.GetBlobsAsync(cancellationToken: cancellationToken))
            if (blob.Name.EndsWith("/" + ManifestBlob, StringComparison.Ordinal))
                versions.Add(blob.Name[..^(ManifestBlob.Length + 1)]);
        var (active, _) = await GetActiveAsync(cancellationToken);
        var manifests = await Task.WhenAll(versions.Select(v => GetManifestAsync(v, cancellationToken)));
        return manifests.OfType<ModelManifest>()
            .OrderByDescending(m => m.Version, StringComparer.Ordinal)
            .Select(m => new ModelVersionInfo(m, m.Version == active?.Version))
            .ToList();
    }
}
