#!/usr/bin/env python3
"""PyTorch goldens for issue 13's layers (tests/fixtures/layers/).

Writes tests/fixtures/layers/cases.txt, one line per case ("id=... kind=... key=value ..."), and per case the
arrays <id>_<name>.npy it names. A case's id is made of what it checks (kind, options, shape) and its random seed
from its id, so adding a case adds its own files and changes no other. Activations (act*): x, g, y, dx (and dw for PReLU), and PyTorch's repr of the
module (spaces as ~). For a layer with state (the norms): `steps` training steps, each with its input
x<i>, output gradient g<i>, output y<i> and input gradient dx<i>; after them the weight and bias gradients of the
last step, the buffers, then one eval step (xe, ge, ye, dxe). The parameters start as w and b (random, so their
gradients are not trivial).

Dev-time only:  /usr/bin/python3 tools/make_layer_fixtures.py
"""
import os
import re
import warnings
import zlib

import numpy as np
import torch
import torch.nn.functional as F
import torch.optim.lr_scheduler as S

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "layers")


def text(v):
    if v is None:
        return "None"
    if isinstance(v, bool):
        return str(int(v))
    return ",".join(map(str, v)) if isinstance(v, (tuple, list)) else str(v)


def make_id(prefix, kind, opts, shape=()):
    """A readable, unique name: act_LeakyReLU_negative_slope0.2_2x3x4x5."""
    parts = [prefix, kind] + [f"{k}{text(v)}" for k, v in opts.items()] + (["x".join(map(str, shape))] if shape else [])
    return re.sub(r"[^A-Za-z0-9.x_-]", "-", "_".join(parts))


def seed_for(case):
    """Each case's own seed, from its id: no case's values depend on where it sits in a list."""
    torch.manual_seed(zlib.crc32(case.encode()) & 0x7FFFFFFF)


def save(case_id, name, tensor):
    array = tensor.detach().numpy() if isinstance(tensor, torch.Tensor) else np.asarray(tensor)
    np.save(os.path.join(OUT, f"{case_id}_{name}.npy"), array.astype(np.float32).reshape(-1))


def norm_cases():
    for d, shape in [(1, (4, 3)), (1, (5, 3, 7)), (2, (4, 3, 5, 6)), (3, (2, 3, 4, 3, 5))]:
        yield "batch_norm", shape, dict(num_features=3)
    yield "batch_norm", (6, 4, 3, 3), dict(num_features=4, momentum=None, eps=1e-3)
    yield "batch_norm", (6, 4, 3, 3), dict(num_features=4, affine=False)
    yield "batch_norm", (6, 4, 3, 3), dict(num_features=4, track_running_stats=False)
    yield "instance_norm", (3, 4, 6), dict(num_features=4)
    yield "instance_norm", (2, 3, 4, 5), dict(num_features=3, affine=True, track_running_stats=True)
    yield "instance_norm", (3, 4, 5), dict(num_features=3, affine=True)  # unbatched 2d
    yield "instance_norm", (2, 2, 3, 4, 3), dict(num_features=2, track_running_stats=True, momentum=0.3)
    yield "layer_norm", (4, 6), dict(normalized_shape=(6,))
    yield "layer_norm", (2, 3, 4, 5), dict(normalized_shape=(4, 5), eps=1e-3)
    yield "layer_norm", (3, 7), dict(normalized_shape=(7,), elementwise_affine=False)
    yield "group_norm", (3, 6, 4, 5), dict(num_groups=3, num_channels=6)
    yield "group_norm", (2, 4, 7), dict(num_groups=1, num_channels=4, affine=False)
    yield "group_norm", (2, 6, 2, 2, 3), dict(num_groups=6, num_channels=6)


def norm_module(kind, shape, opts):
    if kind in ("batch_norm", "instance_norm"):
        spatial = len(shape) - 2
        if kind == "instance_norm" and opts.get("num_features") != shape[1] and len(shape) == 3:
            spatial = 2  # unbatched (C, H, W)
        name = ("BatchNorm" if kind == "batch_norm" else "InstanceNorm") + f"{max(spatial, 1)}d"
        return getattr(torch.nn, name)(**opts), max(spatial, 1)
    if kind == "layer_norm":
        return torch.nn.LayerNorm(**opts), len(opts["normalized_shape"])
    return torch.nn.GroupNorm(**opts), len(shape) - 2


