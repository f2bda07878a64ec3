using System.Collections.Concurrent;
using System.Globalization;
using Azure;
using Azure.Data.Tables;

namespace MovieRecs.Core.Store;

public sealed record UserRecord(int Id, string? Name, DateTimeOffset? Created);

/// <summary>
/// Users: rows in <c>users</c> (PartitionKey = id / 1000, RowKey "u{id:D10}", Name, Created). Ids come from the
/// "users" <see cref="IdBlockAllocator"/> sequence and continue above the largest imported id, and are never reused.
/// "This user exists" is remembered once seen, for <see cref="KnownFor"/>: a closed account's user is deleted, which this
/// instance forgets at once and every other instance within that time (one point read per active user and period).
/// </summary>
public sealed class UserStore
{
    public const string UserSequence = "users";
    public const int DefaultBlockSize = 50;
    public const int MaxNameLength = 100;

    readonly MovieStore _store;
    readonly TimeProvider _time;
    readonly IdBlockAllocator _ids;
    readonly ConcurrentDictionary<int, (byte Kind, long Until)> _known = new();
    const int MaxKnown = 1_000_000;

    /// <summary>How long an instance trusts "this user exists" without a read (a deleted user is 404 everywhere after it).</summary>
    public static readonly TimeSpan KnownFor = TimeSpan.FromSeconds(30);

    public UserStore(MovieStore store, TimeProvider? time = null, int blockSize = DefaultBlockSize)
    {
        _store = store;
        _time = time ?? TimeProvider.System;
        _ids = new IdBlockAllocator(store.Meta, UserSequence, blockSize, MaxStoredUserIdAsync);
    }

    public IdBlockAllocator Ids => _ids;

    /// <summary>Creates a user with the next free id. An id already taken (an import raced the block) is skipped.</summary>
    public async Task<UserRecord> CreateAsync(string? name, CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            var id = await _ids.NextAsync(cancellationToken);
            if (id > RatingId.MaxUserId)
                throw new InvalidOperationException($"User ids are exhausted (the next one, {id}, is above {RatingId.MaxUserId}).");
            var userId = (int)id;
            var created = _time.GetUtcNow();
            created = created.AddTicks(-(created.Ticks % TimeSpan.TicksPerMillisecond));
            var entity = new TableEntity(MovieStore.UserPartition(userId), MovieStore.UserRowKey(userId)) { ["Created"] = created };
            if (!string.IsNullOrEmpty(name)) entity["Name"] = name;
            try
            {
                await _store.Users.AddEntityAsync(entity, cancellationToken);
                Remember(userId, account: false);
                return new UserRecord(userId, string.IsNullOrEmpty(name) ? null : name, created);
            }
            catch (RequestFailedException e) when (e.Status == 409 && attempt < 20)
            {
                _ids.DiscardBlock();
            }
        }
    }

    /// <summary>The user row of an account (its id allocated by the caller); <paramref name="account"/> marks writes as the account's own.</summary>
    public async Task CreateWithIdAsync(int userId, string? name, bool account, CancellationToken cancellationToken = default)
    {
        var created = _time.GetUtcNow();
        created = created.AddTicks(-(created.Ticks % TimeSpan.TicksPerMillisecond));
        var entity = new TableEntity(MovieStore.UserPartition(userId), MovieStore.UserRowKey(userId)) { ["Created"] = created, ["Account"] = account };
        if (!string.IsNullOrEmpty(name)) entity["Name"] = name;
        await _store.Users.AddEntityAsync(entity, cancellationToken);
        Remember(userId, account);
    }

    public async Task<UserRecord?> GetAsync(int userId, CancellationToken cancellationToken = default)
    {
        if (userId < 1)
            return null;
        var r = await _store.Users.GetEntityIfExistsAsync<TableEntity>(MovieStore.UserPartition(userId), MovieStore.UserRowKey(userId), cancellationToken: cancellationToken);
        if (!r.HasValue)
            return null;
        Remember(userId, r.Value!.GetBoolean("Account") ?? false);
        return new UserRecord(userId, r.Value!.GetString("Name"), r.Value.GetDateTimeOffset("Created"));
    }

    /// <summary>True when the user exists (one point read the first time an instance meets a user, none after).</summary>
    public async ValueTask<bool> ExistsAsync(int userId, CancellationToken cancellationToken = default)
    {
        if (userId < 1 || userId > RatingId.MaxUserId)
            return false;
        if (IsKnown(userId, out _))
            return true;
        return await GetAsync(userId, cancellationToken) is not null;
    }

    /// <summary>
    /// Whether the user belongs to an account (its writes then need its token), or null when there is no such user.
    /// A user is created with or without an account and never changes, so this is cached like existence.
    /// </summary>
    public async ValueTask<bool?> HasAccountAsync(int userId, CancellationToken cancellationToken = default)
    {
        if (userId < 1 || userId > RatingId.MaxUserId)
            return null;
        if (IsKnown(userId, out var kind))
            return kind == AccountUser;
        return await GetAsync(userId, cancellationToken) is null ? null : IsKnown(userId, out kind) && kind == AccountUser;
    }

    /// <summary>Deletes the user row (a closed account); its id is never handed out again. False when there was none.</summary>
    public async Task<bool> DeleteAsync(int userId, CancellationToken cancellationToken = default)
    {
        _known.TryRemove(userId, out _);
        try
        {
            await _store.Users.DeleteEntityAsync(MovieStore.UserPartition(userId), MovieStore.UserRowKey(userId), ETag.All, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return false;
        }
        finally
        {
            _known.TryRemove(userId, out _);   // a read racing the delete may have remembered it
        }
    }

    bool IsKnown(int userId, out byte kind)
    {
        kind = 0;
        if (!_known.TryGetValue(userId, out var entry))
            return false;
        if (entry.Until < Environment.TickCount64)
        {
            _known.TryRemove(userId, out _);
            return false;
        }
        kind = entry.Kind;
        return true;
    }

    /// <summary>Forgets who exists (after the store was replaced by an import).</summary>
    public void ForgetKnownUsers() => _known.Clear();

    const byte AnonymousUser = 0, AccountUser = 1;

    void Remember(int userId, bool account)
    {
        if (_known.Count >= MaxKnown)
            _known.Clear();
        _known[userId] = (account ? AccountUser : AnonymousUser, Environment.TickCount64 + (long)KnownFor.TotalMilliseconds);
    }

    /// <summary>The largest user id in <c>users</c> (0 when none): a full scan, run once per store when the sequence row is missing.</summary>
    async Task<long> MaxStoredUserIdAsync(CancellationToken cancellationToken)
    {
        long max = 0;
        await foreach (var e in _store.Users.QueryAsync<TableEntity>(select: ["RowKey"], cancellationToken: cancellationToken))
            if (e.RowKey.StartsWith('u') && long.TryParse(e.RowKey.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                max = Math.Max(max, id);
        return max;
    }
}
