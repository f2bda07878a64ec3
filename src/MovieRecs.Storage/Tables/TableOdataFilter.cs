using System.Globalization;
using System.Text;

namespace MovieRecs.Storage.Tables;

/// <summary>
/// Builds OData $filter strings with every interpolated value escaped as a literal, so user input can never
/// change the shape of the filter (<c>' or PartitionKey ne '</c> stays one string literal).
/// </summary>
public static class TableOdataFilter
{
    /// <summary>
    /// <c>TableOdataFilter.Create($"PartitionKey eq {userId} and Rating ge {minRating}")</c>: every hole becomes a
    /// literal of its type (string → quoted with ' doubled, long → 123L, DateTimeOffset → datetime'..', Guid → guid'..',
    /// byte[]/BinaryData → X'..', bool, int, double). Format specifiers in the holes are ignored.
    /// </summary>
    public static string Create(FormattableString filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        object?[] args = filter.GetArguments();
        var literals = new object?[args.Length];
        for (int i = 0; i < args.Length; i++) literals[i] = ToLiteral(args[i]);
        // Holes like {0:N2} would re-format our literal strings: strip format specifiers first.
        return string.Format(CultureInfo.InvariantCulture, StripFormatSpecifiers(filter.Format), literals);
    }

    /// <summary>A string as an OData literal: <c>O'Brien</c> → <c>'O''Brien'</c>.</summary>
    public static string QuoteString(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>Any supported value as an OData literal.</summary>
    public static string ToLiteral(object? value) => value switch
    {
        null => "null",
        string s => QuoteString(s),
        char c => QuoteString(c.ToString()),
        bool b => b ? "true" : "false",
        int or short or byte or sbyte or ushort => Convert.ToString(value, CultureInfo.InvariantCulture)!,
        long l => l.ToString(CultureInfo.InvariantCulture) + "L",
        uint u => ((long)u).ToString(CultureInfo.InvariantCulture) + "L",
        double d => DoubleLiteral(d),
        float f => DoubleLiteral(f),
        decimal m => DoubleLiteral((double)m),
        DateTimeOffset dto => "datetime'" + dto.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture) + "'",
        DateTime dt => ToLiteral(dt.Kind == DateTimeKind.Unspecified ? new DateTimeOffset(dt, TimeSpan.Zero) : new DateTimeOffset(dt.ToUniversalTime())),
        Guid g => "guid'" + g.ToString("D") + "'",
        byte[] bytes => "X'" + Convert.ToHexStringLower(bytes) + "'",
        BinaryData data => "X'" + Convert.ToHexStringLower(data.ToMemory().Span) + "'",
        Enum e => QuoteString(e.ToString()),
        _ => throw new NotSupportedException($"A {value.GetType().Name} cannot be used as an OData filter value."),
    };

    private static string DoubleLiteral(double d)
    {
        if (double.IsNaN(d) || double.IsInfinity(d))
            throw new NotSupportedException("NaN and infinities cannot be used as OData filter values.");
        string s = d.ToString("R", CultureInfo.InvariantCulture);
        // An integral double written as "5" would be read as an Int32 literal.
        return s.Contains('.') || s.Contains('E') ? s : s + ".0";
    }

    private static string StripFormatSpecifiers(string format)
    {
        var sb = new StringBuilder(format.Length);
        for (int i = 0; i < format.Length; i++)
        {
            char c = format[i];
            sb.Append(c);
            if (c != '{') continue;
            if (i + 1 < format.Length && format[i + 1] == '{') { sb.Append('{'); i++; continue; } // escaped "{{"
            int close = format.IndexOf('}', i);
            if (close < 0) break;
            string hole = format[(i + 1)..close];
            int cut = hole.IndexOfAny([',', ':']);
            sb.Append(cut < 0 ? hole : hole[..cut]).Append('}');
            i = close;
        }
        return sb.ToString();
    }
}
