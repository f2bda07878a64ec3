using System.Globalization;
using System.Text.Json;
using Azure;
using MovieRecs.Core.Catalog;
using Azure.Data.Tables;

namespace MovieRecs.Core.Store;

/// <summary>
/// The app's tables and how its data is laid out in them. Table Storage has no joins, aggregates or
/// sort, so the layout follows the queries:
/// <list type="bullet">
/// <item><c>movies</c>: the catalog, RowKey = zero-padded id, spread over 32 partitions (id mod 32) so imports
///   batch in parallel (Azurite slows as one partition grows); always read whole into memory. A movie deleted by an
///   admin stays as a tombstone (<c>Deleted</c> = true): its id is never given to another movie, whose page would
///   otherwise inherit the deleted movie's ratings.</item>
/// <item><c>genres</c>: genre ids and names (<see cref="GenreStore"/>).</item>
/// <item><c>ratings00</c>..<c>ratings255</c>: the rating records, by user. A user's rows sit in partition
///   "p{user mod 1024}" (four partitions per table, partition mod 256), RowKey "{user}m{movie}": one range read gives a
///   user's ratings and watch marks (Rating, UnixTime, Seq, MovieId; a row without Rating is a watch-only mark). Next to
///   them, "s{movie}" rows hold each movie's aggregates over the partition's users (Count, SumHalves, WatchCount, Seq):
///   a movie's aggregates are the sum of its rows over all partitions. A request's ratings (one user) and the partial
///   aggregates they change are ONE entity-group transaction (see <see cref="RatingStore"/>). A movie's ratings are
///   found by a query on MovieId in every table (a cold path).</item>
/// <item><c>users</c>: PartitionKey = user id / 1000 (so imports can batch), RowKey "u{user}", Name, Created.</item>
/// <item><c>accounts</c>: accounts and their unique username/email reservations (<see cref="AccountStore"/>).</item>
/// <item><c>preferences</c>: users' favourites and watchlist flags, a partition per user (<see cref="PreferenceStore"/>).</item>
/// <item><c>meta</c>: small state rows: the catalog version instances poll, id sequences (PartitionKey "ids").</item>
/// <item>the <c>ratinglog</c> blob container: every rating change appended, for training (<see cref="RatingLog"/>).</item>
/// </list>
/// </summary>
public sealed class MovieStore
{
    public const string MoviesTable = "movies";
    public const string RatingsTablePrefix = "ratings";
    public const string UsersTable = "users";
    public const string MetaTable = "meta";
    public const string AccountsTable = "accounts";
    public const string PreferencesTable = "preferences";
    public const string GenresTable = "genres";
    public static readonly string[] AllTables =
    [
        MoviesTable, UsersTable, MetaTable, AccountsTable, PreferencesTable, GenresTable,
        .. Enumerable.Range(0, RatingTables).Select(RatingsTableName),
    ];

    public static string RatingsTableName(int bucket) => RatingsTablePrefix + bucket.ToString("D2", CultureInfo.InvariantCulture);

    const int MoviePartitions = 32;

    /// <summary>
    /// Partitions of the rating records (user id mod 1024). A request's ratings are one user's, so they are one
    /// transaction however many movies they touch, and concurrent writes to a partition queue up and share the next one.
    /// Many small partitions: the emulator checks a row's existence by scanning its partition, so its cost per row grows
    /// with the partition (Azure does not mind either way; it serves about 2,000 entities/s per partition).
    /// </summary>
    public const int RatingPartitions = 1024;

    /// <summary>Tables holding the rating partitions (partition mod 256): the emulator keeps a table in one collection.</summary>
    public const int RatingTables = 256;

    readonly TableServiceClient _service;

    /// <summary>For the CLI and tests; the app passes the account it registered.</summary>
    public MovieStore(string connectionString) : this(StorageAccount.FromConnectionString(connectionString)) { }

    public MovieStore(StorageAccount account)
    {
        _service = account.Tables;
        Movies = _service.GetTableClient(MoviesTable);
        RatingsTables = Enumerable.Range(0, RatingTables).Select(b => _service.GetTableClient(RatingsTableName(b))).ToArray();
        Users = _service.GetTableClient(UsersTable);
        Meta = _service.GetTableClient(MetaTable);
        Accounts = _service.GetTableClient(AccountsTable);
        Preferences = _service.GetTableClient(PreferencesTable);
        Genres = _service.GetTableClient(GenresTable);
        Log = new RatingLog(account.Blobs);
    }

