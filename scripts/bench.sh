#!/usr/bin/env bash
# scripts/bench.sh [BUILD_DIR]   (what `make bench` runs; docs/performance.md)
#
# CRATE-Tiny inference (random weights, 224x224; batch 1 and 32; 1 and 2
# threads) and Fashion-MNIST training (batch 128): cratec's two backends
# against PyTorch and ONNX Runtime, runs alternated, BENCH_ROUNDS rounds
# (default 3), medians, one markdown table. A contestant that cannot be
# built or run shows as "failed: <reason>"; the others still run.
#
# Installs what the peers need and says so: Debian's python3-torch and
# OpenBLAS (apt), onnxruntime-node into bench/peers/node_modules (npm).
# Knobs: BENCH_ROUNDS, BENCH_SECONDS (timed seconds per run, default 3),
# BENCH_TIMEOUT (seconds per run, default 300), BENCH_THREADS (default "1 2"),
# BENCH_OPENBLAS_CORETYPE,
# BENCH_CONTESTANTS (default "cratec-llvm cratec-c pytorch onnxruntime"),
# BENCH_CRATEC (a cratec to use instead of building BUILD_DIR's),
# BENCH_RESULTS_DIR (where every run is kept, default bench/results).
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "$ROOT" && mkdir -p "${1:-build}" && cd "${1:-build}" && pwd)
ROUNDS=${BENCH_ROUNDS:-3}
SECONDS_PER_RUN=${BENCH_SECONDS:-3}
TIMEOUT=${BENCH_TIMEOUT:-300}
read -r -a THREADS <<<"${BENCH_THREADS:-1 2}"
RESULTS_DIR=${BENCH_RESULTS_DIR:-$ROOT/bench/results}
PEERS="$ROOT/bench/peers"
read -r -a CONTESTANTS <<<"${BENCH_CONTESTANTS:-cratec-llvm cratec-c pytorch onnxruntime}"
TORCH_PY=/usr/bin/python3     # Debian's torch lives under the system Python
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cratec-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM   # through the EXIT trap
RESULTS="$WORK/results.tsv"
: >"$RESULTS"

wants() { [[ " ${CONTESTANTS[*]} " == *" $1 "* ]]; }
say() { printf 'bench: %s\n' "$*" >&2; }
# The last meaningful line of a log, for a "failed: <reason>" cell.
reason() { grep -v '^\s*$' "$1" 2>/dev/null | tail -n 1 | shorten; }
# A compiler's or linker's first complaint says more than its last line.
first_error() {
  grep -m1 -E 'undefined reference|error' "$1" 2>/dev/null | shorten | grep . || reason "$1"
}
shorten() { sed -e "s|$ROOT/||g" -e "s|$WORK/||g" | tr '\t|' '  ' | cut -c1-140; }

# ------------------------------------------------------------ peers' tools
declare -A BROKEN=()   # contestant -> why it cannot run at all

