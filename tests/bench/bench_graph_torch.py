#!/usr/bin/python3
"""bench_graph_torch.py - PyTorch baseline of bench_graph.c: images/s of a
training step (forward, cross-entropy, backward, SGD step) and of inference
(eval mode, no_grad) for the same zoo models (tools/torch_models.py), batches
and inputs (3x32x32), in process CPU time.

    OPENBLAS_NUM_THREADS=1 build/tests/bench/bench_graph > ours.txt
    /usr/bin/python3 tests/bench/bench_graph_torch.py --threads 1 --compare ours.txt

With --compare, prints ours / torch images/s ratios (> 1: ours is faster).
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import torch_models  # noqa: E402

MODELS = [("resnet20", 128, 1.0), ("resnet18", 32, 1.0), ("resnet50", 16, 1.0),
          ("densenet121", 16, 1.0)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--models", default="")
    ap.add_argument("--compare")
    ap.add_argument("--batch", type=int, default=0, help="override every model's batch")
    ap.add_argument("--input", default="3,32,32", help="image shape C,H,W")
    ap.add_argument("--eval-only", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    ours = {}
    if a.compare:
        for line in open(a.compare):
            if line.startswith("BENCH "):
                d = json.loads(line[6:])
                ours[(d["model"], d["phase"])] = d["img_s"]
    ic, ih, iw = (int(v) for v in a.input.split(","))
    for name, b, w in MODELS:
        if a.models and name not in a.models:
            continue
        b = a.batch or b
        torch.manual_seed(1)
        m = torch_models.build(name, w, in_c=ic)
        x = torch.randn(b, ic, ih, iw)
        y = torch.arange(b) % 10
        opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
        bt = be = 1e30
        for k in range(a.reps + 1):
            m.train()
            t0 = time.process_time()
            if not a.eval_only:
                opt.zero_grad()
                F.cross_entropy(m(x), y).backward()
                opt.step()
            t1 = time.process_time()
            m.eval()
            with torch.no_grad():
                m(x)
            t2 = time.process_time()
            if k:
                bt, be = min(bt, t1 - t0), min(be, t2 - t1)
        for phase, t in ((("eval", be),) if a.eval_only else (("train", bt), ("eval", be))):
            r = b / t
            line = "%-12s %-5s batch %3d  torch %8.1f img/s" % (name, phase, b, r)
            if (name, phase) in ours:
                line += "  ours %8.1f img/s  ratio ours/torch %.2f" % (ours[(name, phase)],
                                                                      ours[(name, phase)] / r)
            print(line, flush=True)


if __name__ == "__main__":
    main()
