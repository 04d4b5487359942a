#!/usr/bin/env bash
# Instructions per inference of the generated M0-M3 in two checkouts (A/B of a change that must not
# move performance), counted instead of timed: this VM's timings move 10-40 % between runs.
#   bench/ab-instructions.sh BEFORE_TREE AFTER_TREE [ISA]
# Each tree's Generator and Runtime compile bench/InstructionCount (a NativeAOT runner of
# bench/models, which bench/run.sh prepares) for ISA (default x86-64-v3: the AVX2 kernels; "default":
# the baseline target, whose kernels are the Vector128 ones); valgrind's callgrind counts the
# instructions of 1 and of 11 inferences; per inference = (I11 - I1) / 10. Deterministic: the same
# binary and input give the same count on any load.
set -euo pipefail
before=$(cd "$1" && pwd); after=$(cd "$2" && pwd); isa=${3:-x86-64-v3}
here=$(cd "$(dirname "$0")" && pwd)
models=${MICRONET_BENCH_DIR:-$here/models}
[ -f "$models/MicroNetM3.micronet.json" ] || { echo "error: $models has no MicroNetM3 (run bench/run.sh first)" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "error: valgrind is needed" >&2; exit 1; }
work=$(mktemp -d)
count() { # binary model runs -> instructions
  valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" "$1" "$2" "$3" >/dev/null 2>"$work/vg.log"
  grep -oE 'Collected : [0-9]+' "$work/vg.log" | grep -oE '[0-9]+' || { echo "error: valgrind failed on $1 $2 $3:" >&2; cat "$work/vg.log" >&2; exit 1; }
}
printf '| model | before | after | after / before |\n|---|---:|---:|---:|\n' > "$work/table.md"
for side in before after; do
  tree=$([ $side = before ] && echo "$before" || echo "$after")
  mkdir -p "$work/$side"
  cp "$here/InstructionCount/Program.cs" "$work/$side/"
  sed -e "s|@TREE@|$tree|g" -e "s|@MODELS@|$models|g" "$here/InstructionCount/InstructionCount.csproj.in" > "$work/$side/InstructionCount.csproj"
  extra=(); [ "$isa" = default ] || extra=(-p:IlcInstructionSet=$isa)
  dotnet publish "$work/$side" -c Release -r linux-x64 -p:PublishAot=true "${extra[@]}" -o "$work/$side/out" --nologo -v q >/dev/null
  rm -f "$work/$side/out/"*.dbg # valgrind 3.19 cannot read the DWARF 5 of the split debug file
done
for m in M0 M1 M2 M3; do
  b1=$(count "$work/before/out/instruction-count" $m 1); b11=$(count "$work/before/out/instruction-count" $m 11)
  a1=$(count "$work/after/out/instruction-count" $m 1); a11=$(count "$work/after/out/instruction-count" $m 11)
  b=$(( (b11 - b1) / 10 )); a=$(( (a11 - a1) / 10 ))
  echo "| $m | $b | $a | $(python3 -c "print(f'{$a/$b:.4f}')") |" >> "$work/table.md"
done
echo "ISA: $isa"; cat "$work/table.md"
rm -rf "$work"
