namespace MovieRecs.Recommender.Tests;

public class MovieRatingCountTests(SyntheticModelFixture fixture) : IClassFixture<SyntheticModelFixture>
{
    [Fact]
    public void CountsTheTrainingRatingsOfEachMovie()
    {
        var model = fixture.Model;
        // the synthetic data can rate a movie twice per user (a low "other" pick of a movie the user also loves): one counts
        var expected = fixture.Data.DistinctBy(r => (r.User, r.Item)).GroupBy(r => r.Item).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(expected.Count, model.MovieCount);
        foreach (var id in model.MovieIds)
            Assert.Equal(expected[id], model.MovieRatingCount(id));
        Assert.Equal(model.RatingCount, model.MovieIds.Sum(model.MovieRatingCount));
        Assert.Equal(0, model.MovieRatingCount(-1));
        Assert.Equal(0, model.MovieRatingCount(99_999));

        var ms = new MemoryStream();
        model.Save(ms);
        var loaded = RecommenderModel.Load(new MemoryStream(ms.ToArray()));
        Assert.All(model.MovieIds, id => Assert.Equal(model.MovieRatingCount(id), loaded.MovieRatingCount(id)));
    }

    [Fact]
    public void ConcurrentFirstCallsAgree()
    {
        var model = RecommenderModel.Train(Synthetic.Make(users: 60, seed: 5), Synthetic.FastOptions);
        var ids = model.MovieIds.ToArray();
        var results = new int[8][];
        Parallel.For(0, results.Length, t => results[t] = ids.Select(model.MovieRatingCount).ToArray());
        Assert.All(results, r => Assert.Equal(results[0], r));
    }
}
