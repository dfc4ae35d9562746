#!/usr/bin/env python3
"""PyTorch 1.13's answers for int8 quantization (tests/fixtures/quantization.txt), read by tests/test_quantization.cpp.

One line per case, "kind=<name> field=<values> ...", values as decimals, "nan", "inf" or "-inf":
  - quantize_<dtype>: x quantized per tensor with scale and zero point (y: the integers; dq: dequantized)
  - quantize_per_channel: a (3, 4) x quantized along axis 0 (and axis 1)
  - observer_<name>: calibration batches (x0, x1, ...) through an observer, its scale(s) and zero point(s)
  - histogram_<name>: the same through HistogramObserver (PyTorch 1.13's where its histogram's range is whole
    numbers; else with the range as observed, as PyTorch does since 2.0: see HistogramObserverFixedRange)
  - qconv_<name> / qlinear_<name>: torch.ao.nn.quantized.functional's conv2d/linear on the onednn engine: float
    inputs, the quantization parameters, and the result's integers (y)
  - qpool_<name>: quantized max/avg pooling (integers)
  - eager_convert: torch.ao.quantization's eager prepare/convert on a small model: its scales, zero points and output
  - eager_bn_convert: the same with BatchNorms folded (fuse_modules), FloatFunctional add_relu and cat, and the
    default qconfig's histogram observer

Dev-time only:  /usr/bin/python3 tools/make_quantization_fixtures.py
"""
import math
import os

import torch
import torch.ao.nn.quantized.functional as qF
from torch.ao.quantization import HistogramObserver, MinMaxObserver, PerChannelMinMaxObserver

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


class HistogramObserverFixedRange(HistogramObserver):
    """PyTorch 1.13's HistogramObserver bins over [int(min_val), int(max_val)] (torch.histc(x, ..., min=int(min_val),
    ...)), dropping the values beyond the integers; PyTorch 2.0 bins over the observed range, as Nabla does. This is
    1.13's forward with that one change; where the range's ends are whole numbers the two agree (the "_integral"
    cases run the unchanged observer)."""

    def forward(self, x_orig):
        if x_orig.numel() == 0:
            return x_orig
        x = x_orig.detach()
        min_val, max_val = self.min_val, self.max_val
        if (min_val == float("inf") and max_val == float("-inf")) or min_val.item() == max_val.item():
            min_val, max_val = torch.aminmax(x)
            self.min_val.resize_(min_val.shape).copy_(min_val)
            self.max_val.resize_(max_val.shape).copy_(max_val)
            torch.histc(x, self.bins, min=min_val.item(), max=max_val.item(), out=self.histogram)
            return x_orig
        new_min, new_max = torch.aminmax(x)
        combined_min, combined_max = torch.min(new_min, min_val), torch.max(new_max, max_val)
        combined_min, combined_max, downsample_rate, start_idx = self._adjust_min_max(
            combined_min, combined_max, self.upsample_rate)
        combined_histogram = torch.histc(x, self.bins, min=combined_min.item(), max=combined_max.item())
        if combined_min == min_val and combined_max == max_val:
            combined_histogram += self.histogram
        else:
            combined_histogram = self._combine_histograms(combined_histogram, self.histogram, self.upsample_rate,
                                                          downsample_rate, start_idx, self.bins)
        self.histogram.detach_().resize_(combined_histogram.shape).copy_(combined_histogram)
        self.min_val.detach_().resize_(combined_min.shape).copy_(combined_min)
        self.max_val.detach_().resize_(combined_max.shape).copy_(combined_max)
        return x_orig


def histograms(lines):
    torch.manual_seed(3)
    # Whole-number ends (-3 and 5 put in): PyTorch 1.13's own observer, unchanged.
    integral = (torch.randn(64, 32) * 1.2 + 0.5).clamp(-3.0, 5.0)
    integral[0, 0], integral[0, 1] = -3.0, 5.0
    wide = [torch.randn(16, 40) * 0.3, torch.randn(16, 40) * 2 + 1, torch.rand(16, 40) * 9 - 1]  # the range grows
    relu = [torch.relu(torch.randn(8, 50) * s) for s in (1.0, 3.0, 0.5)]
    outliers = torch.randn(2000)
    outliers[:3] = torch.tensor([40.0, -25.0, 31.5])
    cases = {
        "integral_quint8": (HistogramObserver(), [integral]),
        "integral_quint8_reduce_range": (HistogramObserver(reduce_range=True), [integral]),
        "growing_quint8": (HistogramObserverFixedRange(), wide),
        "relu_quint8": (HistogramObserverFixedRange(), relu),
        "outliers_quint8": (HistogramObserverFixedRange(), [outliers]),
        "growing_qint8_symmetric": (HistogramObserverFixedRange(dtype=torch.qint8, qscheme=torch.per_tensor_symmetric),
                                    wide),
    }
    for name, (observer, xs) in cases.items():
        for x in xs:
            observer(x)
        scale, zero_point = observer.calculate_qparams()
        fields = [f"kind=histogram_{name}"]
        fields += [f"shape{i}={shape(x)} x{i}={flat(x)}" for i, x in enumerate(xs)]
        fields += [f"min_val={float(observer.min_val)!r} max_val={float(observer.max_val)!r}",
                   f"histogram={flat(observer.histogram)}", f"scales={flat(scale.double())}",
                   f"zero_points={flat(zero_point)}"]
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


