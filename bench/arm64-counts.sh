#!/usr/bin/env bash
# ARM64 instructions per inference of the generated M0-M3 (bench/models, made by bench/run.sh) and of
# ONNX Runtime 1.32's linux-arm64 build on the same models exported to ONNX: bench/InstructionCount
# and bench/OrtCount (one thread, no spinning) cross-published for linux-arm64 with NativeAOT
# (tools/arm64/publish.sh), counted under qemu-aarch64 by tools/arm64/count-instructions.sh (ONNX
# Runtime with an ARM64 /proc/cpuinfo: --arm-cpuinfo, needs root); and the int8 forms of the models
# (MicroNetMnInt8, bench/run.sh quantizes them). Counts under emulation, not board timings.
#   bench/arm64-counts.sh [TREE]     (TREE: the checkout whose Generator and Runtime to use; default this one)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tree=$(cd "${1:-$here/..}" && pwd)
models=${MICRONET_BENCH_DIR:-$here/models}
[ -f "$models/MicroNetM3.micronet.json" ] || { echo "error: $models has no MicroNetM3 (run bench/run.sh first)" >&2; exit 1; }
work=$(mktemp -d)
cp "$here/InstructionCount/Program.cs" "$work/"
sed -e "s|@TREE@|$tree|g" -e "s|@MODELS@|$models|g" "$here/InstructionCount/InstructionCount.csproj.in" > "$work/InstructionCount.csproj"
bash "$here/../tools/arm64/publish.sh" "$work" "$work/out" -v q -p:CountInt8=true >/dev/null
ort=0
if [ -f "$models/M0.onnx" ] && [ "$(id -u)" = 0 ]; then
  bash "$here/../tools/arm64/publish.sh" "$here/OrtCount" "$work/ort" -v q >/dev/null && ort=1
else
  echo "(ONNX Runtime column skipped: needs $models/M0.onnx from bench/run.sh and root for the ARM64 /proc/cpuinfo)" >&2
fi
macs=(3448880 5314080 10338128 18236000)
echo "| model | MicroNet.Aot | per MAC | ONNX Runtime 1.32 | per MAC | ratio | MicroNet.Aot int8 | int8 / float32 |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
i=0
for m in M0 M1 M2 M3; do
  n=$(bash "$here/../tools/arm64/count-instructions.sh" "$work/out/instruction-count" $m | grep -oE '[0-9]+$')
  q=$(bash "$here/../tools/arm64/count-instructions.sh" "$work/out/instruction-count" $m-int8 | grep -oE '[0-9]+$')
  int8="$q | $(python3 -c "print(f'{$q/$n:.2f}x')")"
  if [ "$ort" = 1 ]; then
    o=$(bash "$here/../tools/arm64/count-instructions.sh" --arm-cpuinfo "$work/ort/ort-count" "$models/$m.onnx" | grep -oE '[0-9]+$')
    echo "| $m | $n | $(python3 -c "print(f'{$n/${macs[$i]}:.2f}')") | $o | $(python3 -c "print(f'{$o/${macs[$i]}:.2f}')") | $(python3 -c "print(f'{$o/$n:.2f}x')") | $int8 |"
  else
    echo "| $m | $n | $(python3 -c "print(f'{$n/${macs[$i]}:.2f}')") | | | | $int8 |"
  fi
  i=$((i + 1))
done
rm -rf "$work"
