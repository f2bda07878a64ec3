using System.Net;
using MovieRecs.Core.Catalog;
using MovieRecs.Core.MovieLens;
using MovieRecs.Core.Store;
using MovieRecs.Core.Azurite;

namespace MovieRecs.Functions.Tests;

/// <summary>User ids: unique across instances sharing storage, above imported ones, never reused.</summary>
public sealed class IdAllocationTests : IAsyncLifetime
{
    AzuriteProcess _azurite = null!;
    MovieStore _store = null!;

    public async Task InitializeAsync()
    {
        _azurite = await AzuriteProcess.StartAsync(new AzuriteOptions { InMemory = true });
        _store = new MovieStore(_azurite.ConnectionString);
    }

    public async Task DisposeAsync() => await _azurite.DisposeAsync();

    static ImportData Data(params int[] userIds) => new("ids-test",
        [Movie.Create(1, "A (2000)", "Drama"), Movie.Create(2, "B (2001)", "Drama")],
        userIds.Select((u, i) => new RatingRow(u, 1 + i % 2, 4f, 1_700_000_000 + i)).ToList());

    [Fact]
    public async Task Two_instances_hand_out_unique_ids_above_the_imported_users_and_a_restart_never_reuses_one()
    {
        await new CatalogImporter(_store).ImportAsync(Data(3, 17, 4200), replace: false);
        Assert.Equal(4201, await IdBlockAllocator.PeekAsync(_store.Meta, UserStore.UserSequence));

        var settings = new Dictionary<string, string?> { ["MovieRecs:UserIdBlockSize"] = "7" };
        await using var a = new MovieRecsFactory(_azurite.ConnectionString, seed: false, settings: settings);
        var b = new MovieRecsFactory(_azurite.ConnectionString, seed: false, settings: settings);
        var clientA = await a.CreateReadyClientAsync();
        var clientB = await b.CreateReadyClientAsync();

        var ids = await Task.WhenAll(Enumerable.Range(0, 80).Select(i => (i % 2 == 0 ? clientA : clientB).CreateUserAsync()));
        Assert.Equal(ids.Length, ids.Distinct().Count());
        Assert.All(ids, id => Assert.True(id > 4200, $"id {id} not above the imported users"));
        // Blocks of 7 per instance: a few dozen ids, not one counter write each.
        Assert.True(await IdBlockAllocator.PeekAsync(_store.Meta, UserStore.UserSequence) <= 4201 + 80 + 2 * 7);

        // B stops with part of its block unused; a new instance starts above everything reserved so far.
        var reservedBefore = await IdBlockAllocator.PeekAsync(_store.Meta, UserStore.UserSequence);
        await b.DisposeAsync();
        await using var c = new MovieRecsFactory(_azurite.ConnectionString, seed: false, settings: settings);
        var fresh = await (await c.CreateReadyClientAsync()).CreateUserAsync();
        Assert.DoesNotContain(fresh, ids);
        Assert.True(fresh >= reservedBefore, $"{fresh} reuses an id below {reservedBefore}");
    }

    [Fact]
    public async Task Import_raises_the_id_sequence_never_lowers_it_and_ids_an_instance_reserved_earlier_are_skipped()
    {
        await using var app = new MovieRecsFactory(_azurite.ConnectionString, seed: false, settings: new Dictionary<string, string?> { ["MovieRecs:UserIdBlockSize"] = "50" });
        await new CatalogImporter(_store).ImportAsync(Data(1, 2, 10), replace: false);
        var client = await app.CreateReadyClientAsync();
        var first = await client.CreateUserAsync();              // reserves 11..60
        Assert.Equal(11, first);

        // An import brings users 12 and 13 (inside the block the instance holds) and 500.
        await new CatalogImporter(_store).ImportAsync(Data(1, 2, 10, 12, 13, 500), replace: false);
        Assert.Equal(501, await IdBlockAllocator.PeekAsync(_store.Meta, UserStore.UserSequence));
        var next = await client.CreateUserAsync();
        var after = await client.CreateUserAsync();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/rest/v1/users/12")).StatusCode);
        Assert.NotEqual(12, next);
        Assert.NotEqual(13, next);
        Assert.True(next is > 13, $"{next}");                       // the taken id made the instance drop its block
        Assert.True(after > next);

        // A later import of smaller ids leaves the sequence alone.
        await new CatalogImporter(_store).ImportAsync(Data(1, 2, 3), replace: false);
        Assert.True(await IdBlockAllocator.PeekAsync(_store.Meta, UserStore.UserSequence) >= 501);
    }

    [Fact]
    public async Task A_store_without_a_sequence_row_starts_above_its_largest_user()
    {
        await new CatalogImporter(_store).ImportAsync(Data(5, 77), replace: false);
        await _store.Meta.DeleteEntityAsync(IdBlockAllocator.Partition, UserStore.UserSequence);   // as a store imported before ids existed
        var users = new UserStore(_store, blockSize: 5);
        Assert.Equal(78, (await users.CreateAsync("x")).Id);
        Assert.Equal(79, (await users.CreateAsync(null)).Id);
    }

    [Fact]
    public async Task Import_recounts_partitions_holding_watch_marks_and_api_ratings()
    {
        await new CatalogImporter(_store).ImportAsync(Data(1, 2), replace: false);
        var ratings = new RatingStore(_store);
        await ratings.WatchAsync(7, 1, 1_700_000_100);   // watched only
        await ratings.WatchAsync(8, 1, 1_700_000_100);
        await ratings.RateAsync(9, 1, 2.5, 1_700_000_100);

        // The file rates movie 1 for user 7 (who had only watched it) and adds user 11.
        var data = new ImportData("ids-test",
            [Movie.Create(1, "A (2000)", "Drama"), Movie.Create(2, "B (2001)", "Drama")],
            [new RatingRow(1, 1, 4f, 1), new RatingRow(2, 2, 4f, 2), new RatingRow(7, 1, 3f, 3), new RatingRow(11, 1, 5f, 4)]);
        await new CatalogImporter(_store).ImportAsync(data, replace: false);

        var (recount, stats) = await Stored.RecountAsync(_store, 1);
        Assert.Equal(recount, stats);
        Assert.Equal(new MovieStats(4, 8 + 6 + 5 + 10, 5), stats);   // users 1, 7, 9, 11 rated; 8 watched only
        Assert.Equal(3, (await Stored.UserRatingsAsync(_store, 7))[1]);

        // And the API keeps it exact from there.
        await ratings.RemoveRatingAsync(9, 1);
        await ratings.UnwatchAsync(8, 1);
        (recount, stats) = await Stored.RecountAsync(_store, 1);
        Assert.Equal(recount, stats);
        Assert.Equal(new MovieStats(3, 8 + 6 + 10, 3), stats);
    }
}
