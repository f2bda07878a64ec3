using MovieRecs.Recommender.Algorithms;
using MovieRecs.Recommender.Data;
using Xunit.Abstractions;

namespace MovieRecs.Recommender.Tests;

public class ImplicitAlsTests(ITestOutputHelper output)
{
    const int Tastes = 8;
    const int MoviesPerTaste = 2500;
    const int Blockbusters = 200;

    /// <summary>
    /// Large and sparse implicit data of rank 1 + <see cref="Tastes"/>: every user watches a few blockbusters (the shared
    /// popularity direction) and movies of one taste group, uniformly. The taste directions stand above the sampling
    /// noise but below the frequency-scaled threshold of λ = 0.01 (which grows with √(users·movies)).
    /// </summary>
    static RatingData SparseLowRank(int users = 2000, int perTaste = 40, int perUserBlockbusters = 10)
    {
        var rng = new Random(5);
        var list = new List<Rating>();
        for (var u = 0; u < users; u++)
        {
            var taste = u % Tastes;
            foreach (var k in Pick(MoviesPerTaste, perTaste))
                list.Add(new Rating(u, taste * MoviesPerTaste + k, rng.NextDouble() < 0.5 ? 4f : 5f));
            foreach (var k in Pick(Blockbusters, perUserBlockbusters))
                list.Add(new Rating(u, Tastes * MoviesPerTaste + k, rng.NextDouble() < 0.5 ? 4f : 5f));
        }
        return RatingData.Build(list.ToArray());

        IEnumerable<int> Pick(int n, int count)
        {
            var chosen = new HashSet<int>();
            while (chosen.Count < count)
                chosen.Add(rng.Next(n));
            return chosen;
        }
    }

    /// <summary>Mean cosine of the item vectors of taste-group movies within a group and across groups.</summary>
    static (double Within, double Across) TasteCosines(RatingData d, float[] items, int k)
    {
        var movies = Enumerable.Range(0, d.Items).Where(i => d.ItemMap.ExternalId(i) < Tastes * MoviesPerTaste && d.ItemCount(i) >= 3).ToArray();
        var rng = new Random(1);
        double within = 0, across = 0;
        int nWithin = 0, nAcross = 0;
        for (var t = 0; t < 20000; t++)
        {
            int a = movies[rng.Next(movies.Length)], b = movies[rng.Next(movies.Length)];
            if (a == b)
                continue;
            var va = items.AsSpan(a * k, k);
            var vb = items.AsSpan(b * k, k);
            var cos = Simd.Dot(va, vb) / Math.Sqrt((double)Simd.Dot(va, va) * Simd.Dot(vb, vb));
            if (d.ItemMap.ExternalId(a) / MoviesPerTaste == d.ItemMap.ExternalId(b) / MoviesPerTaste)
            {
                within += cos;
                nWithin++;
            }
            else
            {
                across += cos;
                nAcross++;
            }
        }
        return (within / nWithin, across / nAcross);
    }

    [Fact]
    public void SparseLargeDataKeepsItsTasteDirections()
    {
        var d = SparseLowRank();
        var settings = new ImplicitAlsSettings { Factors = 16, Iterations = 8 };
        var capped = ImplicitAls.EffectiveRegularization(d, settings);
        Assert.True(capped < settings.Regularization, $"λ {capped} should be capped on this sparse set");

        // Rendle's λ unchanged: only the blockbusters' direction survives, every movie points the same way
        var (_, uncapped) = ImplicitAls.Fit(d, settings with { NoiseEdgeShare = float.PositiveInfinity }, 3, 2);
        var before = TasteCosines(d, uncapped, settings.Factors);
        var (_, items) = ImplicitAls.Fit(d, settings, 3, 2);
        var after = TasteCosines(d, items, settings.Factors);
        output.WriteLine($"λ {settings.Regularization} -> {capped}; cosine within/across taste groups: uncapped {before.Within:F3}/{before.Across:F3}, capped {after.Within:F3}/{after.Across:F3}");

        Assert.True(before.Across > 0.9, "the uncapped fit should collapse on this set (else the test proves nothing)");
        Assert.True(after.Within - after.Across > 0.5, "movies of one taste group should point together and away from the others");
        Assert.True(after.Across < 0.3);
    }

    [Fact]
    public void DenseDataKeepsItsRegularisationExactly()
    {
        // the cap only ever lowers λ, and ml-latest-small-like density (here about 18 % of the matrix) leaves it bit for bit
        var d = RatingData.Build(Synthetic.Make());
        var settings = new ImplicitAlsSettings();
        Assert.Equal(settings.Regularization, ImplicitAls.EffectiveRegularization(d, settings));
        Assert.Equal(0.05f, ImplicitAls.EffectiveRegularization(d, settings with { Regularization = 0.05f }));
    }

    [SplitsFact]
    public void MovieLensSmallSplitsKeepTheirRegularisation()
    {
        // the product's λ was tuned on these: the cap must not move them (every split sits at 0.45-0.48 noise edges)
        foreach (var split in new[] { "rating", "rank", "rating-time", "rank-time" })
        {
            var d = RatingData.Build(TestData.Load($"{split}.train.csv"));
            Assert.Equal(0.01f, ImplicitAls.EffectiveRegularization(d, new ImplicitAlsSettings()));
        }
    }
}
