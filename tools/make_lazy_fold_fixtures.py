#!/usr/bin/env python3
"""PyTorch goldens for issue 5: 2-D Fold/Unfold, lazy conv init, and ConvTranspose padding='same'.

Writes tests/fixtures/lazy_fold/cases.txt (one line per case) and one flat float32 .npy per case:
  unfold/fold:  x, grad_output, output, grad_x
  lazy:         the materialised weight, [bias] (seeded as on the line, input of ones: no RNG use)
  tsame:        x, weight, bias, output. PyTorch has no padding='same' for ConvTranspose
                (pytorch#80301); the golden is its numeric equivalent: padding = floor(total/2) and
                output_padding 0 (or -total when total < 0), cropped to input*stride on the right,
                where total = dilation*(k-1) + 1 - stride (see conv_shape::transposed_same_padding).
Dev-time only:  /usr/bin/python3 tools/make_lazy_fold_fixtures.py
"""
import os

import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "lazy_fold")


def text(v):
    return ",".join(map(str, v)) if isinstance(v, (tuple, list)) else str(v)


def flat(*tensors):
    return np.concatenate([t.detach().reshape(-1).numpy() for t in tensors]).astype(np.float32)


def fold_cases():
    yield "unfold", (2, 3, 7, 6), dict(kernel_size=3)
    yield "unfold", (2, 3, 7, 6), dict(kernel_size=(2, 3), dilation=(1, 2), padding=1, stride=(2, 1))
    yield "unfold", (1, 2, 5, 5), dict(kernel_size=2, stride=2)
    yield "unfold", (3, 5, 5), dict(kernel_size=3, padding=(0, 2), dilation=2)     # unbatched
    yield "unfold", (0, 2, 4, 4), dict(kernel_size=2)                              # empty batch
    yield "unfold", (1, 1, 1, 4), dict(kernel_size=(1, 2))                         # size-1 dims
    yield "fold", (2, 12, 24), dict(output_size=(6, 7), kernel_size=2, stride=(1, 1), dilation=(2, 1))
    yield "fold", (2, 27, 9), dict(output_size=(5, 6), kernel_size=3, padding=1, stride=2)
    yield "fold", (8, 8), dict(output_size=(4, 5), kernel_size=(2, 2), stride=(2, 1))  # unbatched



def run_fold(case, index):
    op, shape, kw = case
    torch.manual_seed(7000 + index)
    x = torch.randn(shape, requires_grad=True)
    y = getattr(F, op)(x, **kw)
    g = torch.randn_like(y)
    y.backward(g)
    name = f"{op}{index:03d}"
    np.save(os.path.join(OUT, name + ".npy"), flat(x, g, y, x.grad))
    return f"name={name} kind={op} input={text(shape)} " + " ".join(f"{k}={text(v)}" for k, v in kw.items())


def lazy_cases():
    yield "LazyConv1d", (2, 5, 9), dict(out_channels=4, kernel_size=3)
    yield "LazyConv2d", (2, 6, 7, 6), dict(out_channels=4, kernel_size=3, groups=2)
    yield "LazyConv3d", (3, 5, 4, 5), dict(out_channels=2, kernel_size=2, bias=False)    # unbatched
    yield "LazyConvTranspose1d", (2, 4, 9), dict(out_channels=6, kernel_size=3, stride=2)
    yield "LazyConvTranspose2d", (2, 6, 5, 5), dict(out_channels=4, kernel_size=2, groups=2)
    yield "LazyConvTranspose3d", (1, 3, 3, 4, 3), dict(out_channels=2, kernel_size=2)


def run_lazy(case, index):
    cls, shape, kw = case
    seed = 8000 + index
    torch.manual_seed(seed)
    module = getattr(torch.nn, cls)(**kw)
    module(torch.ones(shape))
    parts = [module.weight] + ([module.bias] if module.bias is not None else [])
    name = f"lazy{index:03d}"
    np.save(os.path.join(OUT, name + ".npy"), flat(*parts))
    return f"name={name} kind={cls} input={text(shape)} seed={seed} " + " ".join(
        f"{k}={int(v) if isinstance(v, bool) else text(v)}" for k, v in kw.items())


def tsame_cases():
    # dims, input (N, C, *spatial), out channels, kernel, stride, dilation, groups
    yield 1, (2, 3, 7), 4, 3, 2, 1, 1      # total 2: crop 1 / 1
    yield 1, (2, 3, 7), 4, 4, 2, 1, 1      # total 3: crop 1 / 2
    yield 1, (1, 2, 5), 2, 2, 2, 1, 1      # total 0
    yield 1, (1, 2, 5), 2, 2, 3, 1, 1      # total -1: one bias-only position at the end
    yield 1, (1, 2, 5), 2, 1, 3, 1, 1      # total -2: two bias-only positions at the end
    yield 2, (2, 4, 5, 4), 6, (3, 4), (2, 3), (1, 2), 2
    yield 2, (1, 2, 4, 5), 3, 4, 1, 1, 1            # stride 1, even kernel: total 3, crop 1 / 2
    yield 3, (1, 2, 3, 4, 3), 2, 3, (1, 2, 2), 1, 1


def run_tsame(case, index):
    d, shape, cout, k, s, dil, groups = case
    per = lambda v: v if isinstance(v, tuple) else (v,) * d
    k, s, dil = per(k), per(s), per(dil)
    torch.manual_seed(9000 + index)
    x = torch.randn(shape)
    weight = torch.randn((shape[1], cout // groups) + k)
    bias = torch.randn(cout)
    total = [dil[i] * (k[i] - 1) + 1 - s[i] for i in range(d)]
    padding = [t // 2 if t >= 0 else 0 for t in total]
    output_padding = [0 if t >= 0 else -t for t in total]
    y = getattr(F, f"conv_transpose{d}d")(x, weight, bias, s, padding, output_padding, groups, dil)
    for i in range(d):
        y = y.narrow(2 + i, 0, shape[2 + i] * s[i])
    name = f"tsame{index:03d}"
    np.save(os.path.join(OUT, name + ".npy"), flat(x, weight, bias, y))
    return (f"name={name} kind=tsame dims={d} input={text(shape)} out={cout} kernel={text(k)} stride={text(s)} "
            f"dilation={text(dil)} groups={groups}")


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    lines = [run_fold(c, i) for i, c in enumerate(fold_cases())]
    lines += [run_lazy(c, i) for i, c in enumerate(lazy_cases())]
    lines += [run_tsame(c, i) for i, c in enumerate(tsame_cases())]
    with open(os.path.join(OUT, "cases.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print(len(lines), "cases written to", os.path.normpath(OUT))
