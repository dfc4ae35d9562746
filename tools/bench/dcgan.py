#!/usr/bin/env python3
"""The DCGAN example against its PyTorch twin, side by side in one run: GAN steps (D + G) per second at batch
128 (Nabla: examples/dcgan/bench.cpp; PyTorch: dcgan_reference.py, as installed and tuned). Dev-time only:
needs Debian's python3-torch.

    /usr/bin/python3 tools/bench/dcgan.py --build build --reference ../shared/reference --threads 2
"""
import os

from twins import parse_args, side_by_side


def main():
    args = parse_args()
    t = str(args.threads)
    side_by_side([os.path.join(args.build, "examples", "dcgan_bench"), "--threads", t],
                 ["/usr/bin/python3", os.path.join(args.reference, "dcgan_reference.py"), "--threads", t,
                  "--what", "train"],
                 args.threads, args.rounds, [("GAN steps/s, batch 128", "gan_steps_per_s", "128")])


if __name__ == "__main__":
    main()
