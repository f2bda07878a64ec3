using MovieRecs.Core.Catalog;
using MovieRecs.Core.Demo;
using MovieRecs.Core.MovieLens;

namespace MovieRecs.Core.Tests;

public class DemoDataTests
{
    [Fact]
    public void Demo_catalog_has_well_formed_movies_across_genres_and_decades()
    {
        var movies = DemoData.Movies();
        Assert.True(movies.Count >= 220, $"{movies.Count} movies");
        Assert.Equal(movies.Count, movies.Select(m => m.Id).Distinct().Count());
        Assert.All(movies, m =>
        {
            Assert.True(m.Id > 0);
            Assert.NotNull(m.Year);
            Assert.EndsWith($" ({m.Year})", m.Title);
            Assert.Equal(m.Year, MovieTitle.ParseYear(m.Title));
            Assert.NotEmpty(m.Genres);
            Assert.All(m.Genres, g => Assert.Contains(g, MovieGenres.MovieLens));
            Assert.Null(m.ImdbId);
        });
        foreach (var genre in MovieGenres.MovieLens.Where(g => g != "IMAX"))
            Assert.True(movies.Count(m => m.Genres.Contains(genre)) >= 10, genre);
        Assert.True(movies.Select(m => m.Year!.Value / 10).Distinct().Count() >= 10);
        Assert.Contains(movies, m => m.Title == "The Matrix (1999)");
        Assert.Contains(movies, m => m.Title == "Amélie (2001)");
        Assert.Contains(movies, m => m.Title == "Crouching Tiger, Hidden Dragon (2000)");

        var catalog = new MovieCatalog(movies);
        Assert.Equal("The Matrix (1999)", catalog.Query(new MovieQuery { Search = "matrix" }).Items[0].Title);
        Assert.Equal("Amélie (2001)", catalog.Query(new MovieQuery { Search = "amelie" }).Items[0].Title);
    }

    [Fact]
    public void Ratings_are_valid_and_come_from_at_least_300_users()
    {
        var movies = DemoData.Movies().Select(m => m.Id).ToHashSet();
        var ratings = DemoData.Ratings();
        var epoch = DemoData.DefaultEpoch.ToUnixTimeSeconds();
        Assert.True(ratings.Select(r => r.UserId).Distinct().Count() >= 300);
        Assert.All(ratings, r =>
        {
            Assert.True(RatingScale.IsValid(r.Rating), $"{r.Rating}");
            Assert.Contains(r.MovieId, movies);
            Assert.InRange(r.Timestamp, epoch - 731L * 86400, epoch);
        });
        Assert.Equal(ratings.Count, ratings.Select(r => (r.UserId, r.MovieId)).Distinct().Count());

        var perUser = ratings.GroupBy(r => r.UserId).Select(g => g.Count()).ToList();
        Assert.True(perUser.Min() >= 10);
        Assert.True(perUser.Max() <= 150);
        Assert.True(perUser.Count(n => n >= 100) >= 3, "some heavy raters");
        Assert.True(perUser.Count(n => n < 20) >= 100, "many light raters");
        var distinctValues = ratings.Select(r => r.Rating).Distinct().Count();
        Assert.True(distinctValues >= 9, $"{distinctValues} distinct rating values");
    }

    [Fact]
    public void Ratings_are_deterministic_for_a_seed()
    {
        Assert.Equal(DemoData.Ratings(320, 7), DemoData.Ratings());
        Assert.Equal(DemoData.Ratings(50, 3), DemoData.Ratings(50, 3));
        Assert.NotEqual(DemoData.Ratings(50, 3), DemoData.Ratings(50, 4));
        // more users keep the first ones unchanged
        Assert.Equal(DemoData.Ratings(20, 3), DemoData.Ratings(40, 3).Where(r => r.UserId <= 20));
        // "now" only shifts the timestamps
        var later = DemoData.DefaultEpoch.AddDays(100);
        var shifted = DemoData.Ratings(30, 3, later);
        Assert.Equal(DemoData.Ratings(30, 3).Select(r => r with { Timestamp = r.Timestamp + 100 * 86400 }), shifted);
    }

    [Fact]
    public void Users_rate_their_favourite_genres_above_their_disliked_ones()
    {
        var movies = DemoData.Movies().ToDictionary(m => m.Id);
        var ratings = DemoData.Ratings();
        var users = DemoData.Users();
        Assert.Equal(ratings.GroupBy(r => r.UserId).Select(g => g.Count()), users.Select(u => u.RatingCount));
        var differences = new List<double>();
        foreach (var group in ratings.GroupBy(r => r.UserId))
        {
            var profile = users[group.Key - 1];
            var fav = group.Where(r => movies[r.MovieId].Genres.Any(profile.FavouriteGenres.Contains)
                                    && !movies[r.MovieId].Genres.Any(profile.DislikedGenres.Contains)).ToList();
            var dis = group.Where(r => movies[r.MovieId].Genres.Any(profile.DislikedGenres.Contains)
                                    && !movies[r.MovieId].Genres.Any(profile.FavouriteGenres.Contains)).ToList();
            if (fav.Count >= 2 && dis.Count >= 2)
                differences.Add(fav.Average(r => r.Rating) - dis.Average(r => r.Rating));
        }
        Assert.True(differences.Count >= 50, $"{differences.Count} users with both");
        Assert.True(differences.Average() > 0.5, $"mean favourite − disliked = {differences.Average():0.00}");
        Assert.True(differences.Count(d => d > 0) > 0.75 * differences.Count);

        // and a sci-fi lover rates sci-fi above the rest
        var sciFiFans = users.Where(u => u.FavouriteGenres.Contains("Sci-Fi")).Select(u => u.UserId).ToHashSet();
        var fanRatings = ratings.Where(r => sciFiFans.Contains(r.UserId)).ToList();
        var sciFi = fanRatings.Where(r => movies[r.MovieId].Genres.Contains("Sci-Fi")).Average(r => r.Rating);
        var other = fanRatings.Where(r => !movies[r.MovieId].Genres.Contains("Sci-Fi")).Average(r => r.Rating);
        Assert.True(sciFi > other + 0.3, $"sci-fi {sciFi:0.00} vs other {other:0.00}");
    }
}
