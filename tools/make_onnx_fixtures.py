#!/usr/bin/env python3
"""torch.onnx.export of the four reference twins, for tests/test_onnx.cpp (tests/fixtures/onnx/<name>/).

Each folder holds model.onnx.gz (PyTorch 1.13's export in eval mode, opset 17, a dynamic batch dim, gzipped) and,
as ONNX's backend tests do, test_data_set_0/input_0.pb and output_0.pb: a batch of 4 and PyTorch's output for it.
To keep the files small, every weight is rounded to one of 17 levels of its tensor's range (still a network
PyTorch computes with, in float32), which lets gzip shrink the MNIST Net's 4.8 MB to well under 1 MB.
  - mnist: the pytorch/examples Net of ../shared/reference/mnist_reference.py
  - text: text_reference.py's ConvText (vocabulary cut to 1,000 words to keep the file small; its rows of padding
    exercise masked_fill, max and isinf)
  - mobilenet: mobilenet_reference.py's make_model(), BatchNorm statistics randomised so that folding them matters
  - dcgan: dcgan_reference.py's generator (ConvTranspose, BatchNorm, ReLU, Tanh)
and hostile models written with onnx.helper (tests/fixtures/onnx/hostile/): a node reading a value nothing produces,
two nodes in a cycle, an initializer whose shape overflows, one whose data is shorter than its shape, a graph output
nothing produces, an AveragePool whose auto_pad is no ONNX value, one whose ceil_mode is a float.

Dev-time only:  /usr/bin/python3 tools/make_onnx_fixtures.py [../shared/reference]
"""
import gzip
import os
import sys

import numpy as np
import torch
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "fixtures", "onnx")
sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "shared", "reference"))

import dcgan_reference  # noqa: E402
import mnist_reference  # noqa: E402
import mobilenet_reference  # noqa: E402
import text_reference  # noqa: E402


def randomise_batch_norms(model):
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)


def coarse(model):
    with torch.no_grad():
        for p in model.parameters():
            step = p.abs().max() / 8
            if step > 0:
                p.copy_(torch.round(p / step) * step)


def export(name, model, x):
    coarse(model)
    model.eval()
    folder = os.path.join(OUT, name)
    os.makedirs(os.path.join(folder, "test_data_set_0"), exist_ok=True)
    path = os.path.join(folder, "model.onnx")
    torch.onnx.export(model, (x,), path, opset_version=17, input_names=["input"],
                      output_names=["output"], dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    with open(path, "rb") as f, gzip.GzipFile(path + ".gz", "wb", mtime=0) as out:
        out.write(f.read())
    os.remove(path)
    with torch.no_grad():
        y = model(x)
    for kind, t in (("input", x), ("output", y)):
        proto = numpy_helper.from_array(t.numpy(), kind)
        with open(os.path.join(folder, "test_data_set_0", kind + "_0.pb"), "wb") as f:
            f.write(proto.SerializeToString())
    print(name, tuple(y.shape), os.path.getsize(path + ".gz"), "bytes gzipped")


def hostile():
    folder = os.path.join(OUT, "hostile")
    os.makedirs(folder, exist_ok=True)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])

    def save(name, nodes, initializers=(), outputs=(y,)):
        graph = helper.make_graph(nodes, name, [x], list(outputs), list(initializers))
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        with open(os.path.join(folder, name + ".onnx"), "wb") as f:
            f.write(model.SerializeToString())

    save("dangling", [helper.make_node("Relu", ["nowhere"], ["y"])])
    save("cycle", [helper.make_node("Add", ["x", "b"], ["a"]), helper.make_node("Relu", ["a"], ["b"]),
                   helper.make_node("Identity", ["a"], ["y"])])
    huge = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[1 << 40, 1 << 40])  # 2^80 wraps to 0 in int64
    save("overflow", [helper.make_node("Add", ["x", "w"], ["y"])], [huge])
    short = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[4], raw_data=b"\0" * 8)
    save("short_data", [helper.make_node("Add", ["x", "w"], ["y"])], [short])
    save("missing_output", [helper.make_node("Relu", ["x"], ["z"])])
    x4 = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 4, 4])
    y4 = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1, 2, 2])
    for name, attributes in (("bad_auto_pad", {"auto_pad": "BOGUS"}), ("bad_ceil_mode", {"ceil_mode": 1.5})):
        node = helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[2, 2], strides=[2, 2], **attributes)
        graph = helper.make_graph([node], name, [x4], [y4])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        with open(os.path.join(folder, name + ".onnx"), "wb") as f:
            f.write(model.SerializeToString())


def main():
    hostile()
    torch.manual_seed(0)
    export("mnist", mnist_reference.Net(), torch.randn(4, 1, 28, 28))
    ids = torch.randint(1, 1000, (4, 64))
    ids[1, 40:] = 0
    ids[3, :] = 0  # all padding: the where(isinf) branch
    export("text", text_reference.ConvText(1000, 64, 128, 5, 2), ids)
    mobilenet = mobilenet_reference.make_model()
    randomise_batch_norms(mobilenet)
    export("mobilenet", mobilenet, torch.randn(4, 1, 28, 28))
    generator = dcgan_reference.generator()
    generator.apply(dcgan_reference.init_weights)
    randomise_batch_norms(generator)
    export("dcgan", generator, torch.randn(4, dcgan_reference.NZ, 1, 1))


if __name__ == "__main__":
    main()
