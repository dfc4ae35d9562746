#!/usr/bin/env python3
"""The NaN/Inf contract as a table (tests/fixtures/special_values.txt): PyTorch 1.13's answer for NaN, ±inf, ±0
and each function's kinks, forward and backward, for every elementwise op, activation, norm, pooling and loss.

One line per case: "case=<name> shape=<dims> x=<values> [tshape=<dims> t=<target>] g=<output gradient> y=<output>
dx=<input gradient>", values written as "nan", "inf", "-inf" or decimals. tests/test_special_values.cpp runs the
same function in Nabla and requires the same NaN and infinity positions and close finite values, so no op can drop
a NaN (or invent one) without a failing test.

Dev-time only:  /usr/bin/python3 tools/make_special_value_fixtures.py
"""
import math
import os

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "special_values.txt")
nan, inf = math.nan, math.inf

# The special values every elementwise case sees, then its own kinks and a few ordinary values.
SPECIALS = [nan, inf, -inf, 0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 1e-30, 100.0]


def elementwise():
    """(name, function of x, kinks) for ops applied value by value."""
    return [
        ("neg", lambda x: -x, []),
        ("exp", torch.exp, [89.0, -104.0]),
        ("log", torch.log, []),
        ("sqrt", torch.sqrt, []),
        ("abs", torch.abs, []),
        ("pow2", lambda x: torch.pow(x, 2.0), []),
        ("pow0.5", lambda x: torch.pow(x, 0.5), []),
        ("pow-1", lambda x: torch.pow(x, -1.0), []),
        ("rdiv", lambda x: 1.0 / x, []),
        ("clamp-1,1", lambda x: torch.clamp(x, -1.0, 1.0), []),
        ("clamp_min0", lambda x: torch.clamp(x, min=0.0), []),
        ("sigmoid", torch.sigmoid, [-90.0, 90.0]),
        ("tanh", torch.tanh, [20.0, -20.0]),
        ("relu", F.relu, []),
        ("leaky_relu0.01", lambda x: F.leaky_relu(x, 0.01), []),
        ("leaky_relu0", lambda x: F.leaky_relu(x, 0.0), []),
        ("leaky_relu-0.5", lambda x: F.leaky_relu(x, -0.5), []),
        ("elu", F.elu, []),
        ("elu0.5", lambda x: F.elu(x, 0.5), []),
        ("selu", F.selu, []),
        ("celu0.5", lambda x: F.celu(x, 0.5), []),
        ("gelu", F.gelu, []),
        ("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), []),
        ("silu", F.silu, []),
        ("mish", F.mish, []),
        ("hardswish", F.hardswish, [3.0, -3.0, 2.999, -2.999]),
        ("hardsigmoid", F.hardsigmoid, [3.0, -3.0]),
        ("hardtanh", F.hardtanh, [-1.0, 1.0]),
        ("hardtanh-2,3", lambda x: F.hardtanh(x, -2.0, 3.0), [-2.0, 3.0]),
        ("relu6", F.relu6, [6.0]),
        ("softplus", F.softplus, [20.0, 20.5]),
        ("softplus2,5", lambda x: F.softplus(x, 2.0, 5.0), [2.5, 2.6]),
        ("softsign", F.softsign, []),
        ("logsigmoid", F.logsigmoid, [-90.0, 90.0]),
        ("prelu0.25", lambda x: F.prelu(x, torch.tensor([0.25])), []),
    ]


def rows():
    """Inputs (2, 4, 3): channel 0 holds a NaN, channel 1 an inf, channel 2 a -inf, channel 3 is constant."""
    x = torch.linspace(-2.0, 3.0, 24).reshape(2, 4, 3)
    x[1, 0, 1] = nan
    x[0, 1, 2] = inf
    x[1, 2, 0] = -inf
    x[:, 3, :] = 0.75
    return x


def along_rows():
    """(name, function of x, input) for ops that mix values: norms, softmax, pooling."""
    x = rows()
    w, b = torch.tensor([1.5, -0.5, 2.0, 1.0]), torch.tensor([0.1, 0.2, -0.3, 0.4])
    mean, var = torch.tensor([0.5, nan, 0.0, 1.0]), torch.tensor([1.0, 2.0, inf, 0.5])
    finite = torch.linspace(-2.0, 3.0, 24).reshape(2, 4, 3)
    neg_inf_window = torch.tensor([[[-inf, -inf, -inf, 1.0, nan, 2.0]]])
    return [
        ("batch_norm", lambda x: F.batch_norm(x, None, None, w, b, training=True), x),
        ("batch_norm_eps0", lambda x: F.batch_norm(x, None, None, w, b, training=True, eps=0.0), x),
        ("batch_norm_eps-2", lambda x: F.batch_norm(x, None, None, w, b, training=True, eps=-2.0), x),
        ("batch_norm_relu_eps-2", lambda x: F.relu(F.batch_norm(x, None, None, w, b, training=True, eps=-2.0)), x),
        ("batch_norm_relu_eps-2_finite",
         lambda x: F.relu(F.batch_norm(x, None, None, w, b, training=True, eps=-2.0)), finite),
        ("batch_norm_relu_eps0", lambda x: F.relu(F.batch_norm(x, None, None, w, b, training=True, eps=0.0)), x),
        ("batch_norm_eval", lambda x: F.batch_norm(x, mean, var, w, b, training=False, eps=0.0), x),
        ("instance_norm", lambda x: F.instance_norm(x, weight=w, bias=b), x),
        ("instance_norm_eps0", lambda x: F.instance_norm(x, weight=w, bias=b, eps=0.0), x),
        ("layer_norm", lambda x: F.layer_norm(x, (3,), torch.tensor([1.0, 2.0, -1.0]), None), x),
        ("layer_norm_eps0", lambda x: F.layer_norm(x, (3,), eps=0.0), x),
        ("group_norm2", lambda x: F.group_norm(x, 2, w, b), x),
        ("group_norm4_eps0", lambda x: F.group_norm(x, 4, eps=0.0), x),
        ("softmax", lambda x: F.softmax(x, 2), x),
        ("log_softmax", lambda x: F.log_softmax(x, 2), x),
        ("softmin", lambda x: F.softmin(x, 2), x),
        ("max_pool1d", lambda x: F.max_pool1d(x, 2, 1), x),
        ("max_pool1d_neg_inf", lambda x: F.max_pool1d(x, 3, 1), neg_inf_window),
        ("avg_pool1d", lambda x: F.avg_pool1d(x, 2, 1), x),
        ("adaptive_avg_pool1d", lambda x: F.adaptive_avg_pool1d(x, 1), x),
        ("adaptive_max_pool1d", lambda x: F.adaptive_max_pool1d(x, 1), x),
    ]


def losses():
    """(name, function of (x, t), x, t): specials in the input and in the target."""
    x = torch.tensor([nan, inf, -inf, 0.0, -0.0, 1.0, -1.0, 2.5, 0.5, 0.5, 0.5, 0.5])
    t = torch.tensor([0.5, 0.5, 0.5, 0.5, 0.0, 1.0, 2.0, -1.0, nan, inf, -inf, 0.5])
    # probabilities (a NaN one is an error in PyTorch)
    p = torch.tensor([0.3, 1.0, 0.0, 0.0, 1.0, 0.5, 0.25, 1e-30, 0.5, 0.5, 0.9, 0.1])
    q = torch.tensor([0.5, 1.0, 0.0, 1.0, 0.0, 0.5, 0.5, 1.0, nan, 0.0, 1.0, 0.25])
    log_p = torch.tensor([-1.0, -inf, nan, 0.0, -2.0, -0.5, inf, -1.0, -1.0, -1.0, -3.0, -1.0])
    kl_t = torch.tensor([0.5, 0.5, 0.5, 0.0, 0.0, -1.0, -0.0, nan, inf, 0.25, 1e-30, 1.0])
    logits = torch.tensor([[nan, 1.0, 2.0], [inf, 0.0, 1.0], [-inf, 0.0, 1.0], [1.0, -inf, 2.0]])
    labels = torch.tensor([1, 0, 0, 1])
    cases = []
    for reduction in ("none", "mean"):
        cases += [
            (f"mse_loss_{reduction}", lambda x, t, r=reduction: F.mse_loss(x, t, reduction=r), x, t),
            (f"l1_loss_{reduction}", lambda x, t, r=reduction: F.l1_loss(x, t, reduction=r), x, t),
            (f"smooth_l1_loss_{reduction}", lambda x, t, r=reduction: F.smooth_l1_loss(x, t, reduction=r), x, t),
            (f"smooth_l1_loss_beta0_{reduction}",
             lambda x, t, r=reduction: F.smooth_l1_loss(x, t, reduction=r, beta=0.0), x, t),
            (f"huber_loss_{reduction}", lambda x, t, r=reduction: F.huber_loss(x, t, reduction=r, delta=2.0), x, t),
            (f"binary_cross_entropy_{reduction}",
             lambda x, t, r=reduction: F.binary_cross_entropy(x, t, reduction=r), p, q),
            (f"binary_cross_entropy_with_logits_{reduction}",
             lambda x, t, r=reduction: F.binary_cross_entropy_with_logits(x, t, reduction=r), x, q),
            (f"kl_div_{reduction}", lambda x, t, r=reduction: F.kl_div(x, t, reduction=r), log_p, kl_t),
            (f"kl_div_log_target_{reduction}",
             lambda x, t, r=reduction: F.kl_div(x, t, reduction=r, log_target=True), log_p, x),
            (f"cross_entropy_{reduction}",
             lambda x, t, r=reduction: F.cross_entropy(x, t, reduction=r), logits, labels),
            (f"nll_loss_{reduction}", lambda x, t, r=reduction: F.nll_loss(x, t, reduction=r), logits, labels),
        ]
    return cases


def text(t):
    return ",".join("nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
                    for v in t.detach().reshape(-1).tolist())


def case_line(name, fn, x, t=None):
    x = x.clone().requires_grad_()
    y = fn(x) if t is None else fn(x, t)
    g = torch.ones_like(y) if y.dim() == 0 else torch.linspace(0.5, 1.5, y.numel()).reshape(y.shape)
    y.backward(g)
    dx = x.grad if x.grad is not None else torch.zeros_like(x)
    fields = [f"case={name}", f"shape={','.join(map(str, x.shape))}", f"x={text(x)}"]
    if t is not None:
        fields += [f"tshape={','.join(map(str, t.shape))}", f"t={text(t)}"]
    fields += [f"g={text(g)}", f"y={text(y)}", f"dx={text(dx)}"]
    return " ".join(fields)


def main():
    lines = []
    for name, fn, kinks in elementwise():
        lines.append(case_line(name, fn, torch.tensor(SPECIALS + kinks)))
    for name, fn, x in along_rows():
        lines.append(case_line(name, fn, x))
    for name, fn, x, t in losses():
        lines.append(case_line(name, fn, x, t))
    with open(OUT, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"{len(lines)} cases in {OUT}")


if __name__ == "__main__":
    main()
