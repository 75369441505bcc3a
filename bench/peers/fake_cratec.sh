#!/bin/sh
# A stand-in for cratec that keeps to the contract (docs: shared/contract.md
# §2-3) with known numbers, so test_bench_sh.sh can check scripts/bench.sh's
# parsing, medians and failure cells without a working compiler.
#   check MODEL                 -> flops: 1000000 (one image)
#   build MODEL -o OUT --backend llvm -> OUT, whose `bench --batch B --threads T`
#                                  prints throughput 100*T+B images/s;
#                                  `bench --train` fails (exit 3)
#   build ... --backend c       -> fails with a linker-style error
case "$1" in
  check) echo "parameters: 1"; echo "flops: 1000000"; exit 0 ;;
  build) ;;
  *) echo "fake cratec: unknown command $1" >&2; exit 2 ;;
esac
out=; backend=llvm
while [ $# -gt 0 ]; do
  case "$1" in
    -o) out=$2; shift ;;
    --backend) backend=$2; shift ;;
  esac
  shift
done
if [ "$backend" = c ]; then
  echo "/usr/bin/ld: main.o: undefined reference to \`crate_model_forward'" >&2
  echo "cratec: error: 'cc -o $out' failed" >&2
  exit 1
fi
cat >"$out" <<'EXE'
#!/bin/sh
batch=1; threads=1
while [ $# -gt 0 ]; do
  case "$1" in
    --batch) batch=$2; shift ;;
    --threads) threads=$2; shift ;;
    --train) echo "bench: training is not built in" >&2; exit 3 ;;
  esac
  shift
done
ips=$((100 * threads + batch))
echo "warming up"
echo "throughput: $ips images/s"
awk "BEGIN { printf \"latency: %.3f ms\n\", 1000 * $batch / $ips }"
EXE
chmod +x "$out"
