using System;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using MicroNet.Aot.Runtime;

namespace MicroNet.Aot.Bench;

/// <summary>
/// `handoff`: what it costs to hand a buffer from one core to the other, the number behind the
/// parallel cost model (Generator/Planning/ParallelPlanner.cs). On a pool of 2, 200 rounds of:
/// thread 0 writes the buffer (a float per cache line), barrier, thread 1 (or, for the local
/// figure, thread 0 again) reads it, barrier. Buffers of 64 KB, 256 KB and 1 MB, three passes;
/// reported: microseconds per round both ways and the difference per MB moved.
/// </summary>
public static unsafe class Handoff
{
    private static float* s_buffer;
    private static int s_floats;
    private static bool s_cross;
    private static float s_sink;

    public static void Run()
    {
        using var pool = new InferencePool(2);
        foreach (int kb in new[] { 64, 256, 1024 })
        {
            s_floats = kb * 256;
            s_buffer = (float*)NativeMemory.AlignedAlloc((nuint)s_floats * 4, 64);
            for (int pass = 0; pass < 3; pass++)
            {
                s_cross = true;
                long start = Stopwatch.GetTimestamp();
                pool.Execute(&Work, null);
                double cross = Stopwatch.GetElapsedTime(start).TotalMilliseconds * 1000 / 200;
                s_cross = false;
                start = Stopwatch.GetTimestamp();
                pool.Execute(&Work, null);
                double local = Stopwatch.GetElapsedTime(start).TotalMilliseconds * 1000 / 200;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{kb} KB: written on one core, read on the other {cross:F1} us per round; both on one core {local:F1} us; {(cross - local) / kb * 1024 / 1000:F2} ms per MB moved"));
            }
            NativeMemory.AlignedFree(s_buffer);
        }
    }

    private static void Work(InferencePool pool, int thread, void* state)
    {
        for (int round = 0; round < 200; round++)
        {
            if (thread == 0) for (int k = 0; k < s_floats; k += 16) s_buffer[k] = round;
            pool.Barrier();
            if (thread == (s_cross ? 1 : 0))
            {
                float sum = 0;
                for (int k = 0; k < s_floats; k += 16) sum += s_buffer[k];
                s_sink = sum;
            }
            pool.Barrier();
        }
    }
}
