using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MovieRecs.Recommender.Algorithms;

/// <summary>
/// Inverse of a dense symmetric positive-definite matrix (row-major float, n×n), in place: a blocked right-looking
/// Cholesky factorisation A = L·Lᵀ, then A⁻¹ = L⁻ᵀ·L⁻¹ by forward and back substitution on blocks of identity
/// columns, keeping only the lower triangle of each block (the result is symmetric). About (2/3)·n³ multiply-adds,
/// vectorised and spread over the given threads; every output element is computed by one thread in a fixed order, so
/// the result is the same on every run.
/// </summary>
internal static class DenseSpd
{
    const int Block = 64;

    /// <summary>Replaces <paramref name="a"/> by its inverse. Throws when the matrix is not positive definite.</summary>
    public static void InvertInPlace(float[] a, int n, int threads)
    {
        Cholesky(a, n, threads);
        InvertFromCholesky(a, n, threads);
    }

    /// <summary>Overwrites the lower triangle of <paramref name="a"/> with L (A = L·Lᵀ); the upper triangle is left stale.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Cholesky(float[] a, int n, int threads)
    {
        var panelT = new float[Block * n]; // panel transposed: panelT[t, j] = L[j, k0 + t]
        for (var k0 = 0; k0 < n; k0 += Block)
        {
            var nb = Math.Min(Block, n - k0);
            // 1. factor the diagonal block (unblocked)
            for (var j = k0; j < k0 + nb; j++)
            {
                double s = a[j * n + j];
                for (var t = k0; t < j; t++)
                    s -= (double)a[j * n + t] * a[j * n + t];
                if (!(s > 0))
                    throw new InvalidOperationException($"matrix is not positive definite (pivot {j}: {s})");
                var l = (float)Math.Sqrt(s);
                a[j * n + j] = l;
                for (var i = j + 1; i < k0 + nb; i++)
                {
                    double t2 = a[i * n + j];
                    for (var t = k0; t < j; t++)
                        t2 -= (double)a[i * n + t] * a[j * n + t];
                    a[i * n + j] = (float)(t2 / l);
                }
            }
            var rest = k0 + nb;
            if (rest >= n)
                break;
            // 2. panel rows below: L[i, k0..k0+nb) = A[i, k0..k0+nb) · L_kk⁻ᵀ (row-wise forward substitution)
            Parallelism.For(n - rest, threads, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (s0, e0) =>
            {
                for (var i = rest + s0; i < rest + e0; i++)
                {
                    var row = a.AsSpan(i * n + k0, nb);
                    for (var j = 0; j < nb; j++)
                    {
                        var s = row[j];
                        var lj = a.AsSpan((k0 + j) * n + k0, j);
                        for (var t = 0; t < j; t++)
                            s -= row[t] * lj[t];
                        row[j] = s / a[(k0 + j) * n + k0 + j];
                    }
                    for (var t = 0; t < nb; t++)
                        panelT[t * n + i] = row[t];
                }
            }, minChunk: 32);
            // 3. trailing update of the lower triangle: A[i, j] −= Σ_t L[i, k0+t]·L[j, k0+t], rest ≤ j ≤ i
            ParallelRows(rest, n, threads, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (i) =>
            {
                var target = a.AsSpan(i * n + rest, i - rest + 1);
                var coef = a.AsSpan(i * n + k0, nb);
                SubtractCombination(target, coef, panelT, n, rest);
            });
        }
    }

