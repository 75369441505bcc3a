"""The PyTorch peer: CRATE inference or training speed on random weights.

    /usr/bin/python3 bench/peers/torch_bench.py MODEL.crate [--batch B]
        [--threads T] [--train] [--seconds S]

Prints, as the compiled executables' `bench` does (contract §3),
`throughput: X images/s` and `latency: Y ms` (per batch, the median).
Inference runs under torch.no_grad; training steps are forward, the model's
label-smoothed cross-entropy, backward and AdamW (crate_torch.train_step).
"""
import argparse
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import crate_torch  # noqa: E402


def timed_calls(step, seconds, min_calls=5):
    """Per-call times in seconds, for at least `seconds` and `min_calls` calls."""
    times, start = [], time.perf_counter()
    while len(times) < min_calls or time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return times


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('model')
    ap.add_argument('--batch', type=int, default=1)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--train', action='store_true')
    ap.add_argument('--seconds', type=float, default=3.0, help='time measured after warm-up')
    args = ap.parse_args()
    if args.batch < 1 or args.threads < 1 or args.seconds <= 0:
        sys.exit('torch_bench: --batch and --threads must be >= 1, --seconds > 0')

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    cfg = crate_torch.parse_crate(args.model)
    model = crate_torch.CRATE(cfg)
    images = torch.randn(args.batch, cfg['channels'], cfg['height'], cfg['width'])
    if args.train:
        model.train()
        labels = torch.randint(0, cfg['classes'], (args.batch,))
        opt = crate_torch.optimizer_for(model, cfg)
        smoothing = cfg['train']['label_smoothing']

        def step():
            crate_torch.train_step(model, opt, images, labels, smoothing)
    else:
        model.eval()

        def step():
            with torch.no_grad():
                model(images)

    timed_calls(step, seconds=min(1.0, args.seconds), min_calls=3)  # warm-up
    latency = statistics.median(timed_calls(step, args.seconds))
    print(f'peer: pytorch {torch.__version__} threads {torch.get_num_threads()}')
    print(f'throughput: {args.batch / latency:.2f} images/s')
    print(f'latency: {latency * 1e3:.3f} ms')


if __name__ == '__main__':
    crate_torch.run_main(main, 'torch_bench')
