namespace MovieRecs.Recommender.Ranking;

/// <summary>What the ranker knows about a movie besides its ratings (from the catalog), so that a movie nobody has
/// rated yet can still be a candidate.</summary>
/// <param name="Year">Release year, or null.</param>
/// <param name="Genres">Genre names (MovieLens: "Animation", "Sci-Fi", ...).</param>
public sealed record MovieInfo(int Id, int? Year, IReadOnlyList<string> Genres);

/// <summary>One of a user's ratings as the ranker reads it: the movie, the stars and when (unix seconds).</summary>
public readonly record struct RatedMovie(int MovieId, float Rating, long Time);
