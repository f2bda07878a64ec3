using MovieRecs.Core.Engine;
using MovieRecs.Recommender;
using MovieRecs.Recommender.Ranking;

namespace MovieRecs.Core.Tests.Engine;

public class TrainingJobTests
{
    /// <summary>Above <see cref="TrainingJob.SideBySideMaxRatings"/> (5M ratings) the served model, its clusters and the
    /// ranker train one after the other and the ranker reorders the run's rows in place: the same models must come out as
    /// side by side. The limit is set below a small set here so that both paths run in a test.</summary>
    [MovieLensFact]
    public async Task AboveTheSideBySideLimitTheSameModelsAreTrainedOneAfterTheOther()
    {
        var ratings = TestData.SmallRatings.Where(r => r.UserId <= 150).Select(r => new Rating(r.UserId, r.MovieId, r.Rating, r.Timestamp)).ToArray();
        var movies = TestData.SmallMovies.Select(m => new MovieInfo(m.Id, m.Year, m.Genres)).ToArray();
        var options = new TrainingOptions();

        var sideBySide = await TrainingJob.TrainModelsAsync(ratings.ToArray(), movies, options);
        var rows = ratings.ToArray();
        var oneAfterTheOther = await TrainingJob.TrainModelsAsync(rows, movies, options, sideBySideMaxRatings: rows.Length - 1);

        Assert.Equal(ModelBytes(sideBySide.Model), ModelBytes(oneAfterTheOther.Model));
        Assert.NotNull(sideBySide.Ranker);
        Assert.Equal(sideBySide.Ranker.SaveToBytes().Data, oneAfterTheOther.Ranker!.SaveToBytes().Data);
        Assert.Equal(sideBySide.Ranker.Holdout!.Result, oneAfterTheOther.Ranker!.Holdout!.Result);
        Assert.Equal(sideBySide.ClustersJson!.ToString(), oneAfterTheOther.ClustersJson!.ToString());
        // the second run's ranker sorted the caller's rows in place: the same rows in another order
        Assert.False(rows.SequenceEqual(ratings), "the rows were not reordered: the one-after-the-other path did not run");
        Assert.Equal(Canonical(ratings), Canonical(rows));
    }

    /// <summary>A run writes the served model and its clusters while the ranker trains: the callback gets exactly the
    /// model and clusters the run returns, once, and the run waits for it (a failure there fails the run).</summary>
    [MovieLensFact]
    public async Task TheServedModelIsHandedOnWhileTheRankerTrainsAndAwaited()
    {
        var ratings = TestData.SmallRatings.Where(r => r.UserId <= 100).Select(r => new Rating(r.UserId, r.MovieId, r.Rating, r.Timestamp)).ToArray();
        var movies = TestData.SmallMovies.Select(m => new MovieInfo(m.Id, m.Year, m.Genres)).ToArray();
        var calls = new List<(RecommenderModel Model, string? Clusters)>();
        var finished = false;

        var trained = await TrainingJob.TrainModelsAsync(ratings, movies, new TrainingOptions(), whileRankerTrains: async (model, clusters) =>
        {
            calls.Add((model, clusters?.ToString()));
            await Task.Delay(200);
            finished = true;
        });

        Assert.True(finished, "TrainModelsAsync returned before the callback's task completed");
        var call = Assert.Single(calls);
        Assert.Same(trained.Model, call.Model);
        Assert.NotNull(trained.ClustersJson);
        Assert.Equal(trained.ClustersJson.ToString(), call.Clusters);
        Assert.NotNull(trained.Ranker);

        var failing = TrainingJob.TrainModelsAsync(ratings, movies, new TrainingOptions(),
            whileRankerTrains: (_, _) => Task.FromException(new IOException("storage went away")));
        await Assert.ThrowsAsync<IOException>(() => failing);

        // above the side-by-side limit the callback comes after the ranker (its last stage, the calibration, has logged),
        // still once and still awaited
        var lines = new List<string>();
        void Log(string line)
        {
            lock (lines)
                lines.Add(line);
        }
        var after = 0;
        var rankerDoneBefore = false;
        var oneAfterTheOther = await TrainingJob.TrainModelsAsync(ratings.ToArray(), movies, new TrainingOptions(), Log, sideBySideMaxRatings: ratings.Length - 1,
            whileRankerTrains: async (model, _) =>
            {
                lock (lines)
                    rankerDoneBefore = lines.Any(l => l.StartsWith("ranker: calibration", StringComparison.Ordinal));
                await Task.Yield();
                Assert.Equal(trained.Model.RatingCount, model.RatingCount);
                after++;
            });
        Assert.Equal(1, after);
        Assert.True(rankerDoneBefore, "above the side-by-side limit the model files were handed on before the ranker was done");
        Assert.NotNull(oneAfterTheOther.Ranker);
    }

    static byte[] ModelBytes(RecommenderModel model)
    {
        using var s = new MemoryStream();
        model.Save(s);
        return s.ToArray();
    }

    static Rating[] Canonical(Rating[] r) => [.. r.OrderBy(x => x.User).ThenBy(x => x.Item).ThenBy(x => x.Timestamp).ThenBy(x => x.Value)];
}
