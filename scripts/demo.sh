#!/usr/bin/env bash
# The main job (make demo): compile examples/fashion_mnist.crate, train it on
# Fashion-MNIST for a short budget, evaluate it, show what the theory
# predicts per layer (coding rate and sparsity), then compile the trained
# model with its weights embedded into a standalone binary and classify a few
# test images with it.
#
#   scripts/demo.sh [BUILD_DIR]
#   DEMO_BUDGET=SECONDS   training time (default 180: about 3 minutes)
#   DEMO_DIR=DIR          where the outputs land (default demo/)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
budget=${DEMO_BUDGET:-180}
out=${DEMO_DIR:-demo}
cratec="$build/driver/cratec"
model=examples/fashion_mnist.crate
mkdir -p "$out"

step() { printf '\n== %s\n' "$*"; }

step "cratec check $model"
"$cratec" check "$model" --batch 128

step "cratec build $model -o $out/fashion_mnist   (LLVM backend, host CPU)"
time "$cratec" build "$model" -o "$out/fashion_mnist"

step "train on Fashion-MNIST for ${budget}s (checkpoint $out/fashion_mnist.ckpt.safetensors)"
"$out/fashion_mnist" train --data fashion-mnist --save "$out/fashion_mnist.ckpt.safetensors" \
  --time-budget "$budget" --log "$out/train.csv" --log-rate --plot "$out/train.svg"

step "evaluate on the 10000 test images"
"$out/fashion_mnist" eval --weights "$out/fashion_mnist.ckpt.safetensors" --data fashion-mnist

step "per-layer coding rate R^c and sparsity of the trained model (docs/model.md §6)"
"$out/fashion_mnist" rate --weights "$out/fashion_mnist.ckpt.safetensors" --data fashion-mnist --batch 64

step "compile the trained model with embedded weights: $out/fashion_mnist_classifier"
"$cratec" build "$model" --weights "$out/fashion_mnist.ckpt.safetensors" --embed-weights \
  -o "$out/fashion_mnist_classifier"
ls -l "$out/fashion_mnist_classifier"

step "classify test images with the standalone binary (no weights file)"
"$out/fashion_mnist_classifier" classify --data fashion-mnist --count 10

printf '\nOutputs in %s/: train.csv (per-epoch metrics), train.svg (plot), the checkpoint, both binaries.\n' "$out"