    /// <summary>target[j] −= Σ_t coef[t]·rows[t·stride + offset + j] for every j, four rows of the panel at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void SubtractCombination(Span<float> target, ReadOnlySpan<float> coef, float[] rows, int stride, int offset)
    {
        var len = target.Length;
        var t = 0;
        ref var tg = ref MemoryMarshal.GetReference(target);
        for (; t + 4 <= coef.Length; t += 4)
        {
            var c0 = coef[t]; var c1 = coef[t + 1]; var c2 = coef[t + 2]; var c3 = coef[t + 3];
            ref var r0 = ref rows[t * stride + offset];
            ref var r1 = ref rows[(t + 1) * stride + offset];
            ref var r2 = ref rows[(t + 2) * stride + offset];
            ref var r3 = ref rows[(t + 3) * stride + offset];
            var j = 0;
            if (Vector.IsHardwareAccelerated)
            {
                var v0 = new Vector<float>(c0); var v1 = new Vector<float>(c1); var v2 = new Vector<float>(c2); var v3 = new Vector<float>(c3);
                var w = Vector<float>.Count;
                for (; j + w <= len; j += w)
                {
                    var acc = Vector.LoadUnsafe(ref tg, (nuint)j);
                    acc -= v0 * Vector.LoadUnsafe(ref r0, (nuint)j);
                    acc -= v1 * Vector.LoadUnsafe(ref r1, (nuint)j);
                    acc -= v2 * Vector.LoadUnsafe(ref r2, (nuint)j);
                    acc -= v3 * Vector.LoadUnsafe(ref r3, (nuint)j);
                    acc.StoreUnsafe(ref tg, (nuint)j);
                }
            }
            for (; j < len; j++)
                Unsafe.Add(ref tg, j) -= c0 * Unsafe.Add(ref r0, j) + c1 * Unsafe.Add(ref r1, j) + c2 * Unsafe.Add(ref r2, j) + c3 * Unsafe.Add(ref r3, j);
        }
        for (; t < coef.Length; t++)
        {
            var c = coef[t];
            ref var r = ref rows[t * stride + offset];
            for (var j = 0; j < len; j++)
                Unsafe.Add(ref tg, j) -= c * Unsafe.Add(ref r, j);
        }
    }

