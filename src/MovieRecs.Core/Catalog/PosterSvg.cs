using System.Globalization;
using System.Text;

namespace MovieRecs.Core.Catalog;

/// <summary>
/// Draws a simple, self-contained 300×450 SVG poster for a movie: a gradient in its genres' colours,
/// the title wrapped over several lines, the year and the genres. Deterministic: the same movie gives the
/// same bytes.
/// </summary>
public static class PosterSvg
{
    public const int Width = 300;
    public const int Height = 450;

    static readonly Dictionary<string, string> s_genreColours = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Action"] = "#b3261e", ["Adventure"] = "#d8641b", ["Animation"] = "#e0a106", ["Children"] = "#5f9e3a",
        ["Comedy"] = "#e6b422", ["Crime"] = "#37474f", ["Documentary"] = "#546e7a", ["Drama"] = "#5e35b1",
        ["Fantasy"] = "#8e24aa", ["Film-Noir"] = "#1c1c1c", ["Horror"] = "#4a0d0d", ["IMAX"] = "#0277bd",
        ["Musical"] = "#c2185b", ["Mystery"] = "#283593", ["Romance"] = "#d81b60", ["Sci-Fi"] = "#00838f",
        ["Thriller"] = "#3e2723", ["War"] = "#556b2f", ["Western"] = "#a0522d",
    };

    const string NoGenreColour = "#455a64";

    /// <summary>The fill colour used for a genre ("#rrggbb"); unknown genres get a stable colour derived from the name.</summary>
    public static string GenreColour(string genre) =>
        s_genreColours.TryGetValue(genre, out var c) ? c : HashColour(genre);

    /// <summary>Renders the poster as an SVG document (UTF-8 text, no external references).</summary>
    public static string Render(Movie movie)
    {
        ArgumentNullException.ThrowIfNull(movie);
        var top = movie.Genres.Count > 0 ? GenreColour(movie.Genres[0]) : NoGenreColour;
        var bottom = movie.Genres.Count > 1 ? GenreColour(movie.Genres[1]) : Darken(top, 0.45);
        var title = Clean(MovieTitle.Display(movie.Title));
        if (title.Length == 0)
            title = Clean(movie.Title);
        var (fontSize, lines) = Layout(title);

        var sb = new StringBuilder(2048);
        sb.Append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"300\" height=\"450\" viewBox=\"0 0 300 450\" role=\"img\" aria-label=\"");
        Escape(sb, title);
        sb.Append("\">\n<title>");
        Escape(sb, movie.Title);
        sb.Append("</title>\n<defs><linearGradient id=\"bg\" x1=\"0\" y1=\"0\" x2=\"0.35\" y2=\"1\">")
          .Append("<stop offset=\"0\" stop-color=\"").Append(top).Append("\"/>")
          .Append("<stop offset=\"1\" stop-color=\"").Append(bottom).Append("\"/>")
          .Append("</linearGradient></defs>\n")
          .Append("<rect width=\"300\" height=\"450\" fill=\"url(#bg)\"/>\n");

        // a few soft circles placed from the id, so posters of one genre still differ
        var seed = (uint)movie.Id * 2654435761u;
        for (var i = 0; i < 3; i++)
        {
            seed = seed * 1664525u + 1013904223u;
            var cx = 30 + (int)(seed >> 8) % 240;
            seed = seed * 1664525u + 1013904223u;
            var cy = 40 + (int)(seed >> 8) % 200;
            seed = seed * 1664525u + 1013904223u;
            var r = 40 + (int)(seed >> 8) % 90;
            sb.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{cx}\" cy=\"{cy}\" r=\"{r}\" fill=\"#ffffff\" fill-opacity=\"0.07\"/>\n");
        }

        sb.Append("<rect x=\"0\" y=\"300\" width=\"300\" height=\"150\" fill=\"#000000\" fill-opacity=\"0.35\"/>\n");
        var lineHeight = fontSize * 1.2;
        var y = 60 + fontSize;
        sb.Append(CultureInfo.InvariantCulture,
            $"<text x=\"20\" y=\"{y}\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"{fontSize}\" font-weight=\"bold\" fill=\"#ffffff\">");
        for (var i = 0; i < lines.Count; i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<tspan x=\"20\" dy=\"{(i == 0 ? 0 : lineHeight):0.#}\">");
            Escape(sb, lines[i]);
            sb.Append("</tspan>");
        }
        sb.Append("</text>\n");
        if (movie.Year is { } year)
            sb.Append(CultureInfo.InvariantCulture,
                $"<text x=\"20\" y=\"370\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"34\" fill=\"#ffffff\">{year}</text>\n");
        if (movie.Genres.Count > 0)
        {
            sb.Append("<text x=\"20\" y=\"410\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"15\" fill=\"#ffffff\" fill-opacity=\"0.85\">");
            var genres = string.Join(" · ", movie.Genres);
            Escape(sb, genres.Length > 38 ? genres[..37] + "…" : genres);
            sb.Append("</text>\n");
        }
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    /// <summary>Picks a font size and wraps the title: short titles big, long ones smaller; at most 6 lines.</summary>
    static (int FontSize, List<string> Lines) Layout(string title)
    {
        foreach (var (size, perLine, maxLines) in (ReadOnlySpan<(int, int, int)>)[(34, 14, 4), (28, 17, 5), (22, 22, 6)])
        {
            var lines = Wrap(title, perLine);
            if (lines.Count <= maxLines)
                return (size, lines);
            if (size == 22)
            {
                lines = lines.GetRange(0, maxLines);
                var last = lines[^1];
                lines[^1] = (last.Length >= perLine ? last[..(perLine - 1)] : last) + "…";
                return (size, lines);
            }
        }
        throw new InvalidOperationException("unreachable");
    }

    static List<string> Wrap(string text, int perLine)
    {
        var lines = new List<string>();
        var line = new StringBuilder();
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var w = word;
            while (w.Length > perLine)
            {
                // a word too long for a line: break it
                if (line.Length > 0)
                {
                    lines.Add(line.ToString());
                    line.Clear();
                }
                lines.Add(w[..(perLine - 1)] + "-");
                w = w[(perLine - 1)..];
            }
            if (line.Length > 0 && line.Length + 1 + w.Length > perLine)
            {
                lines.Add(line.ToString());
                line.Clear();
            }
            if (line.Length > 0)
                line.Append(' ');
            line.Append(w);
        }
        if (line.Length > 0)
            lines.Add(line.ToString());
        return lines;
    }

    /// <summary>XML-escapes text and drops characters XML 1.0 does not allow (control characters, lone surrogates).</summary>
    static void Escape(StringBuilder sb, string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case '&': sb.Append("&amp;"); break;
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '"': sb.Append("&quot;"); break;
                case '\'': sb.Append("&apos;"); break;
                default:
                    if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                    {
                        sb.Append(c).Append(text[++i]);
                    }
                    else if (c is '\t' or '\n' or '\r')
                    {
                        sb.Append(' ');
                    }
                    else if (c >= 0x20 && !char.IsSurrogate(c) && c != '\uFFFE' && c != '\uFFFF')
                    {
                        sb.Append(c);
                    }
                    break;
            }
        }
    }

    /// <summary>Characters XML cannot hold and white space runs become single spaces.</summary>
    static string Clean(string text)
    {
        var sb = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var ok = c >= 0x20 && c != '\uFFFE' && c != '\uFFFF'
                && (!char.IsSurrogate(c) || (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])));
            if (ok && !char.IsWhiteSpace(c))
            {
                sb.Append(c);
                if (char.IsHighSurrogate(c))
                    sb.Append(text[++i]);
            }
            else if (sb.Length > 0 && sb[^1] != ' ')
            {
                sb.Append(' ');
            }
        }
        return sb.ToString().TrimEnd();
    }

    static string Darken(string hex, double factor)
    {
        var r = (int)(Convert.ToInt32(hex.Substring(1, 2), 16) * (1 - factor));
        var g = (int)(Convert.ToInt32(hex.Substring(3, 2), 16) * (1 - factor));
        var b = (int)(Convert.ToInt32(hex.Substring(5, 2), 16) * (1 - factor));
        return $"#{r:x2}{g:x2}{b:x2}";
    }

    static string HashColour(string name)
    {
        // FNV-1a over the folded name: stable across runs and platforms (string.GetHashCode is not)
        var h = 2166136261u;
        foreach (var c in name.ToUpperInvariant())
            h = (h ^ c) * 16777619u;
        var hue = h % 360;
        return HslToHex(hue, 0.55, 0.38);
    }

    static string HslToHex(double h, double s, double l)
    {
        var c = (1 - Math.Abs(2 * l - 1)) * s;
        var x = c * (1 - Math.Abs(h / 60 % 2 - 1));
        var m = l - c / 2;
        var (r, g, b) = h switch
        {
            < 60 => (c, x, 0.0),
            < 120 => (x, c, 0.0),
            < 180 => (0.0, c, x),
            < 240 => (0.0, x, c),
            < 300 => (x, 0.0, c),
            _ => (c, 0.0, x),
        };
        return $"#{(int)Math.Round((r + m) * 255):x2}{(int)Math.Round((g + m) * 255):x2}{(int)Math.Round((b + m) * 255):x2}";
    }
}
