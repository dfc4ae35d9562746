#!/usr/bin/env python3
"""Writes the PyTorch golden data Nabla's tests compare against (tests/fixtures/*.npy).

Dev-time only: run with Debian's PyTorch (`apt-get install python3-torch`), then commit the
fixtures. The tests never need PyTorch.

    /usr/bin/python3 tools/make_fixtures.py
"""
import os

import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures")


def save(name, tensor):
    array = tensor.detach().numpy() if isinstance(tensor, torch.Tensor) else np.asarray(tensor)
    if array.dtype == np.float64:
        array = array.astype(np.float32)
    np.save(os.path.join(OUT, name + ".npy"), array.copy(order="C"))  # keeps 0-d arrays 0-d


def random_streams():
    """Nabla's generator reproduces PyTorch's: the same seed gives the same numbers."""
    torch.manual_seed(0)
    save("random_rand", torch.rand(5))
    save("random_randn_small", torch.randn(7))   # < 16 elements: serial Box-Muller in double
    save("random_randn_large", torch.randn(37))  # >= 16: PyTorch's normal_fill
    save("random_randint", torch.randint(0, 10, (6,)))
    save("random_randperm", torch.randperm(10))
    torch.manual_seed(1)
    linear = torch.nn.Linear(5, 3)
    save("init_linear_weight", linear.weight)
    save("init_linear_bias", linear.bias)
    embedding = torch.nn.Embedding(10, 4, padding_idx=0)
    save("init_embedding_weight", embedding.weight)
    torch.manual_seed(5)
    conv = torch.nn.Conv2d(3, 4, (3, 2))
    save("init_conv2d_weight", conv.weight)
    save("init_conv2d_bias", conv.bias)
    transposed = torch.nn.ConvTranspose1d(4, 6, 3, groups=2)  # fan_in from (out/groups)·k
    save("init_conv_transpose1d_weight", transposed.weight)
    save("init_conv_transpose1d_bias", transposed.bias)


def softmax_and_losses():
    torch.manual_seed(2)
    x = torch.randn(4, 5, requires_grad=True)
    g = torch.randn(4, 5)
    save("softmax_x", x)
    save("softmax_g", g)
    for name, fn in [("softmax", lambda t: F.softmax(t, 1)), ("log_softmax", lambda t: F.log_softmax(t, 1)),
                     ("softmax_dim0", lambda t: F.softmax(t, 0))]:
        x.grad = None
        y = fn(x)
        y.backward(g)
        save(name + "_y", y)
        save(name + "_dx", x.grad)
    target = torch.tensor([1, 0, 4, 1])
    weight = torch.tensor([0.5, 1.0, 2.0, 1.5, 0.25])
    save("ce_target", target)
    save("ce_weight", weight)
    cases = {
        "ce_mean": dict(),
        "ce_sum": dict(reduction="sum"),
        "ce_ignore": dict(ignore_index=1),
        "ce_weighted": dict(weight=weight),
    }
    for name, kwargs in cases.items():
        x.grad = None
        loss = F.cross_entropy(x, target, **kwargs)
        loss.backward()
        save(name + "_loss", loss)
        save(name + "_dx", x.grad)
    x.grad = None
    loss = F.cross_entropy(x, target, reduction="none")
    loss.backward(torch.arange(4.0))
    save("ce_none_loss", loss)
    save("ce_none_dx", x.grad)


def linear():
    torch.manual_seed(3)
    x = torch.randn(6, 7, requires_grad=True)
    w = torch.randn(4, 7, requires_grad=True)
    b = torch.randn(4, requires_grad=True)
    g = torch.randn(6, 4)
    y = F.linear(x, w, b)
    y.backward(g)
    for name, t in dict(x=x, w=w, b=b, g=g, y=y, dx=x.grad, dw=w.grad, db=b.grad).items():
        save("linear_" + name, t)


def mlp_training():
    """An MLP on a synthetic 3-class problem, 20 steps with each optimizer, from the same start."""
    torch.manual_seed(4)
    x = torch.randn(64, 10)
    y = (x[:, 0] + 2 * x[:, 1] > 0).long() + (x[:, 2] > 1).long()
    model = torch.nn.Sequential(torch.nn.Linear(10, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
    initial = {k: v.clone() for k, v in model.state_dict().items()}
    save("mlp_x", x)
    save("mlp_y", y)
    for k, v in initial.items():
        save("mlp_init_" + k.replace(".", "_"), v)
    def groups(model, no_decay_options):
        """Weights with the defaults; biases in a second group (no weight decay, as recipes do)."""
        weights = [p for n, p in model.named_parameters() if n.endswith("weight")]
        biases = [p for n, p in model.named_parameters() if n.endswith("bias")]
        return [{"params": weights}, dict(params=biases, **no_decay_options)]

    optimizers = {
        "sgd": lambda m: torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9, dampening=0.1, weight_decay=1e-3),
        "sgd_nesterov": lambda m: torch.optim.SGD(m.parameters(), lr=0.05, momentum=0.9, nesterov=True),
        "adam": lambda m: torch.optim.Adam(m.parameters(), lr=1e-2, weight_decay=1e-3),
        "adam_amsgrad": lambda m: torch.optim.Adam(m.parameters(), lr=1e-2, amsgrad=True),
        "adamw": lambda m: torch.optim.AdamW(m.parameters(), lr=1e-2),
        "rmsprop": lambda m: torch.optim.RMSprop(m.parameters(), lr=1e-2, weight_decay=1e-3),
        "rmsprop_centered": lambda m: torch.optim.RMSprop(m.parameters(), lr=5e-3, momentum=0.9, centered=True),
        "adagrad": lambda m: torch.optim.Adagrad(m.parameters(), lr=0.1, lr_decay=0.01, weight_decay=1e-3,
                                                 initial_accumulator_value=0.1),
        "adadelta": lambda m: torch.optim.Adadelta(m.parameters(), lr=1.0, rho=0.9, weight_decay=1e-3),
        "sgd_groups": lambda m: torch.optim.SGD(groups(m, dict(lr=0.05, weight_decay=0.0)), lr=0.1, momentum=0.9,
                                                weight_decay=1e-2),
        "adamw_groups": lambda m: torch.optim.AdamW(groups(m, dict(lr=1e-2, weight_decay=0.0)), lr=5e-3,
                                                    weight_decay=0.1),
    }
    for name, make in optimizers.items():
        model.load_state_dict(initial)
        opt = make(model)
        losses = []
        for step in range(20):
            if step == 10:  # the learning rate can change between steps
                for group in opt.param_groups:
                    group["lr"] *= 0.5
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        save("mlp_losses_" + name, np.array(losses, dtype=np.float32))


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    random_streams()
    softmax_and_losses()
    linear()
    mlp_training()
    print("fixtures written to", os.path.normpath(OUT))
