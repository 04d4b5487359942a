// Kernels use stackalloc'd scratch rows that they overwrite before reading: no zero-initialization.
[module: System.Runtime.CompilerServices.SkipLocalsInit]