install_peers() {
  local apt_pkgs=()
  $TORCH_PY -c 'import torch' 2>/dev/null || apt_pkgs+=(python3-torch python3-numpy)
  # Debian's torch calls the system BLAS: without OpenBLAS that is the
  # reference BLAS, which would make PyTorch an unfair straw man.
  [ -e /usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblas.so.0 ] ||
    [ -e /usr/lib/x86_64-linux-gnu/libopenblas.so.0 ] || apt_pkgs+=(libopenblas0-openmp)
  command -v npm >/dev/null || apt_pkgs+=(nodejs npm)
  if [ ${#apt_pkgs[@]} -gt 0 ]; then
    say "installing with apt-get: ${apt_pkgs[*]}"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_pkgs[@]}"; } \
      >"$WORK/apt.log" 2>&1 || say "apt-get failed: $(reason "$WORK/apt.log")"
  fi
  $TORCH_PY -c 'import torch' 2>"$WORK/torch.log" || BROKEN[pytorch]="no torch: $(reason "$WORK/torch.log")"
  if [ ! -d "$PEERS/node_modules/onnxruntime-node" ]; then
    say "installing onnxruntime-node (npm, bundled CPU build) into bench/peers/node_modules"
    (cd "$PEERS" && ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund) \
      >"$WORK/npm.log" 2>&1 || BROKEN[onnxruntime]="npm install: $(reason "$WORK/npm.log")"
  fi
}

# OpenBLAS 0.3.21 does not know every CPU: on one it cannot name it falls
# back to SSE3 "Prescott" kernels at a fraction of the speed. The peers' best
# environment uses the newest kernel set the CPU's flags allow instead.
openblas_coretype() {
  if [ -n "${BENCH_OPENBLAS_CORETYPE:-}" ]; then echo "$BENCH_OPENBLAS_CORETYPE"; return; fi
  local detected flags
  detected=$(env -u OPENBLAS_CORETYPE $TORCH_PY -c 'import ctypes, torch
lib = ctypes.CDLL("libopenblas.so.0"); lib.openblas_get_corename.restype = ctypes.c_char_p
print(lib.openblas_get_corename().decode())' 2>/dev/null)
  flags=$(grep -m1 '^flags' /proc/cpuinfo)
  case "$detected" in
    Prescott|Core2|Penryn|Dunnington|Nehalem|Atom|Katmai|Coppermine|Northwood|Banias|'')
      case "$flags" in
        *avx512_bf16*) echo Cooperlake ;;
        *avx512f*) echo SkylakeX ;;
        *avx2*) echo Haswell ;;
        *) echo "$detected" ;;
      esac ;;
    *) echo "$detected" ;;
  esac
}

# Peers run with the environment they do best in (docs/performance.md):
# the words of an `env` prefix for a peer's command.
peer_env() {
  PEER_ENV=(env -u OPENBLAS_CORETYPE ${CORETYPE:+OPENBLAS_CORETYPE=$CORETYPE}
    OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS="$1" OPENBLAS_NUM_THREADS="$1"
    GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296)
}

# ------------------------------------------------------------------ cratec
build_cratec() {
  if [ -n "${BENCH_CRATEC:-}" ]; then CRATEC=$BENCH_CRATEC; return; fi
  say "building cratec in $BUILD"
  { [ -f "$BUILD/CMakeCache.txt" ] || cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo; } \
    >"$WORK/cmake.log" 2>&1 &&
    cmake --build "$BUILD" -j 2 --target cratec bench_peak >>"$WORK/cmake.log" 2>&1
  CRATEC="$BUILD/driver/cratec"
  if [ ! -x "$CRATEC" ]; then
    BROKEN[cratec-llvm]="cratec not built: $(reason "$WORK/cmake.log")"
    BROKEN[cratec-c]=${BROKEN[cratec-llvm]}
  fi
}

# flops: N from `cratec check MODEL` (forward, one image), or nothing.
flops_of() { "$CRATEC" check "$1" 2>/dev/null | sed -n 's/^flops: *\([0-9][0-9]*\).*/\1/p' | head -n 1; }

compile() {   # compile NAME MODEL BACKEND -> $WORK/NAME-BACKEND, or a reason in $WORK/NAME-BACKEND.why
  local out="$WORK/$1-$3"
  [ -x "$CRATEC" ] || { echo "cratec not built" >"$out.why"; return; }
  say "cratec build $2 --backend $3"
  if ! timeout "$TIMEOUT" "$CRATEC" build "$2" -o "$out" --backend "$3" >"$out.log" 2>&1 || [ ! -x "$out" ]; then
    echo "build: $(first_error "$out.log")" >"$out.why"
  fi
}

# The per-core FMA peak, once before the rounds and once after: another
# process can only lower it, so the table uses the higher one.
measure_peak() {
  local probe="$BUILD/bench/gemm/bench_peak"
  [ -x "$probe" ] && "$probe" 5 >"$WORK/peak.log" 2>&1 &&
    sed -n 's/^per-core peak: *\([0-9.]*\).*/\1/p' "$WORK/peak.log" >>"$WORK/peaks"
}

