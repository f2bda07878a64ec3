using MovieRecs.Storage.Emulator;

namespace MovieRecs.Storage.Tests;

/// <summary>One in-memory Azurite on free ports for every test in the "Azurite" collection; stopped at the end.</summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    public AzuriteProcess Azurite { get; private set; } = null!;

    public string ConnectionString => Azurite.ConnectionString;

    public async Task InitializeAsync() =>
        Azurite = await AzuriteProcess.StartAsync(new AzuriteOptions { InMemory = true });

    public async Task DisposeAsync()
    {
        if (Azurite is not null) await Azurite.DisposeAsync();
    }

    /// <summary>Table, queue and container names must be unique per test (and lower-case letters/digits are valid everywhere).</summary>
    public static string UniqueName(string prefix) => prefix + Guid.NewGuid().ToString("N")[..12];
}

[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "Azurite";
}
