using System.Globalization;
using System.Text.Json;
using Azure;
using MovieRecs.Core.Catalog;
using MovieRecs.Storage.Tables;

namespace MovieRecs.Core.Store;

/// <summary>
/// The app's tables and how its data is laid out in them. Table Storage has no joins, aggregates or
/// sort, so the layout follows the queries:
/// <list type="bullet">
/// <item><c>movies</c>: the catalog, RowKey = zero-padded id, spread over 32 partitions (id mod 32) so imports
///   batch in parallel (Azurite slows as one partition grows); always read whole into memory.</item>
/// <item><c>ratings00</c>..<c>ratings255</c>: the movies' rating records in <see cref="RatingPartitions"/> partitions (movie
///   id mod 256), one table each: the emulator keeps a table in one in-memory collection whose index upkeep costs time
///   linear in the table's size on every update, so small tables keep writes cheap (Azure does not mind either way). A
///   movie's rows sit together: "s{movie}" holds its Count, SumHalves, WatchCount and Seq, and "r{movie}u{user}" each
///   (user, movie) pair (Rating, UnixTime, Seq; a row without Rating is a watch-only mark). A rating and its movie's
///   aggregate change in one entity-group transaction, and since many movies share a partition one transaction
///   carries the changes of many movies (see <see cref="RatingStore"/>). Readers of ratings skip rows without a Rating.</item>
/// <item><c>userratings00</c>..<c>userratings255</c>: the same pairs by user, in 256 partitions and tables (user id mod 256), RowKey "{user}m{movie}": one
///   range read gives a user's ratings. Rows with Rating are ratings, with Watched=true watch-only marks, with
///   neither (Removed=true) tombstones of removed pairs.</item>
/// <item><c>users</c>: PartitionKey = user id / 1000 (so imports can batch), RowKey "u{user}", Name, Created.</item>
/// <item><c>meta</c>: small state rows: the catalog version instances poll, id sequences (PartitionKey "ids").</item>
/// <item>the <c>ratinglog</c> blob container: every rating change appended, for training (<see cref="RatingLog"/>).</item>
/// </list>
/// </summary>
public sealed class MovieStore
{
    public const string MoviesTable = "movies";
    public const string RatingsTablePrefix = "ratings";
    public const string UserRatingsTablePrefix = "userratings";
    public const string UsersTable = "users";
    public const string MetaTable = "meta";
    public static readonly string[] AllTables =
    [
        MoviesTable, UsersTable, MetaTable,
        .. Enumerable.Range(0, RatingPartitions).Select(RatingsTableName),
        .. Enumerable.Range(0, RatingPartitions).Select(UserRatingsTableName),
    ];

    public static string RatingsTableName(int bucket) => RatingsTablePrefix + bucket.ToString("D2", CultureInfo.InvariantCulture);
    public static string UserRatingsTableName(int bucket) => UserRatingsTablePrefix + bucket.ToString("D2", CultureInfo.InvariantCulture);

    const int MoviePartitions = 32;

    /// <summary>
    /// Partitions (and tables) of <c>ratings</c> and <c>userratings</c>. A request's ratings in one partition share a
    /// transaction, and concurrent writes to a partition queue up and share the next one (the emulator's cost is per
    /// call, ~0.6-1 ms, more than per row, ~0.1-0.2 ms); but the emulator's per-row cost grows with the partition (an
    /// existence check scans it) and the table (index upkeep scans it). Figures for 32, 128 and 256 in docs/ratings.md.
    /// Azure serves about 2,000 entities/s per partition.
    /// </summary>
    public const int RatingPartitions = 256;

    readonly TableServiceClient _service;

    public MovieStore(string connectionString, TableClientOptions? options = null)
    {
        _service = new TableServiceClient(connectionString, options ?? new TableClientOptions());
        Movies = _service.GetTableClient(MoviesTable);
        RatingsTables = Enumerable.Range(0, RatingPartitions).Select(b => _service.GetTableClient(RatingsTableName(b))).ToArray();
        UserRatingsTables = Enumerable.Range(0, RatingPartitions).Select(b => _service.GetTableClient(UserRatingsTableName(b))).ToArray();
        Users = _service.GetTableClient(UsersTable);
        Meta = _service.GetTableClient(MetaTable);
        Log = new RatingLog(connectionString);
    }

    public TableClient Movies { get; }
    /// <summary>The <c>ratings</c> tables, one per partition (<see cref="MovieBucket"/>).</summary>
    public IReadOnlyList<TableClient> RatingsTables { get; }
    /// <summary>The <c>userratings</c> tables, one per partition (<see cref="UserBucket"/>).</summary>
    public IReadOnlyList<TableClient> UserRatingsTables { get; }
    /// <summary>The table holding a movie's rating rows.</summary>
    public TableClient RatingsOf(int movieId) => RatingsTables[MovieBucket(movieId)];
    /// <summary>The table holding a user's copies.</summary>
    public TableClient CopiesOf(int userId) => UserRatingsTables[UserBucket(userId)];
    public TableClient Users { get; }
    public TableClient Meta { get; }
    public RatingLog Log { get; }

