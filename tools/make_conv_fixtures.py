#!/usr/bin/env python3
"""PyTorch goldens for the convolution modules: tests/fixtures/conv/cases.txt + one .npy per case.

Each case builds torch.nn.Conv*d / ConvTranspose*d with the options on its line, draws the input,
weight, bias and an upstream gradient, runs forward and backward, and saves everything flat in one
float32 array: x, weight, [bias], grad_output, output, grad_x, grad_weight, [grad_bias]. The C++
test (tests/test_conv_fixtures.cpp) rebuilds the same module from the line and compares.
Dev-time only:  /usr/bin/python3 tools/make_conv_fixtures.py
"""
import os

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "conv")
SPATIAL = {1: (9,), 2: (7, 6), 3: (5, 4, 5)}


def per_dim(value, dims):
    return value if isinstance(value, (tuple, list)) else (value,) * dims


def conv_cases():
    for d in (1, 2, 3):
        base = dict(dims=d, transposed=0, batch=2, cin=4, cout=6, kernel=3, stride=1, padding=1, dilation=1,
                    groups=1, bias=1, mode="zeros")
        yield dict(base)
        for s in (2, 3):
            yield dict(base, stride=s)
        yield dict(base, padding=(2, 0, 1)[:d] if d > 1 else 2, stride=(2, 1, 1)[:d] if d > 1 else 1)
        yield dict(base, padding="valid")
        for k, dil in ((3, 1), (4, 1), (4, 2), (2, 3), (5, 2)):
            yield dict(base, padding="same", kernel=k, dilation=dil)
        for dil in (2, 3):
            yield dict(base, dilation=dil, padding=dil)
        yield dict(base, groups=2)
        yield dict(base, groups=4, cout=4)            # depthwise
        yield dict(base, groups=4, cout=8)            # depthwise with a channel multiplier of 2
        yield dict(base, bias=0, kernel=(3, 2, 1)[:d] if d > 1 else 2)
        for mode in ("reflect", "replicate", "circular"):
            yield dict(base, mode=mode)
        yield dict(base, mode="reflect", padding="same", kernel=4)
        yield dict(base, batch=0)                     # an empty batch
        yield dict(base, batch=-1)                    # unbatched
        yield dict(base, kernel=1, padding=0, stride=2)
    yield dict(dims=2, transposed=0, batch=1, cin=2, cout=3, kernel=(1, 3), stride=1, padding=(0, 1), dilation=1,
               groups=1, bias=1, mode="zeros", size=(1, 5))   # size-1 dims
    yield dict(dims=1, transposed=0, batch=1, cin=1, cout=2, kernel=1, stride=1, padding=0, dilation=1,
               groups=1, bias=1, mode="zeros", size=(1,))


def transposed_cases():
    for d in (1, 2, 3):
        base = dict(dims=d, transposed=1, batch=2, cin=4, cout=6, kernel=3, stride=1, padding=0, output_padding=0,
                    groups=1, bias=1, dilation=1)
        yield dict(base)
        yield dict(base, stride=2, padding=1, output_padding=1)
        yield dict(base, stride=3, padding=1, output_padding=2)
        yield dict(base, stride=(2, 1, 3)[:d] if d > 1 else 2, output_padding=(1, 0, 2)[:d] if d > 1 else 0)
        yield dict(base, groups=2, stride=2)
        yield dict(base, dilation=2, padding=1)
        yield dict(base, bias=0, kernel=2, stride=2)
        yield dict(base, stride=1, dilation=2, padding=0, output_padding=1)  # oneDNN rejects: PyTorch's result anyway
        yield dict(base, stride=2, padding=1, output_size="full")            # output_size picks output_padding
        yield dict(base, batch=-1, stride=2)
        yield dict(base, batch=0)


