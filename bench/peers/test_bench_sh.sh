#!/bin/bash
# scripts/bench.sh with fake_cratec.sh as the compiler (two rounds, no peers):
# the contract's output lines parsed into the table, a failed build and a
# failed run reported as "failed: <reason>" while the rest still runs.
set -u
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
BENCH_CRATEC="$here/fake_cratec.sh" BENCH_CONTESTANTS="cratec-llvm cratec-c" BENCH_ROUNDS=2 BENCH_RESULTS_DIR="$work" \
  "$here/../../scripts/bench.sh" "$work/build" >"$work/out" 2>"$work/err"
rc=$?
status=0
expect() {   # expect WHAT REGEX: a line of the table matching REGEX
  if grep -qE "$2" "$work/out"; then echo "ok: $1"; else echo "FAIL: $1 (no line matching $2)"; status=1; fi
}
[ $rc -eq 0 ] || { echo "FAIL: bench.sh exited $rc"; status=1; }
# fake: 100*threads + batch images/s; latency 1000*batch/throughput ms; 1e6 flops per image
expect "batch 1, 1 thread, median of 2 rounds" '^\| tiny b1 infer \| cratec-llvm \| 1 \| 101\.00 \| 9\.90 \| 0\.1 \| n/a \| — \| — \| 2 \| 101\.00–101\.00 \|$'
expect "batch 32, 2 threads" '^\| tiny b32 infer \| cratec-llvm \| 2 \| 232\.00 \| 137\.93 \| 0\.2 \|'
expect "a failed build names the linker's complaint" \
  '^\| tiny b1 infer \| cratec-c \| 1 \| failed: build: /usr/bin/ld: main\.o: undefined reference to `crate_model_forward'"'"' \|'
expect "a failed run names its exit code and message" \
  '^\| fmnist b128 train \| cratec-llvm \| 2 \| failed: exit 3: bench: training is not built in \|'
expect "flops from cratec check" 'CRATE-Tiny 1000000, fashion_mnist 1000000'
# 3 workloads x 2 contestants x 2 thread counts
rows=$(grep -cE '^\| [a-z]+ b[0-9]+ ' "$work/out")
if [ "$rows" -eq 12 ]; then echo "ok: 12 rows"; else echo "FAIL: $rows rows, want 12"; status=1; fi
# every run kept: 2 rounds x (4 llvm runs + 2 failed train runs + 6 failed c runs)
kept=$(cat "$work"/bench-*.tsv 2>/dev/null | wc -l)
if [ "$kept" -eq 24 ]; then echo "ok: 24 runs kept"; else echo "FAIL: $kept runs kept, want 24"; status=1; fi
[ $status -eq 0 ] || { echo "--- output"; cat "$work/out" "$work/err"; }
exit $status
