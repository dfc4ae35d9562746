#!/usr/bin/env python3
"""linear forward+backward, Nabla against PyTorch, side by side in one run.

Alternates rounds (PyTorch in this process, Nabla's bench_linear as a child process), both with the
same thread count and after warm-up, and prints each round's times and the median ratio.
Dev-time only (needs Debian's python3-torch):

    /usr/bin/python3 tools/bench/linear.py --build build --threads 2
"""

import torch

from side_by_side import alternate, nabla_binary, parse_args, time_ms


def torch_ms(batch, fan_in, fan_out, iters):
    torch.manual_seed(0)
    layer = torch.nn.Linear(fan_in, fan_out)
    x = torch.randn(batch, fan_in, requires_grad=True)

    def step():
        layer(x).sum().backward()
        layer.zero_grad()

    return time_ms(step, 20, iters)


def main():
    args = parse_args(iters=200, rounds=5, extra=lambda p: p.add_argument(
        "--shape", default="64,9216,128", help="batch,in_features,out_features"))
    batch, fan_in, fan_out = map(int, args.shape.split(","))
    binary, env = nabla_binary(args, "bench_linear")
    alternate(f"linear {batch}x{fan_in} -> {fan_out} forward+backward, {args.threads} threads",
              lambda: torch_ms(batch, fan_in, fan_out, args.iters),
              [binary, str(batch), str(fan_in), str(fan_out), str(args.iters)], env, args.rounds)


if __name__ == "__main__":
    main()
