"""CRATE in PyTorch, written from the shared SPEC.md §1 (the official
model/crate.py), for the benchmark's PyTorch and ONNX Runtime peers.

It reads what it needs from a .crate file (docs/language.md) and loads
safetensors weights under the official state_dict keys. Modules are named as
in the official file so `state_dict()` gives exactly those keys (SPEC §1.8).
Runs under Debian's torch: `/usr/bin/python3`.
"""
import json
import re
import struct
import sys

import torch
import torch.nn.functional as F
from torch import nn

# ---------------------------------------------------------------- .crate

_TOKEN = re.compile(r'\s*(?:(#[^\n]*)|("[^"]*")|([A-Za-z_][A-Za-z0-9_]*)|'
                    r'([-+]?[0-9][0-9.eE+-]*)|(\n|;)|([{}(),=]))')


def _tokens(text):
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            if text[pos:].strip() == '':
                return
            raise ValueError(f'.crate: unexpected character {text[pos]!r} at offset {pos}')
        pos = m.end()
        comment, string, word, number, end, punct = m.groups()
        if comment:
            continue
        if string:
            yield ('word', string[1:-1])
        elif word:
            yield ('word', word)
        elif number:
            yield ('num', float(number) if re.search(r'[.eE]', number) else int(number))
        elif end:
            yield ('end', end)
        elif punct:
            yield ('punct', punct)


def _statements(tokens, i=0):
    """Statements of one block as (name, args, body, positional) up to its '}'."""
    out = []
    while i < len(tokens):
        kind, val = tokens[i]
        if kind == 'end':
            i += 1
            continue
        if (kind, val) == ('punct', '}'):
            return out, i + 1
        if kind != 'word':
            raise ValueError(f'.crate: expected a statement, found {val!r}')
        name, i = val, i + 1
        positional, args, body = [], {}, None
        while i < len(tokens) and tokens[i][0] in ('word', 'num'):
            positional.append(tokens[i][1])
            i += 1
        if i < len(tokens) and tokens[i] == ('punct', '('):
            i += 1
            while tokens[i] != ('punct', ')'):
                if tokens[i] == ('punct', ','):
                    i += 1
                    continue
                key = tokens[i][1]
                if tokens[i + 1] != ('punct', '='):
                    raise ValueError(f'.crate: expected = after {key!r}')
                val = tokens[i + 2][1]
                args[key] = {'true': True, 'false': False}.get(val, val)
                i += 3
            i += 1
        if i < len(tokens) and tokens[i] == ('punct', '{'):
            body, i = _statements(tokens, i + 1)
        out.append((name, args, body, positional))
    return out, i


def _expand(stmts):
    layers = []
    for name, args, body, positional in stmts:
        if name == 'repeat':
            layers += _expand(body) * int(positional[0])
        else:
            layers.append((name, args))
    return layers


