"""Shared by the micro-benchmarks: time a PyTorch step in this process and a Nabla benchmark binary
(which prints its ms per step) alternately, and report the median ratio."""
import statistics
import subprocess
import time


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
