"""Export the PyTorch peer to ONNX for the ONNX Runtime peer.

    /usr/bin/python3 bench/peers/onnx_export.py MODEL.crate OUT.onnx [--weights W]

The graph takes `images` (B, C, H, W) with a dynamic batch and returns
`logits`. Beside OUT.onnx it writes OUT.check/: a random batch of two
images (`images.f32`), the PyTorch logits for it (`logits.f32`, raw
little-endian float32) and their shapes (`shapes.json`), so ort_bench.mjs
--check can compare ONNX Runtime's logits with PyTorch's.
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import crate_torch  # noqa: E402

OPSET = 17  # the newest torch 1.13 writes; it has LayerNormalization as one op


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('model')
    ap.add_argument('out')
    ap.add_argument('--weights', help='safetensors with official keys (default: random)')
    args = ap.parse_args()

    torch.manual_seed(0)
    cfg = crate_torch.parse_crate(args.model)
    model = crate_torch.CRATE(cfg).eval()
    if args.weights:
        crate_torch.load_weights(model, args.weights)
    images = torch.randn(2, cfg['channels'], cfg['height'], cfg['width'])
    with torch.no_grad():
        torch.onnx.export(model, (images,), args.out, input_names=['images'],
                          output_names=['logits'], opset_version=OPSET,
                          dynamic_axes={'images': {0: 'batch'}, 'logits': {0: 'batch'}})
        logits = model(images)

    check = args.out + '.check'
    os.makedirs(check, exist_ok=True)
    images.numpy().astype('<f4').tofile(os.path.join(check, 'images.f32'))
    logits.numpy().astype('<f4').tofile(os.path.join(check, 'logits.f32'))
    with open(os.path.join(check, 'shapes.json'), 'w') as f:
        json.dump({'images': list(images.shape), 'logits': list(logits.shape)}, f)
    print(f'wrote {args.out} (opset {OPSET}) and {check}/')


if __name__ == '__main__':
    crate_torch.run_main(main, 'onnx_export')
