#!/usr/bin/env bash
# The main job, as far as the pipeline goes today: check every example.
set -euo pipefail
build=${1:-build}
cratec="$build/driver/cratec"
for model in examples/*.crate; do
  echo "== cratec check $model"
  "$cratec" check "$model"
  echo
done
