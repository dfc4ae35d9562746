#!/usr/bin/env python3
"""Unfold forward+backward (the backward is a fold), Nabla against PyTorch, side by side in one
run: alternating rounds, same threads, after warm-up. Prints the median ratio.
Dev-time only (needs Debian's python3-torch):

    /usr/bin/python3 tools/bench/unfold.py --build build --threads 2
"""
import torch
import torch.nn.functional as F

from side_by_side import alternate, nabla_binary, parse_args, time_ms

SHAPES = {  # name: (N, C, spatial, kernel, padding)
    "unfold2d 32x64x56x56 k3 p1": (32, 64, (56, 56), 3, 1),
    "unfold2d 8x16x28x28 k5 p2": (8, 16, (28, 28), 5, 2),
}


def torch_ms(n, c, spatial, k, pad, iters):
    torch.manual_seed(0)
    x = torch.randn((n, c) + spatial, requires_grad=True)

    def step():
        y = F.unfold(x, k, padding=pad)
        y.backward(torch.ones_like(y))
        x.grad = None

    return time_ms(step, 3, iters)


def main():
    args = parse_args(iters=10, rounds=3)
    binary, env = nabla_binary(args, "bench_unfold")
    for name, (n, c, spatial, k, pad) in SHAPES.items():
        command = [binary, str(n), str(c), ",".join(map(str, spatial)), str(k), str(pad), str(args.iters)]
        alternate(name, lambda: torch_ms(n, c, spatial, k, pad, args.iters), command, env, args.rounds)


if __name__ == "__main__":
    main()
