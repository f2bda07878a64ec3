namespace MovieRecs.Core.Catalog;

/// <summary>One-edit (Damerau-Levenshtein distance 1) comparisons used by search.</summary>
internal static class Typo
{
    /// <summary>
    /// True when <paramref name="a"/> and <paramref name="b"/> differ by at most one insertion, deletion,
    /// substitution or transposition of adjacent letters.
    /// </summary>
    public static bool WithinOneEdit(ReadOnlySpan<char> a, ReadOnlySpan<char> b)
    {
        var diff = a.Length - b.Length;
        if (diff is > 1 or < -1)
            return false;
        var i = a.CommonPrefixLength(b);
        if (i == a.Length || i == b.Length)
            return true; // equal, or one is the other plus one trailing letter
        if (diff == 0)
            return a[(i + 1)..].SequenceEqual(b[(i + 1)..])
                || (i + 1 < a.Length && a[i] == b[i + 1] && a[i + 1] == b[i] && a[(i + 2)..].SequenceEqual(b[(i + 2)..]));
        return diff > 0 ? a[(i + 1)..].SequenceEqual(b[i..]) : a[i..].SequenceEqual(b[(i + 1)..]);
    }

    /// <summary>
    /// True when some prefix of <paramref name="term"/> is within one edit of <paramref name="query"/> but
    /// <paramref name="query"/> is not itself a prefix of <paramref name="term"/>: the user is typing a word
    /// and made a typo ("godfahe" → "godfather").
    /// </summary>
    public static bool WithinOneEditOfPrefix(ReadOnlySpan<char> query, ReadOnlySpan<char> term)
    {
        var i = query.CommonPrefixLength(term);
        if (i == query.Length)
            return false; // a plain prefix match, not a typo
        if (i == term.Length)
            return query.Length == term.Length + 1; // the term plus one extra letter
        var q1 = query[(i + 1)..];
        return term[(i + 1)..].StartsWith(q1)                    // substitution
            || term[i..].StartsWith(q1)                          // an extra letter in the query
            || term[(i + 1)..].StartsWith(query[i..])            // a letter missing from the query
            || (i + 1 < query.Length && i + 1 < term.Length      // adjacent letters swapped
                && query[i] == term[i + 1] && query[i + 1] == term[i]
                && term[(i + 2)..].StartsWith(query[(i + 2)..]));
    }
}
