using System.Diagnostics;
using MovieRecs.Recommender.Evaluation;
using Xunit.Abstractions;

namespace MovieRecs.Recommender.Tests;

/// <summary>Models trained once with default options on the two splits (when the data is there).</summary>
public sealed class SplitModelsFixture
{
    readonly Lazy<(EvaluationResult Result, double Seconds)> _rating = new(() => Run("rating"));
    readonly Lazy<(EvaluationResult Result, double Seconds)> _rank = new(() => Run("rank"));

    public (EvaluationResult Result, double Seconds) RatingSplit => _rating.Value;
    public (EvaluationResult Result, double Seconds) RankSplit => _rank.Value;

    static (EvaluationResult, double) Run(string split)
    {
        var train = TestData.Load($"{split}.train.csv");
        var test = TestData.Load($"{split}.test.csv");
        var sw = Stopwatch.StartNew();
        var model = RecommenderModel.Train(train);
        var seconds = sw.Elapsed.TotalSeconds;
        return (Evaluator.Evaluate(model, test, 10), seconds);
    }
}

/// <summary>The quality targets with the product defaults on ml-latest-small's splits (see the splits' README).</summary>
public class QualityTests(SplitModelsFixture fixture, ITestOutputHelper output) : IClassFixture<SplitModelsFixture>
{
    [SplitsFact]
    public void RatingSplitRmseAndCalibration()
    {
        var (r, seconds) = fixture.RatingSplit;
        output.WriteLine($"rating split: rmse {r.Rmse:F4} mae {r.Mae:F4} ece {r.Ece:F4}, trained in {seconds:F2} s");
        Assert.True(r.Rmse <= 0.845, $"RMSE {r.Rmse:F4} > 0.845");
        Assert.True(r.Ece <= 0.05, $"ECE {r.Ece:F4} > 0.05");
        Assert.Equal(20_168, r.TestRatings);
    }

    [SplitsFact]
    public void RankSplitNdcgAndPrecision()
    {
        var (r, seconds) = fixture.RankSplit;
        output.WriteLine($"rank split: ndcg@10 {r.NdcgAtK:F4} precision@10 {r.PrecisionAtK:F4} recall@10 {r.RecallAtK:F4} map@10 {r.MapAtK:F4}, trained in {seconds:F2} s");
        Assert.True(r.NdcgAtK >= 0.42, $"NDCG@10 {r.NdcgAtK:F4} < 0.42");
        Assert.True(r.PrecisionAtK >= 0.37, $"P@10 {r.PrecisionAtK:F4} < 0.37");
        Assert.Equal(610, r.RankedUsers);
    }
}
