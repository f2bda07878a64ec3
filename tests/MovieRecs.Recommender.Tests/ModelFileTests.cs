using MovieRecs.Recommender.Serialization;

namespace MovieRecs.Recommender.Tests;

public class ModelFileTests
{
    static byte[] Bytes(RecommenderModel model)
    {
        using var ms = new MemoryStream();
        model.Save(ms);
        return ms.ToArray();
    }

    [Fact]
    public void SameDataAndSeedGiveIdenticalBytesWhateverTheThreadCount()
    {
        var data = Synthetic.Make();
        var a = Bytes(RecommenderModel.Train(data, Synthetic.FastOptions with { Threads = 2 }));
        var b = Bytes(RecommenderModel.Train(data, Synthetic.FastOptions with { Threads = 2 }));
        var c = Bytes(RecommenderModel.Train(data, Synthetic.FastOptions with { Threads = 1 }));
        Assert.Equal(a, b);
        Assert.Equal(a, c);
        // the row order does not matter either (ids are mapped in ascending order, duplicates keep the latest)
        var d = Bytes(RecommenderModel.Train(data.Reverse().ToArray(), Synthetic.FastOptions));
        Assert.Equal(a, d);
        // nor whether the rows are held (a span) or streamed
        Assert.Equal(Bytes(RecommenderModel.Train(data.AsSpan(), Synthetic.FastOptions)), Bytes(RecommenderModel.Train(data.AsEnumerable(), Synthetic.FastOptions)));
    }

    [Fact]
    public void ATrainedModelReportsItsRatingHoldOutAndALoadedOneDoesNot()
    {
        var data = Synthetic.Make();
        var model = RecommenderModel.Train(data, Synthetic.FastOptions);
        var holdout = model.RatingHoldout!;
        // the rating model's hold-out is a tenth of the ratings, measured before the refit on all of them
        Assert.InRange(holdout.Ratings, data.Length / 20, data.Length / 5);
        Assert.InRange(holdout.Rmse, 0.05, 1.5);
        Assert.InRange(holdout.Mae, 0.01, holdout.Rmse);
        Assert.InRange(holdout.Ece, 0, 0.2);
        using var ms = new MemoryStream();
        model.Save(ms);
        ms.Position = 0;
        Assert.Null(RecommenderModel.Load(ms).RatingHoldout);
    }

