#!/usr/bin/env bash
# ARM64 instructions per inference of the generated M0-M3 (bench/models, made by bench/run.sh):
# bench/InstructionCount cross-published for linux-arm64 with NativeAOT (tools/arm64/publish.sh),
# counted under qemu-aarch64 by tools/arm64/count-instructions.sh. Counts under emulation, not
# board timings.
#   bench/arm64-counts.sh [TREE]     (TREE: the checkout whose Generator and Runtime to use; default this one)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tree=$(cd "${1:-$here/..}" && pwd)
models=${MICRONET_BENCH_DIR:-$here/models}
[ -f "$models/MicroNetM3.micronet.json" ] || { echo "error: $models has no MicroNetM3 (run bench/run.sh first)" >&2; exit 1; }
work=$(mktemp -d)
cp "$here/InstructionCount/Program.cs" "$work/"
sed -e "s|@TREE@|$tree|g" -e "s|@MODELS@|$models|g" "$here/InstructionCount/InstructionCount.csproj.in" > "$work/InstructionCount.csproj"
bash "$here/../tools/arm64/publish.sh" "$work" "$work/out" -v q >/dev/null
macs=(3448880 5314080 10338128 18236000)
echo "| model | instructions per inference | per MAC |"
echo "|---|---:|---:|"
i=0
for m in M0 M1 M2 M3; do
  n=$(bash "$here/../tools/arm64/count-instructions.sh" "$work/out/instruction-count" $m | grep -oE '[0-9]+$')
  echo "| $m | $n | $(python3 -c "print(f'{$n/${macs[$i]}:.2f}')") |"
  i=$((i + 1))
done
rm -rf "$work"
