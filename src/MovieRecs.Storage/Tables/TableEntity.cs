using System.Collections;
using Azure;

namespace MovieRecs.Storage.Tables;

/// <summary>The system properties every entity has (same shape as Azure.Data.Tables.ITableEntity).</summary>
public interface ITableEntity
{
    string PartitionKey { get; set; }
    string RowKey { get; set; }
    DateTimeOffset? Timestamp { get; set; }
    ETag ETag { get; set; }
}

/// <summary>
/// A table entity as a dictionary of property name to value, like Azure.Data.Tables.TableEntity.
/// Values round-trip as: string, int, long, double, bool, DateTimeOffset (DateTime is stored as UTC),
/// Guid, byte[] (BinaryData is accepted on write). Null values are not sent: the Table service cannot
/// store a null, so a null property is simply absent when read back.
/// </summary>
public sealed class TableEntity : ITableEntity, IDictionary<string, object?>
{
    internal const string PartitionKeyName = "PartitionKey";
    internal const string RowKeyName = "RowKey";
    internal const string TimestampName = "Timestamp";
    internal const string ETagName = "odata.etag";

    private readonly Dictionary<string, object?> _properties;

    public TableEntity() => _properties = new Dictionary<string, object?>(StringComparer.Ordinal);

    public TableEntity(string partitionKey, string rowKey) : this()
    {
        PartitionKey = partitionKey;
        RowKey = rowKey;
    }

    public TableEntity(IDictionary<string, object?> values) =>
        _properties = new Dictionary<string, object?>(values, StringComparer.Ordinal);

    internal TableEntity(int capacity) => _properties = new Dictionary<string, object?>(capacity, StringComparer.Ordinal);

    public string PartitionKey
    {
        get => GetString(PartitionKeyName)!;
        set => _properties[PartitionKeyName] = value;
    }

    public string RowKey
    {
        get => GetString(RowKeyName)!;
        set => _properties[RowKeyName] = value;
    }

    /// <summary>Set by the service; ignored on write.</summary>
    public DateTimeOffset? Timestamp
    {
        get => GetDateTimeOffset(TimestampName);
        set => _properties[TimestampName] = value;
    }

    /// <summary>The entity's version as last read; pass it to UpdateEntityAsync / DeleteEntityAsync for optimistic concurrency.</summary>
    public ETag ETag
    {
        get => _properties.TryGetValue(ETagName, out object? v) && v is string s ? new ETag(s) : default;
        set
        {
            if (value == default) _properties.Remove(ETagName); // default ETag.ToString() is not an empty string
            else _properties[ETagName] = value.ToString();
        }
    }

    public string? GetString(string key) => Get<string>(key);
    public int? GetInt32(string key) => GetStruct<int>(key);
    public bool? GetBoolean(string key) => GetStruct<bool>(key);
    public Guid? GetGuid(string key) => GetStruct<Guid>(key);

    public long? GetInt64(string key) => TryGet(key) switch
    {
        null => null,
        long l => l,
        int i => i,
        var other => throw Mismatch(key, other, typeof(long)),
    };

    public double? GetDouble(string key) => TryGet(key) switch
    {
        null => null,
        double d => d,
        int i => i,
        long l => l,
        float f => f,
        var other => throw Mismatch(key, other, typeof(double)),
    };

    public DateTimeOffset? GetDateTimeOffset(string key) => TryGet(key) switch
    {
        null => null,
        DateTimeOffset d => d,
        DateTime d => d.Kind == DateTimeKind.Unspecified ? new DateTimeOffset(d, TimeSpan.Zero) : new DateTimeOffset(d.ToUniversalTime()),
        var other => throw Mismatch(key, other, typeof(DateTimeOffset)),
    };

    public DateTime? GetDateTime(string key) => GetDateTimeOffset(key)?.UtcDateTime;

    public byte[]? GetBinary(string key) => TryGet(key) switch
    {
        null => null,
        byte[] b => b,
        BinaryData d => d.ToArray(),
        var other => throw Mismatch(key, other, typeof(byte[])),
    };

    public BinaryData? GetBinaryData(string key) => TryGet(key) switch
    {
        null => null,
        BinaryData d => d,
        byte[] b => new BinaryData(b),
        var other => throw Mismatch(key, other, typeof(BinaryData)),
    };

    private object? TryGet(string key) => _properties.TryGetValue(key, out object? value) ? value : null;

    private T? Get<T>(string key) where T : class => TryGet(key) switch
    {
        null => null,
        T value => value,
        var other => throw Mismatch(key, other, typeof(T)),
    };

    private T? GetStruct<T>(string key) where T : struct => TryGet(key) switch
    {
        null => null,
        T value => value,
        var other => throw Mismatch(key, other, typeof(T)),
    };

    private static InvalidOperationException Mismatch(string key, object value, Type wanted) =>
        new($"Property '{key}' holds a {value.GetType().Name}, not a {wanted.Name}.");

    // IDictionary<string, object?>: the entity is its property bag.
    public object? this[string key]
    {
        get => TryGet(key);
        set => _properties[key] = value;
    }

    public ICollection<string> Keys => _properties.Keys;
    public ICollection<object?> Values => _properties.Values;
    public int Count => _properties.Count;
    public bool IsReadOnly => false;
    public void Add(string key, object? value) => _properties.Add(key, value);
    public bool ContainsKey(string key) => _properties.ContainsKey(key);
    public bool Remove(string key) => _properties.Remove(key);
    public bool TryGetValue(string key, out object? value) => _properties.TryGetValue(key, out value);
    public void Add(KeyValuePair<string, object?> item) => _properties.Add(item.Key, item.Value);
    public void Clear() => _properties.Clear();
    public bool Contains(KeyValuePair<string, object?> item) => ((ICollection<KeyValuePair<string, object?>>)_properties).Contains(item);
    public void CopyTo(KeyValuePair<string, object?>[] array, int arrayIndex) => ((ICollection<KeyValuePair<string, object?>>)_properties).CopyTo(array, arrayIndex);
    public bool Remove(KeyValuePair<string, object?> item) => ((ICollection<KeyValuePair<string, object?>>)_properties).Remove(item);
    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => _properties.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => _properties.GetEnumerator();

    internal Dictionary<string, object?> Properties => _properties;

    public override string ToString() => $"TableEntity(PartitionKey={GetString(PartitionKeyName)}, RowKey={GetString(RowKeyName)}, {Count} properties)";
}
