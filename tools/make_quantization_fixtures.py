#!/usr/bin/env python3
"""PyTorch 1.13's answers for int8 quantization (tests/fixtures/quantization.txt), read by tests/test_quantization.cpp.

One line per case, "kind=<name> field=<values> ...", values as decimals, "nan", "inf" or "-inf":
  - quantize_<dtype>: x quantized per tensor with scale and zero point (y: the integers; dq: dequantized)
  - quantize_per_channel: a (3, 4) x quantized along axis 0 (and axis 1)
  - observer_<name>: calibration batches (x0, x1, ...) through an observer, its scale(s) and zero point(s)
  - qconv_<name> / qlinear_<name>: torch.ao.nn.quantized.functional's conv2d/linear on the onednn engine: float
    inputs, the quantization parameters, and the result's integers (y)
  - qpool_<name>: quantized max/avg pooling (integers)
  - eager_convert: torch.ao.quantization's eager prepare/convert on a small model: its scales, zero points and output

Dev-time only:  /usr/bin/python3 tools/make_quantization_fixtures.py
"""
import math
import os

import torch
import torch.ao.nn.quantized.functional as qF
from torch.ao.quantization import MinMaxObserver, PerChannelMinMaxObserver

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "quantization.txt")
nan, inf = math.nan, math.inf


def text(values):
    return ",".join("nan" if isinstance(v, float) and math.isnan(v) else repr(float(v)) if isinstance(v, float)
                    else str(v) for v in values)


def flat(t):
    return text(t.flatten().tolist())


def shape(t):
    return ",".join(map(str, t.shape))


def quantize(lines):
    # Ties (x / scale exactly .5), specials, saturation, values far beyond int32; 16 values so the vectorised path
    # (8 at a time) runs for every one of them.
    x = torch.tensor([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, nan, inf, -inf, 1e-45, 300.0, -300.0, 0.15, 0.25, 0.35, 12.0,
                      1e10, -1e10, 3.0, -7.25, 0.05, 0.45, 25.55, -12.8], dtype=torch.float32)
    for dtype, zero_point in [(torch.quint8, 3), (torch.qint8, -5)]:
        for scale in [1.0, 0.1, 0.0317]:
            q = torch.quantize_per_tensor(x, scale, zero_point, dtype)
            lines.append(f"kind=quantize_{str(dtype).replace('torch.', '')} scale={scale!r} zero_point={zero_point} "
                         f"x={flat(x)} y={flat(q.int_repr())} dq={flat(q.dequantize())}")
    torch.manual_seed(1)
    w = torch.randn(3, 4) * 2
    for axis in [0, 1]:
        n = w.shape[axis]
        scales = torch.tensor([0.1, 0.02, 0.3, 0.05][:n], dtype=torch.float64)
        zps = torch.tensor([0, 1, -2, 3][:n])
        q = torch.quantize_per_channel(w, scales, zps, axis, torch.qint8)
        lines.append(f"kind=quantize_per_channel axis={axis} shape={shape(w)} scales={flat(scales)} "
                     f"zero_points={flat(zps)} x={flat(w)} y={flat(q.int_repr())} dq={flat(q.dequantize())}")


def observers(lines):
    torch.manual_seed(2)
    batches = [torch.randn(4, 6) * 3 + 1, torch.randn(4, 6) * 0.5 - 2, torch.rand(4, 6) * 7]
    post_relu = [torch.relu(b) for b in batches]
    cases = {
        "minmax_quint8": (MinMaxObserver(dtype=torch.quint8), batches),
        "minmax_quint8_relu": (MinMaxObserver(dtype=torch.quint8), post_relu),
        "minmax_quint8_reduce_range": (MinMaxObserver(dtype=torch.quint8, reduce_range=True), batches),
        "minmax_qint8_symmetric": (MinMaxObserver(dtype=torch.qint8, qscheme=torch.per_tensor_symmetric), batches),
        "minmax_quint8_symmetric": (MinMaxObserver(dtype=torch.quint8, qscheme=torch.per_tensor_symmetric), batches),
        "perchannel_qint8_symmetric": (PerChannelMinMaxObserver(dtype=torch.qint8, qscheme=torch.per_channel_symmetric,
                                                                ch_axis=0), batches),
        "perchannel_quint8_affine_axis1": (PerChannelMinMaxObserver(dtype=torch.quint8, ch_axis=1), batches),
    }
    for name, (observer, xs) in cases.items():
        for x in xs:
            observer(x)
        scale, zero_point = observer.calculate_qparams()
        fields = [f"kind=observer_{name}", f"shape={shape(xs[0])}"]
        fields += [f"x{i}={flat(x)}" for i, x in enumerate(xs)]
        fields += [f"scales={flat(scale.double())}", f"zero_points={flat(zero_point)}"]
        lines.append(" ".join(fields))


