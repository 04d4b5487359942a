using System;
using MicroNet.Aot.Bench.Models;

namespace MicroNet.Aot.Bench;

public delegate void RunScratch(ReadOnlySpan<float> input, Span<float> output, Span<float> scratch);
public delegate void RunSimple(ReadOnlySpan<float> input, Span<float> output);
public delegate void RunPool(ReadOnlySpan<float> input, Span<float> output, MicroNet.Aot.Runtime.InferencePool pool);

/// <summary>The four generated models by name, with their constants.</summary>
public sealed record GeneratedModel(string Name, long Macs, int InputLength, int OutputLength, int ScratchLength, int ScratchLowerBound,
    int ScratchWithoutReuse, RunScratch Run, Func<string>? Profile, Action? ResetProfile, RunSimple RunThreadArena, RunPool RunOnPool, RunPool RunBatch)
{
    public static readonly string[] Names = { "M0", "M1", "M2", "M3" };

    public static GeneratedModel Get(string name) => name switch
    {
        "M0" => new(name, MicroNetM0.Macs, MicroNetM0.InputLength, MicroNetM0.OutputLength, MicroNetM0.ScratchLength, MicroNetM0.ScratchLowerBound, MicroNetM0.ScratchWithoutReuse, MicroNetM0.Run, ProfileOf(name), ResetOf(name), MicroNetM0.Run, MicroNetM0.Run, MicroNetM0.RunBatch),
        "M1" => new(name, MicroNetM1.Macs, MicroNetM1.InputLength, MicroNetM1.OutputLength, MicroNetM1.ScratchLength, MicroNetM1.ScratchLowerBound, MicroNetM1.ScratchWithoutReuse, MicroNetM1.Run, ProfileOf(name), ResetOf(name), MicroNetM1.Run, MicroNetM1.Run, MicroNetM1.RunBatch),
        "M2" => new(name, MicroNetM2.Macs, MicroNetM2.InputLength, MicroNetM2.OutputLength, MicroNetM2.ScratchLength, MicroNetM2.ScratchLowerBound, MicroNetM2.ScratchWithoutReuse, MicroNetM2.Run, ProfileOf(name), ResetOf(name), MicroNetM2.Run, MicroNetM2.Run, MicroNetM2.RunBatch),
        "M3" => new(name, MicroNetM3.Macs, MicroNetM3.InputLength, MicroNetM3.OutputLength, MicroNetM3.ScratchLength, MicroNetM3.ScratchLowerBound, MicroNetM3.ScratchWithoutReuse, MicroNetM3.Run, ProfileOf(name), ResetOf(name), MicroNetM3.Run, MicroNetM3.Run, MicroNetM3.RunBatch),
        _ => throw new ArgumentException("unknown model " + name + " (M0..M3)"),
    };

#if MICRONET_PROFILE
    private static Func<string>? ProfileOf(string name) => name switch
    {
        "M0" => MicroNetM0.ProfileReport, "M1" => MicroNetM1.ProfileReport, "M2" => MicroNetM2.ProfileReport, _ => MicroNetM3.ProfileReport,
    };
    private static Action? ResetOf(string name) => name switch
    {
        "M0" => MicroNetM0.ResetProfile, "M1" => MicroNetM1.ResetProfile, "M2" => MicroNetM2.ResetProfile, _ => MicroNetM3.ResetProfile,
    };
#else
    private static Func<string>? ProfileOf(string name) => null;
    private static Action? ResetOf(string name) => null;
#endif
}
