namespace MovieRecs.Recommender.Tests;

/// <summary>One model on the synthetic clusters, shared by the behaviour tests.</summary>
public sealed class SyntheticModelFixture
{
    public Rating[] Data { get; } = Synthetic.Make();
    public RecommenderModel Model { get; }

    public SyntheticModelFixture() => Model = RecommenderModel.Train(Data, Synthetic.FastOptions);
}

public class BehaviourTests(SyntheticModelFixture fixture) : IClassFixture<SyntheticModelFixture>
{
    readonly RecommenderModel _model = fixture.Model;
    readonly Rating[] _data = fixture.Data;

    [Fact]
    public void KnownUsersGetTheirOwnCluster()
    {
        foreach (var user in new[] { 4, 5, 6, 7 })
        {
            var home = user % Synthetic.Clusters;
            var rated = _data.Where(r => r.User == user).Select(r => r.Item).ToHashSet();
            var left = Enumerable.Range(0, Synthetic.MoviesPerCluster).Select(k => Synthetic.Movie(home, k)).Count(m => !rated.Contains(m));
            var recs = _model.Recommend(user, 10);
            Assert.Equal(10, recs.Count);
            // the unrated movies of the user's cluster come first
            Assert.True(recs.Take(Math.Min(10, left)).All(r => Synthetic.ClusterOf(r.MovieId) == home), $"user {user} ({left} left): {string.Join(",", recs.Select(r => r.MovieId))}");
        }
    }

    [Fact]
    public void RecommendationsAreBestFirstWithProbabilities()
    {
        var recs = _model.Recommend(3, 20);
        for (var i = 1; i < recs.Count; i++)
            Assert.True(recs[i - 1].Score >= recs[i].Score);
        Assert.All(recs, r => Assert.InRange(r.Probability, 0f, 1f));
        Assert.Equal(recs.Count, recs.Select(r => r.MovieId).Distinct().Count());
    }

    [Fact]
    public void RatedMoviesAreNeverRecommended()
    {
        foreach (var user in _model.UserIds.Take(60))
        {
            var rated = _data.Where(r => r.User == user).Select(r => r.Item).ToHashSet();
            var recs = _model.Recommend(user, 30);
            Assert.DoesNotContain(recs, r => rated.Contains(r.MovieId));
        }
    }

    [Fact]
    public void ExcludedMoviesAreLeftOutAndRatedOnesCanBeIncluded()
    {
        var first = _model.Recommend(8, 5);
        var exclude = first.Take(3).Select(r => r.MovieId).ToArray();
        var second = _model.Recommend(8, 5, exclude);
        Assert.DoesNotContain(second, r => exclude.Contains(r.MovieId));
        Assert.Equal(first[3].MovieId, second[0].MovieId);

        var rated = _data.Where(r => r.User == 8).Select(r => r.Item).ToHashSet();
        var withRated = _model.Recommend(8, _model.MovieCount, includeRated: true);
        Assert.Equal(_model.MovieCount, withRated.Count);
        Assert.Contains(withRated, r => rated.Contains(r.MovieId));
    }

    [Fact]
    public void FoldInGivesANewUserTheClusterTheyRated()
    {
        var cluster = 2;
        var ratings = Enumerable.Range(0, 5).Select(k => (Synthetic.Movie(cluster, k), 5f)).ToList();
        var profile = _model.FoldIn(ratings);
        Assert.Null(profile.UserId);
        Assert.Equal(5, profile.RatingCount);
        var recs = _model.Recommend(profile, 10);
        Assert.True(recs.Count(r => Synthetic.ClusterOf(r.MovieId) == cluster) >= 8, string.Join(",", recs.Select(r => r.MovieId)));
        Assert.DoesNotContain(recs, r => ratings.Any(x => x.Item1 == r.MovieId));
        // the predicted ratings follow: a movie of the rated cluster beats one of another cluster
        Assert.True(_model.PredictRating(profile, Synthetic.Movie(cluster, 10)) > _model.PredictRating(profile, Synthetic.Movie(0, 10)));
        Assert.True(_model.LikeProbability(profile, Synthetic.Movie(cluster, 10)) > _model.LikeProbability(profile, Synthetic.Movie(0, 10)));
    }