def eager_fields(kind, model, qconfig, fuse, layers):
    """Runs PyTorch's eager prepare (after fuse_modules), calibration and convert on model (in eval mode, its
    weights as they are) and gives the case's fields: the float weights, the data, the input's parameters, each of
    `layers`' scale and zero point, and the int8 output's integers."""
    from torch.ao.quantization import convert, fuse_modules, prepare
    weights = {k: v.detach().clone() for k, v in model.state_dict().items() if "num_batches" not in k}
    model.qconfig = qconfig
    fuse_modules(model, fuse, inplace=True)
    prepare(model, inplace=True)
    calibration, test = torch.randn(16, 1, 6, 6) * 1.5 + 0.3, torch.randn(4, 1, 6, 6)
    model(calibration)
    convert(model, inplace=True)
    y = model(test)
    fields = [f"kind={kind}", f"calibration={flat(calibration)}", f"test={flat(test)}"]
    fields += [f"{k}={flat(v)}" for k, v in weights.items()]
    fields += [f"input_scale={float(model.quant.scale)!r}", f"input_zero_point={int(model.quant.zero_point)}"]
    for name in layers:
        layer = getattr(model, name)
        fields += [f"{name}_scale={float(layer.scale)!r}", f"{name}_zero_point={int(layer.zero_point)}"]
    fields.append(f"y={flat(torch.round(y / model.fc.scale).to(torch.int64) + int(model.fc.zero_point))}")
    return fields


def eager_convert(lines):
    """PyTorch's eager workflow on a small model (QuantStub, Conv2d+ReLU fused, flatten, Linear, DeQuantStub) with
    MinMax activation observers and per-channel symmetric weights: the parameters convert chose and the int8
    output, for the same weights and calibration data in Nabla."""
    from torch.ao.quantization import DeQuantStub, QConfig, QuantStub
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

    qconfig = QConfig(activation=MinMaxObserver.with_args(dtype=torch.quint8),
                      weight=PerChannelMinMaxObserver.with_args(dtype=torch.qint8, qscheme=torch.per_channel_symmetric))
    lines.append(" ".join(eager_fields("eager_convert", Model().eval(), qconfig, [["conv", "relu"]], ["conv", "fc"])))


def eager_bn_convert(lines):
    """PyTorch's eager workflow with conv + BatchNorm (+ ReLU) folded by fuse_modules, a FloatFunctional add_relu of
    two branches and a FloatFunctional cat, under the onednn default qconfig (histogram activations, per-channel
    weights): the parameters convert chose, the folded bias and the int8 output."""
    from torch.ao.quantization import DeQuantStub, QConfig, QuantStub
    from torch.ao.quantization.observer import default_per_channel_weight_observer
    torch.backends.quantized.engine = "onednn"
    torch.manual_seed(5)

    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.quant, self.dequant = QuantStub(), DeQuantStub()
            self.conv1, self.bn1, self.relu1 = torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.BatchNorm2d(4), \
                torch.nn.ReLU()
            self.conv2, self.bn2 = torch.nn.Conv2d(4, 4, 3, padding=1, bias=False), torch.nn.BatchNorm2d(4)
            self.skip = torch.ao.nn.quantized.FloatFunctional()
            self.join = torch.ao.nn.quantized.FloatFunctional()
            self.fc = torch.nn.Linear(8 * 6 * 6, 5)

        def forward(self, x):
            h = self.relu1(self.bn1(self.conv1(self.quant(x))))
            s = self.skip.add_relu(h, self.bn2(self.conv2(h)))
            return self.dequant(self.fc(torch.flatten(self.join.cat([h, s], 1), 1)))

    model = Model().eval()
    with torch.no_grad():
        for bn in (model.bn1, model.bn2):
            bn.running_mean.copy_(torch.randn(4) * 0.3)
            bn.running_var.copy_(torch.rand(4) + 0.5)
            bn.weight.copy_(torch.rand(4) + 0.5)
            bn.bias.copy_(torch.randn(4) * 0.2)
    qconfig = QConfig(activation=HistogramObserverFixedRange.with_args(reduce_range=False),
                      weight=default_per_channel_weight_observer)
    fields = eager_fields("eager_bn_convert", model, qconfig, [["conv1", "bn1", "relu1"], ["conv2", "bn2"]],
                          ["conv1", "conv2", "skip", "join", "fc"])
    lines.append(" ".join(fields + [f"conv1_folded_bias={flat(model.conv1.bias())}"]))


def main():
    lines = []
    quantize(lines)
    observers(lines)
    histograms(lines)
    int8_ops(lines)
    eager_convert(lines)
    eager_bn_convert(lines)
    with open(OUT, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {len(lines)} cases to {OUT}")


if __name__ == "__main__":
    main()
