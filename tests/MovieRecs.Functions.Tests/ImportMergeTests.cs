using MovieRecs.Core.Azurite;
using MovieRecs.Core.Catalog;
using MovieRecs.Core.MovieLens;
using MovieRecs.Core.Store;

namespace MovieRecs.Functions.Tests;

/// <summary>An import into a catalog that users already rated (not --replace) merges the file's ratings into the stored ones.</summary>
public sealed class ImportMergeTests : IAsyncLifetime
{
    AzuriteProcess _azurite = null!;
    MovieStore _store = null!;

    public async Task InitializeAsync()
    {
        _azurite = await AzuriteProcess.StartAsync(new AzuriteOptions { InMemory = true });
        _store = new MovieStore(_azurite.ConnectionString);
    }

    public async Task DisposeAsync() => await _azurite.DisposeAsync();

    static ImportData Data(double rating) => new("merge-test",
        [Movie.Create(1, "A (2000)", "Drama"), Movie.Create(2, "B (2001)", "Drama")],
        [new RatingRow(5, 1, (float)rating, 1_700_000_000), new RatingRow(6, 2, 3f, 1_700_000_001)]);

    [Fact]
    public async Task A_re_import_that_changes_a_rating_keeps_the_review_the_user_wrote()
    {
        await new CatalogImporter(_store).ImportAsync(Data(4), replace: false);
        var ratings = new RatingStore(_store);
        await ratings.ApplyAsync(1, new PairChange(5, PairChangeKind.Edit, double.NaN, 1_700_000_100, "Better the second time."));
        Assert.Equal("Better the second time.", (await Stored.RowAsync(_store, 5, 1))!.GetString(RatingRows.Review));

        await new CatalogImporter(_store).ImportAsync(Data(2.5), replace: false);
        var row = (await Stored.RowAsync(_store, 5, 1))!;
        Assert.Equal(2.5, row.GetDouble(RatingRows.Rating));
        Assert.Equal("Better the second time.", row.GetString(RatingRows.Review));
        Assert.Null((await Stored.RowAsync(_store, 6, 2))!.GetString(RatingRows.Review));
    }
}
