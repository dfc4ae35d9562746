#!/usr/bin/env python3
"""BatchNorm2d (training, 32x64x56x56) and LayerNorm (64x128x768) forward+backward: Nabla (bench_norm) and
PyTorch as installed and "tuned" (GLIBC_TUNABLES), side by side: each round runs the three in turn, each in its
own process after a warm-up. Input and output gradient are written afresh before every step on both sides (new
values each step, as in training); batch_norm_net is Nabla's BatchNorm as inside a Nabla network (input and
gradient in the blocked layout a conv leaves), against the same PyTorch run (PyTorch's CPU convs leave plain
NCHW). Prints milliseconds per forward+backward and the median PyTorch/Nabla ratio (> 1: Nabla leads).
Dev-time only (Debian's python3-torch):

    /usr/bin/python3 tools/bench/norm.py --build build --threads 2 --rounds 5
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

TUNED = "glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=2000000000"
SHAPES = {"batch_norm": (32, 64, 56, 56), "batch_norm_net": (32, 64, 56, 56), "layer_norm": (64, 128, 768)}


def child_torch(layer, iters):
    import torch
    torch.manual_seed(0)
    module = torch.nn.LayerNorm(768) if layer == "layer_norm" else torch.nn.BatchNorm2d(64)
    x = torch.randn(SHAPES[layer], requires_grad=True)
    g = torch.randn(SHAPES[layer])
    x_source, g_source = torch.randn(SHAPES[layer]), torch.randn(SHAPES[layer])

    def step():
        with torch.no_grad():
            x.copy_(x_source)
            g.copy_(g_source)
        x.grad = None
        module(x).backward(g)

    for _ in range(3):
        step()
    start = time.perf_counter()
    for _ in range(iters):
        step()
    print("%.4f" % ((time.perf_counter() - start) * 1000 / iters))


def run(cmd, env):
    return float(subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout.strip())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default="build")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--iters", type=int, default=20)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_torch(args.child, args.iters)
        return
    base = {k: v for k, v in os.environ.items() if not k.startswith("OPENBLAS_")}
    base["OMP_NUM_THREADS"] = str(args.threads)
    tuned = dict(base, GLIBC_TUNABLES=TUNED)
    nabla = os.path.join(args.build, "tools", "bench", "bench_norm")
    torch_cmd = [sys.executable, os.path.abspath(__file__), "--iters", str(args.iters), "--child"]
    print("%-14s %10s %12s %10s %12s %10s" % ("layer", "Nabla ms", "PyTorch ms", "ratio", "tuned ms", "ratio"))
    for layer in SHAPES:
        rows = []
        for _ in range(args.rounds):
            n = run([nabla, layer, str(args.iters)], base)
            p = run(torch_cmd + [layer], base)  # batch_norm_net: PyTorch's BatchNorm2d as for batch_norm
            t = run(torch_cmd + [layer], tuned)
            rows.append((n, p, t))
        n = statistics.median(r[0] for r in rows)
        p = statistics.median(r[1] for r in rows)
        t = statistics.median(r[2] for r in rows)
        ratio_p = statistics.median(r[1] / r[0] for r in rows)
        ratio_t = statistics.median(r[2] / r[0] for r in rows)
        print("%-14s %10.2f %12.2f %9.2fx %12.2f %9.2fx" % (layer, n, p, ratio_p, t, ratio_t))


if __name__ == "__main__":
    main()
