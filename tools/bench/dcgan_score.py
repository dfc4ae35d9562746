#!/usr/bin/env python3
"""Scores a Nabla DCGAN checkpoint exactly as dcgan_reference.py scores its own generator: the same PyTorch
classifier recipe (seeded as the twin with --seed), 10,000 samples from torch.Generator seed 123, eval mode.
Nabla's generator state_dict keys are the twin's, so its weights load into the twin's nn.Sequential: the
two generators are then judged by one classifier. Dev-time only: needs Debian's python3-torch.

    /usr/bin/python3 tools/bench/dcgan_score.py --checkpoint runs/dcgan/checkpoint.safetensors \\
        --reference ../shared/reference
"""
import argparse
import json
import os
import struct
import sys

import numpy as np
import torch


def load_safetensors(path, prefix):
    """The float32 tensors under `prefix.` of a safetensors file, the prefix taken off."""
    with open(path, "rb") as f:
        raw = f.read()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + length])
    data = raw[8 + length:]
    out = {}
    for key, entry in header.items():
        if key.startswith(prefix + ".") and entry["dtype"] == "F32":
            begin, end = entry["data_offsets"]
            values = np.frombuffer(data[begin:end], dtype=np.float32).reshape(entry["shape"])
            out[key[len(prefix) + 1:]] = torch.from_numpy(values.copy())
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--reference", default="../shared/reference")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    sys.path.insert(0, args.reference)
    import dcgan_reference as twin

    torch.set_num_threads(args.threads)
    generator = twin.generator()
    state = load_safetensors(args.checkpoint, "generator")
    missing, unexpected = generator.load_state_dict(state, strict=False)
    assert not unexpected and all(k.endswith("num_batches_tracked") for k in missing), (missing, unexpected)
    xtr, ytr = twin.load_split(twin.DATA, "train")
    xte, _ = twin.load_split(twin.DATA, "t10k")
    classify = twin.train_classifier(xtr, ytr, args.seed)
    with torch.no_grad():
        print(f"M,score_real_test_images,{twin.score(classify(xte)):.3f}")
        images = twin.samples(generator, 10000, torch.Generator().manual_seed(123))
        print(f"M,score_nabla_generator,{twin.score(classify(images)):.3f}")


if __name__ == "__main__":
    main()
