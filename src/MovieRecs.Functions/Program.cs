using MovieRecs.Functions;
using MovieRecs.Functions.Admin;
using MovieRecs.Functions.Discovery;
using MovieRecs.Functions.Engine;
using MovieRecs.Functions.Health;
using MovieRecs.Functions.Hosting;
using MovieRecs.Functions.Movies;
using MovieRecs.Functions.Ratings;
using MovieRecs.Functions.Users;

var builder = WebApplication.CreateBuilder(args);

builder.UseFunctionsCustomHandlerPort();
builder.AddApplicationServices();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseCors();

var api = app.MapGroup("/api");
api.MapMovies();
api.MapMovieLists();
api.MapUsers();
api.MapRatings();
api.MapEngine();
api.MapDiscovery();
api.MapSimilarAndClusters();
api.MapFilmes();   // the Portuguese front end's routes
api.MapHealth();
api.MapAdmin();
api.MapApiDocs();
app.MapEngineFunctions(); // queue-triggered functions: invoked by the host at /{name}, no api/ prefix

// `--write-function-metadata DIR` (run by the publish target) writes one function.json per endpoint and exits.
if (FunctionMetadata.TryWriteFromArgs(app, args))
    return;

app.Run();

public partial class Program;
