#!/usr/bin/env bash
# Guest instructions per inference of an ARM64 model runner under qemu-aarch64, counted by the TCG
# plugin tools/qemu/insn_count.c (built on first use): runs the binary with --runs 1 and --runs 11
# and prints (I11 - I1) / 10, so start-up and the one-time weights check cancel out. Counts are
# counts under emulation, not board timings; they repeat within about 0.05 % (the runtime's
# background threads).
#   tools/arm64/count-instructions.sh [--arm-cpuinfo] RUNNER_BINARY MODEL   (e.g. out/model-runner m0)
# --arm-cpuinfo: run with an ARM64 /proc/cpuinfo (a Cortex-A76, as on a Raspberry Pi 5) bound over
# the host's in a private mount namespace (needs root): ONNX Runtime's cpuinfo library crashes on
# the x86 one qemu-user passes through (bench/OrtCount, counted by bench/arm64-counts.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
fake_cpuinfo=0
if [ "${1:-}" = --arm-cpuinfo ]; then fake_cpuinfo=1; shift; fi
binary=$1; model=$2
plugin_dir=${TMPDIR:-/tmp}/micronet-qemu-plugin
[ -f "$plugin_dir/libinsn_count.so" ] || "$here/../qemu/build.sh" "$plugin_dir" >/dev/null
cpuinfo=""
if [ "$fake_cpuinfo" = 1 ]; then
  cpuinfo=$(mktemp)
  for cpu in 0 1 2 3; do
    printf 'processor\t: %s\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd evtstrm crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x4\nCPU part\t: 0xd0b\nCPU revision\t: 1\n\n' "$cpu"
  done > "$cpuinfo"
fi
count() {
  local f; f=$(mktemp)
  local run=(qemu-aarch64 -plugin "$plugin_dir/libinsn_count.so,out=$f" -L /usr/aarch64-linux-gnu "$binary" "$model" --runs "$1")
  if [ -n "$cpuinfo" ]; then
    unshare -m bash -c 'mount --bind "$0" /proc/cpuinfo && exec "$@"' "$cpuinfo" "${run[@]}" >/dev/null
  else
    "${run[@]}" >/dev/null
  fi
  grep -oE '[0-9]+' "$f"; rm -f "$f"
}
one=$(count 1); eleven=$(count 11)
[ -z "$cpuinfo" ] || rm -f "$cpuinfo"
echo "$model instructions_per_inference=$(( (eleven - one) / 10 ))"
