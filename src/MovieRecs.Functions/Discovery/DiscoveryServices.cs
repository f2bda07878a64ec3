namespace MovieRecs.Functions.Discovery;

public static class DiscoveryServices
{
    public static void AddDiscovery(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<UserHistories>();
        services.AddSingleton<ClusterSource>();   // SEAM (clusters): see ClusterSource
        services.AddSingleton<PersonalStrategies>();
        // Owns the RatingActivity that RatingStore.Activity records into; CatalogSync reloads it with the catalog.
        services.AddSingleton<TrendingFeed>();
    }
}
