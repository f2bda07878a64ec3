using System.Diagnostics;
using MovieRecs.Recommender;
using MovieRecs.Recommender.Ranking;
using Xunit.Abstractions;

namespace MovieRecs.Core.Tests.Discovery;

/// <summary>The learned ranker over the base model trained on all of ml-latest-small (the served pipeline).</summary>
public class RankerMovieLensTests(ITestOutputHelper output)
{
    static readonly Lazy<(LearnedRanker Ranker, TimeSpan Time)> s_ranker = new(() =>
    {
        var ratings = TestData.SmallRatings.Select(r => new Rating(r.UserId, r.MovieId, r.Rating, r.Timestamp)).ToArray();
        var sw = Stopwatch.StartNew();
        var ranker = LearnedRanker.Train(ratings, TestData.SmallMovies.Select(m => new MovieInfo(m.Id, m.Year, m.Genres)).ToArray(), new TrainingOptions())!;
        return (ranker, sw.Elapsed);
    });

    // Toy Story, A Bug's Life, Toy Story 2, Monsters Inc., Finding Nemo, The Incredibles, Ratatouille, WALL·E
    static readonly int[] Pixar = [1, 2355, 3114, 4886, 6377, 8961, 50872, 60069];

    [MovieLensFact]
    public void ANewUserWhoRatesEightPixarFilmsFiveStarsGetsMostlyAnimationInProbabilityOrder()
    {
        var model = DiscoveryData.Model;
        var (ranker, time) = s_ranker.Value;
        var now = TestData.SmallRatings.Max(r => r.Timestamp);
        var history = Pixar.Select((id, i) => new RatedMovie(id, 5, now + 60 * i)).ToArray();
        var profile = model.FoldIn([.. history.Select(h => (h.MovieId, h.Rating))]);
        var list = ranker.Recommend(model, profile, history, 10);
        output.WriteLine($"ranker trained in {time.TotalSeconds:F1} s; " + string.Join(", ", list.Select(r => $"{TestData.SmallCatalog.Find(r.MovieId)!.Title} {r.Probability:F3}")));

        Assert.Equal(10, list.Count);
        Assert.DoesNotContain(list, r => Pixar.Contains(r.MovieId));
        Assert.True(list.Count(r => DiscoveryData.HasGenre(r.MovieId, "Animation")) >= 6);
        for (var t = 1; t < list.Count; t++)
            Assert.True(list[t].Probability <= list[t - 1].Probability);

        // fold-in reaches the ranker's features too: the same user after rating horror films highly gets another list
        var horror = TestData.SmallMovies.Where(m => m.Genres.Contains("Horror") && model.MovieRatingCount(m.Id) >= 30).Take(12).ToArray();
        var more = history.Concat(horror.Select((m, i) => new RatedMovie(m.Id, 5, now + 3600 + 60 * i))).ToArray();
        var after = ranker.Recommend(model, model.FoldIn([.. more.Select(h => (h.MovieId, h.Rating))]), more, 10);
        var titles = string.Join(", ", after.Select(r => TestData.SmallCatalog.Find(r.MovieId)!.Title));
        Assert.NotEqual(list.Select(r => r.MovieId), after.Select(r => r.MovieId));
        Assert.True(after.Count(r => DiscoveryData.HasGenre(r.MovieId, "Horror")) > list.Count(r => DiscoveryData.HasGenre(r.MovieId, "Horror")), titles);
    }
}
