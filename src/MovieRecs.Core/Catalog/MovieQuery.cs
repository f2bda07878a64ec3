namespace MovieRecs.Core.Catalog;

/// <summary>How <see cref="MovieCatalog.Query"/> orders results.</summary>
public enum MovieSort
{
    /// <summary>Search relevance (see <see cref="MovieCatalog"/>); the default when searching. Without a search: by id.</summary>
    Relevance,
    /// <summary>Movie id ascending; the default without a search.</summary>
    Id,
    /// <summary>Title A→Z, ignoring a leading article ("The Matrix" sorts under M) and case/accents.</summary>
    Title,
    /// <summary>Release year, oldest first; movies without a year last.</summary>
    Year,
    /// <summary>Number of ratings, most first.</summary>
    Popularity,
    /// <summary>Bayesian average rating, best first; unrated movies last.</summary>
    Rating,
}

/// <summary>Sort direction when overriding a sort's natural one.</summary>
public enum SortDirection
{
    Ascending,
    Descending,
}

/// <summary>A catalog listing / search request.</summary>
public sealed record MovieQuery
{
    /// <summary>Search box text; null, empty or punctuation-only means no text filter.</summary>
    public string? Search { get; init; }

    /// <summary>Canonical genre name (see <see cref="MovieCatalog.TryResolveGenre"/>); null = all genres.</summary>
    public string? Genre { get; init; }

    /// <summary>Order; null = <see cref="MovieSort.Relevance"/> when searching, else <see cref="MovieSort.Id"/>.</summary>
    public MovieSort? Sort { get; init; }

    /// <summary>
    /// Null = the sort's natural direction (Id, Title, Year ascending; Relevance, Popularity, Rating descending).
    /// Movies without a year, or without ratings for <see cref="MovieSort.Rating"/>, stay last either way.
    /// </summary>
    public SortDirection? Direction { get; init; }

    /// <summary>Results to skip (negative counts as 0).</summary>
    public int Skip { get; init; }

    /// <summary>Page size (0 or less gives an empty page with the true total).</summary>
    public int Take { get; init; } = 20;
}

/// <summary>One page of results and the total number of matches.</summary>
public sealed record MoviePage(IReadOnlyList<Movie> Items, int Total);

/// <summary>A genre and how many catalog movies have it.</summary>
public sealed record GenreInfo(string Name, int MovieCount);
