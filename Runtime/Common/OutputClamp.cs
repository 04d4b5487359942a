namespace MicroNet.Aot.Runtime;

/// <summary>
/// Whether a kernel clamps its outputs to [0, 6] (a fused ReLU6), as a type: each instantiation
/// compiles only its own store path, with no test per stored vector.
/// </summary>
internal interface IOutputClamp { static abstract bool Relu6 { get; } }

internal struct ClampToRelu6 : IOutputClamp { public static bool Relu6 => true; }

internal struct NoClamp : IOutputClamp { public static bool Relu6 => false; }
