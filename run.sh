#!/usr/bin/env bash
# The main job on the bundled default: import the bundled M0 checkpoint (seeded random weights in
# the official format, made by tools/reference) into a model file pair and inspect it.
#   ./run.sh [CHECKPOINT] [PRESET]
set -euo pipefail
cd "$(dirname "$0")"
ckpt=${1:-Models/checkpoints/micronet-m0-random-seed1.pth}
preset=${2:-m0}
name=MicroNet$(echo "$preset" | tr a-z A-Z)
out=artifacts/models
dotnet run --project Cli -c Release -- import "$ckpt" --preset "$preset" --name "$name" --out "$out"
dotnet run --project Cli -c Release --no-build -- inspect "$out/$name.micronet.json"
