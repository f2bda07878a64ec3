using MovieRecs.Recommender.Ranking;

namespace MovieRecs.Recommender.Tests;

/// <summary>One base model and ranker trained on the synthetic data, shared by the ranker tests.</summary>
public sealed class SyntheticRankerFixture
{
    public Rating[] Ratings { get; } = ShuffledTimes(Synthetic.Make(users: 240, seed: 3));

    /// <summary>The synthetic users rate their few disliked movies last; shuffled times make any rating as likely to come next.</summary>
    static Rating[] ShuffledTimes(Rating[] ratings)
    {
        var rng = new Random(5);
        return ratings.GroupBy(r => r.User).SelectMany(g =>
        {
            var times = g.Select(r => r.Timestamp).ToArray();
            rng.Shuffle(times);
            return g.Select((r, i) => r with { Timestamp = times[i] });
        }).ToArray();
    }
    public RecommenderModel Model { get; }
    public LearnedRanker Ranker { get; }

    /// <summary>Each cluster's genre is "G{c}"; movies c·100 + 60.. are in the catalog but nobody rated them (year 2002,
    /// the synthetic ratings are from 2001).</summary>
    public static IReadOnlyList<MovieInfo> Catalog { get; } =
    [
        .. Enumerable.Range(0, Synthetic.Clusters).SelectMany(c => Enumerable.Range(0, Synthetic.MoviesPerCluster)
            .Select(k => new MovieInfo(Synthetic.Movie(c, k), 1990 + k % 10, [$"G{c}"]))),
        .. Enumerable.Range(0, Synthetic.Clusters).SelectMany(c => Enumerable.Range(60, 3).Select(k => new MovieInfo(c * 100 + k, 2002, [$"G{c}"]))),
    ];

    public SyntheticRankerFixture()
    {
        var options = Synthetic.FastOptions with { RankerTrees = 40, RankerMinLeafRows = 20 };
        Model = RecommenderModel.Train(Ratings.AsSpan(), options);
        Ranker = LearnedRanker.Train(Ratings, Catalog, options) ?? throw new InvalidOperationException("no ranker");
    }

    public List<RatedMovie> History(int user) =>
        [.. Ratings.Where(r => r.User == user).Select(r => new RatedMovie(r.Item, r.Value, r.Timestamp))];

    public IReadOnlyList<Recommendation> Recommend(int user, int count) =>
        Ranker.Recommend(Model, Model.ProfileOf(user), History(user), count);
}

public class RankerTests(SyntheticRankerFixture fx) : IClassFixture<SyntheticRankerFixture>
{
    [Fact]
    public void ListsAreInNonIncreasingOrderOfTheCalibratedProbability()
    {
        foreach (var user in new[] { 1, 2, 3, 4, 57, 200 })
        {
            var list = fx.Recommend(user, 30);
            Assert.Equal(30, list.Count);
            Assert.Equal(list.Count, list.Select(r => r.MovieId).Distinct().Count());
            Assert.All(list, r => Assert.InRange(r.Probability, 0f, 1f));
            for (var t = 1; t < list.Count; t++)
            {
                Assert.True(list[t].Score <= list[t - 1].Score);
                Assert.True(list[t].Probability <= list[t - 1].Probability, $"user {user}: {list[t - 1].Probability} then {list[t].Probability}");
            }
            Assert.True(list[0].Probability > list[^1].Probability, "the calibration is not constant");
            // rated movies are never recommended
            var rated = fx.History(user).Select(r => r.MovieId).ToHashSet();
            Assert.DoesNotContain(list, r => rated.Contains(r.MovieId));
            // the user's own cluster first
            Assert.True(list.Take(5).Count(r => Synthetic.ClusterOf(r.MovieId) == user % Synthetic.Clusters) >= 4, string.Join(", ", list.Take(5)));
        }
    }

