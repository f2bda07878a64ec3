namespace MovieRecs.Functions.Discovery;

public static class DiscoveryServices
{
    public static void AddDiscovery(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<UserHistories>();
        services.AddSingleton<ClusterSource>();   // the served model's clusters (tests substitute their own)
        services.AddSingleton<SimilarMoviesSource>();   // CatalogSync warms its content index with every catalog load
        services.AddSingleton<PersonalStrategies>();
        // Owns the RatingActivity that RatingStore.Activity records into; CatalogSync reloads it with the catalog.
        services.AddSingleton<TrendingFeed>();
    }
}