    /// <summary>Runs body(i) for i in [start, end), rows interleaved over the threads (row i costs about i − start).</summary>
    static void ParallelRows(int start, int end, int threads, Action<int> body)
    {
        var count = end - start;
        if (count <= 0)
            return;
        var stripes = Math.Max(1, Math.Min(threads * 4, count / 8 + 1));
        System.Threading.Tasks.Parallel.For(0, stripes, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) }, s =>
        {
            for (var i = start + s; i < end; i += stripes)
                body(i);
        });
    }

    /// <summary>Given L in the lower triangle of <paramref name="a"/>, writes A⁻¹ (full symmetric) into <paramref name="a"/>.</summary>
    public static void InvertFromCholesky(float[] a, int n, int threads)
    {
        // keep Lᵀ in the (stale) upper triangle so that back substitution reads rows too
        var diag = new float[n];
        for (var i = 0; i < n; i++)
        {
            diag[i] = a[i * n + i];
            for (var k = i + 1; k < n; k++)
                a[i * n + k] = a[k * n + i];
        }
        var blocks = (n + Block - 1) / Block;
        var result = new float[checked(n * n)];
        System.Threading.Tasks.Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) }, () => new float[n * Block], [MethodImpl(MethodImplOptions.AggressiveOptimization)] (b, _, x) =>
        {
            // columns j0..j0+nb of the inverse, rows ≥ j0 only (the rest follows by symmetry)
            var j0 = b * Block;
            var nb = Math.Min(Block, n - j0);
            var rows = n - j0;
            Array.Clear(x, 0, rows * Block);
            // forward: L y = e_j (rows before j0 are zero)
            for (var i = j0; i < n; i++)
            {
                var r = i - j0;
                var xi = x.AsSpan(r * Block, Block);
                if (r < nb)
                    xi[r] += 1;
                SubtractRows(xi, a.AsSpan(i * n + j0, r), x.AsSpan(0, r * Block));
                Scale(xi, 1 / diag[i]);
            }
            // back: Lᵀ z = y from the bottom: z_i = (y_i − Σ_{k>i} Lᵀ[i,k]·z_k) / L[i,i]
            for (var i = n - 1; i >= j0; i--)
            {
                var r = i - j0;
                var xi = x.AsSpan(r * Block, Block);
                SubtractRows(xi, a.AsSpan(i * n + i + 1, n - i - 1), x.AsSpan((r + 1) * Block, (n - i - 1) * Block));
                Scale(xi, 1 / diag[i]);
            }
            for (var i = j0; i < n; i++)
                x.AsSpan((i - j0) * Block, nb).CopyTo(result.AsSpan(i * n + j0, nb));
            return x;
        }, _ => { });
        // result holds the inverse for j ≤ i within and below each diagonal block; mirror the strict lower part
        for (var i = 0; i < n; i++)
        {
            var blockStart = i / Block * Block;
            for (var j = 0; j < blockStart; j++)
                a[j * n + i] = a[i * n + j] = result[i * n + j];
            for (var j = blockStart; j <= i; j++)
                a[j * n + i] = a[i * n + j] = result[i * n + j];
        }
    }

    /// <summary>x −= Σ_t coef[t]·rows[t·Block .. t·Block+Block) with the 64 accumulators held in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void SubtractRows(Span<float> x, ReadOnlySpan<float> coef, ReadOnlySpan<float> rows)
    {
        if (Vector256.IsHardwareAccelerated && x.Length == 64)
        {
            ref var xr = ref MemoryMarshal.GetReference(x);
            var a0 = Vector256.LoadUnsafe(ref xr, 0); var a1 = Vector256.LoadUnsafe(ref xr, 8);
            var a2 = Vector256.LoadUnsafe(ref xr, 16); var a3 = Vector256.LoadUnsafe(ref xr, 24);
            var a4 = Vector256.LoadUnsafe(ref xr, 32); var a5 = Vector256.LoadUnsafe(ref xr, 40);
            var a6 = Vector256.LoadUnsafe(ref xr, 48); var a7 = Vector256.LoadUnsafe(ref xr, 56);
            ref var rr = ref MemoryMarshal.GetReference(rows);
            for (var t = 0; t < coef.Length; t++)
            {
                var c = coef[t];
                if (c == 0)
                    continue;
                var v = Vector256.Create(c);
                ref var row = ref Unsafe.Add(ref rr, t * 64);
                a0 = Vector256.FusedMultiplyAdd(-v, Vector256.LoadUnsafe(ref row, 0), a0);
                a1 = Vector256.FusedMultiplyAdd(-v, Vector256.LoadUnsafe(ref row, 8), a1);
                a2 = Vector256.FusedMultiplyAdd(-v, Vector256.LoadUnsafe(ref row, 16), a2);
                a3 = Vector256.FusedMultiplyAdd(-v, Vector256.LoadUnsafe(ref row, 24), a3);
                a4 = Vector256.FusedMultiplyAdd(-v, Vector256.LoadUnsafe(ref row, 32), a4);
                a5 = Vector256.FusedMultiplyAdd(-v, Vector256.LoadUnsafe(ref row, 40), a5);
                a6 = Vector256.FusedMultiplyAdd(-v, Vector256.LoadUnsafe(ref row, 48), a6);
                a7 = Vector256.FusedMultiplyAdd(-v, Vector256.LoadUnsafe(ref row, 56), a7);
            }
            a0.StoreUnsafe(ref xr, 0); a1.StoreUnsafe(ref xr, 8); a2.StoreUnsafe(ref xr, 16); a3.StoreUnsafe(ref xr, 24);
            a4.StoreUnsafe(ref xr, 32); a5.StoreUnsafe(ref xr, 40); a6.StoreUnsafe(ref xr, 48); a7.StoreUnsafe(ref xr, 56);
            return;
        }
        for (var t = 0; t < coef.Length; t++)
            if (coef[t] != 0)
                Axpy(x, -coef[t], rows.Slice(t * x.Length, x.Length));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Axpy(Span<float> y, float alpha, ReadOnlySpan<float> x) =>
        Simd.MultiplyAdd(x, alpha, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Scale(Span<float> y, float alpha) =>
        Simd.Scale(y, alpha);
}
