using System.Globalization;
using System.Text;

namespace MovieRecs.Core.MovieLens;

/// <summary>How a ratings file separates its fields.</summary>
public enum RatingsFileFormat
{
    /// <summary>ratings.csv: "userId,movieId,rating,timestamp" with a header line.</summary>
    Csv,
    /// <summary>u.data: "user item rating timestamp" separated by tabs or spaces, no header.</summary>
    Whitespace,
    /// <summary>ratings.dat (ml-1m, ml-10m): "UserID::MovieID::Rating::Timestamp".</summary>
    DoubleColon,
}

/// <summary>
/// Reads a ratings file of any MovieLens flavour, detecting the format from its first line: ratings.csv
/// (comma-separated, header userId,movieId,rating,timestamp), u.data (whitespace-separated, no header) or
/// ratings.dat ("::"). Lines are parsed straight from UTF-8 bytes (no per-line strings), so ml-25m's 25M
/// ratings read in seconds. Bad lines are skipped and reported; blank lines are skipped silently.
/// </summary>
/// <remarks>
/// Validation: user and movie ids are positive 32-bit integers; the rating is 0.5..5.0 in steps of 0.5
/// (whole stars 1..5 included); the timestamp is an integer (unix seconds; 0 when a 3-column file has none).
/// A header names the columns, so csv files whose columns come in another order are read correctly.
/// </remarks>
public static class RatingsFile
{
    /// <summary>Streams the ratings of <paramref name="path"/>, detecting the format.</summary>
    public static IEnumerable<RatingRow> Read(string path, ICollection<ParseIssue> issues) => Read(path, issues, null);

    /// <summary>Streams the ratings of <paramref name="path"/> in a given format (null = detect).</summary>
    public static IEnumerable<RatingRow> Read(string path, ICollection<ParseIssue> issues, RatingsFileFormat? format)
    {
        MovieLensReader.RequireFile(path, issues);
        return Iterate(path, issues, format);

        static IEnumerable<RatingRow> Iterate(string path, ICollection<ParseIssue> issues, RatingsFileFormat? format)
        {
            using var parser = new RatingsParser(path, issues, format);
            var batch = new RatingRow[4096];
            int n;
            while ((n = parser.ReadBatch(batch)) > 0)
                for (var i = 0; i < n; i++)
                    yield return batch[i];
        }
    }

    /// <summary>Streams ratings with their 1-based line numbers, for reports about rows that parse but are rejected later.</summary>
    public static IEnumerable<(RatingRow Row, int Line)> ReadWithLines(string path, ICollection<ParseIssue> issues, RatingsFileFormat? format = null)
    {
        MovieLensReader.RequireFile(path, issues);
        return Iterate(path, issues, format);

        static IEnumerable<(RatingRow, int)> Iterate(string path, ICollection<ParseIssue> issues, RatingsFileFormat? format)
        {
            using var parser = new RatingsParser(path, issues, format);
            var batch = new RatingRow[4096];
            var lines = new int[batch.Length];
            int n;
            while ((n = parser.ReadBatch(batch, lines)) > 0)
                for (var i = 0; i < n; i++)
                    yield return (batch[i], lines[i]);
        }
    }

    /// <summary>Reads every rating of <paramref name="path"/> into a list (faster than enumerating <see cref="Read(string, ICollection{ParseIssue})"/>).</summary>
    public static List<RatingRow> ReadAll(string path, ICollection<ParseIssue> issues, RatingsFileFormat? format = null)
    {
        MovieLensReader.RequireFile(path, issues);
        var list = new List<RatingRow>((int)Math.Min(int.MaxValue / 2, Math.Max(16, new FileInfo(path).Length / 24)));
        using var parser = new RatingsParser(path, issues, format);
        var batch = new RatingRow[16384];
        int n;
        while ((n = parser.ReadBatch(batch)) > 0)
            list.AddRange(batch.AsSpan(0, n));
        return list;
    }

    /// <summary>The format of a ratings file, judged from its first non-blank line.</summary>
    public static RatingsFileFormat DetectFormat(string path)
    {
        foreach (var line in File.ReadLines(path))
            if (!string.IsNullOrWhiteSpace(line))
                return DetectFormat(Encoding.UTF8.GetBytes(line));
        return RatingsFileFormat.Csv;
    }

    internal static RatingsFileFormat DetectFormat(ReadOnlySpan<byte> line) =>
        line.IndexOf("::"u8) >= 0 ? RatingsFileFormat.DoubleColon
        : line.IndexOf((byte)',') >= 0 ? RatingsFileFormat.Csv
        : RatingsFileFormat.Whitespace;
}

