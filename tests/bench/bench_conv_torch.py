#!/usr/bin/python3
"""bench_conv_torch.py - PyTorch (oneDNN) timings of the convs bench_conv times.

Run with Debian's interpreter (it has torch 1.13):

    /usr/bin/python3 tests/bench/bench_conv_torch.py --threads 1
    build/tests/bench/bench_conv --threads 1 > ours.txt
    /usr/bin/python3 tests/bench/bench_conv_torch.py --threads 1 --compare ours.txt

Add --cpu-time to both on a loaded machine (process CPU clock); there, also
run bench_conv a few times and pass all outputs to --compare, and give
--rounds 3: each side then keeps every layer's best time.

Forward is F.conv2d with bias; backward is autograd of (y * dy).sum() giving
the input and weight (and bias) gradients, as ar_conv2d_backward computes.
Times are the best of --reps calls, in milliseconds. With --compare, the
"BENCH {...}" lines of bench_conv's output are matched by layer name and
ratios torch_ms / ours_ms are printed (> 1 means ours is faster).
"""
import argparse
import json
import time

import torch
import torch.nn.functional as F

# name, cin, cout, hw, k, stride, groups (must match bench_conv.c's LAYERS)
LAYERS = [
    ("conv1 3-16 32x32", 3, 16, 32, 3, 1, 1),
    ("l1 16-16 32x32", 16, 16, 32, 3, 1, 1),
    ("l2 16-32 s2 32>16", 16, 32, 32, 3, 2, 1),
    ("l2 32-32 16x16", 32, 32, 16, 3, 1, 1),
    ("l3 32-64 s2 16>8", 32, 64, 16, 3, 2, 1),
    ("l3 64-64 8x8", 64, 64, 8, 3, 1, 1),
    ("dw3x3 64 8x8", 64, 64, 8, 3, 1, 64),
    ("pw1x1 64-64 8x8", 64, 64, 8, 1, 1, 1),
    ("pw1x1 16-16 32x32", 16, 16, 32, 1, 1, 1),
    ("r18 64-64 32x32", 64, 64, 32, 3, 1, 1),
    ("r18 64-128 s2 32>16", 64, 128, 32, 3, 2, 1),
    ("r18 128-128 16x16", 128, 128, 16, 3, 1, 1),
    ("r18 128-256 s2 16>8", 128, 256, 16, 3, 2, 1),
    ("r18 256-256 8x8", 256, 256, 8, 3, 1, 1),
    ("r18 256-512 s2 8>4", 256, 512, 8, 3, 2, 1),
    ("r18 512-512 4x4", 512, 512, 4, 3, 1, 1),
]


# convs of each shape in one ResNet-20 forward (its 1x1 shortcuts aside)
RESNET20_COUNT = {
    "conv1 3-16 32x32": 1,
    "l1 16-16 32x32": 6,
    "l2 16-32 s2 32>16": 1,
    "l2 32-32 16x16": 5,
    "l3 32-64 s2 16>8": 1,
    "l3 64-64 8x8": 5,
}


def best_ms(fn, reps, clock):
    fn()  # warm-up
    best = float("inf")
    for _ in range(reps):
        t0 = clock()
        fn()
        best = min(best, clock() - t0)
    return best * 1e3


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--compare", nargs="+",
                    help="bench_conv output(s) to compare against (per layer, the best)")
    ap.add_argument("--rounds", type=int, default=1,
                    help="repeat the whole measurement, keep each layer's best (noisy machines)")
    ap.add_argument("--cpu-time", action="store_true",
                    help="time with the process CPU clock (as bench_conv --cpu-time)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    ours = {}
    for path in a.compare or []:
        with open(path) as f:
            for line in f:
                if line.startswith("BENCH "):
                    r = json.loads(line[6:])
                    o = ours.setdefault(r["layer"], r)
                    o["fwd_ms"] = min(o["fwd_ms"], r["fwd_ms"])
                    o["bwd_ms"] = min(o["bwd_ms"], r["bwd_ms"])
    print(f"# torch {torch.__version__}, threads {torch.get_num_threads()}, batch {a.batch}, "
          f"best of {a.reps} x {a.rounds}, {'process CPU' if a.cpu_time else 'wall'} clock, "
          f"mkldnn {torch.backends.mkldnn.is_available()}")
    hdr = f"{'layer':20s} {'fwd ms':>9s} {'fwd GF':>8s} {'bwd ms':>9s} {'bwd GF':>8s}"
    if ours:
        hdr += f" {'fwd x':>6s} {'bwd x':>6s} {'f+b x':>6s}"
    print(hdr)
    tot_t = tot_o = res_t = res_o = 0.0
    for name, cin, cout, hw, k, s, g in LAYERS:
        torch.manual_seed(0)
        x = torch.randn(a.batch, cin, hw, hw, requires_grad=True)
        w = torch.randn(cout, cin // g, k, k, requires_grad=True)
        b = torch.randn(cout, requires_grad=True)
        p = k // 2
        with torch.no_grad():
            y = F.conv2d(x, w, b, s, p, 1, g)
        dy = torch.randn_like(y)
        ho, wo = y.shape[2], y.shape[3]
        flops = 2.0 * a.batch * cout * ho * wo * (cin // g) * k * k

        def fwd():
            with torch.no_grad():
                F.conv2d(x, w, b, s, p, 1, g)

        yg = F.conv2d(x, w, b, s, p, 1, g)

        def bwd():
            torch.autograd.grad(yg, (x, w, b), dy, retain_graph=True)

        clock = time.process_time if a.cpu_time else time.perf_counter
        tf = min(best_ms(fwd, a.reps, clock) for _ in range(a.rounds))
        tb = min(best_ms(bwd, a.reps, clock) for _ in range(a.rounds))
        line = f"{name:20s} {tf:9.3f} {flops / tf * 1e-6:8.1f} {tb:9.3f} {2 * flops / tb * 1e-6:8.1f}"
        if name in ours:
            o = ours[name]
            line += (f" {tf / o['fwd_ms']:6.2f} {tb / o['bwd_ms']:6.2f}"
                     f" {(tf + tb) / (o['fwd_ms'] + o['bwd_ms']):6.2f}")
            tot_t += tf + tb
            tot_o += o["fwd_ms"] + o["bwd_ms"]
            k = RESNET20_COUNT.get(name, 0)
            res_t += k * (tf + tb)
            res_o += k * (o["fwd_ms"] + o["bwd_ms"])
        print(line)
    if tot_o > 0:
        print(f"# all layers fwd+bwd: torch {tot_t:.1f} ms, ours {tot_o:.1f} ms, "
              f"ratio torch/ours {tot_t / tot_o:.2f}")
        print(f"# ResNet-20 convs (each shape times its count), fwd+bwd: torch {res_t:.1f} ms, "
              f"ours {res_o:.1f} ms, ratio torch/ours {res_t / res_o:.2f}")


if __name__ == "__main__":
    main()
