#!/usr/bin/python3
"""train_fmnist_torch.py - the PyTorch recipe `archrepair train` follows, for
comparison (accuracy and speed on the same machine).

    archrepair train resnet20 /usr/share/datasets/fashion-mnist --out m.h5 \
        --epochs 8 --batch 128 --lr 0.1 --schedule cosine --momentum 0.9 --wd 5e-4
    /usr/bin/python3 tests/bench/train_fmnist_torch.py --epochs 8        # same recipe
    /usr/bin/python3 tests/bench/train_fmnist_torch.py --steps 10        # speed only

Same model (tools/torch_models.py resnet20, 1 input channel, PyTorch default
init), per-channel mean/std of the training pixels, random crop with 4-pixel
zero padding + horizontal flip, SGD(momentum, weight decay), cosine schedule
stepped once per epoch, last batch of 1 dropped. Threads: --threads (default 1,
like OPENBLAS_NUM_THREADS=1 for ours).
"""
import argparse
import gzip
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import torch_models  # noqa: E402


def idx(path):
    raw = gzip.open(path).read() if path.endswith(".gz") else open(path, "rb").read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw[4 + 4 * ndim:], np.uint8).reshape(dims)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--width", type=float, default=1.0)
    ap.add_argument("--steps", type=int, default=0, help="time this many steps and stop")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-augment", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    xtr = idx(os.path.join(a.data, "train-images-idx3-ubyte.gz")).astype(np.float32) / 255
    ytr = torch.tensor(idx(os.path.join(a.data, "train-labels-idx1-ubyte.gz")).astype(np.int64))
    xte = idx(os.path.join(a.data, "t10k-images-idx3-ubyte.gz")).astype(np.float32) / 255
    yte = torch.tensor(idx(os.path.join(a.data, "t10k-labels-idx1-ubyte.gz")).astype(np.int64))
    mean, std = xtr.mean(), xtr.std()
    xtr = torch.tensor((xtr - mean) / std).unsqueeze(1)
    xte = torch.tensor((xte - mean) / std).unsqueeze(1)
    pad_value = (0 - mean) / std  # zero pixels, as ours pads before normalising
    model = torch_models.build("resnet20", a.width, in_c=1, classes=10)
    opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=0.9, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, a.epochs)
    n = len(ytr)
    for ep in range(a.epochs):
        model.train()
        perm = torch.randperm(n)
        t0, seen, correct, loss_sum, steps = time.time(), 0, 0, 0.0, 0
        for s in range(0, n - 1, a.batch):
            ix = perm[s:s + a.batch]
            x = xtr[ix]
            if not a.no_augment:
                xp = F.pad(x, (4, 4, 4, 4), value=float(pad_value))
                d = np.random.randint(0, 9, (len(ix), 2))
                flip = np.random.rand(len(ix)) < 0.5
                x = torch.stack([xp[i, :, d[i, 0]:d[i, 0] + 28, d[i, 1]:d[i, 1] + 28] for i in range(len(ix))])
                x[flip] = x[flip].flip(3)
            out = model(x)
            loss = F.cross_entropy(out, ytr[ix])
            opt.zero_grad()
            loss.backward()
            opt.step()
            seen += len(ix)
            correct += (out.argmax(1) == ytr[ix]).sum().item()
            loss_sum += loss.item() * len(ix)
            steps += 1
            if a.steps and steps == a.steps:
                print("torch %s threads=%d: %.1f img/s (train step, batch %d)" % (
                    torch.__version__, a.threads, seen / (time.time() - t0), a.batch))
                return
        sched.step()
        model.eval()
        with torch.no_grad():
            acc = sum((model(xte[i:i + 500]).argmax(1) == yte[i:i + 500]).sum().item()
                      for i in range(0, len(yte), 500)) / len(yte)
        print("epoch %d loss %.4f train acc %.2f%% test acc %.2f%% %.0f img/s" % (
            ep + 1, loss_sum / seen, 100 * correct / seen, 100 * acc, seen / (time.time() - t0)))


if __name__ == "__main__":
    main()
