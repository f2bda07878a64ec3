using System.Net.Sockets;
using Azure;
using Microsoft.AspNetCore.Diagnostics;

namespace MovieRecs.Functions.Infrastructure;

/// <summary>Thrown when a dependency (storage, the catalog not loaded yet) cannot serve right now.</summary>
public sealed class ServiceUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Maps failures to problem responses: storage unreachable → 503 with Retry-After (clients retry and
/// we recover by ourselves when storage returns); malformed requests → their 4xx. Anything else
/// falls through to the default 500 handler.
/// </summary>
public sealed class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken cancellationToken)
    {
        int status;
        string title, detail;
        if (exception is BadHttpRequestException bad)
        {
            (status, title, detail) = (bad.StatusCode, "Bad request", bad.Message);
        }
        else if (IsUnavailable(exception))
        {
            logger.LogWarning("Storage unavailable: {Message}", exception.Message);
            (status, title, detail) = (StatusCodes.Status503ServiceUnavailable, "Service unavailable",
                exception is ServiceUnavailableException ? exception.Message : "Storage is unreachable right now; retry shortly.");
            http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString();
        }
        else
        {
            return false;
        }

        http.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            Exception = exception,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
    }

    /// <summary>Storage down or overloaded: transport failures, timeouts and 5xx/408/429 after retries.</summary>
    public static bool IsUnavailable(Exception exception) => exception switch
    {
        ServiceUnavailableException => true,
        RequestFailedException r => r.Status is 0 or 408 or 429 or >= 500 || r.InnerException is not null && IsUnavailable(r.InnerException),
        HttpRequestException or SocketException or TimeoutException => true,
        AggregateException a => a.InnerExceptions.All(IsUnavailable),
        OperationCanceledException o => o.InnerException is TimeoutException,
        _ => exception.InnerException is not null && IsUnavailable(exception.InnerException),
    };
}
