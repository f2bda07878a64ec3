using System.Runtime.CompilerServices;
using MovieRecs.Core.Discovery;
using MovieRecs.Core.Store;
using MovieRecs.Functions.Infrastructure;

namespace MovieRecs.Functions.Discovery;

/// <summary>A user's ratings and watch marks as the discovery lists need them.</summary>
public sealed class UserHistories(UserStore users, RatingStore ratings, PreferenceStore preferences, RatingsSettings settings)
{
    // The ratings cache hands out the same snapshot object until the user's rows change: build the history once per snapshot
    // (and, for recommendations, once per snapshot and preferences object).
    readonly ConditionalWeakTable<UserSnapshot, UserHistory> _built = new();
    readonly ConditionalWeakTable<UserSnapshot, Tuple<UserPreferences, UserHistory>> _withPreferences = new();

    /// <summary>
    /// The user's history from this instance's ratings cache (as fresh as <c>GET /api/users/{id}/ratings</c>: writes
    /// through this instance at once), or null for an unknown user. With <paramref name="forRecommendations"/>, the
    /// user's favourites count as top ratings and the watchlist as watched (<see cref="UserHistory.FromRows(IEnumerable{UserRatingRow}, UserPreferences)"/>).
    /// </summary>
    public async Task<UserHistory?> GetAsync(int userId, CancellationToken cancellationToken, bool forRecommendations = false)
    {
        if (!await users.ExistsAsync(userId, cancellationToken))
            return null;
        var snapshot = await ratings.GetUserSnapshotAsync(userId, settings.UserCacheMaxAge, cancellationToken);
        if (!forRecommendations)
            return _built.GetValue(snapshot, static s => UserHistory.FromRows(s.Rows));
        var flags = await preferences.GetAsync(userId, settings.UserCacheMaxAge, cancellationToken);
        if (flags.ByMovie.Count == 0)
            return _built.GetValue(snapshot, static s => UserHistory.FromRows(s.Rows));
        if (_withPreferences.TryGetValue(snapshot, out var built) && ReferenceEquals(built.Item1, flags))
            return built.Item2;
        var history = UserHistory.FromRows(snapshot.Rows, flags);
        _withPreferences.AddOrUpdate(snapshot, Tuple.Create(flags, history));
        return history;
    }
}
