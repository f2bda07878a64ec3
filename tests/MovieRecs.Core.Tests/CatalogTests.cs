using MovieRecs.Core.Catalog;

namespace MovieRecs.Core.Tests;

public class CatalogTests
{
    static MovieCatalog Small() => new(
    [
        Movie.Create(30, "Blade Runner (1982)", "Sci-Fi", "Film-Noir"),
        Movie.Create(10, "Toy Story (1995)", "Animation", "Children", "Comedy"),
        Movie.Create(20, "Heat (1995)", "Action", "Crime", "Thriller"),
        Movie.Create(40, "Airplane! (1980)", "Comedy"),
    ]);

    [Fact]
    public void Movies_are_ordered_by_id_and_found_by_id()
    {
        var c = Small();
        Assert.Equal(4, c.Count);
        Assert.Equal([10, 20, 30, 40], c.Movies.Select(m => m.Id));
        Assert.Equal("Heat (1995)", c.Find(20)!.Title);
        Assert.Null(c.Find(99));
        Assert.Throws<ArgumentException>(() => new MovieCatalog([Movie.Create(1, "A"), Movie.Create(1, "B")]));
    }

    [Fact]
    public void Genres_are_listed_by_name_with_counts()
    {
        var c = Small();
        Assert.Equal(
            [("Action", 1), ("Animation", 1), ("Children", 1), ("Comedy", 2), ("Crime", 1), ("Film-Noir", 1), ("Sci-Fi", 1), ("Thriller", 1)],
            c.Genres.Select(g => (g.Name, g.MovieCount)));
    }

    [Theory]
    [InlineData("sci-fi", "Sci-Fi")]
    [InlineData("Sci-Fi", "Sci-Fi")]
    [InlineData("scifi", "Sci-Fi")]
    [InlineData("SCI FI", "Sci-Fi")]
    [InlineData("  sci_fi ", "Sci-Fi")]
    [InlineData("science fiction", "Sci-Fi")]
    [InlineData("film noir", "Film-Noir")]
    [InlineData("FILM-NOIR", "Film-Noir")]
    [InlineData("noir", "Film-Noir")]
    [InlineData("comedies", "Comedy")]
    [InlineData("Thrillers", "Thriller")]
    [InlineData("childrens", "Children")]
    [InlineData("Children's", "Children")]
    [InlineData("animátion", "Animation")]
    public void Genres_resolve_case_accent_and_separator_insensitively(string input, string canonical)
    {
        Assert.True(Small().TryResolveGenre(input, out var found));
        Assert.Equal(canonical, found);
    }

    [Theory]
    [InlineData("Western")]   // a MovieLens genre, but no movie here has it
    [InlineData("nonsense")]
    [InlineData("")]
    [InlineData(null)]
    public void Unknown_genres_do_not_resolve(string? input)
    {
        var c = Small();
        Assert.False(c.TryResolveGenre(input, out _));
        if (!string.IsNullOrWhiteSpace(input))
            Assert.Equal(0, c.Query(new MovieQuery { Genre = input }).Total);
    }

    [Fact]
    public void Stats_are_swapped_in_place_and_kept_exact_in_half_stars()
    {
        var c = Small();
        Assert.Same(MovieStats.Empty, c.GetStats(10));
        Assert.Same(MovieStats.Empty, c.GetStats(999));
        Assert.False(c.SetStats(999, new MovieStats(1, 2, 0)));
        Assert.Null(c.GlobalAverageRating);

        var s = MovieStats.Empty.AddRating(4.5).AddRating(3).AddWatch();
        Assert.Equal(new MovieStats(2, 15, 1), s);
        Assert.Equal(3.75, s.AverageRating);
        Assert.True(c.SetStats(10, s));
        Assert.Same(s, c.GetStats(10));
        Assert.Equal(2, c.TotalRatings);
        Assert.Equal(3.75, c.GlobalAverageRating);
        c.SetStats(10, s.ReplaceRating(3, 5).RemoveRating(4.5));
        Assert.Equal(new MovieStats(1, 10, 1), c.GetStats(10));
        Assert.Equal(1, c.TotalRatings);
        Assert.Null(MovieStats.Empty.AverageRating);
        Assert.Throws<ArgumentOutOfRangeException>(() => MovieStats.Empty.AddRating(4.25));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MovieStats(-1, 0, 0));
        Assert.Equal(new Dictionary<int, MovieStats> { [10] = new(1, 10, 1) }, c.SnapshotStats());
    }

    [Fact]
    public void Aggregate_sums_ratings_per_movie()
    {
        var stats = MovieStats.Aggregate([new(1, 10, 4.5f, 0), new(2, 10, 3f, 0), new(1, 20, 0.5f, 0)]);
        Assert.Equal(new MovieStats(2, 15, 2), stats[10]);
        Assert.Equal(new MovieStats(1, 1, 1), stats[20]);
    }

    [Fact]
    public async Task Concurrent_readers_and_writers_do_not_interfere()
    {
        var c = Small();
        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(400));
        var writers = Enumerable.Range(0, 2).Select(w => Task.Run(() =>
        {
            var n = 0;
            while (!stop.IsCancellationRequested)
            {
                n++;
                c.SetStats(10 + 10 * (n % 4), new MovieStats(n % 50, n % 50 * 8L, n));
            }
        }));
        var readers = Enumerable.Range(0, 3).Select(r => Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                Assert.Equal(4, c.Query(new MovieQuery { Sort = MovieSort.Rating }).Total);
                Assert.Equal(2, c.Query(new MovieQuery { Search = "comedy" }).Total);
                Assert.Equal(30, c.Query(new MovieQuery { Search = "blade runer" }).Items[0].Id);
            }
        }));
        await Task.WhenAll(writers.Concat(readers));
        Assert.Equal(c.Movies.Sum(m => (long)c.GetStats(m.Id).Count), c.TotalRatings);
    }
}
