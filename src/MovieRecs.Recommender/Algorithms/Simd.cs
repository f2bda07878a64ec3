using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MovieRecs.Recommender.Algorithms;

/// <summary>
/// Small vector kernels (Vector&lt;float&gt;) for the training loops. They are marked for immediate full optimisation:
/// a training run lasts seconds, too short for tiered compilation to promote generic library code out of its slow first
/// tier, which made the same loops several times slower through TensorPrimitives.
/// </summary>
internal static class Simd
{
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var n = a.Length;
        ref var ar = ref MemoryMarshal.GetReference(a);
        ref var br = ref MemoryMarshal.GetReference(b);
        var i = 0;
        var w = Vector<float>.Count;
        float s = 0;
        if (Vector.IsHardwareAccelerated && n >= w)
        {
            var acc0 = Vector<float>.Zero;
            var acc1 = Vector<float>.Zero;
            for (; i + 2 * w <= n; i += 2 * w)
            {
                acc0 += Vector.LoadUnsafe(ref ar, (nuint)i) * Vector.LoadUnsafe(ref br, (nuint)i);
                acc1 += Vector.LoadUnsafe(ref ar, (nuint)(i + w)) * Vector.LoadUnsafe(ref br, (nuint)(i + w));
            }
            for (; i + w <= n; i += w)
                acc0 += Vector.LoadUnsafe(ref ar, (nuint)i) * Vector.LoadUnsafe(ref br, (nuint)i);
            s = Vector.Sum(acc0 + acc1);
        }
        for (; i < n; i++)
            s += Unsafe.Add(ref ar, i) * Unsafe.Add(ref br, i);
        return s;
    }

    /// <summary>y += a·x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyAdd(ReadOnlySpan<float> x, float a, Span<float> y)
    {
        var n = y.Length;
        ref var xr = ref MemoryMarshal.GetReference(x);
        ref var yr = ref MemoryMarshal.GetReference(y);
        var i = 0;
        var w = Vector<float>.Count;
        if (Vector.IsHardwareAccelerated && n >= w)
        {
            var va = new Vector<float>(a);
            for (; i + w <= n; i += w)
                (Vector.LoadUnsafe(ref yr, (nuint)i) + va * Vector.LoadUnsafe(ref xr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        }
        for (; i < n; i++)
            Unsafe.Add(ref yr, i) += a * Unsafe.Add(ref xr, i);
    }

    /// <summary>y = a·y + x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public static void ScaleAdd(Span<float> y, float a, ReadOnlySpan<float> x)
    {
        var n = y.Length;
        ref var xr = ref MemoryMarshal.GetReference(x);
        ref var yr = ref MemoryMarshal.GetReference(y);
        var i = 0;
        var w = Vector<float>.Count;
        if (Vector.IsHardwareAccelerated && n >= w)
        {
            var va = new Vector<float>(a);
            for (; i + w <= n; i += w)
                (va * Vector.LoadUnsafe(ref yr, (nuint)i) + Vector.LoadUnsafe(ref xr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        }
        for (; i < n; i++)
            Unsafe.Add(ref yr, i) = a * Unsafe.Add(ref yr, i) + Unsafe.Add(ref xr, i);
    }

    /// <summary>y *= a.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Scale(Span<float> y, float a)
    {
        var n = y.Length;
        ref var yr = ref MemoryMarshal.GetReference(y);
        var i = 0;
        var w = Vector<float>.Count;
        if (Vector.IsHardwareAccelerated && n >= w)
        {
            var va = new Vector<float>(a);
            for (; i + w <= n; i += w)
                (va * Vector.LoadUnsafe(ref yr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
        }
        for (; i < n; i++)
            Unsafe.Add(ref yr, i) *= a;
    }

    /// <summary>y = a·y + b.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ScaleShift(Span<float> y, float a, float b)
    {
        var n = y.Length;
        ref var yr = ref MemoryMarshal.GetReference(y);
        var i = 0;
        var w = Vector<float>.Count;
        if (Vector.IsHardwareAccelerated && n >= w)
        {
            var va = new Vector<float>(a);
            var vb = new Vector<float>(b);
            for (; i + w <= n; i += w)
                (va * Vector.LoadUnsafe(ref yr, (nuint)i) + vb).StoreUnsafe(ref yr, (nuint)i);
        }
        for (; i < n; i++)
            Unsafe.Add(ref yr, i) = a * Unsafe.Add(ref yr, i) + b;
    }

    /// <summary>(Σ x, Σ x²) accumulated in double per vector lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static (double Sum, double SumOfSquares) Moments(ReadOnlySpan<float> x)
    {
        double s = 0, s2 = 0;
        var n = x.Length;
        ref var xr = ref MemoryMarshal.GetReference(x);
        var i = 0;
        var w = Vector<float>.Count;
        if (Vector.IsHardwareAccelerated && n >= w)
        {
            // float lanes over blocks of 1024, folded into double: accurate enough for standardising scores
            while (i + w <= n)
            {
                var acc = Vector<float>.Zero;
                var acc2 = Vector<float>.Zero;
                var end = Math.Min(n - w, i + 1024);
                for (; i <= end; i += w)
                {
                    var v = Vector.LoadUnsafe(ref xr, (nuint)i);
                    acc += v;
                    acc2 += v * v;
                }
                s += Vector.Sum(acc);
                s2 += Vector.Sum(acc2);
            }
        }
        for (; i < n; i++)
        {
            double v = Unsafe.Add(ref xr, i);
            s += v;
            s2 += v * v;
        }
        return (s, s2);
    }

    /// <summary>result[r] = M[r, :]·v for a row-major rows×k matrix, four rows per pass with vector accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MatVec(float[] m, ReadOnlySpan<float> v, Span<float> result, int rows, int k)
    {
        var w = Vector<float>.Count;
        if (!Vector.IsHardwareAccelerated || k % w != 0 || k == 0)
        {
            for (var a = 0; a < rows; a++)
                result[a] = Dot(m.AsSpan(a * k, k), v);
            return;
        }
        ref var vr = ref MemoryMarshal.GetReference(v);
        ref var mr = ref MemoryMarshal.GetArrayDataReference(m);
        var row = 0;
        var uk = (nuint)k;
        for (; row + 4 <= rows; row += 4)
        {
            var s0 = Vector<float>.Zero;
            var s1 = s0;
            var s2 = s0;
            var s3 = s0;
            var o = (nuint)row * uk;
            for (nuint j = 0; j < uk; j += (nuint)w)
            {
                var x = Vector.LoadUnsafe(ref vr, j);
                s0 += Vector.LoadUnsafe(ref mr, o + j) * x;
                s1 += Vector.LoadUnsafe(ref mr, o + uk + j) * x;
                s2 += Vector.LoadUnsafe(ref mr, o + 2 * uk + j) * x;
                s3 += Vector.LoadUnsafe(ref mr, o + 3 * uk + j) * x;
            }
            result[row] = Vector.Sum(s0);
            result[row + 1] = Vector.Sum(s1);
            result[row + 2] = Vector.Sum(s2);
            result[row + 3] = Vector.Sum(s3);
        }
        for (; row < rows; row++)
            result[row] = Dot(m.AsSpan(row * k, k), v);
    }

    /// <summary>
    /// a[r, c] += Σ_t u[t, r]·v[t, c] on the lower triangle (c ≤ r) of the row-major dim×dim matrix <paramref name="a"/>,
    /// for <paramref name="n"/> rows of u and v (row t at t·dim). Each element adds its terms in t order, a separate multiply
    /// and add each, exactly as the scalar triple loop does, so the sums are bit for bit the same; they are only faster:
    /// four vectors of a stay in registers while the rows go by (callers pass a few dozen rows at a time, kept in L1).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddLowerProducts(double[] a, int dim, ReadOnlySpan<double> u, ReadOnlySpan<double> v, int n)
    {
        if (a.Length < dim * dim || u.Length < n * dim || v.Length < n * dim)
            throw new ArgumentException("a needs dim² elements, u and v n·dim");
        var w = Vector<double>.Count;
        ref var ar = ref MemoryMarshal.GetArrayDataReference(a);
        ref var ur = ref MemoryMarshal.GetReference(u);
        ref var vr = ref MemoryMarshal.GetReference(v);
        var stride = (nuint)dim;
        for (var r = 0; r < dim; r++)
        {
            var row = (nuint)r * stride;
            var c = 0;
            if (Vector.IsHardwareAccelerated)
            {
                for (; c + 4 * w <= r + 1; c += 4 * w)
                {
                    var at = row + (nuint)c;
                    var a0 = Vector.LoadUnsafe(ref ar, at);
                    var a1 = Vector.LoadUnsafe(ref ar, at + (nuint)w);
                    var a2 = Vector.LoadUnsafe(ref ar, at + (nuint)(2 * w));
                    var a3 = Vector.LoadUnsafe(ref ar, at + (nuint)(3 * w));
                    for (var t = 0; t < n; t++)
                    {
                        var o = (nuint)t * stride;
                        var x = new Vector<double>(Unsafe.Add(ref ur, o + (nuint)r));
                        var vo = o + (nuint)c;
                        a0 += x * Vector.LoadUnsafe(ref vr, vo);
                        a1 += x * Vector.LoadUnsafe(ref vr, vo + (nuint)w);
                        a2 += x * Vector.LoadUnsafe(ref vr, vo + (nuint)(2 * w));
                        a3 += x * Vector.LoadUnsafe(ref vr, vo + (nuint)(3 * w));
                    }
                    a0.StoreUnsafe(ref ar, at);
                    a1.StoreUnsafe(ref ar, at + (nuint)w);
                    a2.StoreUnsafe(ref ar, at + (nuint)(2 * w));
                    a3.StoreUnsafe(ref ar, at + (nuint)(3 * w));
                }
                for (; c + w <= r + 1; c += w)
                {
                    var at = row + (nuint)c;
                    var a0 = Vector.LoadUnsafe(ref ar, at);
                    for (var t = 0; t < n; t++)
                    {
                        var o = (nuint)t * stride;
                        a0 += new Vector<double>(Unsafe.Add(ref ur, o + (nuint)r)) * Vector.LoadUnsafe(ref vr, o + (nuint)c);
                    }
                    a0.StoreUnsafe(ref ar, at);
                }
            }
            for (; c <= r; c++)
            {
                var s = Unsafe.Add(ref ar, row + (nuint)c);
                for (var t = 0; t < n; t++)
                {
                    var o = (nuint)t * stride;
                    s += Unsafe.Add(ref ur, o + (nuint)r) * Unsafe.Add(ref vr, o + (nuint)c);
                }
                Unsafe.Add(ref ar, row + (nuint)c) = s;
            }
        }
    }
}
