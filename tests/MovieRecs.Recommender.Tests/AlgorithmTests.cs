using MovieRecs.Recommender.Algorithms;
using MovieRecs.Recommender.Data;

namespace MovieRecs.Recommender.Tests;

public class AlgorithmTests
{
    [Fact]
    public void DenseInverseIsTheInverse()
    {
        foreach (var n in new[] { 1, 5, 64, 130 })
        {
            var rng = new Random(n);
            var x = new double[n * 8];
            for (var i = 0; i < x.Length; i++)
                x[i] = rng.NextDouble() - 0.5;
            var a = new float[n * n];
            for (var i = 0; i < n; i++)
                for (var j = 0; j < n; j++)
                {
                    double s = i == j ? 3 : 0;
                    for (var t = 0; t < 8; t++)
                        s += x[i * 8 + t] * x[j * 8 + t];
                    a[i * n + j] = (float)s;
                }
            var inv = (float[])a.Clone();
            DenseSpd.InvertInPlace(inv, n, 2);
            for (var i = 0; i < n; i++)
                for (var j = 0; j < n; j++)
                {
                    double s = 0;
                    for (var k = 0; k < n; k++)
                        s += (double)a[i * n + k] * inv[k * n + j];
                    Assert.InRange(s, (i == j ? 1 : 0) - 1e-4, (i == j ? 1 : 0) + 1e-4);
                }
        }
    }

    [Fact]
    public void DenseInverseRejectsIndefiniteMatrices()
    {
        float[] a = [1, 2, 2, 1];
        Assert.Throws<InvalidOperationException>(() => DenseSpd.InvertInPlace(a, 2, 1));
    }

    [Fact]
    public void LowerProductSumsAreBitForBitThoseOfTheScalarLoop()
    {
        // the fold-in's normal equations depend on it: the vectorised sums must round exactly as the plain loop's
        foreach (var dim in new[] { 1, 3, 4, 15, 16, 17, 64, 65 })
            foreach (var n in new[] { 1, 7, 32 })
            {
                var rng = new Random(dim * 100 + n);
                var u = Enumerable.Range(0, n * dim).Select(_ => rng.NextDouble() - 0.5).ToArray();
                var v = Enumerable.Range(0, n * dim).Select(_ => (double)(float)(rng.NextDouble() * 3)).ToArray();
                var start = Enumerable.Range(0, dim * dim).Select(_ => rng.NextDouble()).ToArray();
                var expected = (double[])start.Clone();
                for (var t = 0; t < n; t++)
                    for (var r = 0; r < dim; r++)
                        for (var c = 0; c <= r; c++)
                            expected[r * dim + c] += u[t * dim + r] * v[t * dim + c];
                var actual = (double[])start.Clone();
                Simd.AddLowerProducts(actual, dim, u, v, n);
                Assert.Equal(expected, actual); // exact: every element, both triangles (the upper one untouched)
            }
    }

    [Fact]
    public void TopKKeepsTheLargestBestFirst()
    {
        var rng = new Random(3);
        var values = Enumerable.Range(0, 1000).Select(_ => (float)Math.Round(rng.NextDouble(), 2)).ToArray();
        var heap = new TopK(25);
        for (var i = 0; i < values.Length; i++)
            heap.Offer(i, values[i]);
        var keys = new int[25];
        var vals = new float[25];
        Assert.Equal(25, heap.DrainBestFirst(keys, vals));
        var expected = Enumerable.Range(0, values.Length).OrderByDescending(i => values[i]).ThenBy(i => i).Take(25).ToArray();
        Assert.Equal(expected, keys);
    }

    /// <summary>20,000 scores uniform on [0, 5), each labelled true with <paramref name="probability"/>(score) (seeded).</summary>
    static (float[] Score, bool[] Label) ScoredLabels(Func<float, double> probability)
    {
        var rng = new Random(5);
        var score = new float[20_000];
        var label = new bool[score.Length];
        for (var i = 0; i < score.Length; i++)
        {
            score[i] = (float)(rng.NextDouble() * 5);
            label[i] = rng.NextDouble() < probability(score[i]);
        }
        return (score, label);
    }

