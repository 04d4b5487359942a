#!/usr/bin/env bash
# The benchmark (about 15 minutes): seeded M0-M3 made by the PyTorch reference, imported with
# `micronet import` and exported to ONNX; then BenchmarkDotNet (MicroNet.Aot JIT vs ONNX Runtime),
# the NativeAOT harness (x86-64-v4 on a CPU with AVX-512, else x86-64-v3) and its JIT twin, PyTorch eager, the per-layer profile of M3;
# several threads and cold start; int8 against float (results/int8.json, docs/benchmarks/int8.md) (results/threads.json, coldstart.jsonl: their tables are
# docs/benchmarks/threads.md and coldstart.md); finally docs/benchmarks/README.md and chart.svg. Needs Debian's python3-torch and python3-onnx.
#   bench/run.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
models=$root/bench/models
results=$root/bench/results
py=/usr/bin/python3
ref=$root/tools/reference/refcli.py
export MICRONET_BENCH_DIR=$models DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
mkdir -p "$models" "$results"
"$py" -c "import torch, onnx" || { echo "error: bench/run.sh needs Debian's python3-torch and python3-onnx" >&2; exit 1; }

echo "== models (seed 1), input (seed 3), PyTorch reference outputs and timings"
dotnet build "$root/Cli" -c Release --nologo -v q >/dev/null
torch_json="{"
for m in 0 1 2 3; do
  arch=$root/Models/presets/m$m.json
  ckpt=$models/m$m.pth
  if [ ! -f "$models/MicroNetM$m.micronet.json" ] || [ ! -f "$models/M$m.onnx" ]; then
    "$py" "$ref" make-checkpoint --arch "$arch" --seed 1 --out "$ckpt"
    dotnet "$root/Cli/bin/Release/net10.0/micronet.dll" import "$ckpt" --preset m$m --name MicroNetM$m --out "$models" 2>/dev/null
    "$py" "$ref" export-onnx --arch "$arch" --checkpoint "$ckpt" --out "$models/M$m.onnx" 2>/dev/null
  fi
  [ -f "$models/input.f32" ] || "$py" "$ref" random-input --arch "$arch" --seed 3 --out "$models/input.f32"
  # the int8 model (docs/int8.md): calibrated on 8 seeded random inputs (seeds 10-17), not on the benchmark's input
  if [ ! -f "$models/calibration.f32" ]; then
    for s in 10 11 12 13 14 15 16 17; do "$py" "$ref" random-input --arch "$arch" --seed $s --out "$models/cal-$s.f32"; done
    cat "$models"/cal-1?.f32 > "$models/calibration.f32" && rm -f "$models"/cal-1?.f32
  fi
  [ -f "$models/MicroNetM${m}Int8.micronet.json" ] || dotnet "$root/Cli/bin/Release/net10.0/micronet.dll" quantize "$models/MicroNetM$m.micronet.json" \
    --calibration "$models/calibration.f32" --name MicroNetM${m}Int8 --out "$models" >/dev/null
  "$py" "$ref" run --arch "$arch" --checkpoint "$ckpt" --input "$models/input.f32" --output "$models/M$m.reference.f32"
  t=$("$py" "$ref" time --arch "$arch" --checkpoint "$ckpt" --input "$models/input.f32")
  echo "PyTorch M$m: $t"
  torch_json+="\"M$m\": $t,"
done
"$py" - "$results/pytorch.json" "${torch_json%,}}" <<'PY'
import json, sys
runs = json.loads(sys.argv[2])
json.dump({"torch": next(iter(runs.values()))["torch"], "models": {k: v["median_ms"] for k, v in runs.items()}}, open(sys.argv[1], "w"), indent=2)
PY

bench=$root/bench/MicroNet.Aot.Bench
echo "== this core's FP32 FMA peak (for the percentages)"
dotnet run --project "$bench" -c Release -- fma-peak "$results/fma-peak.json"
echo "== per-layer profile of M3 (MicroNetProfile=true build)"
dotnet run --project "$bench" -c Release -p:MicroNetProfile=true -- profile M3 "$results/profile-M3.md" >/dev/null
echo "== BenchmarkDotNet: ONNX Runtime vs MicroNet.Aot (JIT)"
dotnet run --project "$bench" -c Release -- bdn --filter '*'
echo "== ONNX Runtime and MicroNet.Aot (JIT) in alternating rounds, one process"
dotnet run --project "$bench" -c Release -- interleaved "$results/interleaved.json"
# NativeAOT compiles for one instruction set: the level this CPU has, as the JIT uses it here
# (x86-64-v4 = AVX-512 F/BW/CD/DQ/VL, which the kernels' AVX-512 paths need)
aot_isa=x86-64-v3
avx512=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -cxE 'avx512(f|bw|cd|dq|vl)' || true)
[ "$avx512" = 5 ] && aot_isa=x86-64-v4
echo "$aot_isa" > "$results/aot-isa.txt"
echo "== harness: JIT and NativeAOT ($aot_isa), alternating, three passes each"
dotnet build "$bench" -c Release --nologo -v q >/dev/null
dotnet publish "$root/bench/AotRunner" -c Release -r linux-x64 -p:PublishAot=true -p:IlcInstructionSet=$aot_isa -o "$results/aot" --nologo >/dev/null
rm -f "$results"/harness-*.json
for pass in 1 2 3; do
  dotnet run --project "$bench" -c Release --no-build -- harness jit "$results/harness-jit-$pass.json"
  "$results/aot/micronet-aot-runner" "$results/harness-aot-$pass.json"
done
echo "== int8 against float32, both generated, paired rounds (docs/benchmarks/int8.md)"
dotnet run --project "$bench" -c Release --no-build -- int8 "$results/int8.json"
echo "== several threads: 1, 2, 4 (oversubscribed on fewer cores) and batches of 16 (docs/benchmarks/threads.md)"
dotnet run --project "$bench" -c Release --no-build -- threads "$results/threads.json"
dotnet run --project "$bench" -c Release --no-build -- handoff | tee "$results/handoff.txt"
echo "== cold start, JIT and NativeAOT (docs/benchmarks/coldstart.md)"
"$root/bench/coldstart.sh"
echo "== report"
dotnet run --project "$bench" -c Release --no-build -- report "$results" "$root/docs/benchmarks"
cp "$results/profile-M3.md" "$root/docs/benchmarks/profile-M3.md"
echo "wrote docs/benchmarks/README.md, chart.svg, profile-M3.md"
