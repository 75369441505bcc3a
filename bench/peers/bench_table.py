"""The benchmark's table: medians over rounds, ratios, GFLOP/s and % of peak.

    python3 bench/peers/bench_table.py RESULTS.tsv --peak GFLOPS
        [--flops WORKLOAD=N ...]

RESULTS.tsv has one line per run, written by scripts/bench.sh:
`contestant  workload  threads  round  ok|failed  images/s  ms  note`.
Peers (pytorch, onnxruntime) show the best of their thread counts; cratec's
contestants show every thread count. Training GFLOP/s count 3x the forward
FLOPs (forward, then two products of the same size per product backward).
"""
import argparse
import collections
import statistics
import sys

PEERS = ('onnxruntime', 'pytorch')
TRAIN_FLOP_FACTOR = 3


def load(path):
    runs = collections.defaultdict(list)   # (contestant, workload, threads) -> [(ips, ms)]
    failures = {}                          # same key -> first reason
    with open(path, encoding='utf-8') as f:
        for line in f:
            fields = line.rstrip('\n').split('\t')
            if len(fields) < 8:
                continue
            who, workload, threads, _, status, ips, ms, note = fields[:8]
            key = (who, workload, int(threads))
            if status == 'ok':
                runs[key].append((float(ips), float(ms)))
            else:
                failures.setdefault(key, note or 'no reason given')
    return runs, failures


def medians(runs):
    """Per key: median images/s, median ms, run count, slowest and fastest images/s."""
    return {k: (statistics.median(i for i, _ in v), statistics.median(m for _, m in v), len(v),
                min(i for i, _ in v), max(i for i, _ in v))
            for k, v in runs.items()}


def rows_for(workload, contestants, med, failures):
    """One row per cratec contestant and thread count; one per peer (its best)."""
    rows = []
    for who in contestants:
        keys = sorted({k for k in list(med) + list(failures) if k[:2] == (who, workload)},
                      key=lambda k: k[2])
        if who in PEERS and any(k in med for k in keys):
            best = max((k for k in keys if k in med), key=lambda k: med[k][0])
            keys = [best]
        for k in keys:
            rows.append((who, k[2], med.get(k), failures.get(k)))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('results')
    ap.add_argument('--peak', type=float, default=0.0, help='per-core fp32 peak, GFLOP/s')
    ap.add_argument('--flops', action='append', default=[], help='WORKLOAD=forward flops per image')
    args = ap.parse_args()
    flops = {}
    for item in args.flops:
        name, _, value = item.partition('=')
        if value.isdigit():
            flops[name] = int(value)

    runs, failures = load(args.results)
    med = medians(runs)
    workloads = list(dict.fromkeys(k[1] for k in list(runs) + list(failures)))
    contestants = list(dict.fromkeys(k[0] for k in list(runs) + list(failures)))

    print('| workload | contestant | threads | images/s | latency (ms) | GFLOP/s | % of peak'
          ' | vs ONNX Runtime | vs PyTorch | runs | images/s range |')
    print('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
    for workload in workloads:
        rows = rows_for(workload, contestants, med, failures)
        best = {who: m[0] for who, _, m, _ in rows if m and who in PEERS}
        model = workload.split()[0]
        per_image = flops.get(model, 0) * (TRAIN_FLOP_FACTOR if 'train' in workload else 1)
        for who, threads, m, reason in rows:
            if m is None:
                print(f'| {workload} | {who} | {threads} | failed: {reason} | | | | | | 0 | |')
                continue
            ips, ms, n, slowest, fastest = m
            gflops = per_image * ips / 1e9 if per_image else None
            of_peak = (f'{100 * gflops / (args.peak * threads):.1f}%'
                       if gflops and args.peak > 0 else 'n/a')
            ratio = {p: (f'{ips / best[p]:.2f}x' if p in best else '—') for p in PEERS}
            print(f'| {workload} | {who} | {threads} | {ips:.2f} | {ms:.2f} | '
                  f"{f'{gflops:.1f}' if gflops else 'n/a'} | {of_peak} | "
                  f"{ratio['onnxruntime']} | {ratio['pytorch']} | {n} | {slowest:.2f}–{fastest:.2f} |")
    return 0


if __name__ == '__main__':
    sys.exit(main())
