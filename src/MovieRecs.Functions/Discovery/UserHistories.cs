using System.Runtime.CompilerServices;
using MovieRecs.Core.Discovery;
using MovieRecs.Core.Store;
using MovieRecs.Functions.Infrastructure;

namespace MovieRecs.Functions.Discovery;

/// <summary>A user's ratings and watch marks as the discovery lists need them.</summary>
public sealed class UserHistories(UserStore users, RatingStore ratings, RatingsSettings settings)
{
    // The ratings cache hands out the same snapshot object until the user's rows change: build the history once per snapshot.
    readonly ConditionalWeakTable<UserSnapshot, UserHistory> _built = new();

    /// <summary>
    /// The user's history from this instance's ratings cache (as fresh as <c>GET /api/users/{id}/ratings</c>: writes
    /// through this instance at once), or null for an unknown user.
    /// </summary>
    public async Task<UserHistory?> GetAsync(int userId, CancellationToken cancellationToken)
    {
        if (!await users.ExistsAsync(userId, cancellationToken))
            return null;
        var snapshot = await ratings.GetUserSnapshotAsync(userId, settings.UserCacheMaxAge, cancellationToken);
        return _built.GetValue(snapshot, static s => UserHistory.FromRows(s.Rows));
    }
}