    [Fact]
    public void IsotonicCalibrationIsMonotoneAndCalibrated()
    {
        var (score, label) = ScoredLabels(s => s / 5); // true probability = score / 5
        var cal = IsotonicCalibration.Fit(score, label);
        for (var i = 1; i < cal.Y.Length; i++)
            Assert.True(cal.Y[i] >= cal.Y[i - 1]);
        foreach (var s in new[] { 0.5f, 1.5f, 2.5f, 3.5f, 4.5f })
            Assert.InRange(cal.Map(s), s / 5 - 0.06, s / 5 + 0.06);
        Assert.InRange(cal.Map(-10), 0f, 0.1f);
        Assert.InRange(cal.Map(10), 0.9f, 1f);
    }

    [Fact]
    public void PlattCalibrationRecoversASigmoidAndMapsAsMlNetDoes()
    {
        var (score, label) = ScoredLabels(s => 1 / (1 + Math.Exp(-2 * (s - 3)))); // slope −2, offset 6 in ML.NET's form
        var n = score.Length;
        var platt = PlattCalibration.Fit(score, label, seed: 1)!;
        Assert.InRange(platt.Slope, -2.3, -1.7);
        Assert.InRange(platt.Offset, 5.2, 6.8);
        foreach (var s in new[] { 0.5f, 2f, 3f, 4.5f })
            Assert.InRange(platt.Map(s), 1 / (1 + MathF.Exp(-2 * (s - 3))) - 0.03f, 1 / (1 + MathF.Exp(-2 * (s - 3))) + 0.03f);

        // the served map is ML.NET's own calibrator with the stored parameters
        var ml = new Microsoft.ML.MLContext(1);
        var fixedPlatt = ml.BinaryClassification.Calibrators.Platt(platt.Slope, platt.Offset).Fit(ml.Data.LoadFromEnumerable(new[] { new ScoreRow() }));
        var points = new[] { -1f, 0.5f, 2f, 3f, 4.5f, 9f };
        var probabilities = ml.Data.CreateEnumerable<ProbabilityRow>(
            fixedPlatt.Transform(ml.Data.LoadFromEnumerable(points.Select(p => new ScoreRow { Score = p }))), reuseRowObject: false).ToArray();
        for (var i = 0; i < points.Length; i++)
            Assert.Equal(probabilities[i].Probability, platt.Map(points[i]), 5);

        // one class only: nothing to fit
        Assert.Null(PlattCalibration.Fit(score, new bool[n], seed: 1));
        Assert.Null(PlattCalibration.Fit([], [], seed: 1));
    }

    sealed class ScoreRow
    {
        public float Score { get; set; }
    }

    sealed class ProbabilityRow
    {
        public float Probability { get; set; }
    }

    [Fact]
    public void RatingDataKeepsTheLatestOfDuplicateRatings()
    {
        Rating[] rows = [new(7, 30, 2f, 100), new(7, 10, 4f, 50), new(7, 30, 5f, 300), new(7, 30, 1f, 200), new(3, 10, 3f, 10)];
        var d = RatingData.Build(rows.AsSpan());
        var streamed = RatingData.Build(rows.AsEnumerable()); // values and times from columns, not from the rows
        Assert.Equal(d.UserItems, streamed.UserItems);
        Assert.Equal(d.UserValues, streamed.UserValues);
        Assert.Equal(d.UserTimes, streamed.UserTimes);
        Assert.Equal(2, d.Users);
        Assert.Equal(2, d.Items);
        Assert.Equal(3, d.Count);
        var u7 = d.UserMap.IndexOf(7);
        var row = Enumerable.Range(d.UserPtr[u7], d.UserCount(u7)).Select(p => (d.ItemMap.ExternalId(d.UserItems[p]), d.UserValues[p])).ToArray();
        Assert.Equal([(10, 4f), (30, 5f)], row);
        Assert.Equal((3 + 4 + 5) / 3.0, d.Mean, 6);
    }