def int8_ops(lines):
    torch.backends.quantized.engine = "onednn"
    torch.manual_seed(3)

    def qparams_of(t, relu=False):
        observer = MinMaxObserver(dtype=torch.quint8)
        observer(torch.relu(t) if relu else t)
        scale, zero_point = observer.calculate_qparams()
        return float(scale), int(zero_point)

    def weight_q(w):
        observer = PerChannelMinMaxObserver(dtype=torch.qint8, qscheme=torch.per_channel_symmetric)
        observer(w)
        scales, zps = observer.calculate_qparams()
        return torch.quantize_per_channel(w, scales.double(), zps, 0, torch.qint8), scales

    convs = {
        "plain": ((2, 3, 6, 6), (4, 3, 3, 3), dict(stride=1, padding=0, dilation=1, groups=1), False, 1.0),
        "padded_relu": ((2, 3, 6, 6), (4, 3, 3, 3), dict(stride=1, padding=1, dilation=1, groups=1), True, 1.0),
        "zero_point_padding": ((1, 2, 5, 5), (3, 2, 3, 3), dict(stride=2, padding=1, dilation=1, groups=1), False,
                               -1.5),
        "depthwise": ((2, 4, 7, 7), (4, 1, 3, 3), dict(stride=1, padding=1, dilation=1, groups=4), True, 0.0),
        "grouped_dilated": ((1, 4, 8, 8), (6, 2, 3, 3), dict(stride=1, padding=2, dilation=2, groups=2), False, 0.5),
    }
    for name, (xs, ws, p, relu, shift) in convs.items():
        x = torch.randn(xs) + shift
        w = torch.randn(ws) * 0.3
        b = torch.randn(ws[0]) * 0.2
        in_scale, in_zp = qparams_of(x)
        qx = torch.quantize_per_tensor(x, in_scale, in_zp, torch.quint8)
        qw, _ = weight_q(w)
        reference = torch.nn.functional.conv2d(qx.dequantize(), qw.dequantize(), b, **p)
        out_scale, out_zp = qparams_of(reference, relu)
        conv = qF.conv2d(qx, qw, b, stride=p["stride"], padding=p["padding"], dilation=p["dilation"],
                         groups=p["groups"], scale=out_scale, zero_point=out_zp)
        if relu:
            conv = torch.nn.quantized.functional.relu(conv) if hasattr(torch.nn.quantized.functional, "relu") \
                else torch.relu(conv)
        lines.append(" ".join([f"kind=qconv_{name}", f"xshape={shape(x)}", f"x={flat(x)}", f"wshape={shape(w)}",
                               f"w={flat(w)}", f"b={flat(b)}", f"stride={p['stride']}", f"padding={p['padding']}",
                               f"dilation={p['dilation']}", f"groups={p['groups']}", f"relu={int(relu)}",
                               f"in_scale={in_scale!r}", f"in_zero_point={in_zp}", f"out_scale={out_scale!r}",
                               f"out_zero_point={out_zp}", f"y={flat(conv.int_repr())}",
                               f"wq={flat(qw.int_repr())}"]))
    for name, (rows, inf_, outf, shift) in {"small": (3, 8, 5, 0.0), "shifted": (16, 20, 7, 1.0)}.items():
        x = torch.randn(rows, inf_) + shift
        w = torch.randn(outf, inf_) * 0.3
        b = torch.randn(outf) * 0.2
        in_scale, in_zp = qparams_of(x)
        qx = torch.quantize_per_tensor(x, in_scale, in_zp, torch.quint8)
        qw, _ = weight_q(w)
        reference = torch.nn.functional.linear(qx.dequantize(), qw.dequantize(), b)
        out_scale, out_zp = qparams_of(reference)
        packed = torch.ops.quantized.linear_prepack(qw, b)
        y = torch.ops.quantized.linear(qx, packed, out_scale, out_zp)
        lines.append(" ".join([f"kind=qlinear_{name}", f"xshape={shape(x)}", f"x={flat(x)}", f"wshape={shape(w)}",
                               f"w={flat(w)}", f"b={flat(b)}", f"in_scale={in_scale!r}", f"in_zero_point={in_zp}",
                               f"out_scale={out_scale!r}", f"out_zero_point={out_zp}", f"y={flat(y.int_repr())}"]))
    x = torch.randn(2, 3, 6, 6) + 0.5
    scale, zp = qparams_of(x)
    qx = torch.quantize_per_tensor(x, scale, zp, torch.quint8)
    pools = {
        "max": torch.nn.functional.max_pool2d(qx, 2),
        "max_padded": torch.nn.functional.max_pool2d(qx, 3, stride=2, padding=1),
        "avg": torch.nn.functional.avg_pool2d(qx, 2),
        "adaptive_avg": torch.nn.functional.adaptive_avg_pool2d(qx, 1),
    }
    for name, y in pools.items():
        lines.append(f"kind=qpool_{name} xshape={shape(x)} x={flat(x)} scale={scale!r} zero_point={zp} "
                     f"yshape={shape(y)} y={flat(y.int_repr())}")


