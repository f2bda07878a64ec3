using System.Collections.Concurrent;
using Azure;
using Azure.Data.Tables;

namespace MovieRecs.Core.Store;

/// <summary>An account: a user who can sign in. The password is kept only as the hasher's hash.</summary>
public sealed record Account(int UserId, string Username, string Email, string? DisplayName, string PasswordHash, bool IsAdmin,
    string SecurityStamp, DateTimeOffset Created, ETag ETag);

public enum SignupOutcome { Created, UsernameTaken, EmailTaken }

/// <summary>
/// Accounts, in the <c>accounts</c> table: the account row (PartitionKey "account", RowKey "u{user}") and one
/// reservation row per normalised username ("username") and email ("email") holding the user id. Uniqueness is a
/// storage fact: a reservation is inserted if absent (409 when another signup, on any instance, has it), never checked
/// by a read and then written. Failed sign-ins are counted per account in partition "signin". The user behind an account is an ordinary row in <c>users</c>, flagged <c>Account</c>.
/// </summary>
public sealed class AccountStore(MovieStore store, UserStore users, TimeProvider? time = null)
{
    const string AccountPartition = "account";
    const string UsernamePartition = "username";
    const string EmailPartition = "email";
    const string SignInPartition = "signin";

    /// <summary>A reservation with no account after this long was left by a signup that died half-way: it may be taken over.</summary>
    static readonly TimeSpan StaleReservation = TimeSpan.FromMinutes(2);

    readonly TimeProvider _time = time ?? TimeProvider.System;
    readonly ConcurrentDictionary<int, (Account? Account, long Until)> _cache = new();

    TableClient Table => store.Accounts;

    public static string Normalize(string value) => value.Trim().ToLowerInvariant();