/// <summary>Byte-level line parser behind <see cref="RatingsFile"/>.</summary>
internal sealed class RatingsParser : IDisposable
{
    readonly FileStream _stream;
    readonly string _path;
    readonly ICollection<ParseIssue> _issues;
    RatingsFileFormat? _format;
    byte[] _buffer = new byte[1 << 20];
    int _pos, _end, _line;
    bool _eof, _sawFirstLine;
    int _userCol = 0, _movieCol = 1, _ratingCol = 2, _timeCol = 3, _columns = -1;
    string _header = "";

    public RatingsParser(string path, ICollection<ParseIssue> issues, RatingsFileFormat? format)
    {
        _path = path;
        _issues = issues;
        _format = format;
        _stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
    }

    public void Dispose() => _stream.Dispose();

    /// <summary>Parses lines until <paramref name="rows"/> is full or the file ends; returns the rows filled.</summary>
    public int ReadBatch(Span<RatingRow> rows, Span<int> lineNumbers = default)
    {
        var n = 0;
        while (n < rows.Length && NextLine(out var line))
        {
            _line++;
            if (TryParse(line, out rows[n]))
            {
                if (!lineNumbers.IsEmpty)
                    lineNumbers[n] = _line;
                n++;
            }
        }
        return n;
    }

    bool NextLine(out ReadOnlySpan<byte> line)
    {
        while (true)
        {
            var span = _buffer.AsSpan(_pos, _end - _pos);
            var nl = span.IndexOf((byte)'\n');
            if (nl >= 0)
            {
                line = span[..nl];
                _pos += nl + 1;
                return true;
            }
            if (_eof)
            {
                line = span;
                _pos = _end;
                return span.Length > 0;
            }
            if (_pos > 0)
            {
                span.CopyTo(_buffer);
                _end -= _pos;
                _pos = 0;
            }
            if (_end == _buffer.Length)
                Array.Resize(ref _buffer, _buffer.Length * 2); // a line longer than the buffer
            var read = _stream.Read(_buffer, _end, _buffer.Length - _end);
            if (read == 0)
                _eof = true;
            else
                _end += read;
        }
    }

