#!/usr/bin/python3
"""train_localize_model.py - the small trained model of the localization tests.

Trains resnet20 with width multiplier 0.25 (tools/torch_models.py; channels
4/8/16) on the first 6,000 Fashion-MNIST training images for 3 epochs (SGD,
momentum 0.9, lr 0.05, batch 64, seeded, one CPU thread) and exports it with
tools/torch_export.py to tests/data/fmnist_resnet20_w025.h5 (185 KB; 74% test accuracy). The
file is committed; rerun only to regenerate it:

    /usr/bin/python3 tools/train_localize_model.py [OUT.h5]

Prints the test accuracy on the first 2,000 test images.
"""
import gzip
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from torch_export import export  # noqa: E402
from torch_models import build  # noqa: E402

FMNIST = "/usr/share/datasets/fashion-mnist"
MEAN, STD = 0.2860, 0.3530


def idx(name):
    with gzip.open(os.path.join(FMNIST, name)) as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def tensor(images):
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    return (x - MEAN) / STD


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        HERE, "..", "tests", "data", "fmnist_resnet20_w025.h5")
    torch.manual_seed(1)
    torch.set_num_threads(1)
    xtr = tensor(idx("train-images-idx3-ubyte.gz")[:6000])
    ytr = torch.from_numpy(idx("train-labels-idx1-ubyte.gz")[:6000].astype(np.int64))
    xte = tensor(idx("t10k-images-idx3-ubyte.gz")[:2000])
    yte = torch.from_numpy(idx("t10k-labels-idx1-ubyte.gz")[:2000].astype(np.int64))
    model = build("resnet20", width=0.25, in_c=1, classes=10)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    g = torch.Generator().manual_seed(2)
    for epoch in range(3):
        model.train()
        perm = torch.randperm(len(xtr), generator=g)
        for i in range(0, len(xtr), 64):
            b = perm[i:i + 64]
            opt.zero_grad()
            loss = F.cross_entropy(model(xtr[b]), ytr[b])
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            acc = (model(xte).argmax(1) == yte).float().mean().item()
        print(f"epoch {epoch + 1}: loss {loss.item():.3f}, test accuracy {acc:.4f}")
    export(model, out, input_shape=(1, 28, 28), arch="resnet20", num_classes=10,
           mean=[MEAN], std=[STD])
    print("wrote", out, os.path.getsize(out), "bytes")


if __name__ == "__main__":
    main()
