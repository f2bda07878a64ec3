using Azure.Core;

namespace MovieRecs.Storage;

/// <summary>
/// Options shared by the table, queue and blob clients. Retry is Azure.Core's: exponential backoff that
/// retries 408, 429, 500, 502, 503, 504, network errors and timeouts. Set small values (e.g. MaxRetries 2,
/// Delay 100 ms) where a dead emulator should fail fast.
/// </summary>
public abstract class StorageClientOptions : ClientOptions
{
    protected StorageClientOptions()
    {
        Retry.Mode = RetryMode.Exponential;
        Retry.MaxRetries = 3;
        Retry.Delay = TimeSpan.FromMilliseconds(800);
        Retry.MaxDelay = TimeSpan.FromSeconds(30);
        // Per attempt, until response headers arrive (and per read of a streamed body).
        Retry.NetworkTimeout = TimeSpan.FromSeconds(30);
    }
}