    public TableClient Movies { get; }
    /// <summary>The <c>ratings</c> tables (<see cref="RatingTables"/>).</summary>
    public IReadOnlyList<TableClient> RatingsTables { get; }
    /// <summary>The table holding a rating partition.</summary>
    public TableClient TableOf(int partition) => RatingsTables[partition % RatingTables];
    /// <summary>The table holding a user's ratings.</summary>
    public TableClient RatingsOfUser(int userId) => TableOf(RatingPartition(userId));
    public TableClient Users { get; }
    public TableClient Meta { get; }
    /// <summary>Accounts and their username/email reservations (<see cref="AccountStore"/>).</summary>
    public TableClient Accounts { get; }
    /// <summary>Users' favourites and watchlists (<see cref="PreferenceStore"/>).</summary>
    public TableClient Preferences { get; }
    /// <summary>Genre ids and names (<see cref="GenreStore"/>).</summary>
    public TableClient Genres { get; }
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
    public static bool TryParseUserRowKey(string rowKey, out int userId) =>
        int.TryParse(rowKey.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out userId) && rowKey.StartsWith('u');
    public static string UserPartition(int userId) => (userId / 1000).ToString("D6", CultureInfo.InvariantCulture);

    // ---- rating rows (see the class summary) ----

    public static int RatingPartition(int userId) => userId % RatingPartitions;
    public static string PartitionKey(int partition) => "p" + partition.ToString("D4", CultureInfo.InvariantCulture);
    /// <summary>The PartitionKey of a user's rating rows.</summary>
    public static string UserKey(int userId) => PartitionKey(RatingPartition(userId));

    public static bool TryParsePartitionKey(string key, out int partition)
    {
        partition = 0;
        return key.Length == 5 && key[0] == 'p' && int.TryParse(key.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out partition)
            && partition < RatingPartitions;
    }

    /// <summary>A movie's aggregates over one partition's users.</summary>
    public static string StatsRowKey(int movieId) => "s" + movieId.ToString("D8", CultureInfo.InvariantCulture);
    public static string PairRowKey(int userId, int movieId) =>
        userId.ToString("D10", CultureInfo.InvariantCulture) + "m" + movieId.ToString("D8", CultureInfo.InvariantCulture);
    /// <summary>RowKey bounds [from, to) of a user's rows.</summary>
    public static (string From, string To) UserRange(int userId) =>
        (userId.ToString("D10", CultureInfo.InvariantCulture) + "m", userId.ToString("D10", CultureInfo.InvariantCulture) + "n");

    public static bool TryParsePairRowKey(string rowKey, out int userId, out int movieId)
    {
        userId = movieId = 0;
        return rowKey.Length == 19 && rowKey[10] == 'm'
            && int.TryParse(rowKey.AsSpan(0, 10), NumberStyles.None, CultureInfo.InvariantCulture, out userId)
            && int.TryParse(rowKey.AsSpan(11, 8), NumberStyles.None, CultureInfo.InvariantCulture, out movieId);
    }

    public static bool TryParseStatsRowKey(string rowKey, out int movieId)
    {
        movieId = 0;
        return rowKey.Length == 9 && rowKey[0] == 's' && int.TryParse(rowKey.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out movieId);
    }

    // ---- catalog state ----

    public async Task<CatalogState?> GetCatalogStateAsync(CancellationToken cancellationToken = default)
    {
        var response = await Meta.GetEntityIfExistsAsync<TableEntity>("catalog", "state", cancellationToken: cancellationToken);
        if (!response.HasValue)
            return null;
        var e = response.Value!;
        return new CatalogState(
            e.GetInt64("Version") ?? 0,
            e.GetString("Source") ?? "",
            e.GetDateTimeOffset("UpdatedAt") ?? DateTimeOffset.MinValue,
            e.GetInt32("MovieCount") ?? 0,
            e.GetInt64("RatingCount") ?? 0,
            e.GetInt64("Edits") ?? 0);
    }