    [Fact]
    public void TheReportNamesEveryFeatureWithItsImportanceAndTheHoldOutCalibration()
    {
        var report = fx.Ranker.Report!;
        Assert.Equal(LearnedRanker.FeatureNames.Order(), report.Features.Select(f => f.Name).Order());
        Assert.Equal(1, report.Features.Sum(f => f.Importance), 2);
        Assert.True(report.Features[0].Importance > 0);
        Assert.True(report.TrainUsers > 100 && report.CalibrationUsers >= 10, $"{report.TrainUsers} / {report.CalibrationUsers}");
        Assert.InRange(report.Ece, 0, 0.05);
        Assert.InRange(report.CandidateRecall, 0.5, 1);
        // a user's next movies are a random draw from their cluster here, so NDCG stays low for any order
        Assert.True(report.HoldoutNdcg > 0.1, $"hold-out NDCG {report.HoldoutNdcg}");
        Assert.Equal(40, report.Parameters["rankerTrees"]);
    }

    /// <summary>Large data: the ranker's model of the earlier ratings is fitted on the feature users and a sample of the
    /// others within rankerBaseMaxRatings (here the feature users are capped so that there are others to sample).</summary>
    [Fact]
    public void TheRankersBaseModelIsFittedOnASampleOfUsersWithinItsBudget()
    {
        var options = Synthetic.FastOptions with { RankerTrees = 10, RankerMinLeafRows = 20, RankerMaxUsers = 60 };
        var budget = fx.Ratings.Length / 2;
        var lines = new List<string>();
        var ranker = LearnedRanker.Train(fx.Ratings, SyntheticRankerFixture.Catalog, options with { RankerBaseMaxRatings = budget }, lines.Add)!;
        var again = LearnedRanker.Train(fx.Ratings, SyntheticRankerFixture.Catalog, options with { RankerBaseMaxRatings = budget })!;

        var match = System.Text.RegularExpressions.Regex.Match(lines.Single(l => l.StartsWith("ranker: base model on")), @"on (\d+) of (\d+) earlier");
        var (used, earlier) = (int.Parse(match.Groups[1].Value), int.Parse(match.Groups[2].Value));
        Assert.True(earlier > budget, $"{earlier} earlier ratings, budget {budget}");
        Assert.InRange(used, budget / 2, budget);
        Assert.Equal(ranker.Report!.HoldoutNdcg, again.Report!.HoldoutNdcg); // the sample is seeded
        Assert.True(ranker.Report.HoldoutNdcg > 0.1, $"hold-out NDCG {ranker.Report.HoldoutNdcg}");
    }

    /// <summary>Large data: the ranker sorts the caller's rows in place instead of a copy; it must be the same ranker, and
    /// every row must still be there (the caller's evaluation reads them afterwards). With and without the sampled base model.</summary>
    [Theory]
    [InlineData(4_000_000)]
    [InlineData(3_000)]
    public void TrainingInPlaceGivesTheSameRankerAndKeepsEveryRow(int baseMaxRatings)
    {
        var options = Synthetic.FastOptions with { RankerTrees = 10, RankerMinLeafRows = 20, RankerMaxUsers = 60, RankerBaseMaxRatings = baseMaxRatings };
        var copied = LearnedRanker.Train(fx.Ratings, SyntheticRankerFixture.Catalog, options)!;
        var rows = fx.Ratings.ToArray();
        var lines = new List<string>();
        var inPlace = LearnedRanker.TrainReordering(rows, SyntheticRankerFixture.Catalog, options, lines.Add)!;
        var match = System.Text.RegularExpressions.Regex.Match(lines.Single(l => l.StartsWith("ranker: base model on")), @"on (\d+) of (\d+) earlier");
        Assert.Equal(baseMaxRatings < int.Parse(match.Groups[2].Value), int.Parse(match.Groups[1].Value) < int.Parse(match.Groups[2].Value)); // sampled or not

        Assert.Equal(copied.SaveToBytes().Data, inPlace.SaveToBytes().Data);
        Assert.Equal(copied.Holdout!.Result, inPlace.Holdout!.Result);
        Assert.Equal(copied.Report!.TrainRows, inPlace.Report!.TrainRows);
        Assert.False(rows.SequenceEqual(fx.Ratings), "the rows were not reordered");
        Assert.Equal(Canonical(fx.Ratings), Canonical(rows));

        static Rating[] Canonical(Rating[] r) => [.. r.OrderBy(x => x.User).ThenBy(x => x.Item).ThenBy(x => x.Timestamp).ThenBy(x => x.Value)];
    }

