#!/usr/bin/env python3
"""The MobileNet example against its PyTorch twin, side by side in one run: training images/s at batch 128 and
inference images/s at batch 1000 (Nabla: examples/mobilenet/bench.cpp, BatchNorm folded into the convs;
PyTorch: mobilenet_reference.py, as installed and tuned). Dev-time only: needs Debian's python3-torch.

    /usr/bin/python3 tools/bench/mobilenet.py --build build --reference ../shared/reference --threads 2 [--bf16|--int8]
"""
import os

from twins import parse_args, side_by_side, twin_command


def main():
    args = parse_args()
    t = str(args.threads)
    what = "infer" if args.int8 else "train,infer"  # int8 is for inference
    side_by_side([os.path.join(args.build, "examples", "mobilenet_bench"), "--threads", t, "--what", what]
                 + (["--bf16"] if args.bf16 else []) + (["--int8"] if args.int8 else []),
                 twin_command(os.path.join(args.reference, "mobilenet_reference.py"), args)
                 + ["--threads", t, "--what", what],
                 args.threads, args.rounds,
                 [("training images/s, batch 128", "train_imgs_per_s", "128"),
                  ("inference images/s, batch 1000", "infer_imgs_per_s", "1000")])


if __name__ == "__main__":
    main()
