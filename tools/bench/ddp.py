#!/usr/bin/env python3
"""DistributedDataParallel on the MNIST network (global batch 64), side by side in alternating rounds:
  plain      1 process x 2 threads, no DDP
  ddp1       1 process x 2 threads, wrapped in DistributedDataParallel (its overhead at one process)
  ddp2       2 processes x 1 thread under mpirun (32 images per rank), with the all-reduce time left exposed
  allreduce  the all-reduce of the network's 1.2 M float32 gradients between 2 processes (shared memory)
  nocheck    ddp2 without the collectives' header check: what the check costs
  bf16       ddp2 and allreduce with gradients sent as bfloat16 (CommHook::bf16_compress)
Prints each round's figures and the medians. With --accuracy, instead: the MNIST example, 3 epochs under
mpirun -np 2, with float32 and with bfloat16 gradients, and their test accuracies. Dev-time only:

    /usr/bin/python3 tools/bench/ddp.py --build build --rounds 5
    /usr/bin/python3 tools/bench/ddp.py --build build --accuracy
"""
import argparse
import os
import statistics
import subprocess


def run(cmd, threads):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    return dict(item.split("=") for item in out.split())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default="build")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--accuracy", action="store_true")
    args = parser.parse_args()
    bench = os.path.join(args.build, "tools", "bench", "bench_ddp")
    mpirun = ["mpirun", "-np", "2", "--oversubscribe", "--bind-to", "none", "-x", "OMP_NUM_THREADS=1"]
    if os.geteuid() == 0:
        mpirun.append("--allow-run-as-root")
    if args.accuracy:
        return accuracy(args.build, mpirun)
    steps = ["--steps", str(args.steps)]
    rows = []
    for r in range(args.rounds):
        plain = run([bench, "step", "--plain"] + steps, 2)
        ddp1 = run([bench, "step"] + steps, 2)
        ddp2 = run(mpirun + [bench, "step"] + steps, 1)
        reduce = run(mpirun + [bench, "allreduce"] + steps, 1)
        nocheck = run(mpirun + [bench, "step", "--no-check"] + steps, 1)
        bf16 = run(mpirun + [bench, "step", "--bf16"] + steps, 1)
        reduce16 = run(mpirun + [bench, "allreduce", "--bf16"] + steps, 1)
        latency = run(mpirun + [bench, "latency"] + steps, 1)
        latency0 = run(mpirun + [bench, "latency", "--no-check"] + steps, 1)
        row = dict(plain=float(plain["images_per_s"]), ddp1=float(ddp1["images_per_s"]),
                   ddp2=float(ddp2["images_per_s"]), step2=float(ddp2["step_ms"]),
                   exposed=float(ddp2["exposed_allreduce_ms"]), reduce_ms=float(reduce["allreduce_ms"]),
                   bw=float(reduce["algbw_GBps"]), nocheck=float(nocheck["step_ms"]), bf16=float(bf16["step_ms"]),
                   reduce16_ms=float(reduce16["allreduce_ms"]), bytes=float(reduce["bytes"]),
                   bytes16=float(reduce16["bytes"]), latency=float(latency["latency_us"]),
                   latency0=float(latency0["latency_us"]))
        rows.append(row)
        print("round %d: plain %.0f img/s, ddp1 %.0f img/s (%.3fx), 2x1 %.0f img/s (%.2fx of 1x2; step %.1f ms, "
              "all-reduce exposed %.2f ms), all-reduce alone %.2f ms (%.2f GB/s)"
              % (r, row["plain"], row["ddp1"], row["ddp1"] / row["plain"], row["ddp2"], row["ddp2"] / row["plain"],
                 row["step2"], row["exposed"], row["reduce_ms"], row["bw"]))
        print("  check: one-float all-reduce %.1f us with, %.1f us without; step %.2f ms with, %.2f ms without "
              "(%+.2f%%); bf16: step %.2f ms, all-reduce %.2f ms of %.0f bytes (float32: %.2f ms of %.0f)"
              % (row["latency"], row["latency0"], row["step2"], row["nocheck"],
                 100 * (row["step2"] / row["nocheck"] - 1), row["bf16"], row["reduce16_ms"], row["bytes16"],
                 row["reduce_ms"], row["bytes"]))
    med = {k: statistics.median(row[k] for row in rows) for k in rows[0]}
    print("median: ddp1/plain %.3f, 2x1/1x2 %.2f, step %.1f ms with %.2f ms exposed all-reduce, all-reduce alone "
          "%.2f ms (%.2f GB/s)" % (statistics.median(r["ddp1"] / r["plain"] for r in rows),
                                    statistics.median(r["ddp2"] / r["plain"] for r in rows), med["step2"],
                                    med["exposed"], med["reduce_ms"], med["bw"]))
    added_ms = (med["latency"] - med["latency0"]) / 1000
    print("median: the header check adds %.1f us per collective: %.3f%% of the 2x1 step's %.1f ms for its %d buckets; "
          "the steps themselves, with and without, differ by %+.2f%% (noise)"
          % (added_ms * 1000, 100 * 2 * added_ms / med["step2"], med["step2"], 2,
             100 * statistics.median(r["step2"] / r["nocheck"] - 1 for r in rows)))
    print("median: bf16 gradients: %.0f of %.0f bytes per all-reduce, "
          "%.2f ms against %.2f ms, step %.2f ms against %.2f ms"
          % (med["bytes16"], med["bytes"],
             med["reduce16_ms"], med["reduce_ms"], med["bf16"], med["step2"]))


def accuracy(build, mpirun):
    mnist = os.path.join(build, "examples", "mnist")
    results = {}
    for hook in ("allreduce", "bf16"):
        out = subprocess.run(mpirun + [mnist, "--epochs", "3", "--quiet", "--comm-hook", hook],
                             env=dict(os.environ, OMP_NUM_THREADS="1"), check=True, capture_output=True,
                             text=True).stdout
        last = [line for line in out.splitlines() if line.startswith("epoch 3:")][0]
        results[hook] = float(last.split("test accuracy ")[1].split("%")[0])
        print("%s: %s" % (hook, last))
    print("bf16 - float32 test accuracy after 3 epochs: %+.2f points" % (results["bf16"] - results["allreduce"]))


if __name__ == "__main__":
    main()