    public Task SetCatalogStateAsync(CatalogState state, CancellationToken cancellationToken = default) =>
        Meta.UpsertEntityAsync(new TableEntity("catalog", "state")
        {
            ["Version"] = state.Version,
            ["Source"] = state.Source,
            ["UpdatedAt"] = state.UpdatedAt,
            ["MovieCount"] = state.MovieCount,
            ["RatingCount"] = state.RatingCount,
            ["Edits"] = state.Edits,
        }, TableUpdateMode.Replace, cancellationToken);

    /// <summary>
    /// Counts an admin change of the catalog (movies, genres) in the state row, after the change is stored: instances
    /// poll that row and reload the movies when the count moves. ETag-conditional, so concurrent edits each count.
    /// </summary>
    public async Task<long> RecordCatalogEditAsync(CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            var row = await Meta.GetEntityIfExistsAsync<TableEntity>("catalog", "state", cancellationToken: cancellationToken);
            try
            {
                if (!row.HasValue)
                {
                    await Meta.AddEntityAsync(new TableEntity("catalog", "state") { ["Version"] = 0L, ["Source"] = "", ["UpdatedAt"] = DateTimeOffset.UtcNow, ["Edits"] = 1L }, cancellationToken);
                    return 1;
                }
                var edits = (row.Value!.GetInt64("Edits") ?? 0) + 1;
                await Meta.UpdateEntityAsync(new TableEntity("catalog", "state") { ["Edits"] = edits, ["UpdatedAt"] = DateTimeOffset.UtcNow },
                    row.Value.ETag, TableUpdateMode.Merge, cancellationToken);
                return edits;
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412 && attempt < 50)
            {
                await Task.Delay(Random.Shared.Next(1, 10 * Math.Min(attempt, 10)), cancellationToken);
            }
        }
    }

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

    /// <summary>The property that marks a deleted movie's row (a tombstone).</summary>
    public const string DeletedProperty = "Deleted";

    public static bool IsDeleted(TableEntity entity) => entity.GetBoolean(DeletedProperty) == true;

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
        await foreach (var entity in Movies.QueryAsync<TableEntity>(cancellationToken: cancellationToken))
            if (!IsDeleted(entity))
                movies.Add(ToMovie(entity));
        return movies;
    }

    /// <summary>The ids of deleted movies (tombstones).</summary>
    public async Task<HashSet<int>> LoadDeletedMovieIdsAsync(CancellationToken cancellationToken = default)
    {
        var ids = new HashSet<int>();
        await foreach (var entity in Movies.QueryAsync<TableEntity>(select: ["RowKey", DeletedProperty], cancellationToken: cancellationToken))
            if (IsDeleted(entity))
                ids.Add(int.Parse(entity.RowKey, CultureInfo.InvariantCulture));
        return ids;
    }

    // ---- per-movie aggregates ----

    /// <summary>A movie's aggregates over one rating partition.</summary>
    public static TableEntity ToStatsEntity(int partition, int movieId, MovieStats stats) => new(PartitionKey(partition), StatsRowKey(movieId))
    {
        ["Count"] = stats.Count,
        ["SumHalves"] = stats.SumHalves,
        ["WatchCount"] = stats.WatchCount,
    };

    public static MovieStats ToStats(TableEntity entity) =>
        new(entity.GetInt32("Count") ?? 0, entity.GetInt64("SumHalves") ?? 0, entity.GetInt32("WatchCount") ?? 0);

    /// <summary>Every partial aggregate row, and only those.</summary>
    public static string AllStatsFilter { get; } = TableClient.CreateQueryFilter($"RowKey ge {"s"} and RowKey lt {"t"}");

    /// <summary>Every pair row (user, movie), and only those.</summary>
    public static string AllPairsFilter { get; } = TableClient.CreateQueryFilter($"RowKey lt {"s"}");

    /// <summary>A movie's pair rows and partial aggregate rows, in any one table.</summary>
    public static string MovieRowsFilter(int movieId) =>
        TableClient.CreateQueryFilter($"MovieId eq {movieId} or RowKey eq {StatsRowKey(movieId)}");
}

/// <summary>
/// What the stored catalog is: instances reload when Version (an import) or Edits (admin changes since that import)
/// changes. Source "demo" marks the placeholder data.
/// </summary>
public sealed record CatalogState(long Version, string Source, DateTimeOffset UpdatedAt, int MovieCount, long RatingCount, long Edits = 0)
{
    public const string DemoSource = "demo";
    public bool IsDemo => Source == DemoSource;
}
