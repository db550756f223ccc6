#!/usr/bin/python3
"""PyTorch baseline for bench_read.c: read Fashion-MNIST train (gzip IDX) and
normalise it in batches of 256 on one core, as torchvision's ToTensor +
Normalize would, but on the whole uint8 array (no per-image PIL overhead).

  /usr/bin/python3 tests/bench/bench_read_torch.py [DIR]
"""
import gzip
import sys
import time

import numpy as np
import torch

torch.set_num_threads(1)
d = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
t = time.perf_counter()
raw = gzip.open(d + "/train-images-idx3-ubyte.gz").read()
x = torch.from_numpy(np.frombuffer(raw, np.uint8, offset=16).reshape(-1, 1, 28, 28).copy())
labels = torch.from_numpy(np.frombuffer(gzip.open(d + "/train-labels-idx1-ubyte.gz").read(), np.uint8, offset=8).copy())
t_open = time.perf_counter() - t
mean, std = 0.2860, 0.3530
n, batch = x.shape[0], 256
order = torch.randperm(n, generator=torch.Generator().manual_seed(1))
best = [1e30, 1e30]
for _ in range(3):
    for mode in range(2):
        t = time.perf_counter()
        for s in range(0, n, batch):
            idx = slice(s, s + batch) if mode == 0 else order[s:s + batch]
            b = (x[idx].float().div_(255.0).sub_(mean).div_(std))
            lb = labels[idx].long()
        best[mode] = min(best[mode], time.perf_counter() - t)
print(f"bench_read_torch: {d} train, {n} images, batch {batch}, torch {torch.__version__}, 1 thread")
print(f"  open (gunzip + parse):          {t_open:8.3f} s")
print(f"  sequential read+normalise      {n / best[0]:12.0f} images/s")
print(f"  shuffled read+normalise        {n / best[1]:12.0f} images/s")
