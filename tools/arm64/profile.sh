#!/usr/bin/env bash
# Where an ARM64 model runner spends its guest instructions, per function, per inference: runs the
# binary under qemu-aarch64 with the counting plugin's per-block profile (tools/qemu/insn_count.c,
# profile=FILE) for --runs 1 and --runs 11, maps the blocks to the functions of the NativeAOT
# binary's symbol file (BINARY.dbg, or BINARY) and prints (I11 - I1) / 10 per function, largest
# first: the generated layer methods (Lnnn_...) and the Runtime's kernels (self counts: a kernel's
# instructions are its own, not its caller's).
#   tools/arm64/profile.sh RUNNER_BINARY MODEL [TOP]      (e.g. out/model-runner m0 25)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
binary=$1; model=$2; top=${3:-25}
plugin_dir=${TMPDIR:-/tmp}/micronet-qemu-plugin
[ -f "$plugin_dir/libinsn_count.so" ] || "$here/../qemu/build.sh" "$plugin_dir" >/dev/null
symbols=$binary.dbg; [ -f "$symbols" ] || symbols=$binary
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
for runs in 1 11; do
  qemu-aarch64 -plugin "$plugin_dir/libinsn_count.so,out=$work/total$runs,profile=$work/blocks$runs" \
    -L /usr/aarch64-linux-gnu "$binary" "$model" --runs "$runs" >/dev/null
done
aarch64-linux-gnu-nm -n --defined-only "$symbols" | awk '$2 ~ /^[tT]$/ { print $1, $3 }' > "$work/functions"
python3 - "$work" "$top" <<'PY'
import bisect, sys
work, top = sys.argv[1], int(sys.argv[2])
# qemu-user maps a position-independent aarch64 executable at this guest address
BASE = 0x5500000000
starts, names = [], []
for line in open(f"{work}/functions"):
    address, name = line.split(maxsplit=1)
    starts.append(int(address, 16)); names.append(name.strip())
def per_function(path):
    counts = {}
    for line in open(path):
        address, executed = line.split()
        offset = int(address, 16) - BASE
        i = bisect.bisect_right(starts, offset) - 1
        name = names[i] if i >= 0 and offset >= 0 else "(outside the binary: libc, loader)"
        counts[name] = counts.get(name, 0) + int(executed)
    return counts
one, eleven = per_function(f"{work}/blocks1"), per_function(f"{work}/blocks11")
rows = sorted(((eleven.get(n, 0) - one.get(n, 0)) / 10, n) for n in set(one) | set(eleven))
rows = [r for r in rows if r[0] > 0][::-1]
total = sum(r[0] for r in rows)
print(f"{'instructions':>14} {'share':>6}  function (per inference; total {total:,.0f})")
for count, name in rows[:top]:
    short = name.replace("MicroNet_Aot_Runtime_MicroNet_Aot_Runtime_", "Runtime.").replace("MicroNet_Samples_Runner_", "")
    print(f"{count:14,.0f} {count / total:6.1%}  {short}")
PY
