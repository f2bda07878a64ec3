using System.Numerics.Tensors;
using MovieRecs.Recommender;

namespace MovieRecs.Core.Discovery;

/// <summary>How <see cref="SimilarMovies"/> compares movies.</summary>
public enum SimilarityStrategy
{
    /// <summary>Collaborative for movies with enough ratings, content for the rest (see <see cref="SimilarMovies"/>).</summary>
    Hybrid,
    /// <summary>Genres, tags and title words (<see cref="ContentSimilarity"/>).</summary>
    Content,
    /// <summary>Cosine of the trained model's movie vectors: watched and liked by the same people.</summary>
    Collaborative,
}

/// <summary>Why a result is empty or came from another strategy than the one asked for.</summary>
public enum SimilarityNotice
{
    None,
    /// <summary>The catalog has no such movie: nothing is returned.</summary>
    UnknownMovie,
    /// <summary>No trained model: collaborative returns nothing, hybrid answers with content.</summary>
    NoModel,
    /// <summary>The model has no ratings of this movie (added after training): collaborative returns nothing, hybrid answers with content.</summary>
    NotInModel,
}

/// <summary>One similar movie. The API adds the title.</summary>
/// <param name="Score">0..1, higher is more similar; comparable within one result list.</param>
/// <param name="Reason">Why, in words: "liked by the same people; shares Animation, Children; title: 'toy'".</param>
public readonly record struct SimilarMovie(int MovieId, float Score, string Reason);

/// <param name="Used">The strategy that produced <paramref name="Items"/> (content when hybrid had to fall back).</param>
public sealed record SimilarMoviesResult(IReadOnlyList<SimilarMovie> Items, SimilarityStrategy Used, SimilarityNotice Notice);

/// <summary>
/// "More like this": content, collaborative or a blend of both, over the catalog's movies. Immutable and thread-safe; build
/// a new one when the catalog or the active model changes (construction copies the model's vectors, a few milliseconds).
/// </summary>
/// <remarks>
/// <para><b>Collaborative</b>: cosine of the model's movie vectors (implicit-ALS factors), shrunk by the candidate's
/// support, cos · n/(n + <see cref="SupportShrinkage"/>) with n its training ratings, so a movie rated by two people who
/// happened to like the query movie does not top the list. Only movies in both the catalog and the model are scored.
/// (<see cref="RecommenderModel.SimilarMovies"/> computes the same cosine but recomputes every norm per call and returns
/// movies outside the catalog; here the unit vectors are kept in catalog order.)</para>
/// <para><b>Hybrid</b>: score = α·collaborative + (1 − α)·content with α = <see cref="MaxCollaborativeWeight"/> ·
/// n_q/(n_q + <see cref="HalfTrustRatings"/>), n_q the query movie's training ratings: a well-rated movie (Toy Story, 215
/// ratings: α ≈ 0.66) leans on who watched it, a movie with 3 ratings (α ≈ 0.16) mostly on its genres, tags and title,
/// and one the model never saw (α = 0) on content alone. α stays below 1 so the content keeps ordering collaborative
/// near-ties by what the movies actually share, and so every hit has a reason in words.</para>
/// <para><b>Cost</b>: candidates are visited by falling support; a candidate whose best possible score (its support, or
/// α·support + (1 − α)·content) cannot reach the current tenth best is skipped without its dot product. On ml-latest-small
/// a query takes about 40–60 µs (hybrid, content) and 100 µs (collaborative) where scoring every movie took 200 µs.</para>
/// </remarks>
public sealed class SimilarMovies
{
    public const int MaxLimit = 100;
    /// <summary>Pseudo-ratings in the support shrinkage of collaborative scores.</summary>
    public const float SupportShrinkage = 5f;
    /// <summary>The weight of collaborative similarity in the hybrid for a movie with very many ratings.</summary>
    public const float MaxCollaborativeWeight = 0.7f;
    /// <summary>Ratings at which the query movie gets half of <see cref="MaxCollaborativeWeight"/>.</summary>
    public const float HalfTrustRatings = 10f;

    const string CollaborativeReason = "liked by the same people";

    readonly ContentSimilarity _content;
    readonly int _dim;
    readonly float[] _unit = [];        // catalog order, unit length; zeros for movies the model lacks
    readonly int[] _ratings = [];       // training ratings per catalog movie
    readonly float[] _support = [];     // n/(n + shrinkage)

    readonly int[] _bySupport = [];     // catalog indices the model has, most ratings first
    readonly int[] _withoutSupport = [];

    [ThreadStatic] static float[]? t_content;

    /// <param name="model">Null until a model is trained: then hybrid is content and collaborative is unavailable.</param>
    public SimilarMovies(ContentSimilarity content, RecommenderModel? model)
    {
        ArgumentNullException.ThrowIfNull(content);
        _content = content;
        if (model is null || model.ItemVectorDimensions == 0)
            return;
        _dim = model.ItemVectorDimensions;
        var n = content.Count;
        _unit = new float[n * _dim];
        _ratings = new int[n];
        _support = new float[n];
        for (var m = 0; m < n; m++)
        {
            var id = content.MovieIdAt(m);
            var v = model.ItemVector(id).Span;
            if (v.IsEmpty)
                continue;
            var norm = TensorPrimitives.Norm(v);
            if (norm <= 0)
                continue;
            TensorPrimitives.Divide(v, norm, _unit.AsSpan(m * _dim, _dim));
            _ratings[m] = model.MovieRatingCount(id);
            _support[m] = _ratings[m] / (_ratings[m] + SupportShrinkage);
        }
        var all = Enumerable.Range(0, n);
        _bySupport = all.Where(m => _ratings[m] > 0).OrderByDescending(m => _ratings[m]).ThenBy(m => m).ToArray();
        _withoutSupport = all.Where(m => _ratings[m] == 0).ToArray();
    }