    [Fact]
    public void TheRefitOnAllRatingsContinuesTheHoldOutFitsFactors()
    {
        var d = RatingData.Build(Synthetic.Make(users: 200, seed: 4));
        var o = Synthetic.FastOptions with { MfEpochs = 30, MfRefitEpochs = 2 };
        var first = RatingModel.Fit(d, Holdout.Create(d, 0.1, 3), o, 1, 2);
        var firstFactors = first.Mf[0].UserFactors.ToArray();
        var warm = RatingModel.Fit(d, Holdout.None(d), o, 2, 2, warmStart: first.Mf);
        var cold = RatingModel.Fit(d, Holdout.None(d), o with { MfEpochs = 2 }, 2, 2);
        var full = RatingModel.Fit(d, Holdout.None(d), o, 2, 2);
        // the MF's error on all ratings: two epochs from the hold-out fit come near a full fit's, two from scratch do not
        double Rmse(RatingModel m)
        {
            var mf = m.Mf[0];
            double sum = 0;
            for (var u = 0; u < d.Users; u++)
                for (var p = d.UserPtr[u]; p < d.UserPtr[u + 1]; p++)
                {
                    var i = d.UserItems[p];
                    var dot = 0f;
                    for (var f = 0; f < mf.Factors; f++)
                        dot += mf.UserFactors[u * mf.Factors + f] * mf.ItemFactors[i * mf.Factors + f];
                    var e = d.UserValues[p] - (m.Knn.Mean + mf.UserBias[u] + mf.ItemBias[i] + dot);
                    sum += e * e;
                }
            return Math.Sqrt(sum / d.Count);
        }
        // the MF continued from the hold-out fit: its factors stay near that fit's, unlike a fit from scratch
        double Distance(RatingModel m) => m.Mf[0].ItemFactors.Zip(first.Mf[0].ItemFactors, (a, b) => Math.Abs(a - b)).Average();
        Assert.True(Distance(warm) < Distance(full) / 3, $"warm {Distance(warm):F4}, full {Distance(full):F4}");
        Assert.True(Rmse(warm) < Rmse(full) + 0.01, $"warm {Rmse(warm):F4}, full {Rmse(full):F4}");
        Assert.True(Rmse(cold) > Rmse(warm), $"cold {Rmse(cold):F4}, warm {Rmse(warm):F4}");
        Assert.Equal(firstFactors, first.Mf[0].UserFactors); // the start is copied, not changed
        // no warm start when it would not be shorter
        var notShorter = RatingModel.Fit(d, Holdout.None(d), o with { MfRefitEpochs = 30 }, 2, 2, warmStart: first.Mf);
        Assert.Equal(full.Mf[0].ItemFactors, notShorter.Mf[0].ItemFactors);
    }

    [Fact]
    public void HoldoutIsAboutTheAskedShareAndIndependentOfRowOrder()
    {
        var data = Synthetic.Make();
        var d1 = RatingData.Build(data);
        var d2 = RatingData.Build(data.Reverse().ToArray());
        var h1 = Holdout.Create(d1, 0.2, 9);
        var h2 = Holdout.Create(d2, 0.2, 9);
        Assert.Equal(h1.ByUser, h2.ByUser);
        Assert.InRange(h1.Count, d1.Count * 0.15, d1.Count * 0.25);
        Assert.Equal(h1.ByUser.Count(x => x), h1.ByItem.Count(x => x));
    }
    [Fact]
    public void BlockedSgdIsTheSameOnAnyThreadCountAndFitsAsWellAsTheSerialOrder()
    {
        var d = RatingData.Build(Synthetic.Make(users: 400, seed: 3));
        var hold = Holdout.Create(d, 0.2, 5);
        var mean = (float)d.Mean;
        var s = new SgdSettings { Factors = 8, Epochs = 40, LearningRate = 0.03f };
        var one = SgdMatrixFactorization.FitEnsemble(d, hold, mean, s, 1, 9, threads: 1, blocked: true)[0];
        var two = SgdMatrixFactorization.FitEnsemble(d, hold, mean, s, 1, 9, threads: 2, blocked: true)[0];
        var serial = SgdMatrixFactorization.FitEnsemble(d, hold, mean, s, 1, 9, threads: 2, blocked: false)[0];
        Assert.Equal(one.UserFactors, two.UserFactors);
        Assert.Equal(one.ItemFactors, two.ItemFactors);
        Assert.Equal(one.UserBias, two.UserBias);
        Assert.Equal(one.ItemBias, two.ItemBias);
        Assert.NotEqual(one.ItemFactors, serial.ItemFactors);

        double Rmse(MfMember m, bool held)
        {
            double sum = 0;
            var n = 0;
            for (var u = 0; u < d.Users; u++)
                for (var p = d.UserPtr[u]; p < d.UserPtr[u + 1]; p++)
                    if (hold.ByUser[p] == held)
                    {
                        var i = d.UserItems[p];
                        var r = mean + m.UserBias[u] + m.ItemBias[i] + Simd.Dot(m.UserFactors.AsSpan(u * 8, 8), m.ItemFactors.AsSpan(i * 8, 8));
                        sum += (r - d.UserValues[p]) * (r - d.UserValues[p]);
                        n++;
                    }
            return Math.Sqrt(sum / n);
        }
        double meanOnly = Math.Sqrt(Enumerable.Range(0, d.Count).Where(p => hold.ByUser[p]).Average(p => (mean - d.UserValues[p]) * (mean - d.UserValues[p])));
        // every kept rating is visited: the blocked fit learns the training ratings as the serial one does
        Assert.InRange(Rmse(one, held: false), 0, Rmse(serial, held: false) + 0.02);
        Assert.InRange(Rmse(one, held: true), 0, Math.Min(Rmse(serial, held: true) + 0.02, meanOnly - 0.05));
    }

