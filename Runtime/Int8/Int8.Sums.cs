// Integer sums of int8 planes (the Shift-Max's channel means, the head's pool) and int8 dot
// products (the classifier), exact at every width: integer additions do not depend on their order.
// x64 sums bytes with psadbw (the bytes made unsigned by flipping their sign bit: q + 128),
// ARM64 with pairwise widening adds; the scalar loop finishes the last bytes.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace MicroNet.Aot.Runtime;

public static unsafe partial class Int8
{
    /// <summary>Sum of min(max(x[i], lo), hi) for i &lt; n, exactly (n below 2^23).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int SumClamped(sbyte* x, int n, sbyte lo, sbyte hi)
    {
        int i = 0;
        long total = 0;
        if (Avx2.IsSupported && n >= 32)
        {
            var low = Vector256.Create(lo);
            var high = Vector256.Create(hi);
            var flip = Vector256.Create((byte)0x80);
            Vector256<ulong> sums = default;
            for (; i + 32 <= n; i += 32)
            {
                var v = Avx2.Min(Avx2.Max(Vector256.Load(x + i), low), high);
                sums = Avx2.Add(sums, Avx2.SumAbsoluteDifferences(Avx2.Xor(v.AsByte(), flip), Vector256<byte>.Zero).AsUInt64());
            }
            total = (long)Vector256.Sum(sums) - 128L * i; // each byte was counted as q + 128
        }
        else if (Sse41.IsSupported && n >= 16)
        {
            var low = Vector128.Create(lo);
            var high = Vector128.Create(hi);
            var flip = Vector128.Create((byte)0x80);
            Vector128<ulong> sums = default;
            for (; i + 16 <= n; i += 16)
            {
                var v = Sse41.Min(Sse41.Max(Vector128.Load(x + i), low), high);
                sums = Sse2.Add(sums, Sse2.SumAbsoluteDifferences(Sse2.Xor(v.AsByte(), flip), Vector128<byte>.Zero).AsUInt64());
            }
            total = (long)Vector128.Sum(sums) - 128L * i;
        }
        else if (AdvSimd.Arm64.IsSupported && n >= 16)
        {
            var low = Vector128.Create(lo);
            var high = Vector128.Create(hi);
            Vector128<int> sums = default;
            for (; i + 16 <= n; i += 16)
            {
                var v = AdvSimd.Min(AdvSimd.Max(Vector128.Load(x + i), low), high);
                sums = AdvSimd.AddPairwiseWideningAndAdd(sums, AdvSimd.AddPairwiseWidening(v)); // saddlp, sadalp
            }
            total = Vector128.Sum(sums);
        }
        for (; i < n; i++)
        {
            int v = x[i];
            total += v < lo ? lo : v > hi ? hi : v;
        }
        return (int)total;
    }

    /// <summary>Sum of x[i] for i &lt; n, exactly (n below 2^23).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int Sum(sbyte* x, int n) => SumClamped(x, n, sbyte.MinValue, sbyte.MaxValue);

    /// <summary>sum of w[i] * x[i] for i &lt; n in int32, exactly; <paramref name="x"/> holds int16 values in [-255, 255].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int Dot(sbyte* w, short* x, int n)
    {
        int i = 0, total = 0;
        if (Avx2.IsSupported && n >= 16)
        {
            Vector256<int> a = default, b = default;
            for (; i + 32 <= n; i += 32)
            {
                a = Avx2.Add(a, Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(w + i), Vector256.Load(x + i)));
                b = Avx2.Add(b, Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(w + i + 16), Vector256.Load(x + i + 16)));
            }
            for (; i + 16 <= n; i += 16)
                a = Avx2.Add(a, Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(w + i), Vector256.Load(x + i)));
            total = Vector256.Sum(Avx2.Add(a, b));
        }
        else if ((Sse41.IsSupported || AdvSimd.Arm64.IsSupported) && n >= 8)
        {
            Vector128<int> a = default;
            for (; i + 8 <= n; i += 8) a += PairProducts(Widen8(w + i), Vector128.Load(x + i));
            total = Vector128.Sum(a);
        }
        for (; i < n; i++) total += w[i] * x[i];
        return total;
    }

    /// <summary>sum of w[i] * (x[i] - zero) for i &lt; n in int32, exactly, with SDOT on the raw bytes (ARM64 Dp; else the scalar loop).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int DotRaw(sbyte* w, sbyte* x, int n, int zero)
    {
        int i = 0, total = 0, weightSum = 0;
        if (Dp.IsSupported && n >= 16)
        {
            Vector128<int> a = default, b = default, sums = default;
            var ones = Vector128.Create((sbyte)1);
            for (; i + 32 <= n; i += 32)
            {
                var w0 = Vector128.Load(w + i);
                var w1 = Vector128.Load(w + i + 16);
                a = Dp.DotProduct(a, w0, Vector128.Load(x + i));
                b = Dp.DotProduct(b, w1, Vector128.Load(x + i + 16));
                sums = Dp.DotProduct(Dp.DotProduct(sums, w0, ones), w1, ones);
            }
            for (; i + 16 <= n; i += 16)
            {
                var w0 = Vector128.Load(w + i);
                a = Dp.DotProduct(a, w0, Vector128.Load(x + i));
                sums = Dp.DotProduct(sums, w0, ones);
            }
            total = Vector128.Sum(a + b);
            weightSum = Vector128.Sum(sums);
        }
        for (; i < n; i++)
        {
            total += w[i] * x[i];
            weightSum += w[i];
        }
        return total - zero * weightSum;
    }
}
