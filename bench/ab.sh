#!/usr/bin/env bash
# A/B of two cratec builds on the same machine, in one run: each compiles
# CRATE-Tiny and the Fashion-MNIST model at -O2, then the executables'
# `bench` runs alternate, round by round (inference at batch 32 and 1,
# a training step at batch 128), and the table has each build's median
# over the rounds and the ratio B/A. For "no change of behaviour"
# refactorings and for what a change to the runtime costs.
#
#   bench/ab.sh CRATEC_A CRATEC_B [ROUNDS]
#
# An executable links the runtime its cratec was built with, so build A
# from the old checkout's own build tree.
set -euo pipefail
a=$1 b=$2 rounds=${3:-5}
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for v in a b; do
  cratec=$([ "$v" = a ] && echo "$a" || echo "$b")
  "$cratec" build examples/crate_tiny.crate -O2 -o "$tmp/$v-tiny"
  "$cratec" build examples/fashion_mnist.crate -O2 -o "$tmp/$v-fm"
done
latency() { "$@" 2>&1 | awk '/^latency/ { print $2 }'; }
for _ in $(seq "$rounds"); do
  for v in a b; do
    echo "infer-tiny-b32 $v $(latency "$tmp/$v-tiny" bench --batch 32 --iters 7)"
    echo "infer-tiny-b1 $v $(latency "$tmp/$v-tiny" bench --batch 1 --iters 15)"
    echo "train-fashion-b128 $v $(latency "$tmp/$v-fm" bench --train --batch 128 --iters 15)"
  done
done > "$tmp/times"
echo "# $(date -u +%F) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) threads, $rounds rounds"
awk '{ t[$1 " " $2] = t[$1 " " $2] " " $3; if (!seen[$1]++) order[n++] = $1 }
     function median(s,   v, k, i, j, x) {
       k = split(s, v, " ")
       for (i = 2; i <= k; i++) { x = v[i]; for (j = i - 1; j >= 1 && v[j] > x; j--) v[j + 1] = v[j]; v[j + 1] = x }
       return k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
     }
     END {
       printf "%-20s %10s %10s %8s\n", "case", "A ms", "B ms", "B/A"
       for (i = 0; i < n; i++) {
         c = order[i]; ma = median(t[c " a"]); mb = median(t[c " b"])
         printf "%-20s %10.2f %10.2f %8.3f\n", c, ma, mb, mb / ma
       }
     }' "$tmp/times"
