using Microsoft.Azure.Functions.Worker.Builder;
using MovieRecs.Functions;
using MovieRecs.Functions.Hosting;
using MovieRecs.Functions.Infrastructure;
using MovieRecs.Functions.WebApp;

if (FunctionsHosting.DetectFunctionsHost(args))
{
    // Under the Functions host (func start, Azure): the isolated worker with ASP.NET Core integration. The host routes
    // each request to its [Function] (one class per feature folder), which runs the endpoint of the same name.
    var functions = FunctionsApplication.CreateBuilder(args);
    functions.ConfigureFunctionsWebApplication();
    functions.AddApplicationServices();
    functions.Build().Run();
    return;
}

// Standalone (dotnet run, no Core Tools): the same endpoints on Kestrel at http://localhost:7071, and the training
// queue served by the app's own listener (Engine/TrainingQueueListener).
var builder = WebApplication.CreateBuilder(args);
builder.UseFunctionsDefaultUrl();
builder.AddApplicationServices();

var app = builder.Build();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseCors();
app.UseRateLimiter();
app.UseWebApp();   // the front end at / (under the Functions host: /api/web/)
var deadline = RequestDeadline.From(app.Configuration);
app.Use((http, next) => RequestDeadline.RunAsync(http, deadline, () => next(http)));
app.MapApi();
app.Run();

public partial class Program;
