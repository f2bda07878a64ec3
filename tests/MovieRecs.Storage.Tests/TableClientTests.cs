using Azure;
using MovieRecs.Storage.Tables;

namespace MovieRecs.Storage.Tests;

[Collection(AzuriteCollection.Name)]
public sealed class TableClientTests
{
    private readonly AzuriteFixture _azurite;

    public TableClientTests(AzuriteFixture azurite) => _azurite = azurite;

    private async Task<TableClient> NewTableAsync()
    {
        var table = new TableClient(_azurite.ConnectionString, AzuriteFixture.UniqueName("t"));
        await table.CreateIfNotExistsAsync();
        return table;
    }

    private static async Task<List<TableEntity>> ToListAsync(AsyncPageable<TableEntity> pageable)
    {
        var list = new List<TableEntity>();
        await foreach (TableEntity e in pageable) list.Add(e);
        return list;
    }

    [Fact]
    public async Task CreateTableIfNotExists_IsIdempotent_AndDeleteOfMissingTableDoesNotThrow()
    {
        var service = new TableServiceClient(_azurite.ConnectionString);
        string name = AzuriteFixture.UniqueName("t");

        Response<TableItem> first = await service.CreateTableIfNotExistsAsync(name);
        Response<TableItem> second = await service.CreateTableIfNotExistsAsync(name);
        Assert.Equal(204, first.GetRawResponse().Status);
        Assert.Equal(409, second.GetRawResponse().Status);
        Assert.Equal(name, second.Value.Name);

        var listed = new List<string>();
        await foreach (TableItem t in service.QueryAsync(TableOdataFilter.Create($"TableName eq {name}"))) listed.Add(t.Name);
        Assert.Equal([name], listed);

        Assert.Equal(204, (await service.DeleteTableAsync(name)).Status);
        Assert.Equal(404, (await service.DeleteTableAsync(name)).Status);

        var ex = await Assert.ThrowsAsync<RequestFailedException>(() => service.GetTableClient(name).AddEntityAsync(new TableEntity("p", "r")));
        Assert.Equal(404, ex.Status);
        Assert.Equal("TableNotFound", ex.ErrorCode);
    }

    [Fact]
    public async Task AddEntity_ReturnsETagHeader_ThatMatchesTheStoredEntity_AndDuplicateIs409()
    {
        TableClient table = await NewTableAsync();
        var entity = new TableEntity("p1", "r1") { ["Title"] = "Heat", ["Year"] = 1995 };

        Response added = await table.AddEntityAsync(entity);
        Assert.Equal(204, added.Status);
        Assert.NotNull(added.Headers.ETag);

        TableEntity stored = (await table.GetEntityAsync("p1", "r1")).Value;
        Assert.Equal("Heat", stored.GetString("Title"));
        Assert.Equal(1995, stored.GetInt32("Year"));
        Assert.Equal(added.Headers.ETag!.Value, stored.ETag);
        Assert.NotNull(stored.Timestamp);

        var dup = await Assert.ThrowsAsync<RequestFailedException>(() => table.AddEntityAsync(entity));
        Assert.Equal(409, dup.Status);
        Assert.Equal("EntityAlreadyExists", dup.ErrorCode);
    }

    [Fact]
    public async Task Upsert_MergeKeepsOtherProperties_ReplaceDropsThem()
    {
        TableClient table = await NewTableAsync();
        await table.AddEntityAsync(new TableEntity("p", "r") { ["A"] = 1, ["B"] = 2 });

        await table.UpsertEntityAsync(new TableEntity("p", "r") { ["B"] = 3, ["C"] = 4 }, TableUpdateMode.Merge);
        TableEntity merged = (await table.GetEntityAsync("p", "r")).Value;
        Assert.Equal((1, 3, 4), (merged.GetInt32("A"), merged.GetInt32("B"), merged.GetInt32("C")));

        await table.UpsertEntityAsync(new TableEntity("p", "r") { ["D"] = 5 }, TableUpdateMode.Replace);
        TableEntity replaced = (await table.GetEntityAsync("p", "r")).Value;
        Assert.Null(replaced.GetInt32("A"));
        Assert.False(replaced.ContainsKey("B"));
        Assert.Equal(5, replaced.GetInt32("D"));

        // Upsert creates when missing.
        await table.UpsertEntityAsync(new TableEntity("p", "new") { ["X"] = "y" }, TableUpdateMode.Merge);
        Assert.Equal("y", (await table.GetEntityAsync("p", "new")).Value.GetString("X"));
    }

