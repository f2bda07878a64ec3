using System.Text;

namespace MovieRecs.Core.MovieLens;

/// <summary>
/// A small RFC 4180 CSV reader: fields separated by commas; a field in double quotes may hold commas, line
/// breaks and doubled quotes (<c>"American President, The (1995)"</c>, <c>"Say ""Hi"""</c>). Quotes inside an
/// unquoted field are kept as text. Blank lines are skipped. Tracks line numbers for error reports.
/// </summary>
public sealed class CsvRecordReader(TextReader reader)
{
    readonly StringBuilder _field = new();
    int _line;

    /// <summary>Physical lines read so far.</summary>
    public int LinesRead => _line;

    /// <summary>
    /// Reads the next record into <paramref name="fields"/> (cleared first). Returns false at the end of input.
    /// When the record is malformed, returns true with <paramref name="error"/> set (and the record's lines consumed).
    /// </summary>
    /// <param name="fields">Receives the fields.</param>
    /// <param name="line">The line number the record starts on.</param>
    /// <param name="error">Null, or what is wrong with the record.</param>
    public bool Read(List<string> fields, out int line, out string? error)
    {
        fields.Clear();
        error = null;
        string? text;
        do
        {
            text = reader.ReadLine();
            if (text is null)
            {
                line = _line;
                return false;
            }
            _line++;
        } while (string.IsNullOrWhiteSpace(text));
        line = _line;

        var i = 0;
        while (true)
        {
            _field.Clear();
            if (i < text.Length && text[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= text.Length)
                    {
                        // the quoted field goes on over a line break
                        var next = reader.ReadLine();
                        if (next is null)
                        {
                            error = "unterminated quoted field";
                            return true;
                        }
                        _line++;
                        _field.Append('\n');
                        text = next;
                        i = 0;
                        continue;
                    }
                    var c = text[i++];
                    if (c != '"')
                    {
                        _field.Append(c);
                        continue;
                    }
                    if (i < text.Length && text[i] == '"')
                    {
                        _field.Append('"');
                        i++;
                        continue;
                    }
                    break; // closing quote
                }
                fields.Add(_field.ToString());
                if (i >= text.Length)
                    return true;
                if (text[i] != ',')
                {
                    error = $"unexpected character '{text[i]}' after a closing quote (field {fields.Count})";
                    return true;
                }
                i++;
            }
            else
            {
                var comma = text.IndexOf(',', i);
                var end = comma < 0 ? text.Length : comma;
                fields.Add(text[i..end].TrimEnd('\r'));
                if (comma < 0)
                    return true;
                i = comma + 1;
            }
            if (i == text.Length)
            {
                fields.Add(string.Empty); // a trailing comma: one more, empty field
                return true;
            }
        }
    }

    /// <summary>Splits one CSV line (no line breaks inside fields); null when it is malformed.</summary>
    public static List<string>? SplitLine(string line)
    {
        var fields = new List<string>();
        var r = new CsvRecordReader(new StringReader(line));
        return r.Read(fields, out _, out var error) && error is null ? fields : null;
    }
}
