#!/usr/bin/python3
"""Convert an official CRATE PyTorch checkpoint (.pth) to safetensors.

    /usr/bin/python3 scripts/pth_to_safetensors.py crate_base.pth crate_base.safetensors

The official repository's checkpoints hold either the model's state_dict or
a dict with it under 'model' (main.py's save_on_master) or 'state_dict'; a
`module.` prefix (DataParallel) is stripped. Every tensor is written as F32
under its state_dict key, in state_dict order, which is what `cratec build
--weights` and the compiled programs' --weights read (docs/model.md §3.1). Needs
Debian's python3-torch only: the safetensors format is written here (an
8-byte little-endian header length, a JSON header, the raw bytes), with
each tensor's CRC32 in __metadata__ as "crc32.NAME", as the runtime writes
and checks it.
"""
import json
import struct
import sys
import zlib

import torch


def state_dict_of(checkpoint):
    for key in ('model', 'state_dict'):
        if isinstance(checkpoint, dict) and isinstance(checkpoint.get(key), dict):
            checkpoint = checkpoint[key]
    if not isinstance(checkpoint, dict) or not all(torch.is_tensor(v) for v in checkpoint.values()):
        sys.exit('error: no state_dict of tensors in the checkpoint')
    if checkpoint and all(k.startswith('module.') for k in checkpoint):
        checkpoint = {k[len('module.'):]: v for k, v in checkpoint.items()}
    return checkpoint


def write_safetensors(path, tensors):
    header, blobs, offset, checksums = {}, [], 0, {}
    for name, t in tensors.items():
        data = t.detach().to(torch.float32).contiguous().cpu().numpy().tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        checksums['crc32.' + name] = f'{zlib.crc32(data):08x}'
        blobs.append(data)
        offset += len(data)
    header['__metadata__'] = checksums
    text = json.dumps(header, separators=(',', ':')).encode()
    text += b' ' * (-len(text) % 8)   # data starts 8-byte aligned
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def main():
    if len(sys.argv) != 3:
        sys.exit('usage: pth_to_safetensors.py CHECKPOINT.pth OUT.safetensors')
    checkpoint = torch.load(sys.argv[1], map_location='cpu', weights_only=False)
    state = state_dict_of(checkpoint)
    write_safetensors(sys.argv[2], state)
    print(f'{sys.argv[2]}: {len(state)} tensors, {sum(t.numel() for t in state.values())} parameters')


if __name__ == '__main__':
    main()
