using MovieRecs.Core.Catalog;

namespace MovieRecs.Core.Discovery;

/// <summary>A movie the trained model ranks for the user, with its like-probability or score (higher is better).</summary>
public readonly record struct ModelScore(int MovieId, double Score);

/// <summary>A blended recommendation.</summary>
/// <param name="Score">0..1, rounded to 4 places (see <see cref="PersonalHybrid"/>).</param>
/// <param name="Reason">Why, in words, from the source that contributed most: "matches your taste",
/// "you like Comedy and Drama", "popular with other viewers".</param>
public sealed record HybridRecommendation(int MovieId, double Score, string Reason);

/// <summary>
/// Personal recommendations blending three ranked lists of unwatched catalog movies.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Sources: (a) the model's list, ordered by its score (ties keep the given order); (b) <see cref="GenreWeighted"/>;
/// (c) the most popular movies (<see cref="MovieCatalog.PopularityScore"/>). Each is cut to its first D unwatched catalog
/// movies, D = clamp(2 × count, 20, 100), so a movie just outside the requested count can still be lifted by the others.</item>
/// <item>Rank normalisation: position p (0-based) in a source scores 1 − p ÷ D; absent scores 0. Ranks rather than raw
/// scores because the three scales (probability, slot pick, popularity) do not compare.</item>
/// <item>Blend: <see cref="ModelWeight"/> 0.6 × model + <see cref="GenreWeight"/> 0.25 × genre + <see cref="PopularityWeight"/>
/// 0.15 × popularity, divided by the sum of the weights of the sources present, so scores keep spanning 0..1 with no model
/// yet (0.625 genre + 0.375 popularity) or no likes (the genre list would only repeat popularity, so it is left out).</item>
/// <item>Order: score, then popularity, then lower id. The reason names the source with the largest weighted part.</item>
/// </list>
/// </remarks>
public static class PersonalHybrid
{
    public const double ModelWeight = 0.6;
    public const double GenreWeight = 0.25;
    public const double PopularityWeight = 0.15;
    public const int MaxCount = 100;

    public const string ReasonModel = "matches your taste";
    public const string ReasonPopular = "popular with other viewers";

    /// <param name="model">The model's scores for the user, any order and length; empty before a model exists. A repeated id
    /// counts at its first appearance; non-finite scores are ignored.</param>
    /// <param name="count">1..100.</param>
    public static IReadOnlyList<HybridRecommendation> Recommend(MovieCatalog catalog, UserHistory user, IReadOnlyList<ModelScore> model, int count)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, MaxCount);
        var r = CatalogRankings.For(catalog).Current;
        var depth = Math.Clamp(2 * count, 20, 100);

        // Parts per candidate movie index: rank-normalised position in each source.
        var parts = new Dictionary<int, (double Model, double Genre, double Popular)>();

        var modelIndexes = TopModel(r, user, model, depth);
        for (var p = 0; p < modelIndexes.Count; p++)
            parts[modelIndexes[p]] = (Normalised(p, depth), 0, 0);

        var genre = GenreWeighted.Recommend(r, user, Math.Max(GenreWeighted.Places, depth), depth);
        if (genre.FromLikes)
            for (var p = 0; p < genre.Movies.Count; p++)
            {
                r.TryGetIndex(genre.Movies[p].MovieId, out var i);
                parts[i] = parts.GetValueOrDefault(i) with { Genre = Normalised(p, depth) };
            }

        var p2 = 0;
        foreach (var i in r.PopularOrder)
        {
            if (p2 == depth)
                break;
            if (user.HasWatched(r.MovieId(i)))
                continue;
            parts[i] = parts.GetValueOrDefault(i) with { Popular = Normalised(p2++, depth) };
        }

        var totalWeight = (modelIndexes.Count > 0 ? ModelWeight : 0) + (genre.FromLikes ? GenreWeight : 0) + PopularityWeight;
        var likedRank = new int[r.Shape.GenreNames.Length];   // genre id → place among the user's liked genres, or -1
        Array.Fill(likedRank, -1);
        for (var k = 0; k < genre.SlotGenreIds.Length; k++)
            likedRank[genre.SlotGenreIds[k]] = k;
        var scored = new List<(int Index, double Score, double Model, double Genre, double Popular)>(parts.Count);
        foreach (var (i, (pm, pg, pp)) in parts)
        {
            var (wm, wg, wp) = (ModelWeight * pm, GenreWeight * pg, PopularityWeight * pp);
            scored.Add((i, (wm + wg + wp) / totalWeight, wm, wg, wp));
        }
        scored.Sort((a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : r.PopularRank[a.Index].CompareTo(r.PopularRank[b.Index]));

        var result = new HybridRecommendation[Math.Min(count, scored.Count)];
        for (var k = 0; k < result.Length; k++)
        {
            var s = scored[k];
            var reason = s.Model >= s.Genre && s.Model >= s.Popular && s.Model > 0 ? ReasonModel
                : s.Genre >= s.Popular && s.Genre > 0 ? GenreReason(r, s.Index, likedRank)
                : ReasonPopular;
            result[k] = new HybridRecommendation(r.MovieId(s.Index), Math.Round(s.Score, 4), reason);
        }
        return result;
    }

    /// <summary>The model's best <paramref name="depth"/> unwatched catalog movies, best first (a heap: the list may be the whole catalog).</summary>
    static List<int> TopModel(RankingSnapshot r, UserHistory user, IReadOnlyList<ModelScore> model, int depth)
    {
        // Min-heap of the best kept so far: lower score first, and of equal scores the later in the input.
        var heap = new PriorityQueue<int, (double Score, int Position)>(depth + 1,
            Comparer<(double Score, int Position)>.Create((a, b) => a.Score != b.Score ? a.Score.CompareTo(b.Score) : b.Position.CompareTo(a.Position)));
        var seen = new HashSet<int>();
        for (var p = 0; p < model.Count; p++)
        {
            var (id, score) = model[p];
            if (!double.IsFinite(score) || !r.TryGetIndex(id, out var i) || user.HasWatched(id) || !seen.Add(i))
                continue;
            heap.Enqueue(i, (score, p));
            if (heap.Count > depth)
                heap.Dequeue();
        }
        var best = new List<int>(heap.Count);
        while (heap.TryDequeue(out var i, out _))
            best.Add(i);
        best.Reverse();
        return best;
    }

    static double Normalised(int position, int depth) => 1 - (double)position / depth;

    /// <summary>"you like Comedy and Drama": the movie's genres among the user's liked ones, the two most liked.</summary>
    static string GenreReason(RankingSnapshot r, int index, int[] likedRank)
    {
        int first = -1, second = -1;
        foreach (var g in r.Shape.MovieGenres[index])
        {
            if (likedRank[g] < 0)
                continue;
            if (first < 0 || likedRank[g] < likedRank[first])
                (first, second) = (g, first);
            else if (second < 0 || likedRank[g] < likedRank[second])
                second = g;
        }
        var names = r.Shape.GenreNames;
        return first < 0 ? ReasonPopular
            : second < 0 ? $"you like {names[first]}"
            : $"you like {names[first]} and {names[second]}";
    }
}
