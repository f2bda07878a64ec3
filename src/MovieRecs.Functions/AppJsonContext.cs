using System.Text.Json.Serialization;
using MovieRecs.Functions.Admin;
using MovieRecs.Functions.Discovery;
using MovieRecs.Functions.Engine;
using MovieRecs.Functions.Health;
using MovieRecs.Functions.Movies;
using MovieRecs.Functions.Ratings;
using MovieRecs.Functions.Users;

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
[JsonSerializable(typeof(MovieList))]
[JsonSerializable(typeof(MovieRatingsPage))]
[JsonSerializable(typeof(UserRatingsPage))]
[JsonSerializable(typeof(StoredRatings))]
[JsonSerializable(typeof(RatingResource))]
[JsonSerializable(typeof(RatingsPage))]
[JsonSerializable(typeof(MovieRecs.Functions.Preferences.MoviePreferenceResource))]
[JsonSerializable(typeof(MovieRecs.Functions.Preferences.PreferencesPage))]
[JsonSerializable(typeof(MovieRecs.Functions.Preferences.WatchlistPage))]
[JsonSerializable(typeof(WatchEntry))]
[JsonSerializable(typeof(WatchHistoryPage))]
[JsonSerializable(typeof(CreatedUser))]
[JsonSerializable(typeof(UserDetails))]
[JsonSerializable(typeof(UnratedMovies))]
[JsonSerializable(typeof(GenreChartPage))]
[JsonSerializable(typeof(TrendingMovies))]
[JsonSerializable(typeof(PersonalizedRecommendations))]
[JsonSerializable(typeof(UserAnalyticsResponse))]
[JsonSerializable(typeof(ModelVersionManifest))]
[JsonSerializable(typeof(LegacyRecommendations))]
[JsonSerializable(typeof(SimilarMoviesResponse))]
[JsonSerializable(typeof(MovieClustersResponse))]
internal sealed partial class AppJsonContext : JsonSerializerContext;
