#!/usr/bin/env python3
"""bench_data's twin: torchvision's ImageFolder + transforms through torch.utils.data.DataLoader(num_workers=W),
the same folder, the same images per epoch and the same pipelines (grey images, as Nabla reads them with
ImageReadMode::GRAY). Prints the same "M,..." lines. Dev-time only (Debian's python3-torch, python3-torchvision).

    /usr/bin/python3 tools/bench/data_twin.py --root data/fashion-png/train --workers 2 --images 10000
"""
import argparse
import statistics
import time

import torch
import torchvision
from PIL import Image
from torchvision import transforms as T


def grey_loader(path):
    with open(path, "rb") as f:
        return Image.open(f).convert("L")


def images_per_second(root, augment, images, workers, batch, seed):
    pipeline = T.Compose([T.RandomCrop(28, padding=2), T.RandomHorizontalFlip(), T.ToTensor(),
                          T.Normalize((0.2860,), (0.3530,))]) if augment else T.PILToTensor()
    folder = torchvision.datasets.ImageFolder(root, transform=pipeline, loader=grey_loader)
    subset = torch.utils.data.Subset(folder, torch.randperm(len(folder), generator=torch.Generator().manual_seed(0))
                                     [:images].tolist())
    start = time.perf_counter()
    loader = torch.utils.data.DataLoader(subset, batch_size=batch, shuffle=True, num_workers=workers,
                                         generator=torch.Generator().manual_seed(seed))
    seen = sum(x.shape[0] for x, _ in loader)
    return seen / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--images", type=int, default=10000)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    images_per_second(args.root, False, args.images, args.workers, args.batch, 0)  # untimed: into the page cache
    rates = {True: [], False: []}
    for r in range(args.repeats):
        for augment in (True, False):
            rates[augment].append(images_per_second(args.root, augment, args.images, args.workers, args.batch, r))
    for augment, metric in ((True, "augment_imgs_per_s"), (False, "decode_imgs_per_s")):
        print(f"M,{metric},threads={args.workers},batch={args.batch},med={statistics.median(rates[augment]):.1f}",
              flush=True)


if __name__ == "__main__":
    main()
