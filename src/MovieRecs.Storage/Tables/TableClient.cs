using Azure;
using Azure.Core;
using MovieRecs.Storage.Internal;

namespace MovieRecs.Storage.Tables;

/// <summary>
/// One table: entity CRUD, queries, transactions. Shaped like Azure.Data.Tables.TableClient (non-generic:
/// entities are always <see cref="TableEntity"/>). Thread-safe; create once and share.
/// </summary>
public class TableClient
{
    private readonly StorageRestClient _rest;

    public TableClient(string connectionString, string tableName, TableClientOptions? options = null)
    {
        options ??= new TableClientOptions();
        _rest = new StorageRestClient(connectionString, StorageService.Table, options, options.ServiceVersion);
        Name = ValidateName(tableName);
    }

    internal TableClient(StorageRestClient rest, string tableName)
    {
        _rest = rest;
        Name = ValidateName(tableName);
    }

    /// <summary>For mocking.</summary>
    protected TableClient()
    {
        _rest = null!;
        Name = null!;
    }

    public virtual string Name { get; }

    public virtual string AccountName => _rest.AccountName;

    public virtual Uri Uri => _rest.UriFor("/" + Name);

    /// <summary>A filter with every interpolated value escaped; see <see cref="TableOdataFilter.Create"/>.</summary>
    public static string CreateQueryFilter(FormattableString filter) => TableOdataFilter.Create(filter);

    public virtual async Task<Response<TableItem>> CreateAsync(CancellationToken cancellationToken = default)
    {
        Response response = await TableServiceClient.SendCreateTableAsync(_rest, Name, cancellationToken).ConfigureAwait(false);
        StorageRestClient.EnsureStatus(response, 204, 201);
        return Response.FromValue(new TableItem(Name), response);
    }

    /// <summary>Creates the table; an existing table is not an error.</summary>
    public virtual async Task<Response<TableItem>> CreateIfNotExistsAsync(CancellationToken cancellationToken = default)
    {
        Response response = await TableServiceClient.SendCreateTableAsync(_rest, Name, cancellationToken).ConfigureAwait(false);
        if (response.Status != 409) StorageRestClient.EnsureStatus(response, 204, 201);
        return Response.FromValue(new TableItem(Name), response);
    }

    /// <summary>Deletes the table. Like the SDK, a missing table returns its 404 response instead of throwing.</summary>
    public virtual Task<Response> DeleteAsync(CancellationToken cancellationToken = default) =>
        TableServiceClient.DeleteTableAsync(_rest, Name, cancellationToken);

