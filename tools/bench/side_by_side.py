"""Shared by the micro-benchmarks: time a PyTorch step in this process and a Nabla benchmark binary
(which prints its ms per step) alternately, and report the median ratio."""
import argparse
import os
import statistics
import subprocess
import time

import torch


def time_ms(step, warmup, iters):
    """Milliseconds per call of step(), after warmup calls."""
    for _ in range(warmup):
        step()
    start = time.perf_counter()
    for _ in range(iters):
        step()
    return (time.perf_counter() - start) * 1000 / iters


def alternate(name, torch_ms, nabla_command, env, rounds):
    """Runs torch_ms() and the Nabla command in turn, `rounds` times; prints each round and the median."""
    ratios = []
    for r in range(rounds):
        t = torch_ms()
        n = float(subprocess.run(nabla_command, env=env, check=True, capture_output=True, text=True).stdout.strip())
        ratios.append(t / n)
        print(f"{name} round {r}: PyTorch {t:.3f} ms, Nabla {n:.3f} ms, PyTorch/Nabla {t / n:.2f}", flush=True)
    print(f"{name}: median speedup (PyTorch time / Nabla time) {statistics.median(ratios):.2f}x")


def parse_args(iters, rounds, extra=None):
    """The options every micro-benchmark takes (--build, --threads, --iters, --rounds), plus extra(parser)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default="build")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--iters", type=int, default=iters)
    parser.add_argument("--rounds", type=int, default=rounds)
    if extra:
        extra(parser)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    return args


def nabla_binary(args, name):
    """The benchmark binary's path and the environment that gives it the same thread count."""
    return os.path.join(args.build, "tools", "bench", name), dict(os.environ, OMP_NUM_THREADS=str(args.threads))