    [Fact]
    public async Task UpdateAndDelete_WithStaleETag_Fail412_WithCurrentETag_Succeed()
    {
        TableClient table = await NewTableAsync();
        await table.AddEntityAsync(new TableEntity("p", "r") { ["Count"] = 1 });
        TableEntity read = (await table.GetEntityAsync("p", "r")).Value;
        ETag original = read.ETag;

        read["Count"] = 2;
        Response updated = await table.UpdateEntityAsync(read, original, TableUpdateMode.Replace);
        Assert.NotEqual(original, updated.Headers.ETag!.Value);

        read["Count"] = 3;
        var stale = await Assert.ThrowsAsync<RequestFailedException>(() => table.UpdateEntityAsync(read, original));
        Assert.Equal(412, stale.Status);
        Assert.Equal("UpdateConditionNotSatisfied", stale.ErrorCode);
        Assert.Equal(2, (await table.GetEntityAsync("p", "r")).Value.GetInt32("Count"));

        var staleDelete = await Assert.ThrowsAsync<RequestFailedException>(() => table.DeleteEntityAsync("p", "r", original));
        Assert.Equal(412, staleDelete.Status);

        Assert.Equal(204, (await table.DeleteEntityAsync("p", "r", updated.Headers.ETag!.Value)).Status);
        // Deleting what is not there returns the 404 response, as the SDK does.
        Assert.Equal(404, (await table.DeleteEntityAsync("p", "r")).Status);

        var missing = await Assert.ThrowsAsync<RequestFailedException>(() => table.GetEntityAsync("p", "r"));
        Assert.Equal(404, missing.Status);
        Assert.Equal("ResourceNotFound", missing.ErrorCode);
        NullableResponse<TableEntity> maybe = await table.GetEntityIfExistsAsync("p", "r");
        Assert.False(maybe.HasValue);

        var updateMissing = await Assert.ThrowsAsync<RequestFailedException>(() => table.UpdateEntityAsync(read, ETag.All));
        Assert.Equal(404, updateMissing.Status);
    }

    [Fact]
    public async Task TypedProperties_RoundTripWithTheirTypes()
    {
        TableClient table = await NewTableAsync();
        var when = new DateTimeOffset(2024, 2, 29, 13, 45, 10, TimeSpan.FromHours(2)).AddTicks(1234567);
        var id = Guid.NewGuid();
        byte[] bytes = [0, 1, 2, 254, 255];
        var entity = new TableEntity("p", "r")
        {
            ["Text"] = "naïve 日本語 \"quoted\" <xml> & 'single'",
            ["Empty"] = "",
            ["Int"] = -42,
            ["SmallLong"] = 5L,
            ["BigLong"] = long.MaxValue,
            ["Double"] = 0.1,
            ["IntegralDouble"] = 5.0,
            ["NegativeDouble"] = -1e-10,
            ["True"] = true,
            ["False"] = false,
            ["When"] = when,
            ["UtcDate"] = new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc),
            ["Id"] = id,
            ["Bytes"] = bytes,
            ["Null"] = null,
        };
        await table.AddEntityAsync(entity);

