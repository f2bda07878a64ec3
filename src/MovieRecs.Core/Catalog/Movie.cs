namespace MovieRecs.Core.Catalog;

/// <summary>
/// A movie as the catalog holds it. Immutable.
/// </summary>
/// <param name="Id">Positive movie id.</param>
/// <param name="Title">The source's title text unchanged, year included: "Toy Story (1995)", "American President, The (1995)".</param>
/// <param name="Year">Release year parsed from the title's trailing "(yyyy)", or null.</param>
/// <param name="Genres">MovieLens genre names ("Sci-Fi", "Film-Noir"); empty for "(no genres listed)".</param>
/// <param name="ImdbId">"tt0114709", or null.</param>
/// <param name="TmdbId">The Movie Database id, or null.</param>
/// <param name="Tags">Distinct user tags, most used first.</param>
/// <param name="PosterUrl">A real poster image, or null (then the API draws one with <see cref="PosterSvg"/>).</param>
public sealed record Movie(
    int Id,
    string Title,
    int? Year,
    IReadOnlyList<string> Genres,
    string? ImdbId,
    int? TmdbId,
    IReadOnlyList<string> Tags,
    string? PosterUrl)
{
    /// <summary>A movie with only a title and genres; the year is parsed from the title.</summary>
    public static Movie Create(int id, string title, params IReadOnlyList<string> genres) =>
        new(id, title, MovieTitle.ParseYear(title), genres, null, null, [], null);

    /// <summary>The title as a person would write it: "Matrix, The (1999)" → "The Matrix".</summary>
    public string DisplayTitle => MovieTitle.Display(Title);
}
