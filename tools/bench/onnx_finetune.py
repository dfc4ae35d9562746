#!/usr/bin/env python3
"""A PyTorch MobileNet (../shared/reference/mobilenet_reference.py) exported with torch.onnx.export, imported into
Nabla and fine-tuned there for one epoch, against PyTorch fine-tuning the same network for one epoch.

1. PyTorch trains make_model() for --pretrain epochs (the reference's Adam + cosine schedule) and exports it (eval
   mode, dynamic batch, opset 17): torch folds every BatchNorm into its conv.
2. Fine-tuning, one epoch, Adam lr --lr, batch 64, the same shuffling seed on each side:
   - PyTorch, the model as trained (BatchNorms kept, in train mode);
   - PyTorch, the model with its BatchNorms folded (torch.nn.utils.fuse_conv_bn_eval): the network in the file;
   - Nabla: `onnx finetune` on the exported file.
Prints the test accuracy of each (Fashion-MNIST's 10,000 test images).

Dev-time only:  /usr/bin/python3 tools/bench/onnx_finetune.py --onnx-example build/examples/onnx
"""
import argparse
import copy
import os
import re
import subprocess
import sys
import tempfile

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "shared", "reference"))
import mobilenet_reference as ref  # noqa: E402


def train_epoch(model, opt, x, y, seed, sched=None, batch=64):
    model.train()
    perm = torch.randperm(x.shape[0], generator=torch.Generator().manual_seed(seed))
    for i in range(0, x.shape[0], batch):
        idx = perm[i:i + batch]
        opt.zero_grad()
        F.cross_entropy(model(x[idx]), y[idx]).backward()
        opt.step()
        if sched:
            sched.step()


def folded(model):
    model = copy.deepcopy(model).eval()
    layers = list(model)
    for i, layer in enumerate(layers):
        if isinstance(layer, torch.nn.BatchNorm2d):
            layers[i - 1] = torch.nn.utils.fuse_conv_bn_eval(layers[i - 1], layer)
            layers[i] = torch.nn.Identity()
    return torch.nn.Sequential(*layers)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--onnx-example", required=True, help="Nabla's examples/onnx program")
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--pretrain", type=int, default=2)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    xtr, ytr = ref.load_split(a.data, "train")
    xte, yte = ref.load_split(a.data, "t10k")
    steps = a.pretrain * ((xtr.shape[0] + 63) // 64)
    model, opt, sched = ref.make(1, steps)
    for epoch in range(a.pretrain):
        train_epoch(model, opt, xtr, ytr, epoch, sched)
    print(f"pretrained {a.pretrain} epochs: test accuracy {100 * ref.evaluate(model, xte, yte)[0]:.2f}%")
    path = os.path.join(tempfile.mkdtemp(), "mobilenet.onnx")
    model.eval()
    torch.onnx.export(model, (xte[:1],), path, opset_version=17, input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})

    results = {}
    for name, net in (("PyTorch, BatchNorms kept", copy.deepcopy(model)), ("PyTorch, BatchNorms folded", folded(model))):
        tuned_opt = torch.optim.Adam(net.parameters(), lr=a.lr)
        train_epoch(net, tuned_opt, xtr, ytr, 100)
        results[name] = 100 * ref.evaluate(net, xte, yte)[0]
    out = subprocess.run([a.onnx_example, "finetune", path, "--data", a.data, "--epochs", "1", "--lr", str(a.lr),
                          "--threads", str(a.threads), "--quiet"], check=True, capture_output=True, text=True).stdout
    print(out, end="")
    results["Nabla, the imported file"] = float(re.findall(r"test accuracy ([0-9.]+)%", out)[-1])
    for name, acc in results.items():
        print(f"fine-tuned 1 epoch, {name}: test accuracy {acc:.2f}%")


if __name__ == "__main__":
    main()
