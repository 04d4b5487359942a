#!/usr/bin/env bash
# ARM64 guest instructions per inference, per generated layer: runs the NativeAOT runner under
# qemu-aarch64 with the counting plugin's layer attribution (tools/qemu/insn_count.c, layers=FILE)
# for --runs 1 and --runs 11 and prints (I11 - I1) / 10 per layer method (Lnnn_..., in model
# order), each with everything that ran while it was the layer entered last: its own code and the
# Runtime kernels it called. The model's Run method is listed too (its own work between layers);
# the runner's loop between two inferences lands on the model's last layer (a few instructions).
#   tools/arm64/layers.sh RUNNER_BINARY MODEL [CLASS [GENERATED_SOURCE]]
#   (CLASS: the generated class, default MicroNet<MODEL>; GENERATED_SOURCE: its .g.cs, from a build
#   with -p:EmitCompilerGeneratedFiles=true, adds each layer's op and MACs from the layer comments)
#   e.g. tools/arm64/layers.sh out/instruction-count M3 MicroNetM3 obj/.../Count.MicroNetM3.MicroNet.g.cs
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
binary=$1; model=$2; class=${3:-MicroNet$model}; source=${4:-}
plugin_dir=${TMPDIR:-/tmp}/micronet-qemu-plugin
# rebuilt when the plugin source is newer (the layer attribution came after the first version)
if [ ! -f "$plugin_dir/libinsn_count.so" ] || [ "$here/../qemu/insn_count.c" -nt "$plugin_dir/libinsn_count.so" ]; then
  "$here/../qemu/build.sh" "$plugin_dir" >/dev/null
fi
symbols=$binary.dbg; [ -f "$symbols" ] || symbols=$binary
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
# qemu-user maps a position-independent aarch64 executable at this guest address
aarch64-linux-gnu-nm -n --defined-only "$symbols" | awk -v c="_${class}__" '$2 ~ /^[tT]$/ && index($3, c) && ($3 ~ /__L[0-9][0-9][0-9]_/ || $3 ~ /__Run$/) { print $1, $3 }' |
  python3 -c 'import sys
for line in sys.stdin:
    a, n = line.split()
    print(f"{int(a, 16) + 0x5500000000:x} {n}")' > "$work/layers"
[ -s "$work/layers" ] || { echo "error: no layer methods of $class in $symbols" >&2; exit 1; }
for runs in 1 11; do
  qemu-aarch64 -plugin "$plugin_dir/libinsn_count.so,out=$work/total$runs,layers=$work/layers,layers_out=$work/per$runs" \
    -L /usr/aarch64-linux-gnu "$binary" "$model" --runs "$runs" >/dev/null
done
python3 - "$work" "$class" "$source" <<'PY'
import re, sys
work, cls, source = sys.argv[1], sys.argv[2], sys.argv[3]
# from the generated source: each layer method's comment block (op on its first line, "MACs N")
ops, macs = {}, {}
if source:
    block = []
    for line in open(source, encoding="utf-8"):
        text = line.strip()
        if text.startswith("// -----"): block = []; continue
        if text.startswith("//"): block.append(text[2:].strip()); continue
        m = re.match(r"private static void (L\d{3}_\w+)\(", text)
        if m and block:
            ops[m.group(1)] = block[0].split(": ", 1)[-1]
            mm = next((re.search(r"MACs (\d+)", b) for b in block if re.search(r"MACs (\d+)", b)), None)
            if mm: macs[m.group(1)] = int(mm.group(1))
        if not text.startswith("//"): block = [] if not m else block
def read(path):
    return {n: int(c) for n, c in (line.split() for line in open(path))}
one, eleven = read(f"{work}/per1"), read(f"{work}/per11")
rows = [(n, (eleven[n] - one.get(n, 0)) / 10) for n in eleven]
total = sum(c for _, c in rows)
if ops:
    print(f"{'instructions':>14} {'share':>6} {'MACs':>10} {'per MAC':>8}  layer: op (per inference; total {total:,.0f})")
else:
    print(f"{'instructions':>14} {'share':>6}  layer (per inference; total {total:,.0f})")
def key(row):
    m = re.search(r"__L(\d{3})_", row[0])
    return int(m.group(1)) if m else -1
for name, count in sorted(rows, key=key):
    if count <= 0: continue
    short = re.sub(r".*__(L\d{3}_|Run$)", r"\1", name)
    if ops:
        n = macs.get(short)
        per = f"{count / n:8.2f}" if n else f"{'':>8}"
        print(f"{count:14,.0f} {count / total:6.1%} {n or 0:10,} {per}  {short}: {ops.get(short, '')}")
    else:
        print(f"{count:14,.0f} {count / total:6.1%}  {short}")
PY
