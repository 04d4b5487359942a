#!/usr/bin/env bash
# Fuzzes every reader of untrusted input with libFuzzer + SharpFuzz (the harnesses: Harnesses.cs).
#   tests/MicroNet.Aot.Fuzz/fuzz.sh [--seconds N | --runs N] [HARNESS...]
# Default: 45 seconds per harness, every harness (what ./test.sh runs). The documented long run:
#   tests/MicroNet.Aot.Fuzz/fuzz.sh --runs 1000000
# Steps: build the harness; instrument the assemblies under test (micronet.dll: the checkpoint
# readers; MicroNet.Aot.Generator.dll: the JSON parser and the generator's pipeline) with the
# SharpFuzz tool; build the libFuzzer bridge (driver/) with clang; fuzz each harness, starting from
# the committed seed corpus (corpus/HARNESS/) in a scratch copy. Exit code 1 if any harness finds a
# crash, hang or out-of-memory: the input is kept in $MICRONET_FUZZ_DIR/findings/ and replays with
#   $MICRONET_FUZZ_DIR/bin/MicroNet.Aot.Fuzz HARNESS FILE
# Needs: clang with libFuzzer (Debian: clang), the .NET SDK, NuGet (for SharpFuzz.CommandLine).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="${MICRONET_FUZZ_DIR:-/tmp/micronet-fuzz}"
limit=(-max_total_time=45)
harnesses=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) limit=(-max_total_time="$2"); shift 2 ;;
    --runs) limit=(-runs="$2"); shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) harnesses+=("$1"); shift ;;
  esac
done
[ ${#harnesses[@]} -gt 0 ] || harnesses=(pickle torch-zip torch-legacy safetensors json model)

command -v clang >/dev/null || { echo "fuzz.sh: clang is missing (apt-get install clang)" >&2; exit 1; }
rm -rf "$work/bin" "$work/corpus"
mkdir -p "$work/findings" "$work/corpus"

echo "== build the harness"
dotnet build "$here/MicroNet.Aot.Fuzz.csproj" -c Release --nologo -v q -o "$work/bin" >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }

echo "== instrument the assemblies under test (SharpFuzz)"
if [ ! -x "$work/tool/sharpfuzz" ]; then
  dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path "$work/tool" >/dev/null
fi
for dll in micronet.dll MicroNet.Aot.Generator.dll; do
  "$work/tool/sharpfuzz" "$work/bin/$dll"
done

echo "== build the libFuzzer bridge"
clang -O1 -fsanitize=fuzzer "$here/driver/libfuzzer-sharpfuzz.c" -o "$work/libfuzzer-sharpfuzz"

status=0
summary=()
for h in "${harnesses[@]}"; do
  [ -d "$here/corpus/$h" ] || { echo "fuzz.sh: no harness '$h' (corpus/$h is missing)" >&2; exit 2; }
  echo "== fuzz $h (${limit[*]})"
  mkdir -p "$work/corpus/$h"
  log="$work/$h.log"
  set +e
  # the harness's heap is capped (1 GiB), so a reader that trusts a declared size fails here
  # instead of swapping; -timeout catches hangs, -rss_limit_mb this bridge's own memory
  DOTNET_GCHeapHardLimit=0x40000000 "$work/libfuzzer-sharpfuzz" --target="$work/bin/MicroNet.Aot.Fuzz" --target-arg="$h" \
    "${limit[@]}" -timeout=20 -max_len=1048576 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/findings/$h-" "$work/corpus/$h" "$here/corpus/$h" >"$log" 2>&1
  rc=$?
  set -e
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo "?")
  secs=$(grep -oE 'Done [0-9]+ runs in [0-9]+ second' "$log" | grep -oE 'in [0-9]+' | grep -oE '[0-9]+' || echo "?")
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -1 || true)
  if [ "$rc" != 0 ]; then
    status=1
    echo "FINDING in $h (exit $rc): see $log and $work/findings/"
    grep -E 'Unhandled|Exception|deadly signal|timeout|out-of-memory|died' "$log" | head -20
    summary+=("$h: FAILED after ${runs} runs")
  else
    summary+=("$h: ${runs} runs in ${secs} s, no crash, hang or out-of-memory (${cov})")
  fi
done
echo "== fuzzing summary"
printf '%s\n' "${summary[@]}"
exit "$status"