# ------------------------------------------------------------------- runs
# run CONTESTANT WORKLOAD THREADS ROUND -- COMMAND...: one timed run, one line of results.
run() {
  local who=$1 workload=$2 threads=$3 round=$4; shift 5
  local log="$WORK/run.log" ips ms
  if [ -n "${BROKEN[$who]:-}" ]; then
    printf '%s\t%s\t%s\t%s\tfailed\t\t\t%s\n' "$who" "$workload" "$threads" "$round" "${BROKEN[$who]}" >>"$RESULTS"
    return
  fi
  timeout "$TIMEOUT" "$@" >"$log" 2>&1
  local rc=$?
  ips=$(sed -n 's/^throughput: *\([0-9.eE+-]*\) *images\/s.*/\1/p' "$log" | tail -n 1)
  ms=$(sed -n 's/^latency: *\([0-9.eE+-]*\) *ms.*/\1/p' "$log" | tail -n 1)
  if [ $rc -eq 0 ] && [ -n "$ips" ] && [ -n "$ms" ]; then
    printf '%s\t%s\t%s\t%s\tok\t%s\t%s\t\n' "$who" "$workload" "$threads" "$round" "$ips" "$ms" >>"$RESULTS"
    say "round $round  $workload  $who  $threads thr: $ips images/s"
  else
    local why
    why=$([ $rc -eq 124 ] && echo "timed out after ${TIMEOUT}s" ||
          { [ $rc -ne 0 ] && echo "exit $rc: $(reason "$log")"; } || echo "no throughput/latency lines")
    printf '%s\t%s\t%s\t%s\tfailed\t\t\t%s\n' "$who" "$workload" "$threads" "$round" "$why" >>"$RESULTS"
    say "round $round  $workload  $who  $threads thr: failed: $why"
  fi
}

# contestant_cmd WHO MODEL_KEY BATCH THREADS TRAIN(0|1): the command, in CMD.
contestant_cmd() {
  local who=$1 key=$2 batch=$3 threads=$4 train=$5
  local extra=()
  [ "$train" = 1 ] && extra=(--train)
  case $who in
    cratec-llvm|cratec-c)
      CMD=("$WORK/$key-${who#cratec-}" bench --batch "$batch" --threads "$threads" "${extra[@]}") ;;
    pytorch)
      peer_env "$threads"
      CMD=("${PEER_ENV[@]}" "$TORCH_PY" "$PEERS/torch_bench.py" "$ROOT/examples/${MODELS[$key]}"
           --batch "$batch" --threads "$threads" --seconds "$SECONDS_PER_RUN" "${extra[@]}") ;;
    onnxruntime)
      peer_env "$threads"
      CMD=("${PEER_ENV[@]}" node "$PEERS/ort_bench.mjs" "$WORK/$key.onnx"
           --batch "$batch" --threads "$threads" --seconds "$SECONDS_PER_RUN") ;;
  esac
}

declare -A MODELS=([tiny]=crate_tiny.crate [fmnist]=fashion_mnist.crate)

