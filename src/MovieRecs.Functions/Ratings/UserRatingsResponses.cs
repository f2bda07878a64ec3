using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Options;
using MovieRecs.Core.Catalog;
using MovieRecs.Core.Store;

namespace MovieRecs.Functions.Ratings;

/// <summary>
/// Serialized pages of users' ratings, reused while the user's rows are unchanged: the hottest read serializes a
/// user's list once per change instead of once per request (or of the catalog: ratings of deleted movies are not
/// served). Bounded: cleared when it holds more than
/// <see cref="MaxPages"/> pages or <see cref="MaxBytes"/> bytes.
/// </summary>
public sealed class UserRatingsResponses(IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json)
{
    public const int MaxPages = 20_000;
    public const long MaxBytes = 32L << 20;
    readonly ConcurrentDictionary<(int User, int Limit, int Page), (long Version, MovieCatalog Catalog, byte[] Body)> _pages = new();
    long _bytes;

    public byte[] Get(int userId, int limit, int page, UserSnapshot snapshot, MovieCatalog catalog)
    {
        var key = (userId, limit, page);
        if (_pages.TryGetValue(key, out var hit) && hit.Version == snapshot.Version && ReferenceEquals(hit.Catalog, catalog))
            return hit.Body;
        var body = JsonSerializer.SerializeToUtf8Bytes(Build(userId, limit, page, snapshot.Rows, catalog), json.Value.SerializerOptions);
        if (_pages.Count >= MaxPages || Interlocked.Read(ref _bytes) + body.Length > MaxBytes)
        {
            _pages.Clear();
            Interlocked.Exchange(ref _bytes, 0);
        }
        _pages.AddOrUpdate(key, _ => { Interlocked.Add(ref _bytes, body.Length); return (snapshot.Version, catalog, body); },
            (_, old) => { Interlocked.Add(ref _bytes, body.Length - old.Body.Length); return (snapshot.Version, catalog, body); });
        return body;
    }

    /// <summary>The user's ratings of catalog movies newest first (ties: lower movie id first), one page of them.</summary>
    public static UserRatingsPage Build(int userId, int limit, int page, IReadOnlyList<UserRatingRow> rows, MovieCatalog catalog)
    {
        var rated = rows.Where(c => c.IsRated && catalog.Contains(c.MovieId)).ToList();
        rated.Sort(static (a, b) => a.UnixTime != b.UnixTime ? b.UnixTime.CompareTo(a.UnixTime) : a.MovieId.CompareTo(b.MovieId));
        var skip = (int)Math.Min((long)(page - 1) * limit, int.MaxValue);
        var items = rated.Skip(skip).Take(limit)
            .Select(c => new UserRating(c.MovieId, c.Rating!.Value, c.Time, RatingId.Encode(userId, c.MovieId), c.Review))
            .ToList();
        return new UserRatingsPage(items, rated.Count, page, limit);
    }
}
