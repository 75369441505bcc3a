#!/usr/bin/env bash
# What each optimizing pass buys: MODEL built with the -O2 pipeline, once
# more with each optional pass left out (what builds on it goes too:
# without fuse_mssa there is no mssa_add for fuse_layernorm), and at -O0,
# then timed side by side in alternating rounds. Each round runs every
# build's `bench` (the median of ITERS runs after warm-up); the table has
# the median over rounds, and each build's time relative to -O2.
#
#   bench/passes.sh [BUILD_DIR] [ROUNDS] [BATCH] [MODEL] [PASS...]
#
# With PASS names, only those are left out (and -O0 is not built): more
# rounds for one comparison in the same time.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
rounds=${2:-5}
batch=${3:-32}
model=${4:-examples/crate_tiny.crate}
shift $(($# < 4 ? $# : 4))
iters=${ITERS:-10}
cratec="$build/driver/cratec"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The passes -O2 runs that a --passes list may leave out, from the table.
optional=$("$cratec" build --help | awk '/^passes/ { on = 1; next } on && $2 == "-O1..3" { print $1 }')
variants=(O2)
"$cratec" build "$model" -O2 -o "$tmp/O2"
for pass in ${*:-$optional}; do
  keep=$(echo "$optional" | grep -vx "$pass" | paste -sd, -)
  variants+=("no-$pass")
  "$cratec" build "$model" -O2 --passes="$keep" -o "$tmp/no-$pass"
done
if [ $# -eq 0 ]; then
  variants+=(O0)
  "$cratec" build "$model" -O0 -o "$tmp/O0"
fi

for _ in $(seq "$rounds"); do
  for v in "${variants[@]}"; do
    "$tmp/$v" bench --batch "$batch" --iters "$iters" | awk -v v="$v" '/^latency:/ { print v, $2 }' >> "$tmp/times"
  done
done

median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
echo "$(basename "$model" .crate), batch $batch, $(nproc) threads, median of $rounds alternating rounds" \
     "($iters runs each), $(date -u +%F), $(lscpu | sed -n 's/^Model name: *//p'), load $(cut -d' ' -f1 /proc/loadavg)"
base=$(awk '$1 == "O2" { print $2 }' "$tmp/times" | median)
printf '%-22s %10s %10s %8s\n' build "ms/batch" "images/s" "vs -O2"
for v in "${variants[@]}"; do
  ms=$(awk -v v="$v" '$1 == v { print $2 }' "$tmp/times" | median)
  awk -v v="$v" -v ms="$ms" -v b="$batch" -v base="$base" \
    'BEGIN { printf "%-22s %10.2f %10.1f %7.2fx\n", v, ms, b * 1000 / ms, ms / base }'
done
