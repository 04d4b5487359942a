// int8 kernels that move, clamp or add values (docs/int8.md): the input's quantization, ReLU6,
// max-group pooling, the residual add; and the float32 helpers the scheme defines exactly.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace MicroNet.Aot.Runtime;

public static unsafe partial class Int8
{
    /// <summary>
    /// float32 -> int8 as the scheme defines it: v = x * inverseScale (float32), NaN -> 0, clamped to
    /// [-128 - zero, 127 - zero], rounded half to even, plus zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static sbyte QuantizeValue(float x, float inverseScale, int zero)
    {
        float v = x * inverseScale;
        if (float.IsNaN(v)) v = 0f;
        float lo = -128 - zero, hi = 127 - zero;
        v = v < lo ? lo : v > hi ? hi : v;
        return (sbyte)((int)System.MathF.Round(v) + zero);
    }

    /// <summary>ReLU6 in float32, as the scheme writes it: below 0 gives 0, above 6 gives 6, anything else (-0 included) itself.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Relu6(float v) => v < 0f ? 0f : v > 6f ? 6f : v;

    /// <summary>h_swish in float32: v * (ReLU6(v + 3) / 6).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float HSwish(float v) => v * (Relu6(v + 3f) / 6f);

    /// <summary>The network input to int8 (Run's first step): <see cref="QuantizeValue"/> on every value, 8 or 4 at a time where the hardware rounds half to even in one instruction.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void QuantizeInput(float* input, sbyte* output, int count, float inverseScale, int zero)
    {
        int i = 0;
        float lo = -128 - zero, hi = 127 - zero;
        if (Avx2.IsSupported)
        {
            var scale = Vector256.Create(inverseScale);
            var low = Vector256.Create(lo);
            var high = Vector256.Create(hi);
            var z = Vector256.Create(zero);
            for (; i + 16 <= count; i += 16)
            {
                var first = Avx2.Add(Avx.ConvertToVector256Int32WithTruncation(QuantizeLanes(Vector256.Load(input + i), scale, low, high)), z);
                var second = Avx2.Add(Avx.ConvertToVector256Int32WithTruncation(QuantizeLanes(Vector256.Load(input + i + 8), scale, low, high)), z);
                // in [-128, 127]: narrowing is exact
                var words = Vector256.Narrow(first, second);
                Vector256.Narrow(words, words).AsSByte().GetLower().Store(output + i);
            }
        }
        else if (Sse41.IsSupported || AdvSimd.IsSupported)
        {
            var scale = Vector128.Create(inverseScale);
            var low = Vector128.Create(lo);
            var high = Vector128.Create(hi);
            var z = Vector128.Create(zero);
            for (; i + 8 <= count; i += 8)
            {
                var first = Vector128.ConvertToInt32(QuantizeLanes(Vector128.Load(input + i), scale, low, high)) + z;
                var second = Vector128.ConvertToInt32(QuantizeLanes(Vector128.Load(input + i + 4), scale, low, high)) + z;
                var words = Vector128.Narrow(first, second);
                Vector128.Narrow(words, words).AsSByte().GetLower().Store(output + i);
            }
        }
        for (; i < count; i++) output[i] = QuantizeValue(input[i], inverseScale, zero);
    }

    /// <summary>QuantizeValue's float steps on 8 lanes: the product, NaN to 0, the clamp, rounding half to even.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> QuantizeLanes(Vector256<float> x, Vector256<float> scale, Vector256<float> low, Vector256<float> high)
    {
        var v = Avx.Multiply(x, scale);
        v = Avx.And(v, Avx.CompareOrdered(v, v)); // NaN -> +0
        v = Avx.Min(Avx.Max(v, low), high);       // no NaN left: maxps / minps are the scalar comparisons
        return Avx.RoundToNearestInteger(v);      // half to even, as MathF.Round
    }

