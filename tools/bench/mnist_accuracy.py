#!/usr/bin/env python3
"""Test accuracy after each epoch over several seeds, Nabla's example against PyTorch's reference
(mnist_reference.py, whose model seed is made a parameter here). Dev-time only:

    /usr/bin/python3 tools/bench/mnist_accuracy.py --build build --reference ../shared/reference --seeds 1,2,3
"""
import argparse
import os
import re
import statistics
import subprocess
import sys


def nabla_run(build, seed, epochs, threads):
    out = subprocess.run([os.path.join(build, "examples", "mnist"), "--epochs", str(epochs), "--seed", str(seed),
                          "--threads", str(threads), "--quiet"], check=True, capture_output=True, text=True).stdout
    return [float(m.group(1)) for m in re.finditer(r"test accuracy ([\d.]+)%", out)]


def torch_run(reference, seed, epochs, threads):
    code = (f"import sys; sys.path.insert(0, {reference!r}); sys.argv = ['mnist_reference.py', '--threads', '{threads}', "
            f"'--what', 'accuracy', '--epochs', '{epochs}']; import mnist_reference as m; "
            f"m.make.__defaults__ = ({seed},); m.main()")
    env = dict(os.environ, OPENBLAS_CORETYPE="SkylakeX")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env).stdout
    return [float(m.group(1)) for m in re.finditer(r"test_acc=([\d.]+)", out)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default="build")
    parser.add_argument("--reference", default="../shared/reference")
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    reference = os.path.abspath(args.reference)
    final = {"nabla": [], "pytorch": []}
    for seed in map(int, args.seeds.split(",")):
        for name, run in (("nabla", lambda: nabla_run(args.build, seed, args.epochs, args.threads)),
                          ("pytorch", lambda: torch_run(reference, seed, args.epochs, args.threads))):
            accuracies = run()
            final[name].append(accuracies[-1])
            print(f"seed {seed} {name}: " + " / ".join(f"{a:.2f}" for a in accuracies), flush=True)
    for name, values in final.items():
        print(f"{name}: mean test accuracy after {args.epochs} epochs {statistics.mean(values):.2f}% "
              f"(seeds {args.seeds}: {', '.join(f'{v:.2f}' for v in values)})")
    print(f"difference Nabla - PyTorch: {statistics.mean(final['nabla']) - statistics.mean(final['pytorch']):+.2f} points")


if __name__ == "__main__":
    main()
