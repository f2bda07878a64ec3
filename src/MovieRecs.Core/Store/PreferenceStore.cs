using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Azure;
using Azure.Data.Tables;

namespace MovieRecs.Core.Store;

/// <summary>A user's flags on one movie. Updated is a unix time (seconds).</summary>
public sealed record MoviePreference(int MovieId, bool Favorite, bool Watchlist, long Updated)
{
    public bool IsEmpty => !Favorite && !Watchlist;
}

/// <summary>A user's flags as read at one moment (immutable; a new object whenever they change).</summary>
public sealed class UserPreferences(IReadOnlyDictionary<int, MoviePreference> byMovie)
{
    public static UserPreferences None { get; } = new(new Dictionary<int, MoviePreference>());

    public IReadOnlyDictionary<int, MoviePreference> ByMovie { get; } = byMovie;
    public IEnumerable<int> Favorites => ByMovie.Values.Where(p => p.Favorite).Select(p => p.MovieId);
    public IEnumerable<int> Watchlist => ByMovie.Values.Where(p => p.Watchlist).Select(p => p.MovieId);
}

/// <summary>
/// Favourites and watchlist, in the <c>preferences</c> table: one row per (user, movie) with a flag set (PartitionKey
/// "u{user:D10}", RowKey "m{movie:D8}", Favorite, Watchlist, Updated), so a user's flags are one partition read. They
/// are kept apart from the rating rows: a flag is not a watch and must not enter the movies' aggregates, and the rating
/// rows' invariant ("a pair row is a watch") stays as it is. A row whose flags are all off is deleted. Each change is a
/// read and an ETag-conditional write (retried on a concurrent change), so changing one flag never loses another.
/// </summary>
/// <remarks>
/// This instance remembers each user's flags for <c>maxAge</c> (writes through it at once, others' within that time),
/// the way <see cref="UserRatingsCache"/> does for ratings: recommendations read them on every request.
/// </remarks>
public sealed class PreferenceStore(MovieStore store, TimeProvider? time = null, int maxUsers = 20_000)
{
    public const string Favorite = "Favorite";
    public const string Watchlist = "Watchlist";
    public const string Updated = "Updated";

    readonly TimeProvider _time = time ?? TimeProvider.System;
    readonly ConcurrentDictionary<int, (UserPreferences Value, long ReadAt)> _cache = new();

    TableClient Table => store.Preferences;

    public static string PartitionOf(int userId) => "u" + userId.ToString("D10", CultureInfo.InvariantCulture);
    public static string RowKeyOf(int movieId) => "m" + movieId.ToString("D8", CultureInfo.InvariantCulture);