    bool TryParse(ReadOnlySpan<byte> line, out RatingRow row)
    {
        row = default;
        if (_line == 1 && line.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
            line = line[3..];
        if (line.Length > 0 && line[^1] == '\r')
            line = line[..^1];
        if (line.Trim(" \t"u8).IsEmpty)
            return false;
        _format ??= RatingsFile.DetectFormat(line);

        Span<int> starts = stackalloc int[6];
        Span<int> lengths = stackalloc int[6];
        var count = Split(line, starts, lengths);

        if (!_sawFirstLine)
        {
            _sawFirstLine = true;
            var first = line.Trim(" \t\""u8);
            if (first.Length > 0 && char.IsAsciiLetter((char)first[0]))
            {
                ReadHeader(line, starts, lengths, count);
                return false;
            }
        }

        if (_columns > 0 ? count != _columns : count is < 3 or > 4)
        {
            Issue(_columns > 0
                ? $"expected {_columns} fields ({_header}) but found {(count == 6 ? "6 or more" : count)}"
                : $"expected 4 fields (userId, movieId, rating, timestamp) but found {(count == 6 ? "6 or more" : count)}");
            return false;
        }
        var user = line.Slice(starts[_userCol], lengths[_userCol]);
        var movie = line.Slice(starts[_movieCol], lengths[_movieCol]);
        var rating = line.Slice(starts[_ratingCol], lengths[_ratingCol]);
        if (!TryParseId(user, out var userId))
        {
            Issue($"user id '{Text(user)}' is not a positive integer");
            return false;
        }
        if (!TryParseId(movie, out var movieId))
        {
            Issue($"movie id '{Text(movie)}' is not a positive integer");
            return false;
        }
        if (!TryParseHalves(rating, out var halves))
        {
            Issue(DescribeBadRating(rating));
            return false;
        }
        long ts = 0;
        if (_timeCol >= 0 && _timeCol < count)
        {
            var time = line.Slice(starts[_timeCol], lengths[_timeCol]);
            if (!TryParseLong(time, out ts))
            {
                Issue($"timestamp '{Text(time)}' is not an integer");
                return false;
            }
        }
        row = new RatingRow(userId, movieId, halves * 0.5f, ts);
        return true;
    }

    /// <summary>Splits a line into at most 6 fields (a 6th means "too many"); returns the count.</summary>
    int Split(ReadOnlySpan<byte> line, Span<int> starts, Span<int> lengths)
    {
        var count = 0;
        var i = 0;
        switch (_format)
        {
            case RatingsFileFormat.Whitespace:
                while (count < starts.Length)
                {
                    while (i < line.Length && line[i] is (byte)' ' or (byte)'\t')
                        i++;
                    if (i >= line.Length)
                        break;
                    var s = i;
                    while (i < line.Length && line[i] is not ((byte)' ' or (byte)'\t'))
                        i++;
                    starts[count] = s;
                    lengths[count++] = i - s;
                }
                return count;
            default:
                var sep = _format == RatingsFileFormat.Csv ? ","u8 : "::"u8;
                while (count < starts.Length)
                {
                    var rest = line[i..];
                    var at = rest.IndexOf(sep);
                    var len = at < 0 ? rest.Length : at;
                    // trim spaces and optional quotes around the field
                    int s = i, e = i + len;
                    while (s < e && line[s] is (byte)' ' or (byte)'\t' or (byte)'"')
                        s++;
                    while (e > s && line[e - 1] is (byte)' ' or (byte)'\t' or (byte)'"')
                        e--;
                    starts[count] = s;
                    lengths[count++] = e - s;
                    if (at < 0)
                        break;
                    i += at + sep.Length;
                }
                return count;
        }
    }

    void ReadHeader(ReadOnlySpan<byte> line, ReadOnlySpan<int> starts, ReadOnlySpan<int> lengths, int count)
    {
        int user = -1, movie = -1, rating = -1, time = -1;
        for (var c = 0; c < count; c++)
        {
            var name = Text(line.Slice(starts[c], lengths[c])).Replace("_", "", StringComparison.Ordinal).ToLowerInvariant();
            switch (name)
            {
                case "userid" or "user" or "uid": user = c; break;
                case "movieid" or "movie" or "itemid" or "item" or "mid": movie = c; break;
                case "rating" or "score" or "stars": rating = c; break;
                case "timestamp" or "time" or "ts": time = c; break;
            }
        }
        if (user < 0 || movie < 0 || rating < 0)
            throw new InvalidDataException(
                $"{_path}: the header '{Text(line)}' does not name userId, movieId and rating columns; " +
                "expected a ratings.csv (userId,movieId,rating,timestamp) or u.data (user item rating timestamp, no header) file.");
        (_userCol, _movieCol, _ratingCol, _timeCol, _columns) = (user, movie, rating, time, count);
        _header = Text(line).Trim();
    }

    static bool TryParseId(ReadOnlySpan<byte> s, out int value)
    {
        value = 0;
        if (s.IsEmpty || s.Length > 10)
            return false;
        long v = 0;
        foreach (var b in s)
        {
            var d = (uint)(b - '0');
            if (d > 9)
                return false;
            v = v * 10 + d;
        }
        if (v is <= 0 or > int.MaxValue)
            return false;
        value = (int)v;
        return true;
    }

    static bool TryParseLong(ReadOnlySpan<byte> s, out long value)
    {
        value = 0;
        var negative = s.Length > 0 && s[0] == '-';
        if (negative)
            s = s[1..];
        if (s.IsEmpty || s.Length > 18)
            return false;
        foreach (var b in s)
        {
            var d = (uint)(b - '0');
            if (d > 9)
                return false;
            value = value * 10 + d;
        }
        if (negative)
            value = -value;
        return true;
    }

    /// <summary>"4", "4.0", "4.5", "4.50" → half stars 8, 8, 9, 9; anything off the 0.5..5 half-star scale fails.</summary>
    static bool TryParseHalves(ReadOnlySpan<byte> s, out int halves)
    {
        halves = 0;
        var dot = s.IndexOf((byte)'.');
        var whole = dot < 0 ? s : s[..dot];
        if (whole.IsEmpty || whole.Length > 3)
            return false;
        var w = 0;
        foreach (var b in whole)
        {
            var d = (uint)(b - '0');
            if (d > 9)
                return false;
            w = w * 10 + (int)d;
        }
        var half = 0;
        if (dot >= 0)
        {
            var frac = s[(dot + 1)..];
            for (var i = 0; i < frac.Length; i++)
            {
                var d = (uint)(frac[i] - '0');
                if (d > 9)
                    return false;
                if (i == 0 && d == 5)
                    half = 1;
                else if (d != 0)
                    return false;
            }
        }
        halves = w * 2 + half;
        return halves is >= 1 and <= 10;
    }

    static string DescribeBadRating(ReadOnlySpan<byte> s)
    {
        var text = Text(s);
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v))
            return $"rating '{text}' is not a number";
        if (v < 0.5 || v > 5.0)
            return $"rating {text} is outside 0.5..5.0";
        return $"rating {text} is not a multiple of 0.5";
    }

    static string Text(ReadOnlySpan<byte> s) => Encoding.UTF8.GetString(s);

    void Issue(string message) => _issues.Add(new ParseIssue(_path, _line, message));
}
