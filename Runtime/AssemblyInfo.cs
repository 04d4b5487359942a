// Kernels use stackalloc'd scratch rows that they overwrite before reading: no zero-initialization.
[module: System.Runtime.CompilerServices.SkipLocalsInit]

// The kernel tests call the per-plane kernels (Depthwise.Row / Column) that the layer entry points are built from.
[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("MicroNet.Aot.Tests")]
// the kernel tests, compiled again into a NativeAOT runner for ARM64 under qemu (tests/MicroNet.Aot.KernelRunner)
[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("MicroNet.Aot.KernelRunner")]
