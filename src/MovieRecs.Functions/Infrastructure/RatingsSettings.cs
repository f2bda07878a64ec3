namespace MovieRecs.Functions.Infrastructure;

/// <summary>Tunables of the rating features (configuration section "MovieRecs").</summary>
/// <param name="UserCacheMaxAge">How long an instance serves a user's ratings from memory before reading them again
/// (writes through the same instance show at once; through other instances within twice this time: between one and two
/// ages the copy is served while it is re-read in the background). MovieRecs:UserRatingsCacheSeconds, default 10: each re-read is a query per user, and at 2 s the re-reads of a few hundred active users cost storage and the app more than the requests did.</param>
/// <param name="UserCacheMaxUsers">Users whose ratings an instance keeps in memory. MovieRecs:UserRatingsCacheUsers, default 5000.</param>
/// <param name="UserCacheMaxRows">Ratings and marks (all users) an instance keeps in memory. MovieRecs:UserRatingsCacheRows, default 500000.</param>
/// <param name="StatsRefresh">How often every movie's aggregates are re-read, so writes through other instances reach
/// this one's lists. MovieRecs:StatsRefreshSeconds, default 15.</param>
/// <param name="PopularMinVotes">Ratings a movie needs to be listed as popular. MovieRecs:PopularMinVotes, default 5.</param>
/// <param name="UserIdBlockSize">User ids an instance reserves at a time. MovieRecs:UserIdBlockSize, default 50.</param>
public sealed record RatingsSettings(TimeSpan UserCacheMaxAge, int UserCacheMaxUsers, int UserCacheMaxRows, TimeSpan StatsRefresh, int PopularMinVotes, int UserIdBlockSize)
{
    public static RatingsSettings From(IConfiguration configuration) => new(
        TimeSpan.FromSeconds(configuration.GetValue("MovieRecs:UserRatingsCacheSeconds", 10.0)),
        configuration.GetValue("MovieRecs:UserRatingsCacheUsers", 5000),
        configuration.GetValue("MovieRecs:UserRatingsCacheRows", 500_000),
        TimeSpan.FromSeconds(configuration.GetValue("MovieRecs:StatsRefreshSeconds", 15.0)),
        configuration.GetValue("MovieRecs:PopularMinVotes", 5),
        configuration.GetValue("MovieRecs:UserIdBlockSize", 50));
}