    /// <summary>
    /// Sets the flags given (null leaves one as it is) and returns the movie's flags afterwards. Retries when another
    /// writer changed the row in between.
    /// </summary>
    public async Task<MoviePreference> SetAsync(int userId, int movieId, bool? favorite, bool? watchlist, CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            var read = await Table.GetEntityIfExistsAsync<TableEntity>(PartitionOf(userId), RowKeyOf(movieId), cancellationToken: cancellationToken);
            var before = read.HasValue ? ToPreference(read.Value!) : new MoviePreference(movieId, false, false, 0);
            var after = new MoviePreference(movieId, favorite ?? before.Favorite, watchlist ?? before.Watchlist, _time.GetUtcNow().ToUnixTimeSeconds());
            if (after.Favorite == before.Favorite && after.Watchlist == before.Watchlist)
                return before;
            try
            {
                if (after.IsEmpty)
                    await Table.DeleteEntityAsync(PartitionOf(userId), RowKeyOf(movieId), read.Value!.ETag, cancellationToken);
                else if (read.HasValue)
                    await Table.UpdateEntityAsync(ToEntity(userId, after), read.Value!.ETag, TableUpdateMode.Replace, cancellationToken);
                else
                    await Table.AddEntityAsync(ToEntity(userId, after), cancellationToken);
                Interlocked.Increment(ref _writes);
                _cache.TryRemove(userId, out _);   // the next read sees this write
                return after;
            }
            catch (RequestFailedException e) when (e.Status is 404 or 409 or 412 && attempt < 20)
            {
                // Another writer got there first: read again.
            }
        }
    }

    /// <summary>The user's flags, read from storage.</summary>
    public async Task<UserPreferences> ReadAsync(int userId, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        var writes = Interlocked.Read(ref _writes);
        var byMovie = new Dictionary<int, MoviePreference>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {PartitionOf(userId)}");
        await foreach (var e in Table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            var p = ToPreference(e);
            byMovie[p.MovieId] = p;
        }
        var value = byMovie.Count == 0 ? UserPreferences.None : new UserPreferences(byMovie);
        // A re-read that finds what is held keeps the held object (what callers derived from it stays valid).
        if (_cache.TryGetValue(userId, out var held) && Same(held.Value, value))
            value = held.Value;
        if (_cache.Count >= maxUsers)
            _cache.Clear();
        // A read that overlapped a write through this instance may predate it: do not keep it.
        if (Interlocked.Read(ref _writes) == writes)
            _cache[userId] = (value, started);
        return value;
    }

    static bool Same(UserPreferences a, UserPreferences b) =>
        a.ByMovie.Count == b.ByMovie.Count && a.ByMovie.All(p => b.ByMovie.TryGetValue(p.Key, out var q) && q == p.Value);

    /// <summary>
    /// The user's flags from this instance's memory when read less than <paramref name="maxAge"/> ago; up to twice that
    /// age they are still served while a read refreshes them in the background, so a user asking steadily never waits.
    /// </summary>
    public async ValueTask<UserPreferences> GetAsync(int userId, TimeSpan maxAge, CancellationToken cancellationToken = default)
    {
        if (_cache.TryGetValue(userId, out var hit))
        {
            var age = Stopwatch.GetElapsedTime(hit.ReadAt);
            if (age < maxAge)
                return hit.Value;
            if (age < maxAge * 2 && _refreshing.TryAdd(userId, 0))
            {
                _ = Task.Run(async () =>
                {
                    try { await ReadAsync(userId, CancellationToken.None); }
                    catch (RequestFailedException) { }   // the next reader tries again
                    finally { _refreshing.TryRemove(userId, out _); }
                }, CancellationToken.None);
                return hit.Value;
            }
            if (age < maxAge * 2)
                return hit.Value;
        }
        return await ReadAsync(userId, cancellationToken);
    }

    readonly ConcurrentDictionary<int, byte> _refreshing = new();
    long _writes;

    /// <summary>Deletes every flag of the user (a closed account). Safe to repeat.</summary>
    public async Task DeleteAllAsync(int userId, CancellationToken cancellationToken = default)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {PartitionOf(userId)}");
        var keys = new List<string>();
        await foreach (var e in Table.QueryAsync<TableEntity>(filter, select: ["RowKey"], cancellationToken: cancellationToken))
            keys.Add(e.RowKey);
        foreach (var chunk in keys.Chunk(100))
        {
            try
            {
                await Table.SubmitTransactionAsync(chunk.Select(k =>
                    new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(PartitionOf(userId), k), ETag.All)), cancellationToken);
            }
            catch (TableTransactionFailedException e) when (e.Status == 404)
            {
                // Someone deleted one meanwhile: delete the rest one by one.
                foreach (var k in chunk)
                    try { await Table.DeleteEntityAsync(PartitionOf(userId), k, ETag.All, cancellationToken); }
                    catch (RequestFailedException d) when (d.Status == 404) { }
            }
        }
        Interlocked.Increment(ref _writes);
        _cache.TryRemove(userId, out _);
    }

    static TableEntity ToEntity(int userId, MoviePreference p) => new(PartitionOf(userId), RowKeyOf(p.MovieId))
    {
        [Favorite] = p.Favorite,
        [Watchlist] = p.Watchlist,
        [Updated] = p.Updated,
    };

    static MoviePreference ToPreference(TableEntity e) => new(
        int.Parse(e.RowKey.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture),
        e.GetBoolean(Favorite) ?? false, e.GetBoolean(Watchlist) ?? false, e.GetInt64(Updated) ?? 0);
}
