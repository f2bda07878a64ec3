using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace MovieRecs.Storage.Tables;

/// <summary>
/// OData JSON for table entities. JSON alone cannot tell an Int64 from an Int32, a Guid or DateTime from a
/// string, or an integral double from an int, so those are written with "Name@odata.type" annotations.
/// Reading uses the minimalmetadata annotations the service returns (and "5.0"-style doubles) to restore types.
/// </summary>
internal static class TableEntityJson
{
    private const string TypeSuffix = "@odata.type";

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Not embedded in HTML: no need to \u-escape every non-ASCII character (keeps payloads small).
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    /// <summary>The entity as request JSON (the writer's own buffer: no copy).</summary>
    public static ReadOnlyMemory<byte> Serialize(TableEntity entity)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
            Write(writer, entity);
        return buffer.WrittenMemory;
    }

    public static void Write(Utf8JsonWriter writer, TableEntity entity)
    {
        writer.WriteStartObject();
        foreach (KeyValuePair<string, object?> property in entity.Properties)
        {
            string name = property.Key;
            // System properties the service owns; and nulls, which the service cannot store.
            if (property.Value is null || name == TableEntity.TimestampName || name.StartsWith("odata.", StringComparison.Ordinal))
                continue;
            WriteProperty(writer, name, property.Value);
        }
        writer.WriteEndObject();
    }

    private static void WriteProperty(Utf8JsonWriter writer, string name, object value)
    {
        switch (value)
        {
            case string s:
                writer.WriteString(name, s);
                break;
            case int i:
                writer.WriteNumber(name, i);
                break;
            case long l:
                Span<byte> digits = stackalloc byte[20];
                Utf8Formatter.TryFormat(l, digits, out int written);
                writer.WriteString(name, digits[..written]);
                writer.WriteString(name + TypeSuffix, "Edm.Int64");
                break;
            case double d:
                WriteDouble(writer, name, d);
                break;
            case float f:
                WriteDouble(writer, name, f);
                break;
            case bool b:
                writer.WriteBoolean(name, b);
                break;
            case DateTimeOffset dto:
                writer.WriteString(name, dto.UtcDateTime);
                writer.WriteString(name + TypeSuffix, "Edm.DateTime");
                break;
            case DateTime dt:
                writer.WriteString(name, dt.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(dt, DateTimeKind.Utc) : dt.ToUniversalTime());
                writer.WriteString(name + TypeSuffix, "Edm.DateTime");
                break;
            case Guid g:
                writer.WriteString(name, g);
                writer.WriteString(name + TypeSuffix, "Edm.Guid");
                break;
            case byte[] bytes:
                writer.WriteBase64String(name, bytes);
                writer.WriteString(name + TypeSuffix, "Edm.Binary");
                break;
            case BinaryData data:
                writer.WriteBase64String(name, data.ToMemory().Span);
                writer.WriteString(name + TypeSuffix, "Edm.Binary");
                break;
            case Enum e:
                writer.WriteString(name, e.ToString());
                break;
            case short or byte or sbyte or ushort:
                writer.WriteNumber(name, Convert.ToInt32(value, CultureInfo.InvariantCulture));
                break;
            default:
                throw new NotSupportedException($"Property '{name}' has type {value.GetType().Name}, which a table entity cannot hold.");
        }
    }

    private static void WriteDouble(Utf8JsonWriter writer, string name, double d)
    {
        // Always annotated: 5.0 would otherwise be written as 5 and come back as an Int32.
        if (double.IsNaN(d)) writer.WriteString(name, "NaN");
        else if (double.IsPositiveInfinity(d)) writer.WriteString(name, "Infinity");
        else if (double.IsNegativeInfinity(d)) writer.WriteString(name, "-Infinity");
        else writer.WriteNumber(name, d);
        writer.WriteString(name + TypeSuffix, "Edm.Double");
    }

    /// <summary>Reads a single-entity response body.</summary>
    public static TableEntity ReadEntity(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        reader.Read();
        return ReadEntity(ref reader);
    }

    /// <summary>Reads the "value" array of a query response.</summary>
    public static List<TableEntity> ReadEntities(ReadOnlySpan<byte> json)
    {
        var result = new List<TableEntity>();
        var reader = new Utf8JsonReader(json);
        reader.Read(); // {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (!reader.ValueTextEquals("value"u8))
            {
                reader.Read();
                reader.Skip();
                continue;
            }
            reader.Read(); // [
            while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
                result.Add(ReadEntity(ref reader));
        }
        return result;
    }

    /// <summary>Reads one entity object; the reader is on its StartObject and ends on its EndObject.</summary>
    private static TableEntity ReadEntity(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException("Expected a JSON object for a table entity.");
        var entity = new TableEntity(capacity: 8);
        Dictionary<string, object?> properties = entity.Properties;
        // Annotations that arrived before their property (the service writes them first).
        List<(string Name, string Type)>? pendingTypes = null;

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string name = PropertyName(ref reader);
            reader.Read();

            if (name.EndsWith(TypeSuffix, StringComparison.Ordinal))
            {
                string target = name[..^TypeSuffix.Length];
                string type = reader.GetString() ?? "";
                if (properties.TryGetValue(target, out object? existing))
                    properties[target] = ConvertAnnotated(existing, type);
                else
                    (pendingTypes ??= new List<(string, string)>(4)).Add((target, type));
                continue;
            }

            if (name.StartsWith("odata.", StringComparison.Ordinal) && name != TableEntity.ETagName)
            {
                reader.Skip(); // odata.metadata, odata.id, odata.editLink, odata.type
                continue;
            }

            object? value = ReadValue(ref reader);
            if (name == TableEntity.TimestampName && value is string ts)
                value = ParseDateTime(ts);
            else if (pendingTypes is not null)
            {
                foreach ((string pendingName, string type) in pendingTypes)
                {
                    if (pendingName == name) { value = ConvertAnnotated(value, type); break; }
                }
            }
            properties[name] = value;
        }
        return entity;
    }

    // The system property names repeat on every entity: return the interned constants instead of new strings.
    private static string PropertyName(ref Utf8JsonReader reader)
    {
        if (reader.ValueTextEquals("PartitionKey"u8)) return TableEntity.PartitionKeyName;
        if (reader.ValueTextEquals("RowKey"u8)) return TableEntity.RowKeyName;
        if (reader.ValueTextEquals("Timestamp"u8)) return TableEntity.TimestampName;
        if (reader.ValueTextEquals("odata.etag"u8)) return TableEntity.ETagName;
        return reader.GetString()!;
    }

    private static object? ReadValue(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return reader.GetString();
            case JsonTokenType.True:
                return true;
            case JsonTokenType.False:
                return false;
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.Number:
                ReadOnlySpan<byte> raw = reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan;
                // The service writes doubles with a '.' or exponent (5.0), Int32s without.
                if (raw.IndexOfAny("."u8) < 0 && raw.IndexOfAny("eE"u8) < 0 && reader.TryGetInt32(out int i))
                    return i;
                return reader.GetDouble();
            default:
                reader.Skip(); // objects and arrays are not table property values
                return null;
        }
    }

    private static object? ConvertAnnotated(object? value, string edmType)
    {
        if (value is null) return null;
        try
        {
            return edmType switch
            {
                "Edm.Int64" => value switch { string s => long.Parse(s, CultureInfo.InvariantCulture), int i => (long)i, _ => value },
                "Edm.Int32" => value switch { string s => int.Parse(s, CultureInfo.InvariantCulture), _ => value },
                "Edm.Double" => value switch
                {
                    string s => s switch
                    {
                        "NaN" => double.NaN,
                        "Infinity" => double.PositiveInfinity,
                        "-Infinity" => double.NegativeInfinity,
                        _ => double.Parse(s, CultureInfo.InvariantCulture),
                    },
                    int i => (double)i,
                    _ => value,
                },
                "Edm.DateTime" => value is string s ? ParseDateTime(s) : value,
                "Edm.Guid" => value is string s ? Guid.Parse(s) : value,
                "Edm.Binary" => value is string s ? Convert.FromBase64String(s) : value,
                _ => value, // Edm.String, Edm.Boolean: JSON already has the right type
            };
        }
        catch (FormatException e)
        {
            throw new JsonException($"Value '{value}' is not a valid {edmType}.", e);
        }
    }

    private static DateTimeOffset ParseDateTime(string s) =>
        DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    /// <summary>Reads the table names of a Query Tables response.</summary>
    public static List<TableItem> ReadTables(ReadOnlySpan<byte> json)
    {
        var result = new List<TableItem>();
        var reader = new Utf8JsonReader(json);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (!reader.ValueTextEquals("value"u8))
            {
                reader.Read();
                reader.Skip();
                continue;
            }
            reader.Read();
            while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
            {
                string? name = null;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    bool isName = reader.ValueTextEquals("TableName"u8);
                    reader.Read();
                    if (isName) name = reader.GetString();
                    else reader.Skip();
                }
                if (name is not null) result.Add(new TableItem(name));
            }
        }
        return result;
    }
}