def norms(lines):
    for kind, shape, opts in norm_cases():
        case_id = make_id("norm", kind, opts, shape)
        seed_for(case_id)
        module, dims = norm_module(kind, shape, opts)
        if getattr(module, "weight", None) is not None:
            with torch.no_grad():
                module.weight.copy_(torch.randn_like(module.weight))
                module.bias.copy_(torch.randn_like(module.bias))
            save(case_id, "w", module.weight)
            save(case_id, "b", module.bias)
        stateful = kind in ("batch_norm", "instance_norm")
        steps = 5 if stateful else 1
        for step in range(steps):
            module.zero_grad()
            x = (torch.randn(shape) * 2 + 0.5).requires_grad_()
            g = torch.randn(shape)
            y = module(x)
            y.backward(g)
            for name, t in [("x", x), ("g", g), ("y", y), ("dx", x.grad)]:
                save(case_id, f"{name}{step}", t)
        if module.weight is not None:
            save(case_id, "dw", module.weight.grad)
            save(case_id, "db", module.bias.grad)
        for name, buffer in module.named_buffers():
            save(case_id, name, buffer.float())
        if stateful:
            module.eval()
            x = torch.randn(shape).requires_grad_()
            g = torch.randn(shape)
            y = module(x)
            y.backward(g)
            for name, t in [("xe", x), ("ge", g), ("ye", y), ("dxe", x.grad)]:
                save(case_id, name, t)
        fields = " ".join(f"{k}={text(v)}" for k, v in opts.items())
        lines.append(f"id={case_id} kind={kind} dims={dims} shape={text(shape)} steps={steps} {fields}")


ACTIVATIONS = [
    ("LeakyReLU", dict(negative_slope=0.2)), ("LeakyReLU", {}), ("ELU", dict(alpha=0.7)), ("SELU", {}),
    ("CELU", dict(alpha=1.5)), ("GELU", {}), ("GELU", dict(approximate="tanh")), ("SiLU", {}), ("Mish", {}),
    ("Hardswish", {}), ("Hardsigmoid", {}), ("ReLU6", {}), ("Hardtanh", dict(min_val=-2.0, max_val=0.5)),
    ("Softplus", {}), ("Softplus", dict(beta=0.5, threshold=3)), ("Softsign", {}), ("Sigmoid", {}), ("Tanh", {}),
    ("LogSigmoid", {}), ("Softmax", dict(dim=1)), ("LogSoftmax", dict(dim=-1)), ("Softmin", dict(dim=2)),
    ("PReLU", {}), ("PReLU", dict(num_parameters=3, init=0.1)),
]


def activations(lines):
    """Each activation on a (2, 3, 4, 5) and a (7, 3) input spread over [-9, 9] (every branch of the piecewise
    ones)."""
    cases = [(name, opts, (2, 3, 4, 5)) for name, opts in ACTIVATIONS]
    cases += [(name, opts, (7, 3)) for name, opts in ACTIVATIONS if name != "Softmin"]  # (N, C)
    for name, opts, shape in cases:
        case_id = make_id("act", name, opts, shape)
        seed_for(case_id)
        module = getattr(torch.nn, name)(**opts)
        x = (torch.randn(shape) * 4).clamp(-9, 9).requires_grad_()
        g = torch.randn(shape)
        y = module(x)
        y.backward(g)
        for key, t in [("x", x), ("g", g), ("y", y), ("dx", x.grad)]:
            save(case_id, key, t)
        if name == "PReLU":
            save(case_id, "dw", module.weight.grad)
        fields = " ".join(f"{k}={text(v)}" for k, v in opts.items())
        lines.append(f"id={case_id} kind={name} shape={text(shape)} repr={repr(module).replace(' ', '~')} {fields}")


def loss_cases():
    """(kind, input shape, target: 'same', 'prob', 'index' or 'binary', functional keyword arguments)."""
    for reduction in ("mean", "sum", "none"):
        yield "l1_loss", (3, 5), "same", dict(reduction=reduction)
        yield "mse_loss", (3, 5), "same", dict(reduction=reduction)
    yield "smooth_l1_loss", (4, 6), "same", dict(beta=0.5)
    yield "smooth_l1_loss", (4, 6), "same", dict(beta=0.0, reduction="sum")
    yield "huber_loss", (4, 6), "same", dict(delta=2.0)
    yield "binary_cross_entropy", (4, 3), "binary", dict(weight=(4, 3))
    yield "binary_cross_entropy", (5,), "binary", dict(reduction="none")
    yield "binary_cross_entropy_with_logits", (4, 3), "binary", dict(pos_weight=(3,), weight=(3,))
    yield "binary_cross_entropy_with_logits", (2, 3, 4), "binary", dict(reduction="sum")
    yield "kl_div", (4, 5), "prob", dict(reduction="batchmean")
    yield "kl_div", (4, 5), "prob", dict(reduction="sum", log_target=True)
    yield "kl_div", (4, 5), "prob", dict(reduction="none")
    yield "cross_entropy", (6, 4), "index", dict(label_smoothing=0.1)
    yield "cross_entropy", (6, 4), "index", dict(label_smoothing=0.2, weight=(4,), ignore_index=1)
    yield "cross_entropy", (6, 4), "index", dict(label_smoothing=0.3, reduction="sum")
    yield "cross_entropy", (2, 3, 5), "index", dict(label_smoothing=0.1, reduction="none")
    yield "cross_entropy", (6, 4), "prob", dict()
    yield "cross_entropy", (6, 4), "prob", dict(label_smoothing=0.25, weight=(4,))
    yield "cross_entropy", (2, 3, 5), "prob", dict(reduction="none")


