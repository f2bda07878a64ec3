using Microsoft.Azure.Functions.Worker;
using MovieRecs.Functions.Hosting;

namespace MovieRecs.Functions.Preferences;

/// <summary>The Functions entry points of preferences: each runs the endpoint of its name (<see cref="FunctionEndpoints"/>).</summary>
public sealed class PreferencesFunctions(FunctionEndpoints endpoints)
{
    [Function(nameof(SetPreference))]
    public IResult SetPreference([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "users/{id:int}/preferences")] HttpRequest request) =>
        endpoints.Run(nameof(SetPreference), request);

    [Function(nameof(GetPreferences))]
    public IResult GetPreferences([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "users/{id:int}/preferences")] HttpRequest request) =>
        endpoints.Run(nameof(GetPreferences), request);

    [Function(nameof(GetWatchlist))]
    public IResult GetWatchlist([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "users/{id:int}/watchlist")] HttpRequest request) =>
        endpoints.Run(nameof(GetWatchlist), request);
}