    [Fact]
    public void NewRatingsOfAKnownUserChangeTheRecommendationsAtOnce()
    {
        const int user = 4; // loves cluster 0
        var current = _data.Where(r => r.User == user).Select(r => (r.Item, r.Value)).ToList();
        var before = _model.Recommend(_model.FoldIn(current), 10);
        Assert.True(before.Count(r => Synthetic.ClusterOf(r.MovieId) == 0) >= 8);
        // after training, the user discovers cluster 3 and rates many of its movies highly, and cluster 0 low
        var after = current.Select(x => Synthetic.ClusterOf(x.Item) == 0 ? (x.Item, 1f) : x).ToList();
        after.AddRange(Enumerable.Range(0, 12).Select(k => (Synthetic.Movie(3, k), 5f)));
        var recs = _model.Recommend(_model.FoldIn(after), 10);
        Assert.True(recs.Count(r => Synthetic.ClusterOf(r.MovieId) == 3) >= 5, string.Join(",", recs.Select(r => r.MovieId)));
    }

    [Fact]
    public void FoldInOfTheTrainingRatingsAgreesWithTheTrainedProfile()
    {
        const int user = 9;
        var ratings = _data.Where(r => r.User == user).Select(r => (r.Item, r.Value)).ToList();
        var folded = _model.Recommend(_model.FoldIn(ratings), 10).Select(r => r.MovieId).ToHashSet();
        var trained = _model.Recommend(user, 10).Select(r => r.MovieId).ToHashSet();
        Assert.True(folded.Intersect(trained).Count() >= 7);
        var profile = _model.ProfileOf(user)!;
        Assert.Equal(user, profile.UserId);
        Assert.Equal(_model.Recommend(user, 10), _model.Recommend(profile, 10));
        Assert.Equal(_model.PredictRating(user, Synthetic.Movie(1, 3)), _model.PredictRating(profile, Synthetic.Movie(1, 3)), 4);
    }

    [Fact]
    public void UsersWithoutRatingsGetThePopularityFallback()
    {
        var counts = _data.GroupBy(r => r.Item).ToDictionary(g => g.Key, g => g.Select(r => r.User).Distinct().Count());
        var unknown = _model.Recommend(123_456, 10);
        var empty = _model.Recommend(_model.FoldIn([]), 10);
        var unknownMovies = _model.Recommend(_model.FoldIn([(424_242, 5f)]), 10);
        Assert.Equal(unknown, empty);
        Assert.Equal(unknown, unknownMovies);
        for (var i = 1; i < unknown.Count; i++)
            Assert.True(counts[unknown[i - 1].MovieId] >= counts[unknown[i].MovieId]);
        Assert.Equal(counts.Values.Max(), counts[unknown[0].MovieId]);
        Assert.Equal(1, _model.FoldIn([(424_242, 5f)]).IgnoredRatings);
    }

    [Fact]
    public void UnknownUsersAndMoviesGetBaselineFallbacks()
    {
        var known = Synthetic.Movie(1, 2);
        var mean = _data.Average(r => r.Value);
        var none = _model.PredictRating(555_555, 424_242);
        Assert.InRange(none, mean - 0.01f, mean + 0.01f); // the global mean
        // unknown user: the movie's baseline, which differs between a loved and a disliked... any known movie is in range
        var byMovie = _model.PredictRating(555_555, known);
        Assert.InRange(byMovie, 0.5f, 5f);
        Assert.NotEqual(none, byMovie);
        // unknown movie for a known user: the user's baseline (users who rate high stay high)
        var byUser = _model.PredictRating(5, 424_242);
        Assert.InRange(byUser, 0.5f, 5f);
        Assert.False(float.IsNaN(_model.LikeProbability(555_555, 424_242)));
        Assert.True(_model.ItemVector(424_242).IsEmpty);
        Assert.Equal(_model.ItemVectorDimensions, _model.ItemVector(known).Length);
        Assert.Empty(_model.SimilarMovies(424_242, 5));
        Assert.Null(_model.ProfileOf(555_555));
    }

