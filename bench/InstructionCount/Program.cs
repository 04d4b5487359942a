// instruction-count MODEL RUNS (or MODEL --runs RUNS): runs a generated model (M0-M3, or their int8
// forms M0-int8 .. M3-int8, quantized by bench/run.sh) RUNS times on a fixed input, for counting instructions (valgrind: bench/ab-instructions.sh; qemu-aarch64:
// bench/arm64-counts.sh). Prints the first output so the work cannot be optimized away.
using System;
using Count;

int runs = int.Parse(args[1] == "--runs" ? args[2] : args[1], System.Globalization.CultureInfo.InvariantCulture);
var (inputLength, outputLength, scratchLength) = args[0] switch
{
#if COUNT_INT8
    "M0-int8" => (MicroNetM0Int8.InputLength, MicroNetM0Int8.OutputLength, MicroNetM0Int8.ScratchLength),
    "M1-int8" => (MicroNetM1Int8.InputLength, MicroNetM1Int8.OutputLength, MicroNetM1Int8.ScratchLength),
    "M2-int8" => (MicroNetM2Int8.InputLength, MicroNetM2Int8.OutputLength, MicroNetM2Int8.ScratchLength),
    "M3-int8" => (MicroNetM3Int8.InputLength, MicroNetM3Int8.OutputLength, MicroNetM3Int8.ScratchLength),
#endif
    "M0" => (MicroNetM0.InputLength, MicroNetM0.OutputLength, MicroNetM0.ScratchLength),
    "M1" => (MicroNetM1.InputLength, MicroNetM1.OutputLength, MicroNetM1.ScratchLength),
    "M2" => (MicroNetM2.InputLength, MicroNetM2.OutputLength, MicroNetM2.ScratchLength),
    _ => (MicroNetM3.InputLength, MicroNetM3.OutputLength, MicroNetM3.ScratchLength),
};
var input = new float[inputLength];
uint state = 12345u;
for (int i = 0; i < input.Length; i++) { state = state * 1664525u + 1013904223u; input[i] = (state >> 8) / 16777216f * 4f - 2f; }
var output = new float[outputLength];
var scratch = new float[scratchLength];
var bytes = new byte[scratchLength]; // an int8 class's arena is bytes
for (int r = 0; r < runs; r++)
{
    switch (args[0])
    {
#if COUNT_INT8
        case "M0-int8": MicroNetM0Int8.Run(input, output, bytes); break;
        case "M1-int8": MicroNetM1Int8.Run(input, output, bytes); break;
        case "M2-int8": MicroNetM2Int8.Run(input, output, bytes); break;
        case "M3-int8": MicroNetM3Int8.Run(input, output, bytes); break;
#endif
        case "M0": MicroNetM0.Run(input, output, scratch); break;
        case "M1": MicroNetM1.Run(input, output, scratch); break;
        case "M2": MicroNetM2.Run(input, output, scratch); break;
        default: MicroNetM3.Run(input, output, scratch); break;
    }
}
Console.WriteLine(output[0]);
