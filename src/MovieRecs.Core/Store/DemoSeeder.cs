using MovieRecs.Core.Demo;

namespace MovieRecs.Core.Store;

/// <summary>Fills an empty store with the project's own demo catalog and synthetic ratings.</summary>
public static class DemoSeeder
{
    public const int DemoUsers = 320, DemoSeed = 7;

    /// <summary>Seeds only when the store has never held a catalog; returns whether it did.</summary>
    public static async Task<bool> SeedIfEmptyAsync(MovieStore store, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await store.CreateIfNotExistsAsync(cancellationToken);
        if (await store.GetCatalogStateAsync(cancellationToken) is not null)
            return false;
        var data = new ImportData(CatalogState.DemoSource, DemoData.Movies(), DemoData.Ratings(DemoUsers, DemoSeed, now));
        await new CatalogImporter(store).ImportAsync(data, replace: false, cancellationToken: cancellationToken);
        return true;
    }
}
