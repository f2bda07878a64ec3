using System.Text.Json.Serialization;
using MovieRecs.Functions.Admin;
using MovieRecs.Functions.Health;
using MovieRecs.Functions.Movies;

namespace MovieRecs.Functions;

/// <summary>
/// Compile-time JSON metadata for the response types: the hot listing/search path serializes without
/// reflection. Types not listed here still serialize through the default resolver.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(MoviesPage))]
[JsonSerializable(typeof(MovieDetails))]
[JsonSerializable(typeof(LegacyMovie))]
[JsonSerializable(typeof(MovieAverageRating))]
[JsonSerializable(typeof(GenresList))]
[JsonSerializable(typeof(HealthReport))]
[JsonSerializable(typeof(CatalogReloaded))]
internal sealed partial class AppJsonContext : JsonSerializerContext;
