using System.Runtime.CompilerServices;
using System.Text;

[assembly: InternalsVisibleTo("MovieRecs.Core.Tests")]

namespace MovieRecs.Core.Catalog;

/// <summary>
/// Folds text for search: lower case, accents removed (é→e, ß→ss, æ→ae, ø→o, ł→l...), apostrophes removed
/// ("Schindler's" → "schindlers"), every other non-letter/digit a word separator.
/// </summary>
/// <remarks>
/// The project runs with InvariantGlobalization, where <see cref="string.Normalize()"/> leaves non-ASCII text
/// unchanged, so Latin accents are folded with our own table (Latin-1 Supplement, Latin Extended-A and the
/// common Latin Extended-B letters). Other scripts (Greek, Cyrillic, CJK...) keep their letters, lower-cased.
/// </remarks>
public static class TextNormalizer
{
    /// <summary>Fold of U+00C0..U+024F: null = not a letter we fold (separator), else the replacement.</summary>
    static readonly string?[] s_fold = BuildFoldTable();
    const int FoldStart = 0xC0, FoldEnd = 0x24F;

    /// <summary>How an apostrophe inside a word is treated.</summary>
    internal enum ApostropheMode
    {
        /// <summary>Removed: "schindler's" is one token "schindlers" (queries and exact-title keys).</summary>
        Join,
        /// <summary>A separator inside a word: "schindler", "s" (the index adds the compound "schindlers").</summary>
        Split,
    }

    /// <summary>A token in the normalised output buffer.</summary>
    internal readonly record struct Token(int Start, int Length, bool Attached);

    /// <summary>Normalises text into space-separated lower-case words: "Amélie (2001)" → "amelie 2001".</summary>
    public static string Normalize(string? text)
    {
        if (string.IsNullOrEmpty(text))
            return string.Empty;
        var chars = new char[text.Length * 2];
        var tokens = new Token[text.Length];
        var n = Tokenize(text, chars, tokens, ApostropheMode.Join);
        var sb = new StringBuilder(text.Length);
        for (var i = 0; i < n; i++)
        {
            if (i > 0)
                sb.Append(' ');
            sb.Append(chars, tokens[i].Start, tokens[i].Length);
        }
        return sb.ToString();
    }

    /// <summary>The words of <paramref name="text"/> as <see cref="Normalize"/> splits them.</summary>
    public static IReadOnlyList<string> Words(string? text)
    {
        var s = Normalize(text);
        return s.Length == 0 ? [] : s.Split(' ');
    }

    /// <summary>
    /// Splits <paramref name="input"/> into folded tokens written contiguously to <paramref name="output"/>
    /// (needs 2 × input length) and described in <paramref name="tokens"/> (needs input length).
    /// A token is <see cref="Token.Attached"/> when only punctuation (no white space) separates it from the
    /// previous one ("spider-man", "e.t.", "schindler's" in split mode), so callers can form compounds.
    /// </summary>
    internal static int Tokenize(ReadOnlySpan<char> input, Span<char> output, Span<Token> tokens, ApostropheMode mode)
    {
        var count = 0;
        var pos = 0;
        var start = -1;          // start of the current token in output, -1 when between tokens
        var sawSpace = true;     // white space since the last token (or start of text)
        for (var i = 0; i < input.Length; i++)
        {
            var c = input[i];
            ReadOnlySpan<char> fold;
            char single;
            if (c < 0x80)
            {
                if ((uint)(c - 'a') <= 'z' - 'a' || (uint)(c - '0') <= 9)
                {
                    single = c;
                }
                else if ((uint)(c - 'A') <= 'Z' - 'A')
                {
                    single = (char)(c | 0x20);
                }
                else
                {
                    var apostrophe = c is '\'' or '`';
                    Separator(ref start, ref count, ref sawSpace, tokens, pos, apostrophe, mode, isSpace: c is ' ' or '\t' or '\r' or '\n');
                    continue;
                }
                if (start < 0)
                    start = pos;
                output[pos++] = single;
                continue;
            }

            if (c is '\u2019' or '\u2018' or '\u02BC' or '\u00B4')
            {
                Separator(ref start, ref count, ref sawSpace, tokens, pos, isApostrophe: true, mode);
                continue;
            }
            if (c >= 0x300 && c <= 0x36F)
                continue; // combining accent of decomposed input: drop it, keep the word going
            if (c >= FoldStart && c <= FoldEnd)
            {
                var f = s_fold[c - FoldStart];
                if (f is null)
                {
                    Separator(ref start, ref count, ref sawSpace, tokens, pos, isApostrophe: false, mode);
                    continue;
                }
                fold = f;
            }
            else if (char.IsLetterOrDigit(c))
            {
                single = char.ToLowerInvariant(c);
                if (start < 0)
                    start = pos;
                output[pos++] = single;
                continue;
            }
            else
            {
                Separator(ref start, ref count, ref sawSpace, tokens, pos, isApostrophe: false, mode, isSpace: char.IsWhiteSpace(c));
                continue;
            }
            if (start < 0)
                start = pos;
            fold.CopyTo(output[pos..]);
            pos += fold.Length;
        }
        if (start >= 0)
            tokens[count++] = new Token(start, pos - start, !sawSpace && count > 0);
        return count;
    }

