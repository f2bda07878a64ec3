using MovieRecs.Functions;
using MovieRecs.Functions.Admin;
using MovieRecs.Functions.Health;
using MovieRecs.Functions.Hosting;
using MovieRecs.Functions.Movies;

var builder = WebApplication.CreateBuilder(args);

builder.UseFunctionsCustomHandlerPort();
builder.AddApplicationServices();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseCors();

var api = app.MapGroup("/api");
api.MapMovies();
api.MapHealth();
api.MapAdmin();
api.MapApiDocs();

// `--write-function-metadata DIR` (run by the publish target) writes one function.json per endpoint and exits.
if (FunctionMetadata.TryWriteFromArgs(app, args))
    return;

app.Run();

public partial class Program;