main() {
  build_cratec
  local key backend
  for key in tiny fmnist; do
    for backend in llvm c; do
      wants "cratec-$backend" && compile "$key" "$ROOT/examples/${MODELS[$key]}" "$backend"
    done
  done
  if wants pytorch || wants onnxruntime; then
    install_peers
    CORETYPE=$(openblas_coretype)
    say "peers: OpenBLAS core type ${CORETYPE:-as detected}"
  fi
  if { wants pytorch || wants onnxruntime; } && [ -z "${BROKEN[pytorch]:-}" ]; then
    say "checking the PyTorch peer against the reference cases"
    $TORCH_PY "$PEERS/check_torch.py" >"$WORK/check.log" 2>&1 ||
      BROKEN[pytorch]="does not match the reference cases: $(reason "$WORK/check.log")"
  fi
  if wants onnxruntime && [ -z "${BROKEN[onnxruntime]:-}" ]; then
    if [ -n "${BROKEN[pytorch]:-}" ]; then
      BROKEN[onnxruntime]="needs the PyTorch peer to export its model"
    elif ! $TORCH_PY "$PEERS/onnx_export.py" "$ROOT/examples/crate_tiny.crate" "$WORK/tiny.onnx" >"$WORK/onnx.log" 2>&1; then
      BROKEN[onnxruntime]="onnx export: $(reason "$WORK/onnx.log")"
    elif ! node "$PEERS/ort_bench.mjs" "$WORK/tiny.onnx" --check >"$WORK/ortcheck.log" 2>&1; then
      BROKEN[onnxruntime]="logits differ from PyTorch: $(reason "$WORK/ortcheck.log")"
    else
      say "$(cat "$WORK/ortcheck.log")"
    fi
  fi

  LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
  measure_peak
  local round workload who threads batch train order=() i
  for round in $(seq 1 "$ROUNDS"); do
    # Reverse the order every other round so no contestant always follows the same one.
    order=()
    for i in "${!CONTESTANTS[@]}"; do
      if [ $((round % 2)) -eq 1 ]; then order+=("${CONTESTANTS[i]}")
      else order=("${CONTESTANTS[i]}" "${order[@]}"); fi
    done
    for workload in "tiny b1 infer" "tiny b32 infer" "fmnist b128 train"; do
      read -r key batch train <<<"$workload"
      batch=${batch#b}; train=$([ "$train" = train ] && echo 1 || echo 0)
      for threads in "${THREADS[@]}"; do
        for who in "${order[@]}"; do
          [ "$who" = onnxruntime ] && [ "$train" = 1 ] && continue
          if [[ $who == cratec-* ]] && [ -f "$WORK/$key-${who#cratec-}.why" ]; then
            printf '%s\t%s\t%s\t%s\tfailed\t\t\t%s\n' "$who" "$workload" "$threads" "$round" \
              "$(cat "$WORK/$key-${who#cratec-}.why")" >>"$RESULTS"
            continue
          fi
          contestant_cmd "$who" "$key" "$batch" "$threads" "$train"
          run "$who" "$workload" "$threads" "$round" -- "${CMD[@]}"
        done
      done
    done
  done

  measure_peak
  local peak
  peak=$(sort -g "$WORK/peaks" 2>/dev/null | tail -n 1)
  local tiny_flops fmnist_flops
  tiny_flops=$([ -x "$CRATEC" ] && flops_of "$ROOT/examples/crate_tiny.crate")
  fmnist_flops=$([ -x "$CRATEC" ] && flops_of "$ROOT/examples/fashion_mnist.crate")

  echo
  echo "## cratec benchmark, $(date -u +%Y-%m-%d)"
  echo
  echo "- machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs; load average at the start $LOAD_START, at the end $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- per-core fp32 FMA peak (bench_peak, higher of two probes): ${peak:+$peak GFLOP/s, }$(grep -m1 '^isa' "$WORK/peak.log" 2>/dev/null || echo not measured)"
  echo "- forward FLOPs per image (cratec check): CRATE-Tiny ${tiny_flops:-n/a}, fashion_mnist ${fmnist_flops:-n/a}; training counts 3x"
  echo "- $ROUNDS rounds, medians; peers: best of 1 and 2 threads, OpenBLAS core ${CORETYPE:-auto}, OMP_WAIT_POLICY=PASSIVE, large malloc thresholds"
  echo
  /usr/bin/python3 "$PEERS/bench_table.py" "$RESULTS" --peak "${peak:-0}" \
    --flops "tiny=${tiny_flops:-}" --flops "fmnist=${fmnist_flops:-}"

  # Every run, not only the medians, for whoever wants to see the noise.
  local keep
  keep="$RESULTS_DIR/bench-$(date -u +%Y%m%dT%H%M%SZ).tsv"
  mkdir -p "$RESULTS_DIR" && cp "$RESULTS" "$keep" && say "every run: $keep"
}

main
