// instruction-count MODEL RUNS (or MODEL --runs RUNS): runs a generated model RUNS times on a fixed
// input, for counting instructions (valgrind: bench/ab-instructions.sh; qemu-aarch64:
// bench/arm64-counts.sh). Prints the first output so the work cannot be optimized away.
using System;
using Count;

int runs = int.Parse(args[1] == "--runs" ? args[2] : args[1], System.Globalization.CultureInfo.InvariantCulture);
var (inputLength, outputLength, scratchLength) = args[0] switch
{
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
for (int r = 0; r < runs; r++)
{
    switch (args[0])
    {
        case "M0": MicroNetM0.Run(input, output, scratch); break;
        case "M1": MicroNetM1.Run(input, output, scratch); break;
        case "M2": MicroNetM2.Run(input, output, scratch); break;
        default: MicroNetM3.Run(input, output, scratch); break;
    }
}
Console.WriteLine(output[0]);