    /// <summary>Inserts; throws RequestFailedException 409 "EntityAlreadyExists" if the keys are taken. The new ETag is in the response headers.</summary>
    public virtual async Task<Response> AddEntityAsync(TableEntity entity, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entity);
        using HttpMessage message = CreateMessage(RequestMethod.Post, "/" + Name);
        message.Request.Headers.SetValue("Prefer", "return-no-content");
        SetJsonContent(message, entity);
        Response response = await _rest.SendAsync(message, cancellationToken).ConfigureAwait(false);
        StorageRestClient.EnsureStatus(response, 204, 201);
        return response;
    }

    /// <summary>Insert-or-merge / insert-or-replace, unconditionally.</summary>
    public virtual Task<Response> UpsertEntityAsync(TableEntity entity, TableUpdateMode mode = TableUpdateMode.Merge, CancellationToken cancellationToken = default) =>
        WriteEntityAsync(entity, ifMatch: null, mode, cancellationToken);

    /// <summary>
    /// Updates an existing entity if its ETag still matches <paramref name="ifMatch"/> (412 otherwise; 404 if it is gone).
    /// <see cref="ETag.All"/> (or default) updates unconditionally.
    /// </summary>
    public virtual Task<Response> UpdateEntityAsync(TableEntity entity, ETag ifMatch, TableUpdateMode mode = TableUpdateMode.Merge, CancellationToken cancellationToken = default) =>
        WriteEntityAsync(entity, ifMatch == default ? "*" : HeaderValues.ToHeader(ifMatch), mode, cancellationToken);

    private async Task<Response> WriteEntityAsync(TableEntity entity, string? ifMatch, TableUpdateMode mode, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entity);
        // MERGE is the Table service's merge verb (the service also takes PATCH); PUT replaces.
        RequestMethod method = mode == TableUpdateMode.Replace ? RequestMethod.Put : new RequestMethod("MERGE");
        using HttpMessage message = CreateMessage(method, EntityPath(entity.PartitionKey, entity.RowKey));
        if (ifMatch is not null) message.Request.Headers.SetValue("If-Match", ifMatch);
        SetJsonContent(message, entity);
        Response response = await _rest.SendAsync(message, cancellationToken).ConfigureAwait(false);
        StorageRestClient.EnsureStatus(response, 204);
        return response;
    }

    /// <summary>
    /// Deletes an entity; <paramref name="ifMatch"/> default means unconditional. Like the SDK, deleting a
    /// missing entity returns the 404 response without throwing; a stale ETag throws 412.
    /// </summary>
    public virtual async Task<Response> DeleteEntityAsync(string partitionKey, string rowKey, ETag ifMatch = default, CancellationToken cancellationToken = default)
    {
        using HttpMessage message = CreateMessage(RequestMethod.Delete, EntityPath(partitionKey, rowKey));
        message.Request.Headers.SetValue("If-Match", ifMatch == default ? "*" : HeaderValues.ToHeader(ifMatch));
        Response response = await _rest.SendAsync(message, cancellationToken).ConfigureAwait(false);
        if (response.Status != 404) StorageRestClient.EnsureStatus(response, 204);
        return response;
    }

    /// <summary>Point read by keys (the cheapest read there is). Throws 404 if absent.</summary>
    public virtual async Task<Response<TableEntity>> GetEntityAsync(string partitionKey, string rowKey, IEnumerable<string>? select = null, CancellationToken cancellationToken = default)
    {
        Response response = await SendGetEntityAsync(partitionKey, rowKey, select, cancellationToken).ConfigureAwait(false);
        StorageRestClient.EnsureStatus(response, 200);
        return Response.FromValue(TableEntityJson.ReadEntity(response.Content.ToMemory().Span), response);
    }

    /// <summary>Point read by keys; HasValue is false when the entity does not exist.</summary>
    public virtual async Task<NullableResponse<TableEntity>> GetEntityIfExistsAsync(string partitionKey, string rowKey, IEnumerable<string>? select = null, CancellationToken cancellationToken = default)
    {
        Response response = await SendGetEntityAsync(partitionKey, rowKey, select, cancellationToken).ConfigureAwait(false);
        if (response.Status == 404) return new NoValueResponse<TableEntity>(response);
        StorageRestClient.EnsureStatus(response, 200);
        return Response.FromValue(TableEntityJson.ReadEntity(response.Content.ToMemory().Span), response);
    }

    private async Task<Response> SendGetEntityAsync(string partitionKey, string rowKey, IEnumerable<string>? select, CancellationToken cancellationToken)
    {
        using HttpMessage message = CreateMessage(RequestMethod.Get, EntityPath(partitionKey, rowKey));
        AppendSelect(message, select);
        return await _rest.SendAsync(message, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Queries entities. Build <paramref name="filter"/> with <see cref="CreateQueryFilter"/> when it contains any
    /// value. The service returns at most 1,000 entities per page; the pager follows continuation tokens.
    /// </summary>
    public virtual AsyncPageable<TableEntity> QueryAsync(string? filter = null, int? maxPerPage = null, IEnumerable<string>? select = null, CancellationToken cancellationToken = default)
    {
        string? selectList = select is null ? null : string.Join(",", select);
        return new StoragePageable<TableEntity>(
            (token, pageSize, ct) => QueryPageAsync(filter, pageSize, selectList, token, ct), maxPerPage, cancellationToken);
    }

    private async Task<Page<TableEntity>> QueryPageAsync(string? filter, int? top, string? select, string? continuation, CancellationToken cancellationToken)
    {
        using HttpMessage message = CreateMessage(RequestMethod.Get, "/" + Name + "()");
        RequestUriBuilder uri = message.Request.Uri;
        if (!string.IsNullOrEmpty(filter)) uri.AppendQuery("$filter", filter);
        if (top is not null) uri.AppendQuery("$top", top.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (!string.IsNullOrEmpty(select)) uri.AppendQuery("$select", select);
        if (continuation is not null)
        {
            // Our token is "NextPartitionKey NextRowKey"; the service's tokens never contain a space.
            int space = continuation.IndexOf(' ');
            uri.AppendQuery("NextPartitionKey", space < 0 ? continuation : continuation[..space]);
            if (space >= 0 && space + 1 < continuation.Length) uri.AppendQuery("NextRowKey", continuation[(space + 1)..]);
        }

        Response response = await _rest.SendAsync(message, cancellationToken).ConfigureAwait(false);
        StorageRestClient.EnsureStatus(response, 200);
        List<TableEntity> entities = TableEntityJson.ReadEntities(response.Content.ToMemory().Span);

        string? next = null;
        if (response.Headers.TryGetValue("x-ms-continuation-NextPartitionKey", out string? nextPk))
        {
            next = response.Headers.TryGetValue("x-ms-continuation-NextRowKey", out string? nextRk) && !string.IsNullOrEmpty(nextRk)
                ? nextPk + " " + nextRk
                : nextPk;
        }
        return Page<TableEntity>.FromValues(entities, next, response);
    }

    /// <summary>
    /// Runs up to 100 actions on one partition atomically. On failure nothing is applied and a
    /// <see cref="TableTransactionFailedException"/> names the failing action. Each returned response carries
    /// that action's status and (for writes) its new ETag header.
    /// </summary>
    public virtual async Task<Response<IReadOnlyList<Response>>> SubmitTransactionAsync(IEnumerable<TableTransactionAction> transactionActions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transactionActions);
        List<TableTransactionAction> actions = transactionActions.ToList();
        if (actions.Count == 0) throw new ArgumentException("A transaction needs at least one action.", nameof(transactionActions));

        string boundary = "batch_" + Guid.NewGuid().ToString("N");
        using HttpMessage message = CreateMessage(RequestMethod.Post, "/$batch");
        message.Request.Headers.SetValue("Content-Type", "multipart/mixed; boundary=" + boundary);
        message.Request.Content = RequestContent.Create(TableBatch.WriteBody(boundary, _rest.BaseUrl + "/" + Name, actions));

        Response response = await _rest.SendAsync(message, cancellationToken).ConfigureAwait(false);
        StorageRestClient.EnsureStatus(response, 202);

        List<StoredResponse> parts = TableBatch.ReadResponses(response);
        foreach (StoredResponse part in parts)
        {
            if (part.Status >= 400) throw new TableTransactionFailedException(part, TableBatch.FailedIndex(part));
        }
        if (parts.Count != actions.Count)
            throw new RequestFailedException(response.Status, $"The transaction response held {parts.Count} results for {actions.Count} actions.");
        return Response.FromValue<IReadOnlyList<Response>>(parts, response);
    }

    private HttpMessage CreateMessage(RequestMethod method, string escapedPath)
    {
        HttpMessage message = _rest.CreateMessage(method, escapedPath);
        TableServiceClient.AddODataHeaders(message);
        return message;
    }

    private static void SetJsonContent(HttpMessage message, TableEntity entity)
    {
        message.Request.Headers.SetValue("Content-Type", "application/json");
        message.Request.Content = RequestContent.Create(TableEntityJson.Serialize(entity));
    }

    private static void AppendSelect(HttpMessage message, IEnumerable<string>? select)
    {
        if (select is not null) message.Request.Uri.AppendQuery("$select", string.Join(",", select));
    }

    private string EntityPath(string partitionKey, string rowKey) => "/" + Name + EntityKeyPath(partitionKey, rowKey);

    /// <summary>
    /// (PartitionKey='..',RowKey='..') with quotes doubled (OData string literal) and then percent-encoded:
    /// keys may hold spaces, quotes, '#', '?', and any Unicode.
    /// </summary>
    internal static string EntityKeyPath(string partitionKey, string rowKey)
    {
        ArgumentNullException.ThrowIfNull(partitionKey);
        ArgumentNullException.ThrowIfNull(rowKey);
        return "(PartitionKey='" + Uri.EscapeDataString(partitionKey.Replace("'", "''", StringComparison.Ordinal)) +
               "',RowKey='" + Uri.EscapeDataString(rowKey.Replace("'", "''", StringComparison.Ordinal)) + "')";
    }

    private static string ValidateName(string tableName)
    {
        ArgumentException.ThrowIfNullOrEmpty(tableName);
        return tableName;
    }
}
