"""Writes a checkpoint shaped like the official repository's (the state_dict
under 'model', DataParallel's `module.` prefix) from a safetensors file, for
the conversion test."""
import sys

import torch

sys.path.insert(0, sys.argv[3])
from crate_torch import load_safetensors  # noqa: E402

state = load_safetensors(sys.argv[1])
torch.save({'model': {'module.' + k: v for k, v in state.items()}, 'epoch': 3}, sys.argv[2])
