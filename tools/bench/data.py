#!/usr/bin/env python3
"""The data pipeline side by side with PyTorch's, in one run: images/s of a DataLoader with 2 workers over the
Fashion-MNIST image folders (PNG and JPEG, written by `tools/run-example image-folder`), decoding + the MobileNet
example's augmentation (RandomCrop(28, padding=2), RandomHorizontalFlip, ToTensor, Normalize) + collate, and
decoding + collate alone. Nabla: tools/bench/bench_data.cpp; PyTorch: data_twin.py (torchvision 0.14), as installed
and tuned. Dev-time only.

    /usr/bin/python3 tools/bench/data.py --build build --png data/fashion-png --jpeg data/fashion-jpeg
"""
import argparse
import os

from twins import side_by_side


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default="build")
    parser.add_argument("--png", required=True, help="image folder of PNGs (its train/ split is read)")
    parser.add_argument("--jpeg", required=True, help="image folder of JPEGs")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--images", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    for name, folder in (("PNG", args.png), ("JPEG", args.jpeg)):
        root = os.path.join(folder, "train")
        common = ["--root", root, "--workers", str(args.workers), "--images", str(args.images), "--repeats", "1"]
        print(f"\n== {name}: {root}")
        side_by_side([os.path.join(args.build, "tools", "bench", "bench_data")] + common,
                     ["/usr/bin/python3", os.path.join(here, "data_twin.py")] + common,
                     args.workers, args.rounds,
                     [(f"{name} decode+augment+collate img/s", "augment_imgs_per_s", "128"),
                      (f"{name} decode+collate img/s", "decode_imgs_per_s", "128")])


if __name__ == "__main__":
    main()
