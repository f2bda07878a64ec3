namespace MovieRecs.Core.MovieLens;

/// <summary>One rating: a user gave a movie 0.5..5.0 stars at a unix time (seconds).</summary>
public readonly record struct RatingRow(int UserId, int MovieId, float Rating, long Timestamp)
{
    /// <summary>The timestamp as a UTC date.</summary>
    public DateTimeOffset Time => DateTimeOffset.FromUnixTimeSeconds(Timestamp);
}

/// <summary>Links of a movie to IMDb and TMDB (links.csv).</summary>
public readonly record struct LinkRow(int MovieId, string? ImdbId, int? TmdbId);

/// <summary>One tag application (tags.csv).</summary>
public readonly record struct TagRow(int UserId, int MovieId, string Tag, long Timestamp);
