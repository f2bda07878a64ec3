using MovieRecs.Core.Catalog;

namespace MovieRecs.Core.Discovery;

/// <summary>A genre's share of a user's likes and the places it gets in the list.</summary>
/// <param name="LikedMovies">Liked movies of this genre.</param>
/// <param name="Weight">LikedMovies ÷ the sum of LikedMovies over all genres (weights sum to 1).</param>
public readonly record struct GenreSlot(string Genre, int LikedMovies, double Weight, int Slots);

/// <summary>A recommended movie.</summary>
/// <param name="Popularity"><see cref="MovieCatalog.PopularityScore"/>.</param>
/// <param name="Genre">The liked genre whose places it filled, or null when it came from the popularity fallback.</param>
public readonly record struct GenreWeightedMovie(int MovieId, double Popularity, string? Genre);

/// <param name="Slots">The split, in slot order (most liked genre first); empty when the user likes nothing.</param>
/// <param name="Movies">Most popular first.</param>
/// <param name="FromLikes">False when the user has no likes and the list is simply the most popular unwatched movies.</param>
public sealed record GenreWeightedResult(IReadOnlyList<GenreSlot> Slots, IReadOnlyList<GenreWeightedMovie> Movies, bool FromLikes)
{
    /// <summary>Catalog genre ids of <see cref="Slots"/>, same order.</summary>
    internal int[] SlotGenreIds { get; init; } = [];
}

/// <summary>
/// The "weighted genre proportional" recommendation.
/// </summary>
/// <remarks>
/// <list type="number">
/// <item>Liked movies: the user's catalog movies rated <see cref="LikedRating"/> (3.0) or more.</item>
/// <item>Genre weights: each liked movie counts once for each of its genres; a genre's weight is its count ÷ the sum of
/// all counts.</item>
/// <item>N places (<see cref="Places"/> = 20, or <c>top</c> when more are asked) are split by weight with the largest
/// remainder method: each genre gets ⌊N × weight⌋, then the places left go one each to the largest fractional parts
/// (ties: more liked movies, then genre name). The places always sum to N.</item>
/// <item>Each genre with places contributes that many of its most popular movies (<see cref="MovieCatalog.PopularityScore"/>;
/// ties: more watches, more ratings, lower id) that the user has not watched (rated or marked watched).</item>
/// <item>The picks are merged and de-duplicated (a movie two genres picked appears once, credited to the genre
/// first in slot order), re-sorted by popularity and trimmed to N.</item>
/// <item>No likes: the N most popular unwatched movies.</item>
/// </list>
/// One step beyond the published algorithm: de-duplication would leave fewer than N movies, so the freed places are
/// refilled round robin by the genres that have places, in slot order, each giving its next most popular unwatched
/// movie not yet listed (then, should those genres run dry, the most popular unwatched movies of any genre) before the
/// re-sort. Slot order is most liked genre first, ties by genre name. Popularity orders are precomputed and may lag
/// the latest ratings by a second or two; what the user has watched is checked per call and never lags.
/// </remarks>
public static class GenreWeighted
{
    public const double LikedRating = 3.0;

    /// <summary>Places in the list when <c>top</c> ≤ 20.</summary>
    public const int Places = 20;

    public const int MaxTop = 100;

