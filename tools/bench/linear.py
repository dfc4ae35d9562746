#!/usr/bin/env python3
"""linear forward+backward, Nabla against PyTorch, side by side in one run.

Alternates rounds (PyTorch in this process, Nabla's bench_linear as a child process), both with the
same thread count and after warm-up, and prints each round's times and the median ratio.
Dev-time only (needs Debian's python3-torch):

    /usr/bin/python3 tools/bench/linear.py --build build --threads 2
"""
import argparse
import os
import statistics
import subprocess
import time

import torch


def torch_ms(batch, fan_in, fan_out, iters):
    torch.manual_seed(0)
    layer = torch.nn.Linear(fan_in, fan_out)
    x = torch.randn(batch, fan_in, requires_grad=True)

    def step():
        layer(x).sum().backward()
        layer.zero_grad()

    for _ in range(20):
        step()
    start = time.perf_counter()
    for _ in range(iters):
        step()
    return (time.perf_counter() - start) * 1000 / iters


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default="build")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--shape", default="64,9216,128", help="batch,in_features,out_features")
    parser.add_argument("--iters", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    batch, fan_in, fan_out = map(int, args.shape.split(","))
    torch.set_num_threads(args.threads)
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    binary = os.path.join(args.build, "tools", "bench", "bench_linear")
    ratios = []
    print(f"linear {batch}x{fan_in} -> {fan_out}, forward+backward, {args.threads} threads")
    for r in range(args.rounds):
        t = torch_ms(batch, fan_in, fan_out, args.iters)
        out = subprocess.run([binary, str(batch), str(fan_in), str(fan_out), str(args.iters)],
                             env=env, check=True, capture_output=True, text=True).stdout
        n = float(out.strip())
        ratios.append(t / n)
        print(f"round {r}: PyTorch {t:.3f} ms, Nabla {n:.3f} ms, PyTorch/Nabla {t / n:.2f}")
    print(f"median speedup (PyTorch time / Nabla time): {statistics.median(ratios):.2f}x")


if __name__ == "__main__":
    main()