def eager_convert(lines):
    """PyTorch's eager workflow on a small model (QuantStub, Conv2d+ReLU fused, flatten, Linear, DeQuantStub) with
    MinMax activation observers and per-channel symmetric weights: the parameters convert chose and the int8
    output, for the same weights and calibration data in Nabla."""
    from torch.ao.quantization import DeQuantStub, QConfig, QuantStub, convert, fuse_modules, prepare
    torch.backends.quantized.engine = "onednn"
    torch.manual_seed(4)

    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.quant, self.dequant = QuantStub(), DeQuantStub()
            self.conv = torch.nn.Conv2d(1, 4, 3, padding=1)
            self.relu = torch.nn.ReLU()
            self.fc = torch.nn.Linear(4 * 6 * 6, 5)

        def forward(self, x):
            return self.dequant(self.fc(torch.flatten(self.relu(self.conv(self.quant(x))), 1)))

    model = Model().eval()
    weights = {k: v.detach().clone() for k, v in model.state_dict().items()}
    model.qconfig = QConfig(activation=MinMaxObserver.with_args(dtype=torch.quint8),
                            weight=PerChannelMinMaxObserver.with_args(dtype=torch.qint8,
                                                                      qscheme=torch.per_channel_symmetric))
    fuse_modules(model, [["conv", "relu"]], inplace=True)
    prepare(model, inplace=True)
    calibration, test = torch.randn(16, 1, 6, 6) * 1.5 + 0.3, torch.randn(4, 1, 6, 6)
    model(calibration)
    convert(model, inplace=True)
    y = model(test)
    fields = ["kind=eager_convert", f"calibration={flat(calibration)}", f"test={flat(test)}"]
    fields += [f"{k}={flat(v)}" for k, v in weights.items()]
    fields += [f"input_scale={float(model.quant.scale)!r}", f"input_zero_point={int(model.quant.zero_point)}",
               f"conv_scale={float(model.conv.scale)!r}", f"conv_zero_point={int(model.conv.zero_point)}",
               f"fc_scale={float(model.fc.scale)!r}", f"fc_zero_point={int(model.fc.zero_point)}",
               f"y={flat(torch.round(y / model.fc.scale).to(torch.int64) + int(model.fc.zero_point))}"]
    lines.append(" ".join(fields))


def main():
    lines = []
    quantize(lines)
    observers(lines)
    int8_ops(lines)
    eager_convert(lines)
    with open(OUT, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {len(lines)} cases to {OUT}")


if __name__ == "__main__":
    main()
