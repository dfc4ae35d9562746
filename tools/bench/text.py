#!/usr/bin/env python3
"""The Conv1d text classifier, Nabla against ../shared/reference/text_reference.py (PyTorch), side by
side in one run: the same prepared split, the reference's settings (first SEQ tokens, Embedding 64,
Conv1d 128 k5, Adam 1e-3, batch 64, 5 epochs, 2 threads), alternating rounds. Reports each round's
time per epoch (training + the per-epoch evaluation, as the reference counts it), the ratio, and
both accuracies. Dev-time only (needs Debian's python3-torch):

    build/examples/text_classifier train --epochs 0        # prepares data/spamassassin once
    /usr/bin/python3 tools/bench/text.py --build build --reference ../shared/reference
"""
import argparse
import ast
import os
import re
import statistics
import subprocess


def reference_run(args):
    out = subprocess.run(["/usr/bin/python3", os.path.join(args.reference, "text_reference.py"), args.data, "--no-lr",
                          "--seq", str(args.seq), "--epochs", str(args.epochs), "--threads", str(args.threads),
                          "--seed", str(args.seed)],
                         check=True, capture_output=True, text=True).stdout
    epochs = [ast.literal_eval(line) for line in out.splitlines() if line.startswith("{'epoch'")]
    return epochs[-1]["seconds"] / len(epochs), 100 * epochs[-1]["test_acc"]


def nabla_run(args):
    out = subprocess.run([os.path.join(args.build, "examples", "text_classifier"), "--threads", str(args.threads), "train",
                          "--data", args.data, "--seq", str(args.seq), "--epochs", str(args.epochs), "--seed",
                          str(args.seed), "--embedding", "64", "--kernels", "5", "--no-bucket", "--quiet"], check=True, capture_output=True, text=True).stdout
    epochs = re.findall(r"^epoch (\d+): .* test accuracy ([\d.]+)%, .* ([\d.]+) s elapsed$", out, re.M)
    return float(epochs[-1][2]) / len(epochs), float(epochs[-1][1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default="build")
    parser.add_argument("--reference", default="../shared/reference")
    parser.add_argument("--data", default="data/spamassassin")
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    ratios, accuracies = [], []
    for r in range(args.rounds):
        torch_epoch, torch_acc = reference_run(args)
        nabla_epoch, nabla_acc = nabla_run(args)
        ratios.append(torch_epoch / nabla_epoch)
        accuracies.append((torch_acc, nabla_acc))
        print(f"round {r}: PyTorch {torch_epoch:.3f} s/epoch ({torch_acc:.2f}%), Nabla {nabla_epoch:.3f} s/epoch "
              f"({nabla_acc:.2f}%), PyTorch/Nabla {torch_epoch / nabla_epoch:.2f}", flush=True)
    print(f"seq {args.seq}, {args.epochs} epochs: median speedup (PyTorch time / Nabla time) {statistics.median(ratios):.2f}x; "
          f"test accuracy PyTorch {accuracies[0][0]:.2f}%, Nabla {accuracies[0][1]:.2f}%")


if __name__ == "__main__":
    main()
