namespace MovieRecs.Functions.Infrastructure;

/// <summary>
/// How long a request may wait on storage (<c>MovieRecs:RequestDeadlineSeconds</c>, default 8; 0 turns it off). A storage
/// service that stops answering without refusing connections (a frozen process, a network partition) would otherwise
/// hold a request for the SDK's network timeout times its tries: 30 s and more. Past the deadline the request's
/// cancellation token fires, storage calls stop, and the client gets 503 with Retry-After, within the 10 s it is promised.
/// </summary>
public static class RequestDeadline
{
    public static TimeSpan From(IConfiguration configuration) =>
        TimeSpan.FromSeconds(configuration.GetValue("MovieRecs:RequestDeadlineSeconds", 8.0));

    /// <summary>Runs <paramref name="next"/> with <see cref="HttpContext.RequestAborted"/> also cancelled after <paramref name="deadline"/>.</summary>
    public static async Task RunAsync(HttpContext http, TimeSpan deadline, Func<Task> next)
    {
        if (deadline <= TimeSpan.Zero)
        {
            await next();
            return;
        }
        var aborted = http.RequestAborted;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        timeout.CancelAfter(deadline);
        http.RequestAborted = timeout.Token;
        try
        {
            await next();
        }
        catch (OperationCanceledException e) when (timeout.IsCancellationRequested && !aborted.IsCancellationRequested)
        {
            throw new ServiceUnavailableException($"Storage did not answer within {deadline.TotalSeconds:0.#} s; retry shortly.", e);
        }
        finally
        {
            http.RequestAborted = aborted;
        }
    }
}
