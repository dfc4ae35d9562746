#!/usr/bin/env python3
"""DistributedDataParallel on the MNIST network (global batch 64), side by side in alternating rounds:
  plain      1 process x 2 threads, no DDP
  ddp1       1 process x 2 threads, wrapped in DistributedDataParallel (its overhead at one process)
  ddp2       2 processes x 1 thread under mpirun (32 images per rank), with the all-reduce time left exposed
  allreduce  the all-reduce of the network's 1.2 M float32 gradients between 2 processes (shared memory)
Prints each round's figures and the medians. Dev-time only:

    /usr/bin/python3 tools/bench/ddp.py --build build --rounds 5
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
    args = parser.parse_args()
    bench = os.path.join(args.build, "tools", "bench", "bench_ddp")
    mpirun = ["mpirun", "-np", "2", "--oversubscribe", "--bind-to", "none", "-x", "OMP_NUM_THREADS=1"]
    if os.geteuid() == 0:
        mpirun.append("--allow-run-as-root")
    steps = ["--steps", str(args.steps)]
    rows = []
    for r in range(args.rounds):
        plain = run([bench, "step", "--plain"] + steps, 2)
        ddp1 = run([bench, "step"] + steps, 2)
        ddp2 = run(mpirun + [bench, "step"] + steps, 1)
        reduce = run(mpirun + [bench, "allreduce"] + steps, 1)
        row = dict(plain=float(plain["images_per_s"]), ddp1=float(ddp1["images_per_s"]),
                   ddp2=float(ddp2["images_per_s"]), step2=float(ddp2["step_ms"]),
                   exposed=float(ddp2["exposed_allreduce_ms"]), reduce_ms=float(reduce["allreduce_ms"]),
                   bw=float(reduce["algbw_GBps"]))
        rows.append(row)
        print("round %d: plain %.0f img/s, ddp1 %.0f img/s (%.3fx), 2x1 %.0f img/s (%.2fx of 1x2; step %.1f ms, "
              "all-reduce exposed %.2f ms), all-reduce alone %.2f ms (%.2f GB/s)"
              % (r, row["plain"], row["ddp1"], row["ddp1"] / row["plain"], row["ddp2"], row["ddp2"] / row["plain"],
                 row["step2"], row["exposed"], row["reduce_ms"], row["bw"]))
    med = {k: statistics.median(row[k] for row in rows) for k in rows[0]}
    print("median: ddp1/plain %.3f, 2x1/1x2 %.2f, step %.1f ms with %.2f ms exposed all-reduce, all-reduce alone "
          "%.2f ms (%.2f GB/s)" % (statistics.median(r["ddp1"] / r["plain"] for r in rows),
                                    statistics.median(r["ddp2"] / r["plain"] for r in rows), med["step2"],
                                    med["exposed"], med["reduce_ms"], med["bw"]))


if __name__ == "__main__":
    main()
