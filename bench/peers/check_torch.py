"""Prove the PyTorch peer is CRATE: run crate_torch.py on the shared reference
cases and compare logits, features, loss, gradients and one AdamW step.

    /usr/bin/python3 bench/peers/check_torch.py [CASES_DIR]

Prints the errors per case and exits 1 if any exceeds its bound. The bounds
are a multiple of the case's own `tolerance_hint` (the error of PyTorch in
float32 against float64): matching "to float32 rounding".
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import crate_torch  # noqa: E402

# Same summation order as the reference is not promised, so allow what the
# cases' README calls plausible for a float32 implementation (10-100x).
HINT_FACTOR = 10.0
GRAD_REL_BOUND = 1e-5  # README: PyTorch float32 reaches 2e-7 to 6e-7


def max_abs(a, b):
    return (a.double() - b.double()).abs().max().item()


def rel(a, b):
    return ((a.double() - b.double()).norm() / b.double().norm().clamp_min(1e-30)).item()


class Report:
    def __init__(self):
        self.failures = 0

    def line(self, case, what, value, bound):
        ok = value <= bound
        self.failures += not ok
        print(f"{case:9s} {what:32s} {value:10.3e}  (bound {bound:.1e}) {'ok' if ok else 'FAIL'}")


def check_case(case_dir, report):
    name = os.path.basename(case_dir.rstrip('/'))
    meta = json.load(open(os.path.join(case_dir, 'meta.json')))
    cfg = crate_torch.parse_crate(os.path.join(case_dir, 'model.crate'))
    hint = meta['tolerance_hint']
    torch.manual_seed(0)
    model = crate_torch.CRATE(cfg)
    crate_torch.load_weights(model, os.path.join(case_dir, 'weights.safetensors'))
    inputs = crate_torch.load_safetensors(os.path.join(case_dir, 'input.safetensors'))
    expected = crate_torch.load_safetensors(os.path.join(case_dir, 'expected.safetensors'))
    images, labels = inputs['images'], inputs['labels']

    report.line(name, 'parameters (diff from meta)',
                abs(sum(p.numel() for p in model.parameters()) - meta['num_params']), 0)
    images = images.clone().requires_grad_(True)
    features = {}
    logits = model(images, features)
    report.line(name, 'logits max |err|', max_abs(logits, expected['logits']),
                HINT_FACTOR * hint['logits_max_abs_f32_vs_f64'])
    feat_path = os.path.join(case_dir, 'features.safetensors')
    if os.path.exists(feat_path):
        want = crate_torch.load_safetensors(feat_path)
        features['logits'] = logits
        worst = max(max_abs(features[k], v) for k, v in want.items())
        report.line(name, f'features max |err| ({len(want)})', worst,
                    HINT_FACTOR * hint['features_max_abs_f32_vs_f64'])

    smoothing = cfg['train']['label_smoothing']
    loss = F.cross_entropy(logits, labels, label_smoothing=smoothing)
    report.line(name, 'loss |err|', abs(loss.item() - meta['loss_value_f64']),
                HINT_FACTOR * hint['logits_max_abs_f32_vs_f64'])
    loss.backward()
    report.line(name, 'dimages max |err|', max_abs(images.grad, expected['dimages']),
                HINT_FACTOR * hint.get('grads_max_abs_f32_vs_f64', 1e-6))

    grads_path = os.path.join(case_dir, 'grads.safetensors')
    if os.path.exists(grads_path):
        check_train_step(name, model, cfg, images.detach(), labels,
                         crate_torch.load_safetensors(grads_path), report)


def check_train_step(name, model, cfg, images, labels, want, report):
    """The benchmark's train_step: its gradients against the case's, and its
    AdamW update against the closed form of Adam's first step."""
    before = {k: v.detach().clone() for k, v in model.named_parameters()}
    opt = crate_torch.optimizer_for(model, cfg)
    crate_torch.train_step(model, opt, images, labels, cfg['train']['label_smoothing'])
    params = dict(model.named_parameters())
    worst = max(rel(params[k].grad, v) for k, v in want.items())
    report.line(name, f'grads worst rel err ({len(want)})', worst, GRAD_REL_BOUND)

    # First AdamW step: m^ = g, v^ = g^2, so p1 = p0 (1 - lr wd) - lr g / (|g| + eps).
    # Where |g| is within a few orders of eps the update turns on g's last
    # bits (g/(|g|+eps) is steep there), so those entries are left out.
    t = cfg['train']
    step_err, skipped = 0.0, 0
    for k, g in want.items():
        g = g.double()
        p1 = before[k].double() * (1 - t['lr'] * t['weight_decay']) - t['lr'] * g / (g.abs() + t['eps'])
        steady = g.abs() > 100 * t['eps']
        skipped += int((~steady).sum())
        if steady.any():
            step_err = max(step_err, max_abs(params[k].detach()[steady], p1[steady]))
    report.line(name, f'AdamW step max |err| (-{skipped})', step_err, 1e-6)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    cases = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, '..', '..', '..', 'shared', 'crate', 'cases')
    if not os.path.isdir(cases):
        sys.exit(f'check_torch: no cases directory {cases}')
    torch.set_num_threads(1)
    report = Report()
    found = sorted(d for d in os.listdir(cases) if os.path.exists(os.path.join(cases, d, 'meta.json')))
    if not found:
        sys.exit(f'check_torch: no case (a folder with meta.json) in {cases}')
    for d in found:
        if not os.path.exists(os.path.join(cases, d, 'weights.safetensors')):
            # tests/data keeps big cases' meta.json only (tests/data/README.md)
            print(f'{d}: skipped, no weights.safetensors')
            continue
        check_case(os.path.join(cases, d), report)
    print(f'{report.failures} failed' if report.failures else 'all checks passed')
    sys.exit(1 if report.failures else 0)


if __name__ == '__main__':
    crate_torch.run_main(main, 'check_torch')
