#!/usr/bin/env bash
# downstream_rerun.sh PREFIX DATA: cratec_add_model compiles the model again
# when the .crate file or the weights change, and not otherwise. The
# downstream project builds on a copy of the micro case whose files are
# touched between builds.
set -euo pipefail
prefix=$1 data=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$data/micro" "$work/micro"
cmake -S "$here/downstream" -B "$work/build" -DCMAKE_PREFIX_PATH="$prefix" -DCRATEC_TEST_DATA="$work" >/dev/null
compiles() { cmake --build "$work/build" | grep -c "cratec: compiling" || true; }
expect() {
  local got
  got=$(compiles)
  [ "$got" = "$1" ] || { echo "downstream_rerun: $2: cratec ran $got times, expected $1" >&2; exit 1; }
}
expect 2 "first build"
expect 0 "nothing changed"
touch "$work/micro/model.crate"
expect 2 "model.crate changed"
touch "$work/micro/weights.safetensors"
expect 1 "weights changed (only the model that embeds them)"
