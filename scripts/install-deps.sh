#!/usr/bin/env bash
# Installs the Debian 12 packages cratec needs, and only those that are missing,
# so `make demo` and `make test` can run it every time at no cost.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  llvm-19-dev clang-19 libclang-rt-19-dev   # LLVM C API backend; clang-19 for libFuzzer targets
  libomp-19-dev                             # OpenMP for clang-19 (the fuzz build; gcc has its own)
  libxsmm-dev libblas-dev                   # JIT GEMM kernels (libxsmm links BLAS for its fallback)
  check                                     # unit test framework (run under CTest)
  libcjson-dev zlib1g-dev                   # safetensors headers, gzipped IDX data
  dataset-fashion-mnist                     # the demo's data set
  python3                                   # tests/install: a shared model loaded by ctypes
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