def losses(lines):
    for kind, shape, target_kind, kwargs in loss_cases():
        case_id = make_id("loss", kind, dict(target=target_kind, **kwargs), shape)
        seed_for(case_id)
        x = torch.randn(shape)
        if kind == "binary_cross_entropy":
            x = torch.rand(shape)
            x.view(-1)[0], x.view(-1)[1] = 0.0, 1.0  # the clamped logs
        if kind == "kl_div":
            x = torch.log_softmax(x, -1)
        x.requires_grad_()
        if target_kind == "index":
            t = torch.randint(0, shape[1], (shape[0],) + tuple(shape[2:]))
            t[0] = kwargs.get("ignore_index", 0)
        elif target_kind == "prob":
            t = torch.softmax(torch.randn(shape) * 2, 1 if kind == "cross_entropy" else -1)
            if kwargs.get("log_target"):
                t = t.log()
        elif target_kind == "binary":
            t = (torch.rand(shape) > 0.5).float()
        else:
            t = torch.randn(shape)
        fields = {}
        for key in ("weight", "pos_weight"):
            if key in kwargs:
                tensor = torch.rand(kwargs[key]) + 0.5
                save(case_id, key, tensor)
                fields[key] = text(kwargs[key])
                kwargs[key] = tensor
        y = getattr(F, kind)(x, t, **kwargs)
        g = torch.randn(y.shape)
        y.backward(g)
        for key, value in [("x", x), ("t", t), ("y", y), ("g", g), ("dx", x.grad)]:
            save(case_id, key, value)
        fields.update({k: v for k, v in kwargs.items() if k not in fields})
        opts = " ".join(f"{k}={text(v)}" for k, v in fields.items())
        lines.append(f"id={case_id} kind={kind} shape={text(shape)} target={target_kind} out={text(tuple(y.shape)) or 'scalar'} {opts}")


SCHEDULERS = [
    ("StepLR", lambda o: S.StepLR(o, step_size=30, gamma=0.1)),
    ("MultiStepLR", lambda o: S.MultiStepLR(o, milestones=[30, 80, 80, 200], gamma=0.5)),
    ("ExponentialLR", lambda o: S.ExponentialLR(o, gamma=0.99)),
    ("CosineAnnealingLR", lambda o: S.CosineAnnealingLR(o, T_max=50, eta_min=1e-4)),
    ("LinearLR", lambda o: S.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=40)),
    ("ConstantLR", lambda o: S.ConstantLR(o, factor=0.5, total_iters=25)),
    ("LambdaLR", lambda o: S.LambdaLR(o, lambda epoch: 0.95 ** epoch)),
    ("OneCycleLR", lambda o: S.OneCycleLR(o, max_lr=[0.5, 0.05], total_steps=300)),
    ("OneCycleLR3", lambda o: S.OneCycleLR(o, max_lr=0.3, epochs=10, steps_per_epoch=30, three_phase=True,
                                           anneal_strategy="linear")),
    ("CosineAnnealingWarmRestarts", lambda o: S.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=2, eta_min=1e-3)),
    ("SequentialLR", lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=10),
                                                  S.CosineAnnealingLR(o, T_max=290)], milestones=[10])),
    ("ReduceLROnPlateau", lambda o: S.ReduceLROnPlateau(o, factor=0.5, patience=5, cooldown=3, threshold=0.01)),
]


def schedulers(lines):
    """300 steps of each scheduler on SGD with two groups (lr 0.1 and 0.02, momentum 0.9): the rates of every
    group after construction and after each step (float64: they must match exactly), and the momentum."""
    losses = np.array([1 / (1 + k / 20) + 0.05 * np.sin(k) for k in range(300)], dtype=np.float32)
    np.save(os.path.join(OUT, "sched_losses.npy"), losses)
    for name, make in SCHEDULERS:
        case_id = f"sched_{name}"
        w, b = torch.zeros(3, requires_grad=True), torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.02}], lr=0.1, momentum=0.9)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scheduler = make(opt)
            rates, momenta = [], []
            for step in range(301):
                if step > 0:
                    opt.step()
                    if name == "ReduceLROnPlateau":
                        scheduler.step(float(losses[step - 1]))
                    else:
                        scheduler.step()
                rates.append([g["lr"] for g in opt.param_groups])
                momenta.append([g["momentum"] for g in opt.param_groups])
        np.save(os.path.join(OUT, f"{case_id}_lr.npy"), np.array(rates, dtype=np.float64).reshape(-1))
        np.save(os.path.join(OUT, f"{case_id}_momentum.npy"), np.array(momenta, dtype=np.float64).reshape(-1))
        if name != "ReduceLROnPlateau":
            np.save(os.path.join(OUT, f"{case_id}_resumed_lr.npy"), resumed_rates(make))
        lines.append(f"id={case_id} kind={name}")


