using MovieRecs.Core.Store;
using MovieRecs.Core.Azurite;

namespace MovieRecs.Functions.Tests;

/// <summary>
/// Two <see cref="RatingStore"/> instances on one storage, driven step by step: what one instance remembers must never
/// confirm a decision the other instance's writes have made stale.
/// </summary>
public sealed class RatingStoreTwoInstanceTests : IAsyncLifetime
{
    AzuriteProcess _azurite = null!;
    MovieStore _store = null!;

    public async Task InitializeAsync()
    {
        _azurite = await AzuriteProcess.StartAsync(new AzuriteOptions { InMemory = true });
        _store = new MovieStore(_azurite.ConnectionString);
        await _store.CreateIfNotExistsAsync();
    }

    public async Task DisposeAsync() => await _azurite.DisposeAsync();

    [Fact]
    public async Task A_rating_remembered_by_one_instance_and_deleted_through_another_is_written_again_not_confirmed_from_memory()
    {
        const int movie = 7;
        const int user = 5, neighbour = user + MovieStore.RatingPartitions;   // same partition: their writes share transactions
        var a = new RatingStore(_store);
        var b = new RatingStore(_store);

        await a.RateAsync(user, movie, 4, 1_700_000_000);
        await a.GetUserRowsAsync(user, TimeSpan.FromMinutes(5));                 // A remembers the user's rows (4.0)
        Assert.Equal(PairOutcome.Removed, (await b.RemoveRatingAsync(user, movie)).Outcome);
        await a.LoadAllStatsAsync();                                              // A learns the partial row B wrote

        // The same value again through A, in one commit with a neighbour's new rating of the movie: A's memory says
        // "unchanged", but the pair is gone; the neighbour's commit must not confirm that.
        var results = await Task.WhenAll(a.RateAsync(user, movie, 4, 1_700_000_100), a.RateAsync(neighbour, movie, 3, 1_700_000_100));

        Assert.Equal(PairOutcome.Created, results[0].Outcome);
        Assert.Equal(4, (await a.GetPairAsync(user, movie))?.Rating);
        var (recount, stored) = await Stored.RecountAsync(_store, movie);
        Assert.Equal(recount, stored);
        Assert.Equal(2, stored.Count);
        var (logged, _) = await _store.Log.ReadRatingsAsync();
        Assert.Contains(logged, r => r.UserId == user && r.MovieId == movie && r.Rating == 4);
    }
}
