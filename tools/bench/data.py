#!/usr/bin/env python3
"""The data pipeline side by side with PyTorch's, in one run: images/s of a DataLoader with 2 workers over the
Fashion-MNIST image folders (PNG and JPEG, written by `tools/run-example image-folder`), decoding + the MobileNet
example's augmentation (RandomCrop(28, padding=2), RandomHorizontalFlip, ToTensor, Normalize) + collate, and
decoding + collate alone. Nabla: tools/bench/bench_data.cpp; PyTorch: data_twin.py (torchvision 0.14), as installed
and tuned. Then the MobileNet example training from the PNG folder with augmentation (2 loader threads) against
training from the IDX files in memory: images/s of the training epoch, and each run's peak RSS (the folder's is
bounded by the prefetch depth, not the data set: the same at 10,000 and 60,000 images). Dev-time only.

    /usr/bin/python3 tools/bench/data.py --build build --png data/fashion-png --jpeg data/fashion-jpeg
"""
import argparse
import os
import re
import statistics
import subprocess

from twins import side_by_side


def run_with_rss(command):
    """(stdout, peak RSS in MB) of one program run: wait4's maxrss for that child alone."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENBLAS_")}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"failed: {' '.join(command)}")
    return out, usage.ru_maxrss / 1024


def train_run(command):
    """(training images/s, peak RSS in MB) of one example run: its "epoch 1: ... N img/s" line."""
    out, rss = run_with_rss(command)
    return float(re.search(r"^epoch 1: .* ([\d.]+) img/s$", out, re.M).group(1)), rss


def loader_memory(args):
    """The loader alone (bench_data, decode + augment + collate) over 10,000 and 60,000 files: its peak RSS."""
    for images in (10000, 60000):
        _, rss = run_with_rss([os.path.join(args.build, "tools", "bench", "bench_data"), "--root",
                               os.path.join(args.png, "train"), "--images", str(images), "--repeats", "1",
                               "--workers", str(args.workers)])
        print(f"loader alone, {images} PNG files: peak RSS {rss:.0f} MB")


def training(args):
    mobilenet = os.path.join(args.build, "examples", "mobilenet")
    base = [mobilenet, "--epochs", "1", "--threads", "2", "--quiet"]
    runs = {"in memory": [], "folder+augment": [], "folder+augment 10k": []}
    for r in range(args.rounds):
        for name, extra in (("in memory", ["--limit", str(args.train_images)]),
                            ("folder+augment", ["--limit", str(args.train_images), "--image-folder", args.png,
                                                "--augment", "--workers", str(args.workers)]),
                            ("folder+augment 10k", ["--limit", "10000", "--image-folder", args.png, "--augment",
                                                    "--workers", str(args.workers)])):
            runs[name].append(train_run(base + extra))
            print(f"round {r} {name}: {runs[name][-1][0]:.0f} img/s, peak RSS {runs[name][-1][1]:.0f} MB", flush=True)
    ratios = [f[0] / m[0] for f, m in zip(runs["folder+augment"], runs["in memory"])]
    print(f"\nMobileNet training, {args.train_images} images, 2 threads (+{args.workers} loader threads), "
          f"medians over {args.rounds} rounds")
    for name, values in runs.items():
        print(f"  {name:20} {statistics.median(v[0] for v in values):8.0f} img/s   peak RSS "
              f"{statistics.median(v[1] for v in values):6.0f} MB")
    print(f"  folder+augment / in memory: {statistics.median(ratios):.3f} (per-round ratios {', '.join(f'{x:.3f}' for x in ratios)})")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default="build")
    parser.add_argument("--png", required=True, help="image folder of PNGs (its train/ split is read)")
    parser.add_argument("--jpeg", required=True, help="image folder of JPEGs")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--images", type=int, default=30000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--train-images", type=int, default=60000, help="images of the MobileNet training runs")
    parser.add_argument("--skip-loader", action="store_true", help="only the training comparison")
    parser.add_argument("--skip-training", action="store_true", help="only the loader comparison")
    args = parser.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    for name, folder in () if args.skip_loader else (("PNG", args.png), ("JPEG", args.jpeg)):
        root = os.path.join(folder, "train")
        common = ["--root", root, "--workers", str(args.workers), "--images", str(args.images), "--repeats", "3"]
        print(f"\n== {name}: {root}")
        side_by_side([os.path.join(args.build, "tools", "bench", "bench_data")] + common,
                     ["/usr/bin/python3", os.path.join(here, "data_twin.py")] + common,
                     args.workers, args.rounds,
                     [(f"{name} decode+augment+collate img/s", "augment_imgs_per_s", "128"),
                      (f"{name} decode+collate img/s", "decode_imgs_per_s", "128")])
    if not args.skip_loader:
        loader_memory(args)
    if not args.skip_training:
        training(args)


if __name__ == "__main__":
    main()