    [Fact]
    public void AnotherSeedGivesAnotherModel()
    {
        var data = Synthetic.Make();
        var a = Bytes(RecommenderModel.Train(data, Synthetic.FastOptions));
        var b = Bytes(RecommenderModel.Train(data, Synthetic.FastOptions with { Seed = 7 }));
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void RoundTripKeepsEveryAnswer()
    {
        var data = Synthetic.Make();
        var model = RecommenderModel.Train(data, Synthetic.FastOptions);
        var bytes = Bytes(model);
        var loaded = RecommenderModel.Load(new MemoryStream(bytes));

        Assert.Equal(bytes, Bytes(loaded));
        Assert.Equal(model.Options with { Threads = 0 }, loaded.Options); // the thread count is not stored: it does not change the model
        Assert.Equal(model.UserIds, loaded.UserIds);
        Assert.Equal(model.MovieIds, loaded.MovieIds);
        int[] users = [1, 2, 3, 50, 199, 100_000];
        var movies = model.MovieIds.Take(40).Append(999_999).ToArray();
        foreach (var u in users)
        {
            foreach (var m in movies)
            {
                Assert.Equal(model.PredictRating(u, m), loaded.PredictRating(u, m));
                Assert.Equal(model.LikeProbability(u, m), loaded.LikeProbability(u, m));
            }
            Assert.Equal(model.Recommend(u, 10), loaded.Recommend(u, 10));
        }
        foreach (var m in movies)
            Assert.Equal(model.ItemVector(m).ToArray(), loaded.ItemVector(m).ToArray());
        (int, float)[] fresh = [(Synthetic.Movie(1, 0), 5f), (Synthetic.Movie(1, 1), 4.5f)];
        Assert.Equal(model.Recommend(model.FoldIn(fresh), 10), loaded.Recommend(loaded.FoldIn(fresh), 10));
    }

    [Fact]
    public void LikeProbabilitiesComeFromTheSigmoidAndAModelWithoutItKeepsItsIsotonicMap()
    {
        var data = Synthetic.Make();
        var model = RecommenderModel.Train(data, Synthetic.FastOptions);
        var platt = model.Rating.Platt;
        Assert.NotNull(platt);
        int[] users = [1, 2, 3, 50];
        var movies = model.MovieIds.Take(20).ToArray();
        foreach (var u in users)
            foreach (var m in movies)
                Assert.Equal(platt.Map(model.PredictRating(u, m)), model.LikeProbability(u, m));

        // a model trained before the sigmoid (no section 8) answers with the isotonic map it was saved with
        model.Rating.Platt = null;
        var old = RecommenderModel.Load(new MemoryStream(Bytes(model)));
        Assert.Null(old.Rating.Platt);
        var differs = false;
        foreach (var u in users)
            foreach (var m in movies)
            {
                var p = old.LikeProbability(u, m);
                Assert.Equal(model.Rating.Calibration.Map(model.PredictRating(u, m)), p);
                differs |= Math.Abs(p - platt.Map(model.PredictRating(u, m))) > 1e-4;
            }
        Assert.True(differs);
    }

    [Fact]
    public void SaveAndLoadByPath()
    {
        using var dir = new TempDir();
        var model = RecommenderModel.Train(Synthetic.Make(50), Synthetic.FastOptions);
        model.Save(dir.File("m.bin"));
        var loaded = RecommenderModel.Load(dir.File("m.bin"));
        Assert.Equal(model.PredictRating(1, Synthetic.Movie(1, 1)), loaded.PredictRating(1, Synthetic.Movie(1, 1)));
    }

    [Fact]
    public void NewerFormatVersionIsRejectedClearly()
    {
        var bytes = Bytes(RecommenderModel.Train(Synthetic.Make(50), Synthetic.FastOptions));
        // the version follows the 8-byte magic
        BitConverter.TryWriteBytes(bytes.AsSpan(8, 4), RecommenderModel.FormatVersion + 1);
        var e = Assert.Throws<ModelFormatException>(() => RecommenderModel.Load(new MemoryStream(bytes)));
        Assert.Equal($"model format version {RecommenderModel.FormatVersion + 1} is newer than this reader (max {RecommenderModel.FormatVersion})", e.Message);
    }

    [Fact]
    public void ForeignAndTruncatedFilesAreRejected()
    {
        var e = Assert.Throws<ModelFormatException>(() => RecommenderModel.Load(new MemoryStream("userId,movieId\n1,2\n"u8.ToArray())));
        Assert.Contains("not a MovieRecs model file", e.Message);
        var bytes = Bytes(RecommenderModel.Train(Synthetic.Make(50), Synthetic.FastOptions));
        foreach (var cut in new[] { 12, bytes.Length / 3, bytes.Length - 5 })
            Assert.Throws<ModelFormatException>(() => RecommenderModel.Load(new MemoryStream(bytes[..cut])));
    }

    [Fact]
    public void UnknownSectionsAreSkipped()
    {
        var bytes = Bytes(RecommenderModel.Train(Synthetic.Make(50), Synthetic.FastOptions));
        // insert a section with an unknown tag before the end marker (the last 4 bytes)
        var extra = new MemoryStream();
        var w = new BinaryWriter(extra);
        w.Write(99);
        w.Write(3L);
        w.Write((byte)1);
        w.Write((byte)2);
        w.Write((byte)3);
        var patched = bytes[..^4].Concat(extra.ToArray()).Concat(bytes[^4..]).ToArray();
        var loaded = RecommenderModel.Load(new MemoryStream(patched));
        Assert.Equal(Bytes(loaded), bytes);
    }
}
