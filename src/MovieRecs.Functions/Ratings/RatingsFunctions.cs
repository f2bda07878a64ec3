using Microsoft.Azure.Functions.Worker;
using MovieRecs.Functions.Hosting;

namespace MovieRecs.Functions.Ratings;

/// <summary>The Functions entry points of ratings and watch marks: each runs the endpoint of its name (<see cref="FunctionEndpoints"/>).</summary>
public sealed class RatingsFunctions(FunctionEndpoints endpoints)
{
    [Function(nameof(CreateRating))]
    public IResult CreateRating([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "rest/v1/ratings")] HttpRequest request) =>
        endpoints.Run(nameof(CreateRating), request);

    [Function(nameof(GetRating))]
    public IResult GetRating([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "rest/v1/ratings/{ratingId:long}")] HttpRequest request) =>
        endpoints.Run(nameof(GetRating), request);

    [Function(nameof(DeleteRating))]
    public IResult DeleteRating([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "rest/v1/ratings/{ratingId:long}")] HttpRequest request) =>
        endpoints.Run(nameof(DeleteRating), request);

    [Function(nameof(ReplaceRating))]
    public IResult ReplaceRating([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "rest/v1/ratings/{ratingId:long}")] HttpRequest request) =>
        endpoints.Run(nameof(ReplaceRating), request);

    [Function(nameof(UpdateRating))]
    public IResult UpdateRating([HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = "rest/v1/ratings/{ratingId:long}")] HttpRequest request) =>
        endpoints.Run(nameof(UpdateRating), request);

    [Function(nameof(ListRatings))]
    public IResult ListRatings([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "rest/v1/ratings")] HttpRequest request) =>
        endpoints.Run(nameof(ListRatings), request);

    [Function(nameof(GetWatchHistory))]
    public IResult GetWatchHistory([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "rest/v1/users/{id:int}/watch-history")] HttpRequest request) =>
        endpoints.Run(nameof(GetWatchHistory), request);

    [Function(nameof(MarkWatched))]
    public IResult MarkWatched([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "rest/v1/users/{id:int}/watched")] HttpRequest request) =>
        endpoints.Run(nameof(MarkWatched), request);

    [Function(nameof(UnmarkWatched))]
    public IResult UnmarkWatched([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "rest/v1/users/{id:int}/watched/{movieId:int}")] HttpRequest request) =>
        endpoints.Run(nameof(UnmarkWatched), request);

    [Function(nameof(RateMovies))]
    public IResult RateMovies([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "users/{id:int}/ratings")] HttpRequest request) =>
        endpoints.Run(nameof(RateMovies), request);

    [Function(nameof(GetUserRatings))]
    public IResult GetUserRatings([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "users/{id:int}/ratings")] HttpRequest request) =>
        endpoints.Run(nameof(GetUserRatings), request);
}