    /// <summary>Creates the account and its user, or says which name is taken (then nothing is left written).</summary>
    public async Task<(SignupOutcome Outcome, Account? Account)> CreateAsync(string username, string email, string? displayName,
        string passwordHash, bool isAdmin, CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            var userId = (int)await users.Ids.NextAsync(cancellationToken);
            if (!await ReserveAsync(UsernamePartition, Normalize(username), userId, cancellationToken))
                return (SignupOutcome.UsernameTaken, null);
            if (!await ReserveAsync(EmailPartition, Normalize(email), userId, cancellationToken))
            {
                await ReleaseAsync(UsernamePartition, Normalize(username), userId);
                return (SignupOutcome.EmailTaken, null);
            }
            var entity = new TableEntity(AccountPartition, MovieStore.UserRowKey(userId))
            {
                ["Username"] = username.Trim(),
                ["Email"] = email.Trim(),
                ["DisplayName"] = displayName,
                ["PasswordHash"] = passwordHash,
                ["IsAdmin"] = isAdmin,
                ["SecurityStamp"] = Guid.NewGuid().ToString("N"),
                ["Created"] = _time.GetUtcNow(),
            };
            try
            {
                // The user row first, the account row last: the account row is what makes the signup real (a signup that
                // dies before it leaves reservations that go stale and a user row nobody can write as).
                await users.CreateWithIdAsync(userId, displayName ?? username.Trim(), account: true, CancellationToken.None);
            }
            catch (RequestFailedException e) when (e.Status == 409 && attempt < 20)
            {
                // An import took that id after our block was handed out: give the names back and take a fresh id.
                await ReleaseAsync(EmailPartition, Normalize(email), userId);
                await ReleaseAsync(UsernamePartition, Normalize(username), userId);
                users.Ids.DiscardBlock();
                continue;
            }
            var response = await Table.AddEntityAsync(entity, CancellationToken.None);
            return (SignupOutcome.Created, ToAccount(entity, response.Headers.ETag ?? default));
        }
    }

    public enum UpdateOutcome { Updated, EmailTaken, Changed }

    /// <summary>
    /// Changes the display name, email or password hash of <paramref name="account"/> (as read: a concurrent change makes
    /// this <see cref="UpdateOutcome.Changed"/>), or grants or takes the admin role. A new email is reserved first and the
    /// old one released after; a new password gets a new security stamp, which ends the account's tokens.
    /// </summary>
    public async Task<(UpdateOutcome Outcome, Account? Account)> UpdateAsync(Account account, string? displayName, string? email, string? passwordHash,
        CancellationToken cancellationToken = default, bool? isAdmin = null)
    {
        var newEmail = email is not null && Normalize(email) != Normalize(account.Email);
        if (newEmail && !await ReserveAsync(EmailPartition, Normalize(email!), account.UserId, cancellationToken))
            return (UpdateOutcome.EmailTaken, null);
        var entity = new TableEntity(AccountPartition, MovieStore.UserRowKey(account.UserId))
        {
            ["Username"] = account.Username,
            ["Email"] = email?.Trim() ?? account.Email,
            ["DisplayName"] = displayName ?? account.DisplayName,
            ["PasswordHash"] = passwordHash ?? account.PasswordHash,
            ["IsAdmin"] = isAdmin ?? account.IsAdmin,
            ["SecurityStamp"] = passwordHash is null ? account.SecurityStamp : Guid.NewGuid().ToString("N"),
            ["Created"] = account.Created,
        };
        try
        {
            var response = await Table.UpdateEntityAsync(entity, account.ETag, TableUpdateMode.Replace, CancellationToken.None);
            if (newEmail)
                await ReleaseAsync(EmailPartition, Normalize(account.Email), account.UserId);
            var updated = ToAccount(entity, response.Headers.ETag ?? default);
            _cache[account.UserId] = (updated, Environment.TickCount64 + 5_000);
            return (UpdateOutcome.Updated, updated);
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            if (newEmail)
                await ReleaseAsync(EmailPartition, Normalize(email!), account.UserId);
            return (UpdateOutcome.Changed, null);
        }
    }

    /// <summary>
    /// Deletes the account row (its tokens end: on this instance at once, elsewhere within the 5 s token-check cache) and
    /// frees its username and email for new signups (and forgets its failed sign-ins). Safe to repeat.
    /// </summary>
    public async Task DeleteAsync(Account account, CancellationToken cancellationToken = default)
    {
        try
        {
            await Table.DeleteEntityAsync(AccountPartition, MovieStore.UserRowKey(account.UserId), ETag.All, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
        }
        _cache[account.UserId] = (null, Environment.TickCount64 + 5_000);
        await ReleaseAsync(UsernamePartition, Normalize(account.Username), account.UserId);
        await ReleaseAsync(EmailPartition, Normalize(account.Email), account.UserId);
        await ClearFailedSignInsAsync(account.UserId);
    }

    /// <summary>The account signing in with this username or email, or null.</summary>
    public async Task<Account?> FindByLoginAsync(string login, CancellationToken cancellationToken = default)
    {
        var partition = login.Contains('@') ? EmailPartition : UsernamePartition;
        if (!IsValidKey(Normalize(login)))
            return null;
        var reservation = await Table.GetEntityIfExistsAsync<TableEntity>(partition, Normalize(login), cancellationToken: cancellationToken);
        return reservation.HasValue && reservation.Value!.GetInt32("UserId") is { } userId ? await GetAsync(userId, cancellationToken) : null;
    }

    public async Task<Account?> GetAsync(int userId, CancellationToken cancellationToken = default)
    {
        var row = await Table.GetEntityIfExistsAsync<TableEntity>(AccountPartition, MovieStore.UserRowKey(userId), cancellationToken: cancellationToken);
        var account = row.HasValue ? ToAccount(row.Value!, row.Value!.ETag) : null;
        _cache[userId] = (account, Environment.TickCount64 + 5_000);
        return account;
    }

    /// <summary>As <see cref="GetAsync"/>, served from memory for up to 5 s (token checks on every authenticated request).</summary>
    public async ValueTask<Account?> GetCachedAsync(int userId, CancellationToken cancellationToken = default) =>
        _cache.TryGetValue(userId, out var entry) && entry.Until > Environment.TickCount64 ? entry.Account : await GetAsync(userId, cancellationToken);

    async Task<bool> ReserveAsync(string partition, string key, int userId, CancellationToken cancellationToken)
    {
        var entity = new TableEntity(partition, key) { ["UserId"] = userId };
        try
        {
            await Table.AddEntityAsync(entity, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            // Taken, unless by a signup that died before writing its account: then take it over (at the row's ETag, so
            // of two signups doing the same only one wins).
            var existing = await Table.GetEntityIfExistsAsync<TableEntity>(partition, key, cancellationToken: cancellationToken);
            if (!existing.HasValue || existing.Value!.GetInt32("UserId") is not { } holder
                || existing.Value.Timestamp is not { } at || _time.GetUtcNow() - at < StaleReservation
                || await GetAsync(holder, cancellationToken) is not null)
                return false;
            try
            {
                await Table.UpdateEntityAsync(entity, existing.Value.ETag, TableUpdateMode.Replace, cancellationToken);
                return true;
            }
            catch (RequestFailedException c) when (c.Status is 412 or 404)
            {
                return false;
            }
        }
    }

    async Task ReleaseAsync(string partition, string key, int userId)
    {
        var existing = await Table.GetEntityIfExistsAsync<TableEntity>(partition, key);
        if (existing.HasValue && existing.Value!.GetInt32("UserId") == userId)
            await Table.DeleteEntityAsync(partition, key, existing.Value.ETag);
    }

    /// <summary>Failed sign-ins in a row, and the end of a lockout that is on (else null).</summary>
    public readonly record struct SignInState(int Failures, DateTimeOffset? LockedUntil);

    /// <summary>The account's sign-in state, from its row in partition "signin" (none: no failures).</summary>
    public async Task<SignInState> GetSignInStateAsync(int userId, CancellationToken cancellationToken = default)
    {
        var row = await Table.GetEntityIfExistsAsync<TableEntity>(SignInPartition, MovieStore.UserRowKey(userId), cancellationToken: cancellationToken);
        if (!row.HasValue)
            return default;
        var until = row.Value!.GetDateTimeOffset("LockedUntil");
        return new SignInState(row.Value.GetInt32("Failures") ?? 0, until > _time.GetUtcNow() ? until : null);
    }

    /// <summary>
    /// Counts a failed sign-in. The <paramref name="maxFailures"/>-th in a row locks the account for
    /// <paramref name="lockout"/> (and starts the count again); returns the lockout's end then. Stored, so every
    /// instance counts the same attempts; written at the row's ETag, so concurrent failures are all counted.
    /// </summary>
    public async Task<DateTimeOffset?> RecordFailedSignInAsync(int userId, int maxFailures, TimeSpan lockout)
    {
        var key = MovieStore.UserRowKey(userId);
        for (var attempt = 0; attempt < 8; attempt++)
        {
            var row = await Table.GetEntityIfExistsAsync<TableEntity>(SignInPartition, key);
            var failures = (row.HasValue ? row.Value!.GetInt32("Failures") ?? 0 : 0) + 1;
            var entity = new TableEntity(SignInPartition, key) { ["Failures"] = failures };
            DateTimeOffset? until = null;
            if (failures >= maxFailures)
            {
                until = _time.GetUtcNow() + lockout;
                entity["Failures"] = 0;
                entity["LockedUntil"] = until.Value;
            }
            try
            {
                if (row.HasValue)
                    await Table.UpdateEntityAsync(entity, row.Value!.ETag, TableUpdateMode.Replace);
                else
                    await Table.AddEntityAsync(entity);
                return until;
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412 or 404)
            {
                // Another failure was counted meanwhile: count on top of it.
            }
        }
        return null;
    }

    /// <summary>A successful sign-in ends the run of failures.</summary>
    public async Task ClearFailedSignInsAsync(int userId)
    {
        try
        {
            await Table.DeleteEntityAsync(SignInPartition, MovieStore.UserRowKey(userId));
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
        }
    }

    /// <summary>Characters Table Storage refuses in keys are never valid in a username or email here anyway.</summary>
    public static bool IsValidKey(string key) =>
        key.Length is > 0 and <= 256 && !key.Any(c => c is '/' or '\\' or '#' or '?' || char.IsControl(c));

    static Account ToAccount(TableEntity e, ETag etag) => new(
        MovieStore.TryParseUserRowKey(e.RowKey, out var id) ? id : throw new FormatException(e.RowKey),
        e.GetString("Username") ?? "", e.GetString("Email") ?? "", e.GetString("DisplayName"), e.GetString("PasswordHash") ?? "",
        e.GetBoolean("IsAdmin") ?? false, e.GetString("SecurityStamp") ?? "", e.GetDateTimeOffset("Created") ?? default, etag);
}
