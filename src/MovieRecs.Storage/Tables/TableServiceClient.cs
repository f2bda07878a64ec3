using Azure;
using Azure.Core;
using MovieRecs.Storage.Internal;

namespace MovieRecs.Storage.Tables;

/// <summary>The account's table service: create, delete, list tables; hands out <see cref="TableClient"/>s sharing its pipeline.</summary>
public class TableServiceClient
{
    private readonly StorageRestClient _rest;

    public TableServiceClient(string connectionString, TableClientOptions? options = null)
    {
        options ??= new TableClientOptions();
        _rest = new StorageRestClient(connectionString, StorageService.Table, options, options.ServiceVersion);
    }

    /// <summary>For mocking.</summary>
    protected TableServiceClient() => _rest = null!;

    public virtual string AccountName => _rest.AccountName;

    public virtual Uri Uri => _rest.Endpoint;

    public virtual TableClient GetTableClient(string tableName) => new(_rest, tableName);

    /// <summary>Creates the table; an existing table is not an error.</summary>
    public virtual Task<Response<TableItem>> CreateTableIfNotExistsAsync(string tableName, CancellationToken cancellationToken = default) =>
        GetTableClient(tableName).CreateIfNotExistsAsync(cancellationToken);

    public virtual Task<Response<TableItem>> CreateTableAsync(string tableName, CancellationToken cancellationToken = default) =>
        GetTableClient(tableName).CreateAsync(cancellationToken);

    /// <summary>Deletes the table; a missing table returns its 404 response instead of throwing.</summary>
    public virtual Task<Response> DeleteTableAsync(string tableName, CancellationToken cancellationToken = default) =>
        DeleteTableAsync(_rest, tableName, cancellationToken);

    /// <summary>Lists tables, optionally filtered (e.g. <c>TableName eq 'x'</c>; build it with TableOdataFilter.Create).</summary>
    public virtual AsyncPageable<TableItem> QueryAsync(string? filter = null, int? maxPerPage = null, CancellationToken cancellationToken = default) =>
        new StoragePageable<TableItem>((token, pageSize, ct) => QueryPageAsync(filter, pageSize, token, ct), maxPerPage, cancellationToken);

    private async Task<Page<TableItem>> QueryPageAsync(string? filter, int? top, string? continuation, CancellationToken cancellationToken)
    {
        using HttpMessage message = _rest.CreateMessage(RequestMethod.Get, "/Tables");
        AddODataHeaders(message);
        if (!string.IsNullOrEmpty(filter)) message.Request.Uri.AppendQuery("$filter", filter);
        if (top is not null) message.Request.Uri.AppendQuery("$top", top.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (continuation is not null) message.Request.Uri.AppendQuery("NextTableName", continuation);

        Response response = await _rest.SendAsync(message, cancellationToken).ConfigureAwait(false);
        StorageRestClient.EnsureStatus(response, 200);
        List<TableItem> tables = TableEntityJson.ReadTables(response.Content.ToMemory().Span);
        string? next = response.Headers.TryGetValue("x-ms-continuation-NextTableName", out string? n) && !string.IsNullOrEmpty(n) ? n : null;
        return Page<TableItem>.FromValues(tables, next, response);
    }

    internal static async Task<Response> SendCreateTableAsync(StorageRestClient rest, string tableName, CancellationToken cancellationToken)
    {
        using HttpMessage message = rest.CreateMessage(RequestMethod.Post, "/Tables");
        AddODataHeaders(message);
        message.Request.Headers.SetValue("Prefer", "return-no-content");
        message.Request.Headers.SetValue("Content-Type", "application/json");
        var entity = new TableEntity { ["TableName"] = tableName };
        message.Request.Content = RequestContent.Create(TableEntityJson.Serialize(entity));
        return await rest.SendAsync(message, cancellationToken).ConfigureAwait(false);
    }

    internal static async Task<Response> DeleteTableAsync(StorageRestClient rest, string tableName, CancellationToken cancellationToken)
    {
        using HttpMessage message = rest.CreateMessage(RequestMethod.Delete, "/Tables('" + Uri.EscapeDataString(tableName) + "')");
        AddODataHeaders(message);
        Response response = await rest.SendAsync(message, cancellationToken).ConfigureAwait(false);
        if (response.Status != 404) StorageRestClient.EnsureStatus(response, 204);
        return response;
    }

    internal static void AddODataHeaders(HttpMessage message)
    {
        // minimalmetadata: the service annotates Int64/DateTime/Guid/Binary values so their types round-trip.
        message.Request.Headers.SetValue("Accept", "application/json;odata=minimalmetadata");
        message.Request.Headers.SetValue("DataServiceVersion", "3.0");
        message.Request.Headers.SetValue("MaxDataServiceVersion", "3.0;NetFx");
    }
}
