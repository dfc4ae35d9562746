#!/usr/bin/env python3
"""The MNIST network, side by side in one run: Nabla (examples/mnist/bench.cpp), PyTorch
(mnist_reference.py) as installed and "tuned" (GLIBC_TUNABLES keeps glibc from mapping every large tensor
afresh), and the raw-oneDNN ceiling (onednn_mnist/main.cpp), alternating rounds, same thread count, each
after its own warm-up. The OPENBLAS_* variables this environment sets for old OpenBLAS builds are unset.
Prints every measurement, then per metric the median over rounds of each round's ratio (as speedups:
above 1 means Nabla is faster).
Dev-time only: needs Debian's python3-torch, libopenblas0-openmp and dataset-fashion-mnist.

    /usr/bin/python3 tools/bench/mnist.py --build build --reference ../shared/reference --threads 2

With --bf16, Nabla trains and infers under bfloat16 autocast and PyTorch under torch.autocast (tools/bench/
autocast_twin.py), and the ceiling is the bf16 network straight on oneDNN: its training step
(onednn_mnist_bf16_train.cpp) and inference (onednn_mnist_reduced.cpp --dtype bf16); the batch-1 and batch-8 step
rows (--what small) have no bf16 twin.
With --int8 (inference only), Nabla's model is quantized by quantization::prepare/convert, PyTorch's by FX
(tools/bench/quantized_twin.py), and the ceiling is the int8 network straight on oneDNN (onednn_mnist_reduced.cpp).
"""
import argparse
import os
import statistics
import subprocess

from twins import measure

METRICS = [  # (label, M-line key, batch, higher is better)
    ("training images/s, batch 64", "train_imgs_per_s", "64", True),
    ("inference images/s, batch 1000", "infer_imgs_per_s", "1000", True),
    ("training step ms, batch 1", "step_ms", "1", False),
    ("training step ms, batch 8", "step_ms", "8", False),
    ("training step ms, batch 64", "step_ms", "64", False),
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default="build")
    parser.add_argument("--reference", default="../shared/reference")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--what", default="train,infer,small")
    parser.add_argument("--winograd", action="store_true", help="Nabla's conv2 on Winograd; the ceiling's too")
    parser.add_argument("--bf16", action="store_true", help="Nabla and PyTorch under bfloat16 autocast")
    parser.add_argument("--int8", action="store_true", help="inference in int8: Nabla, PyTorch and the ceiling")
    args = parser.parse_args()
    if args.int8:
        args.what = "infer"
    ceiling = os.path.join(args.build, "onednn_mnist")
    source = os.path.join(args.reference, "onednn_mnist", "main.cpp")
    if not os.path.exists(ceiling) or os.path.getmtime(ceiling) < os.path.getmtime(source):
        subprocess.run(["g++", "-O3", "-march=native", "-fopenmp", "-fno-math-errno", "-std=c++17", "-o", ceiling,
                        source, "-ldnnl", "-lz"], check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENBLAS_")}
    env["OMP_NUM_THREADS"] = str(args.threads)
    tuned = dict(env, GLIBC_TUNABLES="glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=2000000000")
    t = str(args.threads)
    reference = os.path.join(args.reference, "mnist_reference.py")
    wrapper = "autocast_twin.py" if args.bf16 else "quantized_twin.py" if args.int8 else None
    twin = ["/usr/bin/python3"] + ([os.path.join(os.path.dirname(os.path.abspath(__file__)), wrapper)]
                                   if wrapper else []) + [reference, "--threads", t, "--what", args.what]
    runners = {
        "nabla": [os.path.join(args.build, "examples", "mnist_bench"), "--threads", t, "--what", args.what]
                 + (["--winograd"] if args.winograd else []) + (["--bf16"] if args.bf16 else [])
                 + (["--int8"] if args.int8 else []),
        "pytorch": twin,
        "pytorch_tuned": twin,
        "ceiling": [ceiling, "--threads", t, "--what", args.what] + (["--conv2-alg", "wino"] if args.winograd else []),
    }
    bench = os.path.join(args.build, "tools", "bench")
    if args.int8:
        runners["ceiling"] = [[os.path.join(bench, "onednn_mnist_reduced"), "--threads", t, "--dtype", "int8"]]
    elif args.bf16 and ("train" in args.what or "infer" in args.what):  # the bf16 twins: training step, inference
        runners["ceiling"] = ([[os.path.join(bench, "onednn_mnist_bf16_train"), "--threads", t]]
                              if "train" in args.what else []) + \
                             ([[os.path.join(bench, "onednn_mnist_reduced"), "--threads", t, "--dtype", "bf16"]]
                              if "infer" in args.what else [])
    results = {name: [] for name in runners}
    for r in range(args.rounds):
        for name, command in runners.items():
            commands = command if isinstance(command[0], list) else [command]  # a ceiling may be two programs
            merged = {}
            for c in commands:
                merged.update(measure(c, tuned if name == "pytorch_tuned" else env))
            results[name].append(merged)
            print(f"round {r} {name}: " + ", ".join(f"{k[0]}@{k[1]}={v:g}" for k, v in sorted(results[name][-1].items())),
                  flush=True)
    others = ["pytorch", "pytorch_tuned", "ceiling"]
    print(f"\nmedians over {args.rounds} rounds, {args.threads} threads; ratios are per round, then the median")
    print(f"{'':34} {'Nabla':>9} {'PyTorch':>9} {'tuned':>9} {'ceiling':>9} {'vs PyTorch':>11} {'vs tuned':>9} "
          f"{'vs ceiling':>11}")
    for label, key, batch, higher in METRICS:
        rounds = [{name: results[name][r].get((key, batch)) for name in runners} for r in range(args.rounds)]
        rounds = [values for values in rounds if None not in values.values()]
        if not rounds:
            continue
        speed = (lambda a, b: a / b) if higher else (lambda a, b: b / a)  # ratios as speedups
        med = {name: statistics.median(v[name] for v in rounds) for name in runners}
        ratio = {o: statistics.median(speed(v["nabla"], v[o]) for v in rounds) for o in others}
        print(f"{label:34} {med['nabla']:9.1f} {med['pytorch']:9.1f} {med['pytorch_tuned']:9.1f} {med['ceiling']:9.1f} "
              + " ".join(f"{ratio[o]:10.2f}x" for o in others))


if __name__ == "__main__":
    main()