    /// <summary>QuantizeValue's float steps on 4 lanes (SSE4.1 or ARM64).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> QuantizeLanes(Vector128<float> x, Vector128<float> scale, Vector128<float> low, Vector128<float> high)
    {
        var v = x * scale;
        v &= Vector128.Equals(v, v);
        v = Vector128.ConditionalSelect(Vector128.LessThan(v, low), low, v);
        v = Vector128.ConditionalSelect(Vector128.GreaterThan(v, high), high, v);
        return Sse41.IsSupported ? Sse41.RoundToNearestInteger(v) : AdvSimd.RoundToNearest(v);
    }

    /// <summary>ReLU6 on int8 values: clamp to [lo, hi] (the images of 0 and 6), channel c read from plane planes[c].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Clamp(sbyte* input, int* planes, sbyte* output, int channels, int plane, int lo, int hi)
    {
        for (int c = 0; c < channels; c++)
        {
            sbyte* source = input + (long)planes[c] * plane;
            sbyte* result = output + (long)c * plane;
            int i = 0;
            if (Vector128.IsHardwareAccelerated && plane >= 16)
            {
                var low = Vector128.Create((sbyte)lo);
                var high = Vector128.Create((sbyte)hi);
                for (; ; i += 16)
                {
                    if (i > plane - 16) i = plane - 16; // the last vector overlaps the one before (the same values again)
                    Vector128.Min(Vector128.Max(Vector128.Load(source + i), low), high).Store(result + i);
                    if (i == plane - 16) break;
                }
                continue;
            }
            for (; i < plane; i++)
            {
                int v = source[i];
                result[i] = (sbyte)(v < lo ? lo : v > hi ? hi : v);
            }
        }
    }

    /// <summary>Max-group pooling: out[c] = max of input channels c * perGroup .. c * perGroup + perGroup - 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxGroupPool(sbyte* input, int* planes, sbyte* output, int channels, int plane, int perGroup)
    {
        for (int c = 0; c < channels; c++)
        {
            sbyte* result = output + (long)c * plane;
            sbyte* first = input + (long)planes[c * perGroup] * plane;
            for (int i = 0; i < plane; i++) result[i] = first[i];
            for (int k = 1; k < perGroup; k++)
            {
                sbyte* other = input + (long)planes[c * perGroup + k] * plane;
                int i = 0;
                if (Vector128.IsHardwareAccelerated)
                    for (; i + 16 <= plane; i += 16)
                        Vector128.Max(Vector128.Load(result + i), Vector128.Load(other + i)).Store(result + i);
                for (; i < plane; i++) if (other[i] > result[i]) result[i] = other[i];
            }
        }
    }

    /// <summary>The residual add's fixed-point constants (TFLite's): each input's multiplier and the output's.</summary>
#pragma warning disable CS1591 // a holder of the constants its kernel documents
    public readonly struct AddParams
    {
        public AddParams(int aZero, int aMultiplier, int aShift, int bZero, int bMultiplier, int bShift, int outMultiplier, int outShift, int outZero)
        {
            AZero = aZero; AMultiplier = aMultiplier; AShift = aShift; BZero = bZero; BMultiplier = bMultiplier; BShift = bShift;
            OutMultiplier = outMultiplier; OutShift = outShift; OutZero = outZero;
        }
        public int AZero { get; }
        public int AMultiplier { get; }
        public int AShift { get; }
        public int BZero { get; }
        public int BMultiplier { get; }
        public int BShift { get; }
        public int OutMultiplier { get; }
        public int OutShift { get; }
        public int OutZero { get; }
    }
#pragma warning restore CS1591