    /// <summary>True when a model is loaded (collaborative and hybrid can use it).</summary>
    public bool HasModel => _dim > 0;

    /// <summary>
    /// The movies most similar to <paramref name="movieId"/>, best first, never the movie itself. See
    /// <see cref="SimilarMoviesResult.Notice"/> for empty or fallen-back results.
    /// </summary>
    /// <param name="limit">1..<see cref="MaxLimit"/>.</param>
    public SimilarMoviesResult Find(int movieId, int limit = 10, SimilarityStrategy strategy = SimilarityStrategy.Hybrid)
    {
        if (limit < 1 || limit > MaxLimit)
            throw new ArgumentOutOfRangeException(nameof(limit), limit, $"limit must be 1..{MaxLimit}");
        if (!Enum.IsDefined(strategy))
            throw new ArgumentOutOfRangeException(nameof(strategy), strategy, "unknown strategy");
        var q = _content.IndexOf(movieId);
        if (q < 0)
            return new SimilarMoviesResult([], strategy, SimilarityNotice.UnknownMovie);
        if (strategy == SimilarityStrategy.Content)
            return new SimilarMoviesResult(_content.Similar(movieId, limit), SimilarityStrategy.Content, SimilarityNotice.None);

        var notice = !HasModel ? SimilarityNotice.NoModel : _ratings[q] == 0 ? SimilarityNotice.NotInModel : SimilarityNotice.None;
        if (notice != SimilarityNotice.None)
            return strategy == SimilarityStrategy.Collaborative
                ? new SimilarMoviesResult([], strategy, notice)
                : new SimilarMoviesResult(_content.Similar(movieId, limit), SimilarityStrategy.Content, notice);

        // candidates in order of falling support: a collaborative score is at most the candidate's support, so once the
        // list is full most candidates are ruled out before their dot product (and collaborative stops at the first)
        var top = new TopHits(limit, _content.Prior);
        var threshold = float.Epsilon;
        var query = _unit.AsSpan(q * _dim, _dim);
        if (strategy == SimilarityStrategy.Collaborative)
        {
            foreach (var m in _bySupport)
            {
                if (_support[m] < threshold)
                    break;
                if (m == q)
                    continue;
                var score = Collaborative(query, m);
                if (score >= threshold)
                {
                    top.Offer(m, score);
                    if (top.Count == limit)
                        threshold = top.Score(limit - 1);
                }
            }
            var found = new SimilarMovie[top.Count];
            for (var r = 0; r < found.Length; r++)
                found[r] = new SimilarMovie(_content.MovieIdAt(top.Index(r)), top.Score(r), CollaborativeReason);
            return new SimilarMoviesResult(found, strategy, SimilarityNotice.None);
        }

        var alpha = MaxCollaborativeWeight * _ratings[q] / (_ratings[q] + HalfTrustRatings);
        var content = Scratch(ref t_content, _content.Count);
        try
        {
            _content.AddScores(q, content, 1f);
            content[q] = 0;
            // movies the model has, by falling support, then those it has not (content only)
            foreach (var m in _bySupport)
            {
                var bound = alpha * _support[m] + (1 - alpha) * content[m];
                if (bound < threshold || m == q)
                    continue;
                var score = alpha * Collaborative(query, m) + (1 - alpha) * content[m];
                if (score >= threshold)
                {
                    top.Offer(m, score);
                    if (top.Count == limit)
                        threshold = top.Score(limit - 1);
                }
            }
            foreach (var m in _withoutSupport)
            {
                var score = (1 - alpha) * content[m];
                if (score >= threshold)
                {
                    top.Offer(m, score);
                    if (top.Count == limit)
                        threshold = top.Score(limit - 1);
                }
            }

            var items = new SimilarMovie[top.Count];
            for (var r = 0; r < items.Length; r++)
            {
                var m = top.Index(r);
                var cf = _support[m] > 0 ? alpha * Collaborative(query, m) : 0;
                var ct = (1 - alpha) * content[m];
                // name the collaborative signal when it carries at least a third of the score, the shared content when any
                var shared = ct > 0 ? _content.ReasonAt(q, m) : string.Empty;
                var reason = shared.Length == 0 ? CollaborativeReason
                    : cf < 0.5f * ct ? shared
                    : cf >= ct ? $"{CollaborativeReason}; {shared}" : $"{shared}; {CollaborativeReason}";
                items[r] = new SimilarMovie(_content.MovieIdAt(m), top.Score(r), reason);
            }
            return new SimilarMoviesResult(items, strategy, SimilarityNotice.None);
        }
        finally
        {
            Array.Clear(content);
        }
    }

    /// <summary>max(0, cos) shrunk by the candidate's support.</summary>
    float Collaborative(ReadOnlySpan<float> query, int m) =>
        Math.Clamp(TensorPrimitives.Dot(query, _unit.AsSpan(m * _dim, _dim)), 0f, 1f) * _support[m];

    static float[] Scratch(ref float[]? slot, int length)
    {
        if (slot is null || slot.Length != length)
            slot = new float[length];
        return slot;
    }
}