        TableEntity back = (await table.GetEntityAsync("p", "r")).Value;
        Assert.Equal(entity["Text"], back["Text"]);
        Assert.Equal("", back.GetString("Empty"));
        Assert.IsType<int>(back["Int"]);
        Assert.Equal(-42, back.GetInt32("Int"));
        Assert.IsType<long>(back["SmallLong"]);
        Assert.Equal(5L, back.GetInt64("SmallLong"));
        Assert.Equal(long.MaxValue, back.GetInt64("BigLong"));
        Assert.IsType<double>(back["IntegralDouble"]);
        Assert.Equal(5.0, back.GetDouble("IntegralDouble"));
        Assert.Equal(0.1, back.GetDouble("Double"));
        Assert.Equal(-1e-10, back.GetDouble("NegativeDouble"));
        Assert.True(back.GetBoolean("True"));
        Assert.False(back.GetBoolean("False"));
        Assert.Equal(when, back.GetDateTimeOffset("When"));
        Assert.Equal(TimeSpan.Zero, back.GetDateTimeOffset("When")!.Value.Offset);
        Assert.Equal(new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc), back.GetDateTime("UtcDate"));
        Assert.Equal(id, back.GetGuid("Id"));
        Assert.Equal(bytes, back.GetBinary("Bytes"));
        Assert.False(back.ContainsKey("Null"));
        Assert.Null(back.GetString("Null"));

        // Wrong-type access is an error, not a silent conversion.
        Assert.Throws<InvalidOperationException>(() => back.GetInt32("Text"));
        Assert.Throws<InvalidOperationException>(() => back.GetInt32("BigLong"));
        // Lossless widening is allowed.
        Assert.Equal(-42L, back.GetInt64("Int"));
        Assert.Equal(-42.0, back.GetDouble("Int"));

        // The same types come back through a query (a different response shape).
        TableEntity queried = Assert.Single(await ToListAsync(table.QueryAsync()));
        Assert.IsType<long>(queried["SmallLong"]);
        Assert.IsType<double>(queried["IntegralDouble"]);
        Assert.Equal(id, queried.GetGuid("Id"));
        Assert.Equal(when, queried.GetDateTimeOffset("When"));
    }

    [Fact]
    public async Task Transaction_Of100Actions_Succeeds_AndReturnsETagsPerAction()
    {
        TableClient table = await NewTableAsync();
        var actions = Enumerable.Range(0, 100)
            .Select(i => new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("batch", $"r{i:D3}") { ["I"] = i }))
            .ToList();

        Response<IReadOnlyList<Response>> result = await table.SubmitTransactionAsync(actions);
        Assert.Equal(100, result.Value.Count);
        Assert.All(result.Value, r => Assert.Equal(204, r.Status));
        Assert.All(result.Value, r => Assert.NotNull(r.Headers.ETag));

        List<TableEntity> stored = await ToListAsync(table.QueryAsync(TableOdataFilter.Create($"PartitionKey eq {"batch"}")));
        Assert.Equal(100, stored.Count);

        // Every action type in one transaction, with ETags.
        TableEntity r000 = stored.Single(e => e.RowKey == "r000");
        var mixed = new List<TableTransactionAction>
        {
            new(TableTransactionActionType.UpdateMerge, new TableEntity("batch", "r000") { ["Extra"] = "x" }, r000.ETag),
            new(TableTransactionActionType.UpdateReplace, new TableEntity("batch", "r001") { ["I"] = 1001 }),
            new(TableTransactionActionType.Delete, new TableEntity("batch", "r002")),
            new(TableTransactionActionType.UpsertMerge, new TableEntity("batch", "r003") { ["Extra"] = "y" }),
            new(TableTransactionActionType.UpsertReplace, new TableEntity("batch", "r999") { ["I"] = 999 }),
        };
        Response<IReadOnlyList<Response>> mixedResult = await table.SubmitTransactionAsync(mixed);
        Assert.Equal(5, mixedResult.Value.Count);

        TableEntity e0 = (await table.GetEntityAsync("batch", "r000")).Value;
        Assert.Equal((0, "x"), (e0.GetInt32("I")!.Value, e0.GetString("Extra")!));
        Assert.Equal(1001, (await table.GetEntityAsync("batch", "r001")).Value.GetInt32("I"));
        Assert.False((await table.GetEntityIfExistsAsync("batch", "r002")).HasValue);
        TableEntity e3 = (await table.GetEntityAsync("batch", "r003")).Value;
        Assert.Equal((3, "y"), (e3.GetInt32("I")!.Value, e3.GetString("Extra")!));
        Assert.Equal(999, (await table.GetEntityAsync("batch", "r999")).Value.GetInt32("I"));
    }

    [Fact]
    public async Task FailedTransaction_IsRolledBack_AndNamesTheFailingAction()
    {
        TableClient table = await NewTableAsync();
        await table.AddEntityAsync(new TableEntity("p", "r05") { ["Original"] = true });

        var actions = Enumerable.Range(0, 10)
            .Select(i => new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("p", $"r{i:D2}")))
            .ToList();
        var ex = await Assert.ThrowsAsync<TableTransactionFailedException>(() => table.SubmitTransactionAsync(actions));
        Assert.Equal(409, ex.Status);
        Assert.Equal("EntityAlreadyExists", ex.ErrorCode);
        Assert.Equal(5, ex.FailedTransactionActionIndex);

        // Nothing of the transaction was written: actions 0-4 were rolled back.
        TableEntity only = Assert.Single(await ToListAsync(table.QueryAsync()));
        Assert.Equal("r05", only.RowKey);

        // Stale ETag inside a transaction fails the same way.
        TableEntity current = (await table.GetEntityAsync("p", "r05")).Value;
        await table.UpdateEntityAsync(new TableEntity("p", "r05") { ["Changed"] = 1 }, current.ETag);
        var stale = await Assert.ThrowsAsync<TableTransactionFailedException>(() => table.SubmitTransactionAsync(
        [
            new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("p", "new")),
            new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity("p", "r05"), current.ETag),
        ]));
        Assert.Equal(412, stale.Status);
        Assert.Equal(1, stale.FailedTransactionActionIndex);
        Assert.False((await table.GetEntityIfExistsAsync("p", "new")).HasValue);
    }

    [Fact]
    public async Task Query_WithFilterSelectAndTop()
    {
        TableClient table = await NewTableAsync();
        await table.SubmitTransactionAsync(Enumerable.Range(0, 20).Select(i =>
            new TableTransactionAction(TableTransactionActionType.Add,
                new TableEntity("movies", $"m{i:D2}") { ["Rating"] = i, ["Title"] = $"Movie {i}", ["Big"] = 10_000_000_000L + i })));
        await table.AddEntityAsync(new TableEntity("other", "x") { ["Rating"] = 100 });

        List<TableEntity> high = await ToListAsync(table.QueryAsync(TableClient.CreateQueryFilter($"PartitionKey eq {"movies"} and Rating ge {10}")));
        Assert.Equal(10, high.Count);
        Assert.All(high, e => Assert.True(e.GetInt32("Rating") >= 10));

        List<TableEntity> big = await ToListAsync(table.QueryAsync(TableClient.CreateQueryFilter($"Big gt {10_000_000_017L}")));
        Assert.Equal(["m18", "m19"], big.Select(e => e.RowKey).Order().ToArray());

        List<TableEntity> selected = await ToListAsync(table.QueryAsync(TableClient.CreateQueryFilter($"PartitionKey eq {"movies"}"), select: ["Title", "RowKey"]));
        Assert.Equal(20, selected.Count);
        Assert.All(selected, e =>
        {
            Assert.NotNull(e.GetString("Title"));
            Assert.False(e.ContainsKey("Rating"));
        });

        await using IAsyncEnumerator<Page<TableEntity>> pages = table.QueryAsync(maxPerPage: 3).AsPages().GetAsyncEnumerator();
        Assert.True(await pages.MoveNextAsync());
        Assert.Equal(3, pages.Current.Values.Count);
        Assert.NotNull(pages.Current.ContinuationToken);

        // Resuming from a continuation token gives the next rows.
        string token = pages.Current.ContinuationToken!;
        await foreach (Page<TableEntity> next in table.QueryAsync(maxPerPage: 3).AsPages(token))
        {
            Assert.Equal(["m03", "m04", "m05"], next.Values.Select(e => e.RowKey).ToArray());
            break;
        }
    }

    [Fact]
    public async Task Query_FollowsContinuation_Across2500Entities()
    {
        TableClient table = await NewTableAsync();
        const int total = 2500;
        for (int start = 0; start < total; start += 100)
        {
            await table.SubmitTransactionAsync(Enumerable.Range(start, 100).Select(i =>
                new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("bulk", $"{i:D5}") { ["N"] = i })));
        }

        int pages = 0;
        var seen = new HashSet<string>();
        await foreach (Page<TableEntity> page in table.QueryAsync(TableOdataFilter.Create($"PartitionKey eq {"bulk"}")).AsPages())
        {
            pages++;
            Assert.True(page.Values.Count <= 1000);
            foreach (TableEntity e in page.Values) Assert.True(seen.Add(e.RowKey));
        }
        Assert.Equal(total, seen.Count);
        Assert.True(pages >= 3, $"expected at least 3 pages, got {pages}");
    }

    [Fact]
    public async Task FilterValues_AreEscaped_SoQuotesAndInjectionMatchExactly()
    {
        TableClient table = await NewTableAsync();
        await table.AddEntityAsync(new TableEntity("people", "1") { ["Name"] = "O'Brien" });
        await table.AddEntityAsync(new TableEntity("people", "2") { ["Name"] = "OBrien" });
        await table.AddEntityAsync(new TableEntity("people", "3") { ["Name"] = "' or PartitionKey ne '" });
        await table.AddEntityAsync(new TableEntity("secret", "1") { ["Name"] = "hidden" });

        List<TableEntity> obrien = await ToListAsync(table.QueryAsync(TableClient.CreateQueryFilter($"PartitionKey eq {"people"} and Name eq {"O'Brien"}")));
        Assert.Equal("1", Assert.Single(obrien).RowKey);

        string injection = "x' or PartitionKey ne '";
        List<TableEntity> injected = await ToListAsync(table.QueryAsync(TableClient.CreateQueryFilter($"PartitionKey eq {"people"} and Name eq {injection}")));
        Assert.Empty(injected);

        // The literal value that looks like an injection is found as a value.
        string literal = "' or PartitionKey ne '";
        List<TableEntity> exact = await ToListAsync(table.QueryAsync(TableClient.CreateQueryFilter($"Name eq {literal}")));
        Assert.Equal("3", Assert.Single(exact).RowKey);

        // Proof the input is dangerous: pasted raw, it escapes the literal and reads the other partition.
        List<TableEntity> raw = await ToListAsync(table.QueryAsync($"PartitionKey eq 'people' and Name eq '{injection}'"));
        Assert.Contains(raw, e => e.PartitionKey == "secret");
    }

    [Theory]
    [InlineData("it's", "a 'quoted' key")]
    [InlineData("with space", "naïve 日本語 ü")]
    [InlineData("percent%20plus+amp&", "(parens)=,;:@$!*")]
    [InlineData("", "empty-partition")]
    public async Task Keys_WithQuotesSpacesAndUnicode_RoundTrip(string partitionKey, string rowKey)
    {
        TableClient table = await NewTableAsync();
        await table.AddEntityAsync(new TableEntity(partitionKey, rowKey) { ["V"] = 1 });

        TableEntity read = (await table.GetEntityAsync(partitionKey, rowKey)).Value;
        Assert.Equal((partitionKey, rowKey), (read.PartitionKey, read.RowKey));

        read["V"] = 2;
        await table.UpdateEntityAsync(read, read.ETag);
        await table.SubmitTransactionAsync([new TableTransactionAction(TableTransactionActionType.UpdateMerge, new TableEntity(partitionKey, rowKey) { ["W"] = 3 })]);
        TableEntity updated = (await table.GetEntityAsync(partitionKey, rowKey)).Value;
        Assert.Equal((2, 3), (updated.GetInt32("V")!.Value, updated.GetInt32("W")!.Value));

        TableEntity queried = Assert.Single(await ToListAsync(table.QueryAsync(TableClient.CreateQueryFilter($"PartitionKey eq {partitionKey} and RowKey eq {rowKey}"))));
        Assert.Equal(rowKey, queried.RowKey);

        Assert.Equal(204, (await table.DeleteEntityAsync(partitionKey, rowKey)).Status);
        Assert.False((await table.GetEntityIfExistsAsync(partitionKey, rowKey)).HasValue);
    }
}
