using System.Collections.Concurrent;
using System.Diagnostics;
using Xunit.Abstractions;

namespace MovieRecs.Functions.Tests.Reliability;

/// <summary>One request as a client saw it; <see cref="Status"/> 0 when no answer came (connection refused, reset, timed out).</summary>
public sealed record Outcome(string Kind, TimeSpan Start, TimeSpan End, int Status, bool RetryAfter, string? MediaType, string? Error)
{
    public bool Ok => Status is >= 200 and < 300;
    public TimeSpan Duration => End - Start;
    public override string ToString() =>
        $"{Kind} at {Start.TotalSeconds:F2} s: {(Status == 0 ? Error : Status.ToString())} in {Duration.TotalMilliseconds:F0} ms";
}

/// <summary>Sends requests and keeps every outcome on one clock, so a test can ask what clients saw in any time window.</summary>
public sealed class RequestRecorder
{
    readonly Stopwatch _clock = Stopwatch.StartNew();
    readonly ConcurrentQueue<Outcome> _outcomes = new();

    public TimeSpan Now => _clock.Elapsed;

    public IReadOnlyList<Outcome> Outcomes => [.. _outcomes];

    public async Task<Outcome> SendAsync(HttpClient client, string kind, Func<HttpRequestMessage> request)
    {
        var start = Now;
        Outcome outcome;
        try
        {
            using var response = await client.SendAsync(request());
            await response.Content.LoadIntoBufferAsync();
            outcome = new Outcome(kind, start, Now, (int)response.StatusCode, response.Headers.RetryAfter is not null,
                response.Content.Headers.ContentType?.MediaType, null);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            outcome = new Outcome(kind, start, Now, 0, false, null, e.GetType().Name + ": " + e.Message);
        }
        _outcomes.Enqueue(outcome);
        return outcome;
    }

    public Task<Outcome> GetAsync(HttpClient client, string kind, string url) =>
        SendAsync(client, kind, () => new HttpRequestMessage(HttpMethod.Get, url));

    public Task<Outcome> PostJsonAsync(HttpClient client, string kind, string url, string json) =>
        SendAsync(client, kind, () => new HttpRequestMessage(HttpMethod.Post, url) { Content = Api.Json(json) });
}

/// <summary>The figures every fault test prints in one line, which docs/reliability.md copies from a run.</summary>
public static class FaultFigures
{
    public static void Print(ITestOutputHelper output, string fault, string outageSeenByClients, string timeToRecover, string requestsFailed,
        int writesLost, int writesAcknowledged)
    {
        output.WriteLine($"FIGURES | {fault} | outage seen by clients: {outageSeenByClients} | time to recover: {timeToRecover} | "
            + $"requests failed: {requestsFailed} | writes lost: {writesLost} of {writesAcknowledged} acknowledged");
    }

    public static string Failed(int failed, int requests) => $"{failed} of {requests}";

    public static string Seconds(TimeSpan t) => $"{t.TotalSeconds:F1} s";
}
