#!/usr/bin/env bash
# Guest instructions per inference of an ARM64 model runner under qemu-aarch64, counted by the TCG
# plugin tools/qemu/insn_count.c (built on first use): runs the binary with --runs 1 and --runs 11
# and prints (I11 - I1) / 10, so start-up and the one-time weights check cancel out. Counts are
# counts under emulation, not board timings; they repeat within about 0.05 % (the runtime's
# background threads).
#   tools/arm64/count-instructions.sh RUNNER_BINARY MODEL     (e.g. out/model-runner m0)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
binary=$1; model=$2
plugin_dir=${TMPDIR:-/tmp}/micronet-qemu-plugin
[ -f "$plugin_dir/libinsn_count.so" ] || "$here/../qemu/build.sh" "$plugin_dir" >/dev/null
count() {
  local f; f=$(mktemp)
  qemu-aarch64 -plugin "$plugin_dir/libinsn_count.so,out=$f" -L /usr/aarch64-linux-gnu "$binary" "$model" --runs "$1" >/dev/null
  grep -oE '[0-9]+' "$f"; rm -f "$f"
}
one=$(count 1); eleven=$(count 11)
echo "$model instructions_per_inference=$(( (eleven - one) / 10 ))"