RESUME_AT = 50


def resumed_rates(make):
    """PyTorch's own round trip: RESUME_AT steps, the optimizer's and the scheduler's state_dict loaded into a fresh
    optimizer and scheduler (built as a resumed program builds them), then the rest of the 300 steps."""
    def fresh():
        w, b = torch.zeros(3, requires_grad=True), torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.02}], lr=0.1, momentum=0.9)
        return opt, make(opt)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opt, scheduler = fresh()
        for _ in range(RESUME_AT):
            opt.step()
            scheduler.step()
        opt_state, scheduler_state = opt.state_dict(), scheduler.state_dict()
        opt, scheduler = fresh()
        opt.load_state_dict(opt_state)
        scheduler.load_state_dict(scheduler_state)
        rates = []
        for _ in range(RESUME_AT, 300):
            opt.step()
            scheduler.step()
            rates.append([g["lr"] for g in opt.param_groups])
    return np.array(rates, dtype=np.float64).reshape(-1)


INTERPOLATIONS = [
    ((2, 3, 4), dict(size=7, mode="nearest")),
    ((2, 3, 4, 5), dict(scale_factor=2, mode="nearest")),
    ((2, 3, 4, 5), dict(scale_factor=1.5, mode="nearest")),
    ((1, 2, 2, 3, 4), dict(size=(3, 5, 2), mode="nearest")),
    ((2, 2, 5, 7), dict(size=(2, 3), mode="nearest")),
    ((2, 3, 4), dict(scale_factor=2.5, mode="linear")),
    ((2, 3, 4), dict(size=9, mode="linear", align_corners=True)),
    ((2, 3, 4, 5), dict(size=(7, 9), mode="bilinear")),
    ((2, 3, 4, 5), dict(scale_factor=2, mode="bilinear", align_corners=True)),
    ((2, 3, 5, 5), dict(scale_factor=1.7, mode="bilinear")),
    ((2, 3, 5, 5), dict(scale_factor=1.7, mode="bilinear", recompute_scale_factor=True)),
    ((2, 3, 7, 5), dict(size=(3, 2), mode="bilinear")),
    ((1, 2, 2, 3, 4), dict(scale_factor=2, mode="trilinear")),
    ((1, 2, 2, 3, 4), dict(size=(3, 4, 5), mode="trilinear", align_corners=True)),
]


def interpolations(lines):
    for shape, kwargs in INTERPOLATIONS:
        case_id = make_id("interp", "interpolate", kwargs, shape)
        seed_for(case_id)
        x = torch.randn(shape, requires_grad=True)
        y = F.interpolate(x, **kwargs)
        g = torch.randn(y.shape)
        y.backward(g)
        for key, t in [("x", x), ("g", g), ("y", y), ("dx", x.grad)]:
            save(case_id, key, t)
        fields = " ".join(f"{k}={text(v)}" for k, v in kwargs.items())
        lines.append(f"id={case_id} kind=interpolate shape={text(shape)} out={text(tuple(y.shape))} {fields}")


def pixel_shuffles(lines):
    for name, factor, shape in [("PixelShuffle", 2, (2, 8, 3, 4)), ("PixelShuffle", 3, (9, 2, 2)),
                                ("PixelUnshuffle", 2, (2, 3, 4, 6)), ("PixelUnshuffle", 3, (2, 1, 2, 6, 3))]:
        case_id = make_id("shuffle", name, dict(factor=factor), shape)
        seed_for(case_id)
        x = torch.randn(shape, requires_grad=True)
        y = getattr(torch.nn, name)(factor)(x)
        g = torch.randn(y.shape)
        y.backward(g)
        for key, t in [("x", x), ("g", g), ("y", y), ("dx", x.grad)]:
            save(case_id, key, t)
        lines.append(f"id={case_id} kind={name} factor={factor} shape={text(shape)} out={text(tuple(y.shape))}")


def main():
    os.makedirs(OUT, exist_ok=True)
    for old in os.listdir(OUT):  # cases removed or renamed leave no files behind
        if old.endswith(".npy") or old == "cases.txt":
            os.remove(os.path.join(OUT, old))
    lines = []
    norms(lines)
    activations(lines)
    losses(lines)
    schedulers(lines)
    interpolations(lines)
    pixel_shuffles(lines)
    with open(os.path.join(OUT, "cases.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"{len(lines)} cases in {OUT}")


if __name__ == "__main__":
    main()