    /// <summary>The first <paramref name="top"/> (1..100) of the user's list of max(20, top) places.</summary>
    public static GenreWeightedResult Recommend(MovieCatalog catalog, UserHistory user, int top)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(user);
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(top, MaxTop);
        return Recommend(CatalogRankings.For(catalog).Current, user, Math.Max(Places, top), top);
    }

    internal static GenreWeightedResult Recommend(RankingSnapshot r, UserHistory user, int places, int take)
    {
        var genreNames = r.Shape.GenreNames;
        var liked = new int[genreNames.Length];
        var likedTotal = 0;
        foreach (var rating in user.Ratings)
            if (rating.Rating >= LikedRating && r.TryGetIndex(rating.MovieId, out var i))
                foreach (var g in r.Shape.MovieGenres[i])
                {
                    liked[g]++;
                    likedTotal++;
                }

        var listed = new HashSet<int>();
        var picks = new List<(int Index, int Genre)>(places);
        var slots = Array.Empty<GenreSlot>();
        var slotOrder = Array.Empty<int>();
        if (likedTotal > 0)
        {
            var counts = LargestRemainder(liked, places);
            slotOrder = Enumerable.Range(0, genreNames.Length).Where(g => liked[g] > 0)
                .OrderByDescending(g => liked[g]).ThenBy(g => g).ToArray();
            slots = [.. slotOrder.Select(g => new GenreSlot(genreNames[g], liked[g], (double)liked[g] / likedTotal, counts[g]))];
            var withPlaces = slotOrder.Where(g => counts[g] > 0).ToArray();

            // Each genre picks its top unwatched movies on its own; a movie picked twice is kept once.
            var cursor = new int[genreNames.Length];
            foreach (var g in withPlaces)
            {
                var order = r.GenrePopularOrder[g];
                for (var taken = 0; taken < counts[g] && cursor[g] < order.Length; cursor[g]++)
                {
                    var i = order[cursor[g]];
                    if (user.HasWatched(r.MovieId(i)))
                        continue;
                    taken++;
                    if (listed.Add(i))
                        picks.Add((i, g));
                }
            }

            // Refill the places de-duplication freed, round robin over the genres in slot order.
            var active = withPlaces.ToList();
            while (picks.Count < places && active.Count > 0)
                for (var a = 0; a < active.Count && picks.Count < places; a++)
                {
                    var g = active[a];
                    if (NextUnlisted(r.GenrePopularOrder[g], ref cursor[g], user, r, listed) is { } i)
                        picks.Add((i, g));
                    else
                        active.RemoveAt(a--);
                }
        }

        var rest = 0;
        while (picks.Count < places && NextUnlisted(r.PopularOrder, ref rest, user, r, listed) is { } i)
            picks.Add((i, -1));

        picks.Sort((a, b) => r.PopularRank[a.Index].CompareTo(r.PopularRank[b.Index]));
        var movies = new GenreWeightedMovie[Math.Min(take, picks.Count)];
        for (var k = 0; k < movies.Length; k++)
        {
            var (i, g) = picks[k];
            movies[k] = new GenreWeightedMovie(r.MovieId(i), r.Popularity[i], g < 0 ? null : genreNames[g]);
        }
        return new GenreWeightedResult(slots, movies, likedTotal > 0) { SlotGenreIds = slotOrder };
    }

    static int? NextUnlisted(int[] order, ref int cursor, UserHistory user, RankingSnapshot r, HashSet<int> listed)
    {
        for (; cursor < order.Length; cursor++)
        {
            var i = order[cursor];
            if (!user.HasWatched(r.MovieId(i)) && listed.Add(i))
            {
                cursor++;
                return i;
            }
        }
        return null;
    }

    /// <summary>
    /// Splits <paramref name="places"/> in proportion to <paramref name="counts"/> (Hamilton's largest remainder):
    /// ⌊places × count ÷ total⌋ each, then one more for the largest remainders (ties: larger count, lower index).
    /// Exact integer arithmetic, so equal shares always get equal treatment.
    /// </summary>
    internal static int[] LargestRemainder(IReadOnlyList<int> counts, int places)
    {
        long total = 0;
        foreach (var c in counts)
            total += c;
        var result = new int[counts.Count];
        if (total == 0)
            return result;
        var remainders = new long[counts.Count];
        var given = 0;
        for (var g = 0; g < counts.Count; g++)
        {
            var scaled = (long)places * counts[g];
            result[g] = (int)(scaled / total);
            remainders[g] = scaled % total;
            given += result[g];
        }
        var byRemainder = Enumerable.Range(0, counts.Count).Where(g => counts[g] > 0)
            .OrderByDescending(g => remainders[g]).ThenByDescending(g => counts[g]).ThenBy(g => g);
        foreach (var g in byRemainder.Take(places - given))
            result[g]++;
        return result;
    }
}
