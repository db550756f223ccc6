#!/usr/bin/python3
"""bench_graph_torch.py - PyTorch baseline of bench_graph.c: images/s of a
training step (forward, cross-entropy, backward, SGD step) and of inference
(eval mode, no_grad) for the same zoo models (tools/torch_models.py), batches
and inputs (3x32x32), in process CPU time.

    OPENBLAS_NUM_THREADS=1 build/tests/bench/bench_graph > ours.txt
    /usr/bin/python3 tests/bench/bench_graph_torch.py --threads 1 --compare ours.txt

With --compare, prints ours / torch images/s ratios (> 1: ours is faster).
--wall times with the wall clock (for the speed-up of several threads, on an
idle machine); --train-only / --eval-only time one phase. Peak resident memory
(getrusage) and the resident memory before the model was built are printed
too: run one model and one phase per process for a per-row peak
(tests/bench/graph_vs_torch.sh does).
"""
import argparse
import json
import os
import resource
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import torch_models  # noqa: E402

MODELS = [("resnet20", 128, 1.0), ("resnet18", 32, 1.0), ("resnet50", 16, 1.0),
          ("densenet121", 16, 1.0)]


def rss_now_mb():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--models", default="")
    ap.add_argument("--compare")
    ap.add_argument("--batch", type=int, default=0, help="override every model's batch")
    ap.add_argument("--input", default="3,32,32", help="image shape C,H,W")
    ap.add_argument("--eval-only", action="store_true")
    ap.add_argument("--train-only", action="store_true")
    ap.add_argument("--wall", action="store_true", help="wall clock instead of process CPU time")
    ap.add_argument("--json", action="store_true", help="print BENCH {json} lines like bench_graph")
    a = ap.parse_args()
    clock = time.perf_counter if a.wall else time.process_time
    rss_start = rss_now_mb()
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
            t0 = clock()
            if not a.eval_only:
                opt.zero_grad()
                F.cross_entropy(m(x), y).backward()
                opt.step()
            t1 = clock()
            if not a.train_only:
                m.eval()
                with torch.no_grad():
                    m(x)
            t2 = clock()
            if k:
                bt, be = min(bt, t1 - t0), min(be, t2 - t1)
        phases = [("train", bt), ("eval", be)]
        if a.eval_only:
            phases = phases[1:]
        if a.train_only:
            phases = phases[:1]
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
        for phase, t in phases:
            r = b / t
            if a.json:
                print("BENCH " + json.dumps({"model": name, "phase": phase, "batch": b,
                                             "img_s": round(r, 1), "rss_peak_mb": round(peak, 1),
                                             "rss_start_mb": round(rss_start, 1)}), flush=True)
                continue
            line = "%-12s %-5s batch %3d  torch %8.1f img/s" % (name, phase, b, r)
            if (name, phase) in ours:
                line += "  ours %8.1f img/s  ratio ours/torch %.2f" % (ours[(name, phase)],
                                                                      ours[(name, phase)] / r)
            print(line, flush=True)


if __name__ == "__main__":
    main()
