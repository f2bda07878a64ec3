using MovieRecs.Recommender.Algorithms;

namespace MovieRecs.Recommender.Tests;

/// <summary>The user's time-local effects in rating prediction (<see cref="UserDrift"/>).</summary>
public class UserDriftTests
{
    [Fact]
    public void TheTermsFollowTheSittingAndThePeriodAroundTheAskedTime()
    {
        // two sittings: three ratings above the baseline, then two below, a day later
        int[] times = [0, 60, 120, 86_400, 86_460];
        float[] residuals = [1, 1, 1, -1, -1];
        var terms = new float[UserDrift.Terms];

        UserDrift.At(times, residuals, 90, terms);
        Assert.True(terms[0] > 0.3f, $"inside the first sitting: {terms[0]}");
        UserDrift.At(times, residuals, 86_430, terms);
        Assert.True(terms[0] < -0.2f, $"inside the second sitting: {terms[0]}");

        // long after the last rating no sitting is near; the nearest ratings (all five here) are the mood:
        // (3 − 2) / (5 + 3 shrinkage)
        UserDrift.At(times, residuals, 10_000_000, terms);
        Assert.Equal(0f, terms[0], 1e-6f);
        Assert.Equal(0.125f, terms[1], 1e-6f);
        Assert.Equal(0.125f, terms[2], 1e-6f);

        UserDrift.At([], [], 5, terms);
        Assert.All(terms, t => Assert.Equal(0f, t));

        // the support terms' distance: days to the nearest rating, before, between or after them
        Assert.Equal(0.5f, UserDrift.GapDays([86_400, 172_800], 43_200), 1e-6f);
        Assert.Equal(0.25f, UserDrift.GapDays([0, 86_400], 64_800), 1e-6f);
        Assert.Equal(10f, UserDrift.GapDays([0], 864_000), 1e-6f);
        Assert.Equal(0f, UserDrift.GapDays([], 5));
    }

    /// <summary>The blend is fitted on hold-outs of up to half a million ratings (large data): found when a per-row
    /// stackalloc overflowed the stack on a 25M-rating run.</summary>
    [Fact]
    public void TheBlendAndTheTimeLocalWeightsAreFittedOnALargeHoldOut()
    {
        var model = RecommenderModel.Train(Synthetic.Make(), Synthetic.FastOptions);
        const int Rows = 500_000;
        var rng = new Random(3);
        var mf = new float[Rows];
        var knn = new float[Rows];
        var drift = new float[Rows * UserDrift.Terms];
        var actual = new float[Rows];
        for (var t = 0; t < Rows; t++)
        {
            (mf[t], knn[t]) = ((float)(3 + rng.NextDouble()), (float)(3 + rng.NextDouble()));
            drift[t * UserDrift.Terms + 1] = (float)(rng.NextDouble() - 0.5);
            actual[t] = 0.5f * mf[t] + 0.5f * knn[t] + 0.8f * drift[t * UserDrift.Terms + 1];
        }
        var rating = model.Rating;
        rating.FitBlend(new Algorithms.RatingModel.HoldoutInputs(mf, knn, drift, Enumerable.Repeat(true, Rows).ToArray()), actual);
        Assert.Equal(0.8f, rating.Drift[1], 0.01f);
    }

    /// <summary>Support terms: when MF is right for users with many ratings and kNN for users with few, the blend learns
    /// to trust each by the user's rating count, which one pair of global weights cannot.</summary>
    [Fact]
    public void TheBlendTrustsEachInputByTheDataBehindIt()
    {
        var model = RecommenderModel.Train(Synthetic.Make(), Synthetic.FastOptions);
        var rating = model.Rating;
        const int Rows = 20_000;
        var rng = new Random(5);
        var mf = new float[Rows];
        var knn = new float[Rows];
        var drift = new float[Rows * UserDrift.Terms];
        var users = new int[Rows];
        var items = Enumerable.Repeat(rating.ItemCounts[0], Rows).ToArray();
        var actual = new float[Rows];
        for (var t = 0; t < Rows; t++)
        {
            var truth = (float)(1 + 4 * rng.NextDouble());
            var noise = (float)(2 * rng.NextDouble() - 1);
            users[t] = t % 2 == 0 ? 5 : 1000;
            // MF is off for users with few ratings, kNN for users with many
            (mf[t], knn[t]) = users[t] == 5 ? (truth + noise, truth) : (truth, truth + noise);
            actual[t] = truth;
        }
        var known = Enumerable.Repeat(true, Rows).ToArray();
        double Rmse() => Math.Sqrt(Enumerable.Range(0, Rows).Average(t =>
            Math.Pow(rating.Combine(mf[t], knn[t], drift.AsSpan(t * UserDrift.Terms, UserDrift.Terms), users[t], 0) - actual[t], 2)));

        rating.FitBlend(new Algorithms.RatingModel.HoldoutInputs(mf, knn, drift, known), actual);
        var without = Rmse();
        rating.FitBlend(new Algorithms.RatingModel.HoldoutInputs(mf, knn, drift, known, users, items, new float[Rows]), actual);
        var with = Rmse();

        Assert.All(rating.Support, w => Assert.True(float.IsFinite(w)));
        Assert.True(with < 0.5 * without, $"RMSE with the support terms {with:F3}, without {without:F3}");
    }

    /// <summary>Users whose mood changes half-way through their ratings: the later ratings are predicted better with
    /// their time than without, and a saved and loaded model predicts the same.</summary>
    [Fact]
    public void ARatingsTimeImprovesThePredictionOfAUserWhoseMoodChangedAndSurvivesSaveAndLoad()
    {
        var rng = new Random(7);
        var quality = Enumerable.Range(0, 200).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var train = new List<Rating>();
        var test = new List<Rating>();
        for (var u = 1; u <= 300; u++)
        {
            var t = 1_500_000_000L + u * 7L;
            var movies = Enumerable.Range(1, 200).OrderBy(_ => rng.Next()).Take(60).ToArray();
            for (var k = 0; k < movies.Length; k++)
            {
                var mood = k < 30 ? 0.8 : -0.8;
                var value = (float)Math.Clamp(Math.Round((3.4 + quality[movies[k] - 1] + mood + 0.3 * (rng.NextDouble() - 0.5)) * 2) / 2, 0.5, 5);
                var rating = new Rating(u, movies[k], value, t += 86_400);
                (k < 54 ? train : test).Add(rating);
            }
        }
        var model = RecommenderModel.Train(train.ToArray(), Synthetic.FastOptions);

        double Rmse(Func<Rating, float> predict) => Math.Sqrt(test.Average(r => Math.Pow(predict(r) - r.Value, 2)));
        var withTime = Rmse(r => model.PredictRating(r.User, r.Item, r.Timestamp));
        var without = Rmse(r => model.PredictRating(r.User, r.Item));
        Assert.True(withTime < 0.8 * without, $"RMSE with the ratings' times {withTime:F3}, without {without:F3}");

        using var ms = new MemoryStream();
        model.Save(ms);
        ms.Position = 0;
        var loaded = RecommenderModel.Load(ms);
        Assert.All(test.Take(50), r => Assert.Equal(model.PredictRating(r.User, r.Item, r.Timestamp), loaded.PredictRating(r.User, r.Item, r.Timestamp)));
    }
}
