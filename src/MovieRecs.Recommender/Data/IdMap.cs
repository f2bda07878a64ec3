using System.Runtime.CompilerServices;

namespace MovieRecs.Recommender.Data;

/// <summary>
/// External id ↔ dense internal index. Internal indices follow ascending external ids, so the mapping
/// (and everything trained on it) does not depend on the order ratings arrive in. Small id ranges use a
/// dense lookup array; sparse ones a dictionary.
/// </summary>
internal sealed class IdMap
{
    const int DenseLimit = 1 << 24;

    readonly int[] _ids;
    readonly int[]? _dense;              // external id → index + 1 (0 = absent)
    readonly Dictionary<int, int>? _sparse;

    /// <summary>Builds a map from ids that are already distinct and ascending.</summary>
    public IdMap(int[] sortedDistinctIds)
    {
        _ids = sortedDistinctIds;
        var max = _ids.Length == 0 ? 0 : _ids[^1];
        var min = _ids.Length == 0 ? 0 : _ids[0];
        if (min >= 0 && max < DenseLimit && max <= 8L * _ids.Length + 1024)
        {
            _dense = new int[max + 1];
            for (var i = 0; i < _ids.Length; i++)
                _dense[_ids[i]] = i + 1;
        }
        else
        {
            _sparse = new Dictionary<int, int>(_ids.Length);
            for (var i = 0; i < _ids.Length; i++)
                _sparse[_ids[i]] = i;
        }
    }

    /// <summary>Builds a map from any ids (duplicates and order allowed).</summary>
    public static IdMap FromIds(ReadOnlySpan<int> ids)
    {
        if (ids.IsEmpty)
            return new IdMap([]);
        int min = int.MaxValue, max = int.MinValue;
        foreach (var id in ids)
        {
            if (id < min) min = id;
            if (id > max) max = id;
        }
        if (min >= 0 && max < DenseLimit)
        {
            var seen = new bool[max + 1];
            var distinct = 0;
            foreach (var id in ids)
                if (!seen[id])
                {
                    seen[id] = true;
                    distinct++;
                }
            var result = new int[distinct];
            var k = 0;
            for (var id = 0; id <= max; id++)
                if (seen[id])
                    result[k++] = id;
            return new IdMap(result);
        }
        var set = new HashSet<int>();
        foreach (var id in ids)
            set.Add(id);
        var arr = set.ToArray();
        Array.Sort(arr);
        return new IdMap(arr);
    }

    public int Count => _ids.Length;

    /// <summary>Internal index → external id, ascending.</summary>
    public int[] Ids => _ids;

    public int ExternalId(int index) => _ids[index];

    /// <summary>The internal index of an external id, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int IndexOf(int id)
    {
        if (_dense is not null)
            return (uint)id < (uint)_dense.Length ? _dense[id] - 1 : -1;
        return _sparse!.TryGetValue(id, out var i) ? i : -1;
    }
}
