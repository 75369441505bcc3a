#!/usr/bin/env bash
# pkgconfig_build.sh c|lib|shared PREFIX DATA: a Makefile-style build of the
# micro test model against the cratec installed in PREFIX, through
# pkg-config alone (no path into the source or build tree), then run.
#   c       --emit c, compiled and linked as its header comment says, into
#           the model's command-line program, shared and static runtime
#   lib     --emit lib and downstream/classify.c, linked with cratert-static
#   shared  --emit shared, loaded by a program that links neither the model
#           nor the runtime, and by Python's ctypes
set -euo pipefail
kind=$1 prefix=$2 data=$3
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
cratec=$prefix/bin/cratec
model=$data/micro/model.crate weights=$data/micro/weights.safetensors
input=$data/micro/input.safetensors expected=$data/micro/expected.safetensors
set -x
case $kind in
c)
  "$cratec" build "$model" --backend c --emit c -o micro.c
  cc -std=c11 -O2 $(pkg-config --cflags cratert) -c micro.c
  cc micro.o -lcratert_main $(pkg-config --libs cratert) -Wl,-rpath,"$(pkg-config --variable=libdir cratert)" \
    -o micro
  ./micro infer --weights "$weights" --input "$input" --output logits.safetensors
  cc micro.o -lcratert_main $(pkg-config --libs cratert-static) -o micro_static
  ./micro_static infer --weights "$weights" --input "$input" --output logits_static.safetensors
  cmp logits.safetensors logits_static.safetensors
  ;;
lib)
  "$cratec" build "$model" --emit lib -o libmicro.a
  cc -std=c11 -O2 $(pkg-config --cflags cratert) -I. -c "$here/downstream/classify.c"
  cc classify.o libmicro.a $(pkg-config --libs cratert-static) -o classify
  ./classify "$weights" "$input" "$expected"
  ;;
shared)
  "$cratec" build "$model" --emit shared -o libmicro.so
  cc -std=c11 -O2 $(pkg-config --cflags cratert) "$here/dlopen_model.c" -ldl -lm -o dlopen_model
  ./dlopen_model ./libmicro.so "$weights"
  /usr/bin/python3 -c 'import ctypes, sys; lib = ctypes.CDLL(sys.argv[1]); lib.crt_session_create; lib.crate_model_forward' \
    ./libmicro.so
  ;;
*)
  echo "pkgconfig_build.sh: unknown kind $kind" >&2
  exit 2
  ;;
esac
