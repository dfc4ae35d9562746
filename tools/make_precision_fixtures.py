#!/usr/bin/env python3
"""PyTorch 1.13's answers for reduced precision (tests/fixtures/precision.txt), read by tests/test_precision.cpp.

One line per case: "kind=<name> x=<float32 values> y=<results>", values as decimals, "nan", "inf" or "-inf";
bfloat16 results as their 16 bits (unsigned), so rounding is checked bit for bit.
  - to_bfloat16 / to_uint8 / to_int8 / to_int64: float32 -> that dtype (round to nearest even; truncation and
    PyTorch's x86 wrap-around for out-of-range and NaN values)
  - from_bfloat16: bfloat16 bits -> float32
  - autocast_<op>: the op under torch.autocast("cpu", dtype=torch.bfloat16): "dtype=<result dtype>" and its values

Dev-time only:  /usr/bin/python3 tools/make_precision_fixtures.py
"""
import math
import os

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "precision.txt")
nan, inf = math.nan, math.inf

# Specials, every rounding case of bfloat16 (below, at and above the halfway point, ties to even and to odd),
# denormals, the largest finite floats, and values out of uint8/int8/int32/int64 range.
TIE = 2.0 ** -8  # half a bfloat16 step at 1.0
VALUES = [nan, inf, -inf, 0.0, -0.0, 1.0, -1.0, 0.1, -2.5, 2.7, -2.7, 127.9, 128.0, -129.0, 255.5, 256.0, 300.0,
          1.0 + TIE, 1.0 + 3 * TIE, 1.0 + TIE * 1.01, 1.0 + TIE * 0.99, -(1.0 + 3 * TIE), 65504.0, 3.389e38,
          3.4e38, 1e-40, -1e-40, 1e-45, 1.17549435e-38, 2.0 ** 31, -(2.0 ** 31), 2.0 ** 31 + 256, 1e10, -1e10,
          2.0 ** 63, -(2.0 ** 63), 1e30]


def text(values):
    return ",".join("nan" if math.isnan(v) else repr(float(v)) if isinstance(v, float) else str(v) for v in values)


def conversions(lines):
    x = torch.tensor(VALUES, dtype=torch.float32)
    xs = text(x.tolist())
    # Element by element: PyTorch's vectorised conversion writes NaN as 0xFFFF, its scalar one (c10) as 0x7FC0;
    # Nabla uses c10's. Both are NaN; the test checks NaN by value.
    bits = [torch.tensor([v], dtype=torch.float32).to(torch.bfloat16).view(torch.int16).item() & 0xFFFF
            for v in x.tolist()]
    lines.append(f"kind=to_bfloat16 x={xs} y={text(bits)}")
    for name, dtype in [("uint8", torch.uint8), ("int8", torch.int8), ("int64", torch.int64)]:
        lines.append(f"kind=to_{name} x={xs} y={text(x.to(dtype).tolist())}")
    raw = [0x0000, 0x8000, 0x3F80, 0x3F81, 0x7F7F, 0xFF7F, 0x7F80, 0xFF80, 0x7FC0, 0x0001, 0x8001, 0x007F, 0x4049]
    b = torch.tensor([r - 0x10000 if r >= 0x8000 else r for r in raw], dtype=torch.int16).view(torch.bfloat16)
    lines.append(f"kind=from_bfloat16 x={text(raw)} y={text(b.float().tolist())}")


def autocast_ops(lines):
    """Each op under autocast: inputs (float32), the result's dtype and values, and the float32 input gradients of
    sum(result * g) for a fixed g; y32 and dx32: the same without autocast (what a CPU where bfloat16 does not pay
    computes)."""
    torch.manual_seed(0)
    cases = {
        "conv2d": ([(2, 3, 5, 5), (4, 3, 3, 3), (4,)], lambda x, w, b: F.conv2d(x, w, b, padding=1)),
        "conv1d": ([(2, 3, 7), (4, 3, 3), (4,)], lambda x, w, b: F.conv1d(x, w, b, stride=2)),
        "conv3d": ([(1, 2, 4, 4, 4), (3, 2, 2, 2, 2), (3,)], lambda x, w, b: F.conv3d(x, w, b, padding=1)),
        "linear": ([(3, 8), (5, 8), (5,)], F.linear),
        "batched_linear": ([(16, 8), (5, 8), (5,)], F.linear),
        "mm": ([(3, 6), (6, 4)], torch.mm),
        "matmul": ([(2, 3, 4), (4, 5)], torch.matmul),
        "conv_transpose2d": ([(2, 3, 4, 4), (3, 4, 3, 3)], F.conv_transpose2d),
    }
    for name, (shapes, fn) in cases.items():
        inputs = [torch.randn(s).requires_grad_() for s in shapes]
        with torch.autocast("cpu", dtype=torch.bfloat16):
            y = fn(*inputs)
        g = torch.randn(y.shape)
        (y.float() * g).sum().backward()
        grads = [t.grad.clone() for t in inputs]
        for t in inputs:
            t.grad = None
        y32 = fn(*inputs)
        (y32 * g).sum().backward()
        fields = [f"kind=autocast_{name}", f"dtype={str(y.dtype).replace('torch.', '')}",
                  f"yshape={','.join(map(str, y.shape))}", f"y={text(y.float().flatten().tolist())}",
                  f"g={text(g.flatten().tolist())}", f"y32={text(y32.detach().flatten().tolist())}"]
        for i, t in enumerate(inputs):
            fields += [f"shape{i}={','.join(map(str, t.shape))}", f"x{i}={text(t.detach().flatten().tolist())}",
                       f"dx{i}={text(grads[i].flatten().tolist())}", f"dx32{i}={text(t.grad.flatten().tolist())}"]
        lines.append(" ".join(fields))


def main():
    lines = []
    conversions(lines)
    autocast_ops(lines)
    with open(OUT, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {len(lines)} cases to {OUT}")


if __name__ == "__main__":
    main()
