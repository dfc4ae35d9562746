"""Shared by the example benchmarks: run a Nabla benchmark program and its PyTorch twin (as installed and
"tuned") alternately, round after round, parse their "M," lines, and print each measurement and, per metric,
the median over rounds of each round's ratio (as speedups: above 1 means Nabla is faster). The OPENBLAS_*
variables this environment sets for old OpenBLAS builds are unset; "tuned" adds GLIBC_TUNABLES, which keeps
glibc from mapping every large tensor afresh."""
import argparse
import importlib.util
import os
import re
import statistics
import subprocess
import sys

TUNED = "glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=2000000000"


def parse_args():
    """The options every example benchmark takes: --build, --reference, --threads, --rounds."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default="build")
    parser.add_argument("--reference", default="../shared/reference")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--bf16", action="store_true", help="both under bfloat16 autocast (autocast_twin.py)")
    parser.add_argument("--int8", action="store_true", help="inference quantized to int8 (quantized_twin.py)")
    return parser.parse_args()


def load_reference():
    """For the twin wrappers: the reference script named by sys.argv[1], loaded as a module with its own command
    line (sys.argv[2:]) in place, so that the wrapper can patch it before calling its main()."""
    path = sys.argv[1]
    spec = importlib.util.spec_from_file_location("reference", path)
    reference = importlib.util.module_from_spec(spec)
    sys.argv = [path] + sys.argv[2:]
    spec.loader.exec_module(reference)
    return reference


def twin_command(reference, args):
    """The PyTorch twin's command line: the reference script, under autocast_twin.py with --bf16, with its model
    quantized by quantized_twin.py with --int8."""
    here = os.path.dirname(os.path.abspath(__file__))
    wrapper = "autocast_twin.py" if args.bf16 else "quantized_twin.py" if getattr(args, "int8", False) else None
    return ["/usr/bin/python3"] + ([os.path.join(here, wrapper)] if wrapper else []) + [reference]


def measure(command, env):
    """{(metric, batch): median} from a program's "M,<metric>,threads=T,batch=B,med=X ..." lines."""
    out = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    found = {}
    for line in out.splitlines():
        m = re.match(r"M,(\w+),threads=\d+,batch=(\d+),med=([\d.]+)", line)
        if m:
            found[(m.group(1), m.group(2))] = float(m.group(3))
    return found


def side_by_side(nabla, twin, threads, rounds, metrics):
    """nabla, twin: command lines; metrics: [(label, metric, batch)], higher is better for each."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENBLAS_")}
    env["OMP_NUM_THREADS"] = str(threads)
    runners = {"nabla": (nabla, env), "pytorch": (twin, env), "pytorch_tuned": (twin, dict(env, GLIBC_TUNABLES=TUNED))}
    results = {name: [] for name in runners}
    for r in range(rounds):
        for name, (command, environment) in runners.items():
            results[name].append(measure(command, environment))
            print(f"round {r} {name}: " + ", ".join(f"{k[0]}@{k[1]}={v:g}" for k, v in sorted(results[name][-1].items())),
                  flush=True)
    print(f"\nmedians over {rounds} rounds, {threads} threads; ratios are per round, then the median")
    print(f"{'':34} {'Nabla':>9} {'PyTorch':>9} {'tuned':>9} {'vs PyTorch':>11} {'vs tuned':>9}")
    for label, metric, batch in metrics:
        per_round = [{name: results[name][r].get((metric, batch)) for name in runners} for r in range(rounds)]
        per_round = [v for v in per_round if None not in v.values()]
        if not per_round:
            continue
        med = {name: statistics.median(v[name] for v in per_round) for name in runners}
        ratio = {o: statistics.median(v["nabla"] / v[o] for v in per_round) for o in ("pytorch", "pytorch_tuned")}
        print(f"{label:34} {med['nabla']:9.1f} {med['pytorch']:9.1f} {med['pytorch_tuned']:9.1f} "
              f"{ratio['pytorch']:10.2f}x {ratio['pytorch_tuned']:8.2f}x")