    /// <summary>Ends the current token at a separator (an apostrophe in join mode is simply dropped).</summary>
    static void Separator(ref int start, ref int count, ref bool sawSpace, Span<Token> tokens, int pos,
        bool isApostrophe, ApostropheMode mode, bool isSpace = false)
    {
        if (isApostrophe && mode == ApostropheMode.Join)
            return; // removed: the word continues
        if (start >= 0)
        {
            tokens[count] = new Token(start, pos - start, !sawSpace && count > 0);
            count++;
            start = -1;
            sawSpace = false;
        }
        if (isSpace)
            sawSpace = true;
    }

    static string?[] BuildFoldTable()
    {
        var t = new string?[FoldEnd - FoldStart + 1];
        void Set(int from, int to, string value)
        {
            for (var c = from; c <= to; c++)
                t[c - FoldStart] = value;
        }
        // Latin-1 Supplement
        Set(0xC0, 0xC5, "a"); Set(0xC6, 0xC6, "ae"); Set(0xC7, 0xC7, "c"); Set(0xC8, 0xCB, "e");
        Set(0xCC, 0xCF, "i"); Set(0xD0, 0xD0, "d"); Set(0xD1, 0xD1, "n"); Set(0xD2, 0xD6, "o");
        Set(0xD8, 0xD8, "o"); Set(0xD9, 0xDC, "u"); Set(0xDD, 0xDD, "y"); Set(0xDE, 0xDE, "th");
        Set(0xDF, 0xDF, "ss"); Set(0xE0, 0xE5, "a"); Set(0xE6, 0xE6, "ae"); Set(0xE7, 0xE7, "c");
        Set(0xE8, 0xEB, "e"); Set(0xEC, 0xEF, "i"); Set(0xF0, 0xF0, "d"); Set(0xF1, 0xF1, "n");
        Set(0xF2, 0xF6, "o"); Set(0xF8, 0xF8, "o"); Set(0xF9, 0xFC, "u"); Set(0xFD, 0xFD, "y");
        Set(0xFE, 0xFE, "th"); Set(0xFF, 0xFF, "y");
        // Latin Extended-A
        Set(0x100, 0x105, "a"); Set(0x106, 0x10D, "c"); Set(0x10E, 0x111, "d"); Set(0x112, 0x11B, "e");
        Set(0x11C, 0x123, "g"); Set(0x124, 0x127, "h"); Set(0x128, 0x131, "i"); Set(0x132, 0x133, "ij");
        Set(0x134, 0x135, "j"); Set(0x136, 0x138, "k"); Set(0x139, 0x142, "l"); Set(0x143, 0x14B, "n");
        Set(0x14C, 0x151, "o"); Set(0x152, 0x153, "oe"); Set(0x154, 0x159, "r"); Set(0x15A, 0x161, "s");
        Set(0x162, 0x167, "t"); Set(0x168, 0x173, "u"); Set(0x174, 0x175, "w"); Set(0x176, 0x178, "y");
        Set(0x179, 0x17E, "z"); Set(0x17F, 0x17F, "s");
        // Latin Extended-B: the letters that turn up in titles (pinyin tones, Romanian, Vietnamese horn)
        Set(0x180, 0x180, "b"); Set(0x192, 0x192, "f"); Set(0x1A0, 0x1A1, "o"); Set(0x1AF, 0x1B0, "u");
        Set(0x1CD, 0x1CE, "a"); Set(0x1CF, 0x1D0, "i"); Set(0x1D1, 0x1D2, "o"); Set(0x1D3, 0x1DC, "u");
        Set(0x1E6, 0x1E7, "g"); Set(0x1E8, 0x1E9, "k"); Set(0x1EA, 0x1ED, "o"); Set(0x1F8, 0x1F9, "n");
        Set(0x1FA, 0x1FB, "a"); Set(0x1FC, 0x1FD, "ae"); Set(0x1FE, 0x1FF, "o"); Set(0x218, 0x219, "s");
        Set(0x21A, 0x21B, "t"); Set(0x200, 0x203, "a"); Set(0x204, 0x207, "e"); Set(0x208, 0x20B, "i");
        Set(0x20C, 0x20F, "o"); Set(0x210, 0x213, "r"); Set(0x214, 0x217, "u");
        // Anything else in the range that .NET calls a letter keeps itself, lower-cased.
        for (var c = FoldStart; c <= FoldEnd; c++)
            if (t[c - FoldStart] is null && char.IsLetter((char)c))
                t[c - FoldStart] = char.ToLowerInvariant((char)c).ToString();
        return t;
    }
}