    [Fact]
    public void LightGbmTrainsOnEveryUsersPositivesAndASeededShareOfTheNegatives()
    {
        var options = Synthetic.FastOptions with { RankerTrees = 10, RankerMinLeafRows = 20 };
        var all = LearnedRanker.Train(fx.Ratings, SyntheticRankerFixture.Catalog, options with { RankerNegativeShare = 1 })!.Report!;
        var half = LearnedRanker.Train(fx.Ratings, SyntheticRankerFixture.Catalog, options with { RankerNegativeShare = 0.5 })!.Report!;
        var again = LearnedRanker.Train(fx.Ratings, SyntheticRankerFixture.Catalog, options with { RankerNegativeShare = 0.5 })!.Report!;
        Assert.Equal(all.TrainUsers, half.TrainUsers);
        // about half the rows: the negatives halved, the few positives all kept
        Assert.InRange(half.TrainRows, (int)(all.TrainRows * 0.4), (int)(all.TrainRows * 0.65));
        Assert.Equal(half.TrainRows, again.TrainRows);
        Assert.Equal(half.HoldoutNdcg, again.HoldoutNdcg);
        Assert.True(half.HoldoutNdcg > 0.1, $"hold-out NDCG {half.HoldoutNdcg}");
    }

    [Fact]
    public void TheHoldOutEvaluationCoversTheUsersTheRankerDidNotTrainOnAndTheirNextRatings()
    {
        var holdout = fx.Ranker.Holdout!;
        var report = fx.Ranker.Report!;
        Assert.Equal(report.CalibrationUsers, holdout.Users);
        Assert.Equal(report.CalibrationUsers, holdout.Result.RankedUsers);
        // each of those users holds out their latest fifth: far fewer test rows than training rows
        Assert.InRange(holdout.Result.TestRatings, holdout.Users, holdout.TrainRatings / 3);
        Assert.True(holdout.TrainRatings < fx.Ratings.Length);
        Assert.InRange(holdout.Result.NdcgAtK, 0.05, 1);
        Assert.InRange(holdout.Result.PrecisionAtK, 0.05, 1);
        Assert.Contains("time-ordered", holdout.Protocol);
    }

    [Fact]
    public void TheHoldOutsListsFromTheCalibrationRowsAreTheRankersOwnLists()
    {
        // training builds the calibration users' candidate rows once and makes the hold-out's lists from them
        var context = fx.Ranker.ContextFor(fx.Model);
        int[] users = [5, 6, 7, 57];
        var candidates = new int[users.Length][];
        var scores = new float[users.Length][];
        for (var t = 0; t < users.Length; t++)
        {
            var b = new RankerFeatures();
            var n = b.Build(context, fx.Model.ProfileOf(users[t]), fx.History(users[t]).OrderBy(r => r.Time).ThenBy(r => r.MovieId).ToArray(), [], false, fx.Ranker.Counts);
            candidates[t] = b.Candidates[..n];
            scores[t] = fx.Ranker.ScoreRows(b.Features, n);
        }
        var lists = LearnedRanker.HoldoutLists(users, candidates, scores, context.Space, fx.Ranker.Probability);
        foreach (var user in users)
            foreach (var k in new[] { 1, 10, 40 })
                Assert.Equal(fx.Recommend(user, k), lists(user, k));
    }

    [Fact]
    public void SavedAndLoadedRankerGivesTheSameLists()
    {
        using var zip = new MemoryStream();
        using var data = new MemoryStream();
        fx.Ranker.Save(zip, data);
        zip.Position = 0;
        data.Position = 0;
        var loaded = LearnedRanker.Load(zip, data);
        Assert.Null(loaded.Report);
        foreach (var user in new[] { 5, 6, 7 })
            Assert.Equal(fx.Recommend(user, 20), loaded.Recommend(fx.Model, fx.Model.ProfileOf(user), fx.History(user), 20));

        data.Position = 8;
        data.Write(BitConverter.GetBytes(LearnedRanker.FormatVersion + 1));
        data.Position = 0;
        zip.Position = 0;
        var newer = Assert.Throws<FormatException>(() => LearnedRanker.Load(zip, data));
        Assert.Contains($"version {LearnedRanker.FormatVersion + 1} is newer", newer.Message);
        Assert.Throws<FormatException>(() => LearnedRanker.Load(new MemoryStream(zip.ToArray()), new MemoryStream([1, 2, 3])));
    }