    [Fact]
    public void ItemKnnSimilaritiesAreShrunkCorrelationsOfTheBaselineResiduals()
    {
        // random ratings, 20 % held out: every kept item's list must hold exactly the positive shrunk correlations
        // of the residuals over the users who rated both items outside the hold-out, computed here directly
        var rng = new Random(11);
        var ratings = new List<Rating>();
        for (var u = 0; u < 60; u++)
            foreach (var i in Enumerable.Range(0, 40).OrderBy(_ => rng.Next()).Take(5 + rng.Next(25)))
                ratings.Add(new Rating(u, i, 1 + rng.Next(9) * 0.5f));
        var d = RatingData.Build(ratings.ToArray());
        var hold = Holdout.Create(d, 0.2, 3);
        var settings = new KnnSettings { ListSize = 100, Shrinkage = 10, MaxUserRatings = 1000 };
        var m = ItemKnn.Fit(d, hold, 3f, settings, 7, 2);

        var residual = new Dictionary<(int U, int I), double>();
        for (var u = 0; u < d.Users; u++)
            for (var p = d.UserPtr[u]; p < d.UserPtr[u + 1]; p++)
                if (!hold.ByUser[p])
                    residual[(u, d.UserItems[p])] = d.UserValues[p] - m.Mean - m.UserBias[u] - m.ItemBias[d.UserItems[p]];
        var compared = 0;
        for (var i = 0; i < d.Items; i++)
        {
            var expected = new SortedDictionary<int, double>();
            for (var j = 0; j < d.Items; j++)
            {
                if (j == i)
                    continue;
                double sab = 0, saa = 0, sbb = 0;
                var n = 0;
                for (var u = 0; u < d.Users; u++)
                    if (residual.TryGetValue((u, i), out var a) && residual.TryGetValue((u, j), out var b))
                    {
                        sab += a * b;
                        saa += a * a;
                        sbb += b * b;
                        n++;
                    }
                if (sab > 0 && saa > 0 && sbb > 0)
                    expected[j] = sab / Math.Sqrt(saa * sbb) * (n - 1) / (n - 1 + settings.Shrinkage);
            }
            var got = Enumerable.Range(m.ListPtr[i], m.ListPtr[i + 1] - m.ListPtr[i]).ToArray();
            Assert.Equal(expected.Where(e => e.Value > 1e-6).Select(e => e.Key), got.Select(t => m.ListItems[t]).Where(j => expected.GetValueOrDefault(j) > 1e-6));
            foreach (var t in got)
                Assert.Equal(expected.GetValueOrDefault(m.ListItems[t], double.NaN), m.ListSims[t], 1e-4);
            compared += got.Length;
        }
        Assert.True(compared > 500, $"only {compared} similarities compared");
    }
}
