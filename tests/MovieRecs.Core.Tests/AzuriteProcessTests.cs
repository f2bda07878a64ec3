using System.Diagnostics;
using MovieRecs.Core.Azurite;
using Azure.Data.Tables;

namespace MovieRecs.Core.Tests;

public sealed class AzuriteProcessTests
{
    [Fact]
    public void FindToolDirectory_FindsThePinnedAzurite()
    {
        string? dir = AzuriteProcess.FindToolDirectory();
        Assert.NotNull(dir);
        Assert.True(File.Exists(Path.Combine(dir, "package-lock.json")));
    }

    [Fact]
    public async Task CleanStop_KeepsData_ForTheNextStartOnTheSameFolder()
    {
        string location = Path.Combine(Path.GetTempPath(), "movierecs-azurite-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            int pid;
            await using (AzuriteProcess first = await AzuriteProcess.StartAsync(new AzuriteOptions { Location = location }))
            {
                pid = first.ProcessId;
                Assert.True(AzuriteProcess.IsListening(first.Host, first.TablePort));
                var table = new TableClient(first.ConnectionString, "persisted");
                await table.CreateIfNotExistsAsync();
                await table.AddEntityAsync(new TableEntity("p", "r") { ["Saved"] = "yes" });

                var clock = Stopwatch.StartNew();
                await first.StopAsync();
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(9), $"graceful stop took {clock.Elapsed} (was it killed?)");
                Assert.False(AzuriteProcess.IsListening(first.Host, first.TablePort));
            }
            Assert.False(ProcessIsAlive(pid));

            await using AzuriteProcess second = await AzuriteProcess.StartAsync(new AzuriteOptions { Location = location });
            var again = new TableClient(second.ConnectionString, "persisted");
            Assert.Equal("yes", (await again.GetEntityAsync<TableEntity>("p", "r")).Value.GetString("Saved"));
        }
        finally
        {
            Directory.Delete(location, recursive: true);
        }
    }

    [Fact]
    public async Task StartFailure_ReportsAzuriteOutput()
    {
        // Two instances cannot share fixed ports: the second must fail with a readable reason.
        await using AzuriteProcess first = await AzuriteProcess.StartAsync(new AzuriteOptions { InMemory = true });
        var ex = await Assert.ThrowsAsync<AzuriteStartException>(() => AzuriteProcess.StartAsync(new AzuriteOptions
        {
            InMemory = true,
            BlobPort = first.BlobPort,
            QueuePort = first.QueuePort,
            TablePort = first.TablePort,
            StartTimeout = TimeSpan.FromSeconds(15),
        }));
        Assert.Contains("EADDRINUSE", ex.Message);
    }

    private static bool ProcessIsAlive(int pid)
    {
        try
        {
            using Process p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