    [Fact]
    public void FoldedInRatingsDriveTheRankedList()
    {
        // a new user, not in the training data, rates cluster 2 movies, later cluster 1 movies
        var history = new List<RatedMovie>();
        var t = 1_000_500_000L;
        for (var k = 0; k < 6; k++)
            history.Add(new RatedMovie(Synthetic.Movie(2, k), 5, t += 60));
        var first = fx.Ranker.Recommend(fx.Model, fx.Model.FoldIn([.. history.Select(r => (r.MovieId, r.Rating))]), history, 10);
        Assert.True(first.Count(r => Synthetic.ClusterOf(r.MovieId) == 2) >= 8, string.Join(", ", first));

        for (var k = 0; k < 12; k++)
            history.Add(new RatedMovie(Synthetic.Movie(1, k), 5, t += 60));
        var second = fx.Ranker.Recommend(fx.Model, fx.Model.FoldIn([.. history.Select(r => (r.MovieId, r.Rating))]), history, 10);
        Assert.True(second.Count(r => Synthetic.ClusterOf(r.MovieId) == 1) >= 5, string.Join(", ", second));
        Assert.DoesNotContain(second, r => history.Any(h => h.MovieId == r.MovieId));
    }

    [Fact]
    public void MoviesNobodyRatedAreCandidates()
    {
        // the catalog's unrated movies of the user's genre can be listed (content candidates); the base model cannot
        Assert.False(fx.Model.ContainsMovie(60));
        var list = fx.Recommend(4, 200); // user 4 loves cluster 0
        Assert.Contains(list, r => r.MovieId is 60 or 61 or 62);
        Assert.DoesNotContain(fx.Model.Recommend(4, 200), r => r.MovieId is 60 or 61 or 62);
    }

    [Fact]
    public void ConcurrentCallersGetTheListsOfASingleCaller()
    {
        var users = Enumerable.Range(1, 60).ToArray();
        var expected = users.Select(u => fx.Recommend(u, 10)).ToArray();
        var got = new IReadOnlyList<Recommendation>[users.Length * 4];
        Parallel.For(0, got.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => got[i] = fx.Recommend(users[i % users.Length], 10));
        for (var i = 0; i < got.Length; i++)
            Assert.Equal(expected[i % users.Length], got[i]);
    }

    [Fact]
    public void TheFlatTreesScoreExactlyAsMlNetDoes()
    {
        var missing = 0;
        foreach (var user in new[] { 1, 2, 3, 50, 51 })
        {
            var (trees, mlnet, nan) = fx.Ranker.CompareScoring(fx.Model, fx.Model.ProfileOf(user), fx.History(user));
            Assert.Equal(mlnet.Length, trees.Length);
            for (var r = 0; r < trees.Length; r++)
                Assert.Equal(mlnet[r], trees[r], 4);
            missing += nan;
        }
        // a new user (fold-in); content candidates the base model lacks carry missing features
        var history = new List<RatedMovie> { new(Synthetic.Movie(3, 1), 5, 1_000_600_000), new(Synthetic.Movie(3, 2), 4, 1_000_600_060) };
        var (t2, m2, n2) = fx.Ranker.CompareScoring(fx.Model, fx.Model.FoldIn([.. history.Select(h => (h.MovieId, h.Rating))]), history);
        for (var r = 0; r < t2.Length; r++)
            Assert.Equal(m2[r], t2[r], 4);
        Assert.True(missing + n2 > 0, "no row had a missing feature");
    }

    [Fact]
    public void TooLittleDataTrainsNoRanker()
    {
        var few = Synthetic.Make(users: 12, seed: 1);
        Assert.Null(LearnedRanker.Train(few, [], Synthetic.FastOptions));
    }
}