    [Fact]
    public void SimilarMoviesComeFromTheSameCluster()
    {
        var movie = Synthetic.Movie(2, 4);
        var similar = _model.SimilarMovies(movie, 5);
        Assert.Equal(5, similar.Count);
        Assert.DoesNotContain(similar, s => s.MovieId == movie);
        Assert.True(similar.Count(s => Synthetic.ClusterOf(s.MovieId) == 2) >= 4);
    }

    [Fact]
    public void ConcurrentReadersSeeTheSameAnswers()
    {
        var users = _model.UserIds.Take(40).ToArray();
        var expected = users.Select(u => _model.Recommend(u, 10)).ToArray();
        var profile = _model.FoldIn([(Synthetic.Movie(1, 1), 5f), (Synthetic.Movie(1, 2), 5f)]);
        var expectedProfile = _model.Recommend(profile, 10);
        Parallel.For(0, 400, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var k = i % users.Length;
            Assert.Equal(expected[k], _model.Recommend(users[k], 10));
            Assert.Equal(expectedProfile, _model.Recommend(profile, 10));
        });
    }

    [Fact]
    public void AFoldedProfilesFirstPredictionsFromManyThreadsAgreeWithOneThreads()
    {
        // the fold-in solves the matrix-factorisation vectors on the first prediction: threads racing to it see one answer
        List<(int, float)> ratings = [(Synthetic.Movie(1, 1), 5f), (Synthetic.Movie(1, 2), 4f), (Synthetic.Movie(2, 1), 1f)];
        var movies = _model.MovieIds.Take(50).ToArray();
        var sequential = _model.FoldIn(ratings);
        var expected = movies.Select(m => _model.PredictRating(sequential, m)).ToArray();
        Assert.NotEqual(expected.Min(), expected.Max());
        for (var round = 0; round < 20; round++)
        {
            var shared = _model.FoldIn(ratings);
            using var start = new Barrier(4);
            var seen = new float[4][];
            var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
            {
                start.SignalAndWait();
                seen[t] = movies.Select(m => _model.PredictRating(shared, m)).ToArray();
            })).ToArray();
            foreach (var thread in threads)
                thread.Start();
            foreach (var thread in threads)
                thread.Join();
            foreach (var answers in seen)
                Assert.Equal(expected, answers);
        }
    }

    [Fact]
    public void AllocationFreeOverloadFillsTheSpan()
    {
        var profile = _model.ProfileOf(11)!;
        Span<Recommendation> buffer = stackalloc Recommendation[7];
        var n = _model.Recommend(profile, buffer);
        Assert.Equal(7, n);
        Assert.Equal(_model.Recommend(11, 7), buffer.ToArray());
    }

    [Fact]
    public void TinyDataTrainsAndAnswers()
    {
        foreach (var rows in new[] { new Rating[] { new(1, 10, 4f, 1) }, [new(1, 10, 4f, 1), new(2, 10, 2f, 2), new(2, 11, 5f, 3)] })
        {
            var model = RecommenderModel.Train(rows, Synthetic.FastOptions);
            Assert.InRange(model.PredictRating(1, 10), 0.5f, 5f);
            Assert.InRange(model.LikeProbability(1, 11), 0f, 1f);
            Assert.NotNull(model.Recommend(1, 5));
            Assert.NotNull(model.Recommend(model.FoldIn([(10, 5f)]), 5));
            using var ms = new MemoryStream();
            model.Save(ms);
            ms.Position = 0;
            Assert.Equal(model.PredictRating(2, 11), RecommenderModel.Load(ms).PredictRating(2, 11));
        }
        Assert.Throws<ArgumentException>(() => RecommenderModel.Train(Array.Empty<Rating>()));
    }
}
