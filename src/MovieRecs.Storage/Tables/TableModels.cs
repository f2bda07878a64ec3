using Azure;

namespace MovieRecs.Storage.Tables;

/// <summary>A table, as listed by <see cref="TableServiceClient.QueryAsync"/>.</summary>
public sealed class TableItem
{
    public TableItem(string name) => Name = name;

    public string Name { get; }

    public override string ToString() => Name;
}

public enum TableUpdateMode
{
    /// <summary>Properties not in the new entity keep their stored values.</summary>
    Merge = 0,

    /// <summary>The stored entity is replaced: properties not in the new entity are removed.</summary>
    Replace = 1,
}

public enum TableTransactionActionType
{
    Add = 0,
    UpdateMerge = 1,
    UpdateReplace = 2,
    Delete = 3,
    UpsertMerge = 4,
    UpsertReplace = 5,
}

/// <summary>One operation of an entity group transaction (all actions must share a partition key).</summary>
public sealed class TableTransactionAction
{
    /// <param name="etag">If-Match for Update*/Delete; default means unconditional ("*"). Ignored for Add and Upsert*.</param>
    public TableTransactionAction(TableTransactionActionType actionType, ITableEntity entity, ETag etag = default)
    {
        ArgumentNullException.ThrowIfNull(entity);
        ActionType = actionType;
        Entity = entity;
        ETag = etag;
    }

    public TableTransactionActionType ActionType { get; }
    public ITableEntity Entity { get; }
    public ETag ETag { get; }
}

/// <summary>
/// A transaction the service rejected. Nothing of it was applied. <see cref="FailedTransactionActionIndex"/>
/// is the index of the action that failed, when the service says so (it prefixes its message with "index:").
/// </summary>
public sealed class TableTransactionFailedException : RequestFailedException
{
    internal TableTransactionFailedException(Response failedResponse, int? failedIndex)
        : base(failedResponse, null, Internal.StorageErrorParser.Instance)
    {
        FailedTransactionActionIndex = failedIndex;
    }

    public int? FailedTransactionActionIndex { get; }
}