def run(case, index):
    torch.manual_seed(1000 + index)
    d = case["dims"]
    size = case.get("size", SPATIAL[d])
    kernel, stride = per_dim(case["kernel"], d), per_dim(case["stride"], d)
    dilation = per_dim(case["dilation"], d)
    shape = ((case["batch"],) if case["batch"] >= 0 else ()) + (case["cin"],) + tuple(size)
    if case["transposed"]:
        padding = per_dim(case["padding"], d)
        output_padding = per_dim(case.get("output_padding", 0), d)
        cls = getattr(torch.nn, f"ConvTranspose{d}d")
        module = cls(case["cin"], case["cout"], kernel, stride, padding, output_padding, case["groups"],
                     bool(case["bias"]), dilation)
    else:
        padding = case["padding"] if isinstance(case["padding"], str) else per_dim(case["padding"], d)
        cls = getattr(torch.nn, f"Conv{d}d")
        module = cls(case["cin"], case["cout"], kernel, stride, padding, dilation, case["groups"],
                     bool(case["bias"]), case["mode"])
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn_like(p))
    x = torch.randn(shape, requires_grad=True)
    output_size = None
    if case.get("output_size") == "full":
        minimal = module(x)
        output_size = [s + 1 for s in minimal.shape[-d:]]
    y = module(x, output_size) if case["transposed"] else module(x)
    g = torch.randn_like(y)
    y.backward(g)
    parts = [x, module.weight] + ([module.bias] if module.bias is not None else [])
    parts += [g, y, x.grad, module.weight.grad] + ([module.bias.grad] if module.bias is not None else [])
    data = np.concatenate([p.detach().reshape(-1).numpy() for p in parts]).astype(np.float32)
    name = f"case{index:03d}"
    np.save(os.path.join(OUT, name + ".npy"), data)

    def text(v):
        return v if isinstance(v, str) else ",".join(str(e) for e in per_dim(v, d))

    fields = [f"name={name}", f"dims={d}", f"transposed={case['transposed']}", f"input={','.join(map(str, shape))}",
              f"out={case['cout']}", f"kernel={text(kernel)}", f"stride={text(stride)}",
              f"padding={text(padding)}", f"dilation={text(dilation)}", f"groups={case['groups']}",
              f"bias={case['bias']}", f"mode={case.get('mode', 'zeros')}",
              f"output_padding={text(case.get('output_padding', 0))}",
              f"output_size={','.join(map(str, output_size)) if output_size else '-'}"]
    return " ".join(fields)


def pool_cases():
    for d in (1, 2, 3):
        size = {1: (11,), 2: (7, 8), 3: (5, 6, 7)}[d]
        for kw in (dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                   dict(kernel_size=3, stride=1, padding=1, dilation=2), dict(kernel_size=3, stride=2, ceil_mode=True)):
            yield d, size, "max", kw
        for kw in (dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                   dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
                   dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
                   dict(kernel_size=2, stride=2, padding=1, ceil_mode=True, count_include_pad=False)):
            yield d, size, "avg", kw
        for kind in ("adaptive_avg", "adaptive_max"):
            yield d, size, kind, dict(output_size=3)
            yield d, size, kind, dict(output_size=1)
    yield 2, (7, 8), "max", dict(kernel_size=2, unbatched=True)


def run_pool(case, index):
    d, size, kind, kw = case
    torch.manual_seed(5000 + index)
    kw = dict(kw)
    unbatched = kw.pop("unbatched", False)
    x = torch.randn(((3,) if unbatched else (2, 3)) + size, requires_grad=True)
    cls = {"max": "MaxPool", "avg": "AvgPool", "adaptive_avg": "AdaptiveAvgPool", "adaptive_max": "AdaptiveMaxPool"}[kind]
    module = getattr(torch.nn, f"{cls}{d}d")(**kw)
    y = module(x)
    g = torch.randn_like(y)
    y.backward(g)
    name = f"pool{index:03d}"
    np.save(os.path.join(OUT, name + ".npy"),
            np.concatenate([t.detach().reshape(-1).numpy() for t in (x, g, y, x.grad)]).astype(np.float32))
    options = " ".join(f"{k}={','.join(map(str, v)) if isinstance(v, tuple) else int(v)}" for k, v in kw.items())
    return f"name={name} dims={d} kind={kind} input={','.join(map(str, x.shape))} {options}"


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    lines = [run(case, i) for i, case in enumerate(list(conv_cases()) + list(transposed_cases()))]
    with open(os.path.join(OUT, "cases.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print(len(lines), "cases written to", os.path.normpath(OUT))
    pools = [run_pool(case, i) for i, case in enumerate(pool_cases())]
    with open(os.path.join(OUT, "pool_cases.txt"), "w") as f:
        f.write("\n".join(pools) + "\n")
    print(len(pools), "pooling cases written")
