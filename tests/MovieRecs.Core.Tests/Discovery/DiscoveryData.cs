using System.Diagnostics;
using MovieRecs.Core.Discovery;
using MovieRecs.Recommender;

namespace MovieRecs.Core.Tests.Discovery;

/// <summary>One model trained on all of ml-latest-small with the product defaults, and the content index of its catalog,
/// shared by the discovery tests (built on first use).</summary>
public static class DiscoveryData
{
    static readonly Lazy<(RecommenderModel Model, TimeSpan TrainTime)> s_model = new(() =>
    {
        var ratings = TestData.SmallRatings.Select(r => new Rating(r.UserId, r.MovieId, r.Rating, r.Timestamp)).ToArray();
        var sw = Stopwatch.StartNew();
        var model = RecommenderModel.Train(ratings);
        return (model, sw.Elapsed);
    });

    static readonly Lazy<ContentSimilarity> s_content = new(() =>
        ContentSimilarity.Build(TestData.SmallMovies, id => TestData.SmallCatalog.GetStats(id).Count));

    static readonly Lazy<SimilarMovies> s_similar = new(() => new SimilarMovies(Content, Model));

    public static RecommenderModel Model => s_model.Value.Model;

    /// <summary>Wall time of <see cref="RecommenderModel.Train(ReadOnlySpan{Rating}, TrainingOptions?, Action{string}?)"/> above.</summary>
    public static TimeSpan TrainTime => s_model.Value.TrainTime;

    public static ContentSimilarity Content => s_content.Value;

    public static SimilarMovies Similar => s_similar.Value;

    public static bool HasGenre(int movieId, string genre) => TestData.SmallCatalog.Find(movieId)!.Genres.Contains(genre);
}
