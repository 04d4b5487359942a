#!/usr/bin/env bash
# The main job on the bundled default: classify the bundled 1,000 Fashion-MNIST test images with
# FashionMicroNet, a MicroNet trained on Fashion-MNIST (tools/reference/train_fashion_mnist.py),
# imported with `micronet import` and compiled to C# by the source generator. Prints accuracy,
# the confusion matrix, throughput and allocations per image; writes fashion-mnist-errors.svg.
#   ./run.sh [--full | IMAGES LABELS] [--errors FILE.svg]
# (--full: the 10,000 test images of Debian's dataset-fashion-mnist)
set -euo pipefail
cd "$(dirname "$0")"
dotnet run --project samples/FashionMnist -c Release -- "$@"
