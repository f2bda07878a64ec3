using MovieRecs.Core.Engine;
using MovieRecs.Functions.Hosting;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;

namespace MovieRecs.Functions.Engine;

/// <summary>
/// Standalone stand-in for the Functions queue trigger (off under the Functions host, and when
/// <c>MovieRecs:Engine:Listener</c> is false): receives a message with a visibility timeout, renews it while the run
/// trains, deletes it only after the attempt ended, makes it visible again after a failure, and moves it to
/// <c>training-poison</c> when it has failed <see cref="EngineSettings.MaxDequeueCount"/> times, as the host does.
/// </summary>
public sealed class TrainingQueueListener(EngineStorage storage, EngineFunctions functions, TrainingRuns runs, EngineSettings settings,
    ILogger<TrainingQueueListener> logger) : BackgroundService
{
    long _renewals, _completed, _retried, _poisoned;

    /// <summary>Visibility renewals, messages done with (deleted), attempts failed and retried, messages poisoned (diagnostics).</summary>
    public long Renewals => Interlocked.Read(ref _renewals);
    public long Completed => Interlocked.Read(ref _completed);
    public long Retried => Interlocked.Read(ref _retried);
    public long Poisoned => Interlocked.Read(ref _poisoned);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (FunctionsHosting.RunsUnderFunctionsHost || !settings.Listener)
            return;
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            var worked = false;
            try
            {
                await storage.EnsureCreatedAsync(stoppingToken);
                var message = (await storage.Queue.ReceiveMessageAsync(settings.VisibilityTimeout, stoppingToken)).Value;
                if (message is not null)
                {
                    worked = true;
                    await HandleAsync(message, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning("Training queue listener: {Error}", e.Message);
            }
            if (!worked)
            {
                try { await Task.Delay(settings.QueuePollInterval, stoppingToken); }
                catch (OperationCanceledException) { return; }
            }
        }
    }

    async Task HandleAsync(QueueMessage message, CancellationToken stoppingToken)
    {
        if (message.DequeueCount > settings.MaxDequeueCount)
        {
            // attempts that never reported back (e.g. the process died mid-run) count too; their run would otherwise
            // stay "running" forever
            if (TrainingMessage.TryParse(message.MessageText) is { } training
                && await runs.FailIfUnfinishedAsync(training.RunId, $"gave up after {message.DequeueCount - 1} attempts that never finished "
                    + "(the process running them stopped)", CancellationToken.None))
                logger.LogError("Training run {RunId} recorded as failed: its attempts never finished", training.RunId);
            await MoveToPoisonAsync(message, message.PopReceipt);
            return;
        }
        var receipt = message.PopReceipt;
        var receiptLock = new object();
        using var renewing = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var renewal = Task.Run(async () =>
        {
            var every = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(200).Ticks, settings.VisibilityTimeout.Ticks / 2));
            while (true)
            {
                await Task.Delay(every, renewing.Token);
                string current;
                lock (receiptLock) current = receipt;
                var r = await storage.Queue.UpdateMessageAsync(message.MessageId, current, visibilityTimeout: settings.VisibilityTimeout, cancellationToken: renewing.Token);
                lock (receiptLock) receipt = r.Value.PopReceipt;
                Interlocked.Increment(ref _renewals);
            }
        }, CancellationToken.None);

        Exception? failure = null;
        try
        {
            await functions.TrainModel(message, stoppingToken);
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            failure = e;
        }
        finally
        {
            renewing.Cancel();
            try { await renewal; } catch { /* cancelled, or a renewal failed: the message reappears, which is safe */ }
        }
        stoppingToken.ThrowIfCancellationRequested();

        string popReceipt;
        lock (receiptLock) popReceipt = receipt;
        if (failure is null)
        {
            await storage.Queue.DeleteMessageAsync(message.MessageId, popReceipt, CancellationToken.None);
            Interlocked.Increment(ref _completed);
            return;
        }
        logger.LogWarning("Training message {Id} failed (attempt {Attempt} of {Max}): {Error}", message.MessageId, message.DequeueCount,
            settings.MaxDequeueCount, failure.Message);
        if (message.DequeueCount >= settings.MaxDequeueCount)
        {
            await MoveToPoisonAsync(message, popReceipt);
        }
        else
        {
            await storage.Queue.UpdateMessageAsync(message.MessageId, popReceipt, visibilityTimeout: settings.RetryDelay, cancellationToken: CancellationToken.None);
            Interlocked.Increment(ref _retried);
        }
    }

    /// <summary>
    /// A message the queue client cannot decode (not Base64: written by another producer) never reaches TrainModel: the
    /// SDK hands it here from the receive (registered in <c>AddStorageClients</c>). It counts as a failed attempt like
    /// any other: it stays invisible for the visibility timeout, and on delivery <see cref="EngineSettings.MaxDequeueCount"/>
    /// it moves, text unchanged, to <c>training-poison</c>. Without this the receive would throw on it every time, forever.
    /// </summary>
    public async Task OnUndecodableMessageAsync(QueueMessageDecodingFailedEventArgs args)
    {
        if (args.ReceivedMessage is not { } message || args.Queue.Name != EngineStorage.TrainingQueue)
            return;
        logger.LogWarning("Training message {Id} is not Base64 text (attempt {Attempt} of {Max}): '{Text}'", message.MessageId, message.DequeueCount,
            settings.MaxDequeueCount, message.MessageText.Length <= 100 ? message.MessageText : message.MessageText[..100] + "…");
        if (message.DequeueCount >= settings.MaxDequeueCount)
            await MoveToPoisonAsync(message, message.PopReceipt);
    }

    async Task MoveToPoisonAsync(QueueMessage message, string popReceipt)
    {
        await storage.Poison.SendMessageAsync(message.MessageText, CancellationToken.None);
        await storage.Queue.DeleteMessageAsync(message.MessageId, popReceipt, CancellationToken.None);
        Interlocked.Increment(ref _poisoned);
        logger.LogError("Training message {Id} moved to {Queue} after {Attempts} attempts", message.MessageId, EngineStorage.PoisonQueue, message.DequeueCount);
    }

}