    public async Task CreateIfNotExistsAsync(CancellationToken cancellationToken = default)
    {
        await Parallel.ForEachAsync(AllTables, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (table, ct) => await _service.CreateTableIfNotExistsAsync(table, ct));
        await Log.Container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
    }

    /// <summary>Drops every table and creates them empty again (import --replace, or replacing the demo data).</summary>
    public async Task DeleteAllDataAsync(CancellationToken cancellationToken = default)
    {
        foreach (var table in AllTables)
        {
            try { await _service.DeleteTableAsync(table, cancellationToken); }
            catch (RequestFailedException e) when (e.Status == 404) { }
        }
        await Log.DeleteAllAsync(cancellationToken);
        // Azure keeps a deleted table's name reserved for a while (409 TableBeingDeleted); Azurite does not.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await CreateIfNotExistsAsync(cancellationToken);
                return;
            }
            catch (RequestFailedException e) when (e.Status == 409 && attempt < 60)
            {
                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            }
        }
    }

    public static string MoviePartition(int movieId) => (movieId % MoviePartitions).ToString("D2", CultureInfo.InvariantCulture);
    public static string MovieRowKey(int movieId) => movieId.ToString("D10", CultureInfo.InvariantCulture);
    public static string UserRowKey(int userId) => "u" + userId.ToString("D10", CultureInfo.InvariantCulture);
    public static string UserPartition(int userId) => (userId / 1000).ToString("D6", CultureInfo.InvariantCulture);

    // ---- rating rows (see the class summary) ----

    /// <summary>The <c>ratings</c> partition holding a movie's rows.</summary>
    public static string MovieKey(int movieId) => "m" + (movieId % RatingPartitions).ToString("D2", CultureInfo.InvariantCulture);
    public static int MovieBucket(int movieId) => movieId % RatingPartitions;
    public static string StatsRowKey(int movieId) => "s" + movieId.ToString("D8", CultureInfo.InvariantCulture);
    public static string PairRowKey(int movieId, int userId) =>
        "r" + movieId.ToString("D8", CultureInfo.InvariantCulture) + "u" + userId.ToString("D10", CultureInfo.InvariantCulture);
    /// <summary>RowKey bounds [from, to) of a movie's pair rows.</summary>
    public static (string From, string To) PairRange(int movieId) =>
        ("r" + movieId.ToString("D8", CultureInfo.InvariantCulture) + "u", "r" + movieId.ToString("D8", CultureInfo.InvariantCulture) + "v");

    public static bool TryParsePairRowKey(string rowKey, out int movieId, out int userId)
    {
        movieId = userId = 0;
        return rowKey.Length == 20 && rowKey[0] == 'r' && rowKey[9] == 'u'
            && int.TryParse(rowKey.AsSpan(1, 8), NumberStyles.None, CultureInfo.InvariantCulture, out movieId)
            && int.TryParse(rowKey.AsSpan(10, 10), NumberStyles.None, CultureInfo.InvariantCulture, out userId);
    }

    public static bool TryParseStatsRowKey(string rowKey, out int movieId)
    {
        movieId = 0;
        return rowKey.Length == 9 && rowKey[0] == 's' && int.TryParse(rowKey.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out movieId);
    }

    /// <summary>The <c>userratings</c> partition holding a user's copies.</summary>
    public static string UserKey(int userId) => "u" + (userId % RatingPartitions).ToString("D2", CultureInfo.InvariantCulture);
    public static int UserBucket(int userId) => userId % RatingPartitions;
    public static string CopyRowKey(int userId, int movieId) =>
        userId.ToString("D10", CultureInfo.InvariantCulture) + "m" + movieId.ToString("D8", CultureInfo.InvariantCulture);
    /// <summary>RowKey bounds [from, to) of a user's copies.</summary>
    public static (string From, string To) CopyRange(int userId) =>
        (userId.ToString("D10", CultureInfo.InvariantCulture) + "m", userId.ToString("D10", CultureInfo.InvariantCulture) + "n");

    public static bool TryParseCopyRowKey(string rowKey, out int userId, out int movieId)
    {
        userId = movieId = 0;
        return rowKey.Length == 19 && rowKey[10] == 'm'
            && int.TryParse(rowKey.AsSpan(0, 10), NumberStyles.None, CultureInfo.InvariantCulture, out userId)
            && int.TryParse(rowKey.AsSpan(11, 8), NumberStyles.None, CultureInfo.InvariantCulture, out movieId);
    }

    // ---- catalog state ----

    public async Task<CatalogState?> GetCatalogStateAsync(CancellationToken cancellationToken = default)
    {
        var response = await Meta.GetEntityIfExistsAsync("catalog", "state", cancellationToken: cancellationToken);
        if (!response.HasValue)
            return null;
        var e = response.Value!;
        return new CatalogState(
            e.GetInt64("Version") ?? 0,
            e.GetString("Source") ?? "",
            e.GetDateTimeOffset("UpdatedAt") ?? DateTimeOffset.MinValue,
            e.GetInt32("MovieCount") ?? 0,
            e.GetInt64("RatingCount") ?? 0);
    }

    public Task SetCatalogStateAsync(CatalogState state, CancellationToken cancellationToken = default) =>
        Meta.UpsertEntityAsync(new TableEntity("catalog", "state")
        {
            ["Version"] = state.Version,
            ["Source"] = state.Source,
            ["UpdatedAt"] = state.UpdatedAt,
            ["MovieCount"] = state.MovieCount,
            ["RatingCount"] = state.RatingCount,
        }, TableUpdateMode.Replace, cancellationToken);

    // ---- movies ----

    public static TableEntity ToEntity(Movie movie)
    {
        var entity = new TableEntity(MoviePartition(movie.Id), MovieRowKey(movie.Id))
        {
            ["Title"] = movie.Title,
            ["Genres"] = string.Join('|', movie.Genres),
        };
        if (movie.Year is { } year) entity["Year"] = year;
        if (movie.ImdbId is { } imdb) entity["ImdbId"] = imdb;
        if (movie.TmdbId is { } tmdb) entity["TmdbId"] = tmdb;
        if (movie.PosterUrl is { } poster) entity["PosterUrl"] = poster;
        if (movie.Tags.Count > 0) entity["Tags"] = JsonSerializer.Serialize(movie.Tags);
        return entity;
    }

    public static Movie ToMovie(TableEntity entity)
    {
        var genres = entity.GetString("Genres");
        var tags = entity.GetString("Tags");
        return new Movie(
            int.Parse(entity.RowKey, CultureInfo.InvariantCulture),
            entity.GetString("Title") ?? "",
            entity.GetInt32("Year"),
            string.IsNullOrEmpty(genres) ? [] : genres.Split('|'),
            entity.GetString("ImdbId"),
            entity.GetInt32("TmdbId"),
            string.IsNullOrEmpty(tags) ? [] : JsonSerializer.Deserialize<string[]>(tags) ?? [],
            entity.GetString("PosterUrl"));
    }

    public async Task<List<Movie>> LoadMoviesAsync(CancellationToken cancellationToken = default)
    {
        var movies = new List<Movie>();
        await foreach (var entity in Movies.QueryAsync(cancellationToken: cancellationToken))
            movies.Add(ToMovie(entity));
        return movies;
    }

    // ---- per-movie aggregates ----

    public static TableEntity ToStatsEntity(int movieId, MovieStats stats) => new(MovieKey(movieId), StatsRowKey(movieId))
    {
        ["Count"] = stats.Count,
        ["SumHalves"] = stats.SumHalves,
        ["WatchCount"] = stats.WatchCount,
    };

    public static MovieStats ToStats(TableEntity entity) =>
        new(entity.GetInt32("Count") ?? 0, entity.GetInt64("SumHalves") ?? 0, entity.GetInt32("WatchCount") ?? 0);

    /// <summary>One movie's aggregate row by direct key read (exact, fresh).</summary>
    public async Task<MovieStats> GetStatsAsync(int movieId, CancellationToken cancellationToken = default)
    {
        var response = await RatingsOf(movieId).GetEntityIfExistsAsync(MovieKey(movieId), StatsRowKey(movieId), cancellationToken: cancellationToken);
        return response.HasValue ? ToStats(response.Value!) : MovieStats.Empty;
    }

    /// <summary>Every movie's aggregate row, and only those.</summary>
    public static string AllStatsFilter { get; } = TableClient.CreateQueryFilter($"RowKey ge {"s"} and RowKey lt {"t"}");

    /// <summary>Every pair row, and only those.</summary>
    public static string AllPairsFilter { get; } = TableClient.CreateQueryFilter($"RowKey ge {"r"} and RowKey lt {"s"}");

    /// <summary>Every movie's aggregate row (used when the catalog is (re)loaded).</summary>
    public async Task<Dictionary<int, MovieStats>> LoadAllStatsAsync(CancellationToken cancellationToken = default)
    {
        var all = new Dictionary<int, MovieStats>();
        foreach (var table in RatingsTables)
            await foreach (var entity in table.QueryAsync(AllStatsFilter, cancellationToken: cancellationToken))
                if (TryParseStatsRowKey(entity.RowKey, out var movieId))
                    all[movieId] = ToStats(entity);
        return all;
    }
}

/// <summary>What the stored catalog is: instances reload when Version changes. Source "demo" marks the placeholder data.</summary>
public sealed record CatalogState(long Version, string Source, DateTimeOffset UpdatedAt, int MovieCount, long RatingCount)
{
    public const string DemoSource = "demo";
    public bool IsDemo => Source == DemoSource;
}