def parse_crate(path):
    """The sizes and training recipe of a .crate file as a plain dict."""
    with open(path, encoding='utf-8') as f:
        stmts, _ = _statements(list(_tokens(f.read())))
    model = next((s for s in stmts if s[0] == 'model'), None)
    if model is None:
        raise ValueError(f'{path}: no model block')
    cfg = {'name': model[3][0] if model[3] else 'model', 'layers': [],
           'train': {'optimizer': 'adamw', 'lr': 4e-4, 'weight_decay': 0.1,
                     'beta1': 0.9, 'beta2': 0.999, 'eps': 1e-8,
                     'batch': 256, 'label_smoothing': 0.0}}
    for name, args in _expand(model[2]):
        if name == 'input':
            cfg.update(channels=args['channels'], height=args['height'], width=args['width'])
        elif name == 'patch_embed':
            cfg.update(patch_h=args.get('patch_h', args.get('patch')),
                       patch_w=args.get('patch_w', args.get('patch')), dim=args['dim'])
        elif name == 'mssa':
            heads = args['heads']
            cfg['layers'].append(('mssa', heads, args.get('dim_head', cfg['dim'] // heads)))
        elif name == 'ista':
            cfg['layers'].append(('ista', args.get('step', 0.1), args.get('lambda', 0.1)))
        elif name == 'head':
            cfg.update(pool=str(args.get('pool', 'cls')), classes=args['classes'])
        else:
            raise ValueError(f'{path}: unknown model statement {name!r}')
    train = next((s for s in stmts if s[0] == 'train'), None)
    for name, args, _, positional in (train[2] if train else []):
        if name == 'optimizer':
            if positional[0] == 'lion':
                cfg['train'].update(beta1=0.9, beta2=0.99)
            cfg['train']['optimizer'] = positional[0]
            cfg['train'].update(args)
        elif name in ('batch', 'epochs', 'label_smoothing'):
            cfg['train'][name] = positional[0]
    return cfg

# ----------------------------------------------------------- safetensors

_DTYPES = {'F32': torch.float32, 'F64': torch.float64, 'I64': torch.int64,
           'I32': torch.int32, 'F16': torch.float16, 'BF16': torch.bfloat16}


def load_safetensors(path):
    """Every tensor of a safetensors file, by name (metadata dropped)."""
    with open(path, 'rb') as f:
        data = f.read()
    try:
        (size,) = struct.unpack('<Q', data[:8])
        header = json.loads(data[8:8 + size])
    except (struct.error, ValueError) as e:
        raise ValueError(f'{path}: not a safetensors file ({e})') from None
    base = 8 + size
    out = {}
    for name, info in header.items():
        if name == '__metadata__':
            continue
        begin, end = info['data_offsets']
        dtype = _DTYPES[info['dtype']]
        raw = bytearray(data[base + begin:base + end])
        t = torch.frombuffer(raw, dtype=dtype) if raw else torch.empty(0, dtype=dtype)
        out[name] = t.reshape(info['shape'])
    return out


def load_weights(model, path):
    """Load official-key weights (a `module.` prefix on every key is accepted)."""
    state = load_safetensors(path)
    if state and all(k.startswith('module.') for k in state):
        state = {k[len('module.'):]: v for k, v in state.items()}
    model.load_state_dict(state, strict=True)

# ----------------------------------------------------------------- model


class Patches(nn.Module):
    """Rearrange('b c (h p1) (w p2) -> b (h w) (p1 p2 c)'), SPEC §1.1."""

    def __init__(self, p1, p2):
        super().__init__()
        self.p1, self.p2 = p1, p2

    def forward(self, img):
        b, c, h, w = img.shape
        x = img.reshape(b, c, h // self.p1, self.p1, w // self.p2, self.p2)
        x = x.permute(0, 2, 4, 3, 5, 1)
        return x.reshape(b, (h // self.p1) * (w // self.p2), self.p1 * self.p2 * c)


class PreNorm(nn.Module):
    def __init__(self, dim, fn):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fn = fn

    def forward(self, x):
        return self.fn(self.norm(x))


class Attention(nn.Module):
    """MSSA, SPEC §1.4: one bias-free projection as query, key and value."""

    def __init__(self, dim, heads, dim_head):
        super().__init__()
        inner = heads * dim_head
        self.heads, self.scale = heads, dim_head ** -0.5
        self.qkv = nn.Linear(dim, inner, bias=False)
        project_out = not (heads == 1 and dim_head == dim)
        self.to_out = nn.Sequential(nn.Linear(inner, dim)) if project_out else nn.Identity()

    def forward(self, x):
        b, n, _ = x.shape
        w = self.qkv(x).reshape(b, n, self.heads, -1).transpose(1, 2)
        attn = torch.softmax(torch.matmul(w, w.transpose(-1, -2)) * self.scale, dim=-1)
        out = torch.matmul(attn, w).transpose(1, 2).reshape(b, n, -1)
        return self.to_out(out)


class FeedForward(nn.Module):
    """ISTA, SPEC §1.5, with the official code's three products."""

    def __init__(self, dim, step, lambd):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(dim, dim))
        nn.init.kaiming_uniform_(self.weight)
        self.step_size, self.lambd = step, lambd

    def forward(self, x):
        x1 = F.linear(x, self.weight)
        grad_1 = F.linear(x1, self.weight.t())
        grad_2 = F.linear(x, self.weight.t())
        update = self.step_size * (grad_2 - grad_1) - self.step_size * self.lambd
        return F.relu(x + update)


class Transformer(nn.Module):
    def __init__(self, dim, layers):
        super().__init__()
        if len(layers) % 2 or any(l[0] != k for l, k in zip(layers, ['mssa', 'ista'] * len(layers))):
            raise ValueError('the PyTorch peer needs mssa/ista pairs, as the official model has')
        self.layers = nn.ModuleList()
        for (_, heads, dim_head), (_, step, lambd) in zip(layers[0::2], layers[1::2]):
            self.layers.append(nn.ModuleList([
                PreNorm(dim, Attention(dim, heads, dim_head)),
                PreNorm(dim, FeedForward(dim, step, lambd))]))

    def forward(self, x, features=None):
        for l, (attn, ff) in enumerate(self.layers):
            x = attn(x) + x
            if features is not None:
                features[f'layers.{l}.mssa_out'] = x
            x = ff(x)
            if features is not None:
                features[f'layers.{l}.out'] = x
        return x


class CRATE(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        c, p1, p2, d = cfg['channels'], cfg['patch_h'], cfg['patch_w'], cfg['dim']
        patches = (cfg['height'] // p1) * (cfg['width'] // p2)
        patch_dim = c * p1 * p2
        self.pos_embedding = nn.Parameter(torch.randn(1, patches + 1, d))
        self.cls_token = nn.Parameter(torch.randn(1, 1, d))
        self.to_patch_embedding = nn.Sequential(
            Patches(p1, p2), nn.LayerNorm(patch_dim), nn.Linear(patch_dim, d), nn.LayerNorm(d))
        self.transformer = Transformer(d, cfg['layers'])
        self.pool = cfg['pool']
        self.mlp_head = nn.Sequential(nn.LayerNorm(d), nn.Linear(d, cfg['classes']))

    def forward(self, img, features=None):
        x = self.to_patch_embedding(img)
        cls = self.cls_token.expand(x.shape[0], -1, -1)
        x = torch.cat((cls, x), dim=1) + self.pos_embedding
        if features is not None:
            features['embed'] = x
        x = self.transformer(x, features)
        x = x.mean(dim=1) if self.pool == 'mean' else x[:, 0]
        if features is not None:
            features['pooled'] = x
        return self.mlp_head(x)


def optimizer_for(model, cfg):
    """The .crate train block's optimizer; the benchmark trains with AdamW."""
    t = cfg['train']
    if t['optimizer'] != 'adamw':
        raise ValueError(f"the PyTorch peer trains with adamw, not {t['optimizer']}")
    return torch.optim.AdamW(model.parameters(), lr=t['lr'], betas=(t['beta1'], t['beta2']),
                             eps=t['eps'], weight_decay=t['weight_decay'])


def train_step(model, opt, images, labels, label_smoothing):
    """One training step: forward, label-smoothed cross-entropy, backward, update."""
    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(images), labels, label_smoothing=label_smoothing)
    loss.backward()
    opt.step()
    return loss


def run_main(main, prog):
    """Run a script's main: bad input (a missing file, a .crate or weights
    file it cannot use) ends with one line naming it and exit 1, not a trace."""
    try:
        main()
    except KeyError as e:
        sys.exit(f'{prog}: missing {e}')
    except (OSError, ValueError, RuntimeError, struct.error) as e:
        sys.exit(f'{prog}: {e}')
