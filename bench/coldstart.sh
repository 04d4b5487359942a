#!/usr/bin/env bash
# Cold start (docs/benchmarks/coldstart.md): a fresh process per model and mode, JIT and NativeAOT;
# first call, calls 2-51 and steady state, one JSON line each, into bench/results/coldstart.jsonl.
# Needs bench/models (bench/run.sh makes them).
#   bench/coldstart.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
results=$root/bench/results
export MICRONET_BENCH_DIR=$root/bench/models DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
mkdir -p "$results"
dotnet build "$root/bench/MicroNet.Aot.Bench" -c Release --nologo -v q >/dev/null
dotnet publish "$root/bench/AotRunner" -c Release -r linux-x64 -p:PublishAot=true -o "$results/aot-coldstart" --nologo >/dev/null
: > "$results/coldstart.jsonl"
for m in M0 M1 M2 M3; do
  dotnet "$root/bench/MicroNet.Aot.Bench/bin/Release/net10.0/MicroNet.Aot.Bench.dll" coldstart $m | tee -a "$results/coldstart.jsonl"
  "$results/aot-coldstart/micronet-aot-runner" coldstart $m | tee -a "$results/coldstart.jsonl"
done
