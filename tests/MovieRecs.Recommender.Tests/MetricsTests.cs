using MovieRecs.Recommender.Evaluation;

namespace MovieRecs.Recommender.Tests;

public class MetricsTests
{
    static readonly HashSet<int> Relevant = [2, 4, 5];
    static readonly int[] Recommended = [1, 2, 3, 4];

    [Fact]
    public void PrecisionCountsHitsOverK()
    {
        Assert.Equal(0.5, Metrics.PrecisionAtK(Recommended, Relevant, 4), 12);
        // a list shorter than K still divides by K
        Assert.Equal(1.0 / 10, Metrics.PrecisionAtK([2], Relevant, 10), 12);
        Assert.Equal(0.0, Metrics.PrecisionAtK([], Relevant, 10), 12);
    }

    [Fact]
    public void RecallDividesByAllRelevant()
    {
        Assert.Equal(2.0 / 3, Metrics.RecallAtK(Recommended, Relevant, 4), 12);
        Assert.Equal(1.0 / 3, Metrics.RecallAtK(Recommended, Relevant, 2), 12);
    }

    [Fact]
    public void NdcgMatchesHandComputation()
    {
        // hits at ranks 2 and 4; ideal: 3 hits at ranks 1..3
        var dcg = 1 / Math.Log2(3) + 1 / Math.Log2(5);
        var idcg = 1 + 1 / Math.Log2(3) + 1 / Math.Log2(4);
        Assert.Equal(dcg / idcg, Metrics.NdcgAtK(Recommended, Relevant, 4), 12);
        Assert.Equal(1.0, Metrics.NdcgAtK([2, 4, 5], Relevant, 10), 12);
        // ideal DCG over min(K, |relevant|): one relevant item at rank 1 of K = 10 is perfect
        Assert.Equal(1.0, Metrics.NdcgAtK([7, 8], new HashSet<int> { 7 }, 10), 12);
        Assert.Equal(0.0, Metrics.NdcgAtK([1, 3], Relevant, 2), 12);
    }

    [Fact]
    public void MeanNdcgOverUsersCountsAUserWithoutRelevantItemsAsZero()
    {
        // ML.NET's evaluator over several lists at once: the mean of the hand-computed values, a user without relevant
        // items counted as 0 (as NdcgAtK does), a list shorter than K, and relevant items outside the list in the ideal DCG
        int[][] lists = [Recommended, [9], [5, 6]];
        IReadOnlySet<int>[] relevant = [Relevant, new HashSet<int>(), new HashSet<int> { 6, 7 }];
        var first = (1 / Math.Log2(3) + 1 / Math.Log2(5)) / (1 + 1 / Math.Log2(3) + 1 / Math.Log2(4));
        var third = (1 / Math.Log2(3)) / (1 + 1 / Math.Log2(3));
        Assert.Equal((first + 0 + third) / 3, Metrics.MeanNdcgAtK(lists, relevant, 4), 12);
        Assert.Equal(0.0, Metrics.MeanNdcgAtK([[1]], [new HashSet<int>()], 4));
    }

    [Fact]
    public void AveragePrecisionMatchesHandComputation()
    {
        // precision at the hit ranks: 1/2 and 2/4, normalised by min(K, |relevant|) = 3
        Assert.Equal((0.5 + 0.5) / 3, Metrics.AveragePrecisionAtK(Recommended, Relevant, 4), 12);
        Assert.Equal(1.0, Metrics.AveragePrecisionAtK([5, 2, 4], Relevant, 3), 12);
        // K = 2: denominator min(2, 3) = 2, one hit at rank 2
        Assert.Equal(0.5 / 2, Metrics.AveragePrecisionAtK(Recommended, Relevant, 2), 12);
    }

    [Fact]
    public void RmseAndMae()
    {
        float[] predicted = [3f, 4f, 2f];
        float[] actual = [4f, 4f, 4f];
        Assert.Equal(Math.Sqrt((1 + 0 + 4) / 3.0), Metrics.Rmse(predicted, actual), 6);
        Assert.Equal((1 + 0 + 2) / 3.0, Metrics.Mae(predicted, actual), 6);
        Assert.Throws<ArgumentException>(() => Metrics.Rmse([1f], [1f, 2f]));
    }

    [Fact]
    public void ExpectedCalibrationErrorMatchesHandComputation()
    {
        // bins: [0,0.1): p .05, no like → .05 weight 1/4; [0.1,0.2): mean .15, half liked → .35 weight 2/4; [0.9,1]: .95 liked → .05 weight 1/4
        float[] p = [0.05f, 0.15f, 0.15f, 0.95f];
        bool[] liked = [false, true, false, true];
        Assert.Equal(0.05 / 4 + 0.35 * 2 / 4 + 0.05 / 4, Metrics.ExpectedCalibrationError(p, liked), 6);
        // a perfectly calibrated bin contributes nothing; p = 1 falls in the last bin
        Assert.Equal(0.0, Metrics.ExpectedCalibrationError([1f, 1f], [true, true]), 12);
        // .55 vs half liked and .45 vs half liked: .05 each
        Assert.Equal(0.05, Metrics.ExpectedCalibrationError([0.55f, 0.55f, 0.45f, 0.45f], [true, false, true, false]), 6);
    }
}
