#!/usr/bin/env python3
"""A PyTorch reference script (../shared/reference/*_reference.py) with its model quantized to int8 by PyTorch 1.13's
FX post-training quantization: prepare_fx / convert_fx on the onednn engine with its default qconfig mapping (conv,
BatchNorm and ReLU fused, int8 weights per channel, uint8 activations observed by histogram), calibrated on 1,000
random images (this twin measures speed: inference only, --what infer). The twin of a Nabla benchmark run with
--int8.
Dev-time only.

    /usr/bin/python3 tools/bench/quantized_twin.py ../shared/reference/mnist_reference.py --threads 2 --what infer
"""
import functools

import torch
from torch.ao.quantization import get_default_qconfig_mapping
from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx

from twins import load_reference


def quantized(model):
    torch.backends.quantized.engine = "onednn"
    model.eval()
    example = torch.randn(1000, 1, 28, 28)
    prepared = prepare_fx(model, get_default_qconfig_mapping("onednn"), example_inputs=(example,))
    with torch.no_grad():
        prepared(example)
    return convert_fx(prepared)


def main():
    reference = load_reference()
    make = reference.make  # (model, optimizer[, scheduler]) in both reference scripts

    @functools.wraps(make)
    def make_quantized(*args, **kwargs):
        made = make(*args, **kwargs)
        return (quantized(made[0]),) + tuple(made[1:])

    reference.make = make_quantized
    reference.main()


if __name__ == "__main__":
    main()
