#!/usr/bin/env python3
"""A PyTorch reference script (../shared/reference/*_reference.py) run under bfloat16 autocast: its model's forward
and its training step inside torch.autocast("cpu", dtype=torch.bfloat16). Autocast changes only forward ops (each
backward runs in its forward's dtypes; the optimizer's ops are on neither of its lists), so this is PyTorch's
recommended use; the rest of the script (timing, data, "M," lines) is unchanged. The twin of a Nabla benchmark run
with --bf16.
Dev-time only.

    /usr/bin/python3 tools/bench/autocast_twin.py ../shared/reference/mnist_reference.py --threads 2 --what train
"""
import functools

import torch

from twins import load_reference


def autocast(fn):
    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return fn(*args, **kwargs)
    return wrapped


def main():
    reference = load_reference()
    if hasattr(reference, "Net"):  # mnist_reference.py's model class
        reference.Net.forward = autocast(reference.Net.forward)
    if hasattr(reference, "make_model"):  # mobilenet_reference.py's nn.Sequential
        make_model = reference.make_model

        def make_autocast_model():
            model = make_model()
            model.forward = autocast(model.forward)
            return model
        reference.make_model = make_autocast_model
    if hasattr(reference, "step"):
        reference.step = autocast(reference.step)
    reference.main()


if __name__ == "__main__":
    main()