    /// <summary>out = requantize(MBQM((a - za) &lt;&lt; 20, Ma) + MBQM((b - zb) &lt;&lt; 20, Mb), Mout, zout).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Add(sbyte* a, int* aPlanes, sbyte* b, int* bPlanes, sbyte* output, int channels, int plane, in AddParams p)
    {
        for (int c = 0; c < channels; c++)
        {
            sbyte* x = a + (long)aPlanes[c] * plane;
            sbyte* y = b + (long)bPlanes[c] * plane;
            sbyte* result = output + (long)c * plane;
            int i = AddVectors(x, y, result, plane, p);
            for (; i < plane; i++)
            {
                int sa = Requantization.MultiplyByQuantizedMultiplier((x[i] - p.AZero) << 20, p.AMultiplier, p.AShift);
                int sb = Requantization.MultiplyByQuantizedMultiplier((y[i] - p.BZero) << 20, p.BMultiplier, p.BShift);
                result[i] = Requantization.Requantize(sa + sb, p.OutMultiplier, p.OutShift, p.OutZero);
            }
        }
    }

    /// <summary>The residual add on 8 (AVX2) or 4 lanes, bit for bit the scalar loop; returns how many positions it wrote.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int AddVectors(sbyte* x, sbyte* y, sbyte* result, int plane, in AddParams p)
    {
        var ra = new ChannelRequant(p.AMultiplier, p.AShift, 0, 0, 0);
        var rb = new ChannelRequant(p.BMultiplier, p.BShift, 0, 0, 0);
        var ro = new ChannelRequant(p.OutMultiplier, p.OutShift, p.OutZero, sbyte.MinValue, sbyte.MaxValue);
        if (Avx2.IsSupported && plane >= 16)
        {
            var za = Vector256.Create(p.AZero);
            var zb = Vector256.Create(p.BZero);
            for (int i = 0; ; i += 16)
            {
                if (i > plane - 16) i = plane - 16; // the last tile overlaps the one before (out of place: the same values again)
                var first = AddLanes(Avx2.ConvertToVector256Int32(x + i), Avx2.ConvertToVector256Int32(y + i), za, zb, ra, rb, ro);
                var second = AddLanes(Avx2.ConvertToVector256Int32(x + i + 8), Avx2.ConvertToVector256Int32(y + i + 8), za, zb, ra, rb, ro);
                var words = Vector256.Narrow(first, second); // in [-128, 127]: exact
                Vector256.Narrow(words, words).AsSByte().GetLower().Store(result + i);
                if (i == plane - 16) return plane;
            }
        }
        if ((Sse41.IsSupported || AdvSimd.Arm64.IsSupported) && plane >= 8)
        {
            var za = Vector128.Create(p.AZero);
            var zb = Vector128.Create(p.BZero);
            for (int i = 0; ; i += 8)
            {
                if (i > plane - 8) i = plane - 8;
                var a16 = Widen8(x + i);
                var b16 = Widen8(y + i);
                var first = AddLanes(Vector128.WidenLower(a16), Vector128.WidenLower(b16), za, zb, ra, rb, ro);
                var second = AddLanes(Vector128.WidenUpper(a16), Vector128.WidenUpper(b16), za, zb, ra, rb, ro);
                var words = Vector128.Narrow(first, second);
                Vector128.Narrow(words, words).AsSByte().GetLower().Store(result + i);
                if (i == plane - 8) return plane;
            }
        }
        return 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> AddLanes(Vector256<int> a, Vector256<int> b, Vector256<int> za, Vector256<int> zb,
        in ChannelRequant ra, in ChannelRequant rb, in ChannelRequant ro)
    {
        var sa = MultiplyByQuantizedMultiplier(Avx2.ShiftLeftLogical(Avx2.Subtract(a, za), 20), ra);
        var sb = MultiplyByQuantizedMultiplier(Avx2.ShiftLeftLogical(Avx2.Subtract(b, zb), 20), rb);
        return Requantize(Avx2.Add(sa, sb), ro);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> AddLanes(Vector128<int> a, Vector128<int> b, Vector128<int> za, Vector128<int> zb,
        in ChannelRequant ra, in ChannelRequant rb, in ChannelRequant ro)
    {
        var sa = MultiplyByQuantizedMultiplier(Vector128.ShiftLeft(a - za, 20), ra);
        var sb = MultiplyByQuantizedMultiplier(Vector128.ShiftLeft(b - zb, 20), rb);
        return Requantize(sa + sb, ro);
    }
}
