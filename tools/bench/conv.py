#!/usr/bin/env python3
"""Convolution forward+backward (grad of input, weight and bias), Nabla against PyTorch, side by
side in one run: alternating rounds, same threads, after warm-up. Prints the median ratio.
Dev-time only (needs Debian's python3-torch):

    /usr/bin/python3 tools/bench/conv.py --build build --threads 2
"""
import torch

from side_by_side import alternate, nabla_binary, parse_args, time_ms

SHAPES = {  # name: (N, C_in, C_out, spatial, kernel, padding)
    "conv2d 32x64x56x56 k3 p1": (32, 64, 64, (56, 56), 3, 1),
    "conv1d 64x64x128 k5 p2": (64, 64, 64, (128,), 5, 2),
}


def torch_ms(n, cin, cout, spatial, k, pad, iters):
    torch.manual_seed(0)
    x = torch.randn((n, cin) + spatial, requires_grad=True)
    conv = {1: torch.nn.Conv1d, 2: torch.nn.Conv2d, 3: torch.nn.Conv3d}[len(spatial)](cin, cout, k, padding=pad)

    def step():
        y = conv(x)
        y.backward(torch.ones_like(y))
        x.grad = None
        conv.zero_grad()

    return time_ms(step, 5, iters)


def main():
    args = parse_args(iters=10, rounds=3)
    binary, env = nabla_binary(args, "bench_conv")
    for name, (n, cin, cout, spatial, k, pad) in SHAPES.items():
        command = [binary, str(n), str(cin), str(cout), ",".join(map(str, spatial)), str(k), str(pad), str(args.iters)]
        alternate(name, lambda: torch_ms(n, cin, cout, spatial, k, pad, args.iters), command, env, args.rounds)


if __name__ == "__main__":
    main()
