#!/usr/bin/env bash
# How long `cratec build` takes: each example at -O2, no embedded weights,
# to an executable (code generation and the link) and to an object (code
# generation alone). Median of N runs (default 5).
#
#   bench/compile_time.sh [BUILD_DIR] [N]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
runs=${2:-5}
cratec="$build/driver/cratec"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

time_build() {   # MODEL EMIT
  for _ in $(seq "$runs"); do
    start=$(date +%s%N)
    "$cratec" build "$1" -O2 --emit "$2" -o "$tmp/out" >/dev/null
    end=$(date +%s%N)
    awk -v ns=$((end - start)) 'BEGIN { printf "%.3f\n", ns / 1e9 }'
  done | median
}

echo "cratec build -O2, median of $runs runs, $(date -u +%F), $(lscpu | sed -n 's/^Model name: *//p'), load $(cut -d' ' -f1 /proc/loadavg)"
printf '%-16s %10s %10s\n' model "exe (s)" "obj (s)"
for model in examples/*.crate; do
  printf '%-16s %10.2f %10.2f\n' "$(basename "$model" .crate)" "$(time_build "$model" exe)" "$(time_build "$model" obj)"
done
