#!/usr/bin/python3
"""ranking_vs_gain.py --gains METHOD:SEED=ALL.h5 ... --scores LABEL:SEED=RESULT.h5 ...
- which block ranking predicts the repair gain, across seeds? (docs/repair.md
"Which block: spectrum or probe").

The ground truth is every-block repair jobs (--gains; as for
tools/localization_gain.py: no repair.blocks, top_k = the block count,
rungs = 1), one per method and job seed: a block's gain is its candidate's
corrupted validation accuracy minus the original's (the candidate the
selection rule picks when a block has several). The rankings come from any
repair job result of the same model and job seed (--scores; LABEL names the
ranking, e.g. spectrum or probe): its /repair/blocks/scores, higher first.
Two rankings need no file: depth (deeper blocks first: graph position) and
shallow (the reverse). With --widths (the blocks' channel counts) every
ranking from a file also comes width-normalised: LABEL*width, LABEL/width.

Printed per ranking and method: for every seed, Spearman rho(score, gain of
the same seed) with its exact two-sided permutation p, and the place by gain
of the top-ranked block (1 = the best block); rho against the mean gain over
the seeds (so one seed's noise in the gains does not count twice); the mean
rho over the seeds; and how often the top-ranked block is in the top third
by gain. Every gains file of a method must name the same blocks.

Then, per method with at least two seeds, how repeatable the gains
themselves are: rho between the gains of two seeds (every pair), and of
each seed against the mean of the others. A ranking cannot be expected to
predict one seed's gains much better than another seed's gains do, so
these are the ceiling to read the rankings' rho against - except a
ranking that shares the seed's noise (the probe trains the very block with
the same seed and data draws as that seed's block-weights candidate): for
it, read the rho against the other seeds' gains (pair by pair, and against
the mean gain of the other seeds, from three seeds on) printed beside the
per-seed one.
Run with /usr/bin/python3 (h5py, numpy)."""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from localization_gain import Bad, load, open_result, pearson, perm_test, pick, ranks  # noqa: E402  (same folder)


def spec(s, what):
    """LABEL:SEED=PATH -> (label, seed, path)."""
    try:
        key, path = s.split("=", 1)
        label, seed = key.rsplit(":", 1)
        return label, int(seed), path
    except ValueError:
        raise Bad(f"{what} '{s}': expected LABEL:SEED=PATH")


def gains(d):
    """Per block (graph order): the picked candidate's corrupted validation gain."""
    k0 = d["v0"][1]
    out = []
    for b in d["names"]:
        idx = [i for i, x in enumerate(d["cb"]) if x == b]
        out.append(d["vk"][pick(d, idx)] - k0)
    return np.array(out)


def scores_of(path, names):
    """/repair/blocks/scores of any repair result, in the order of names."""
    with open_result(path) as f:
        if "blocks/scores" not in f["repair"]:
            raise Bad(f"{path}: no /repair/blocks/scores")
        nm = [x.decode() if isinstance(x, bytes) else str(x) for x in f["/repair/blocks/names"][()]]
        sc = np.asarray(f["/repair/blocks/scores"][()], dtype=float)
    if sorted(nm) != sorted(names):
        raise Bad(f"{path}: its blocks are not the gains files' blocks")
    return np.array([sc[nm.index(b)] for b in names])


def place(score, gain):
    """Place by gain (1 = best) of the block ranked first (ties: graph order)."""
    top = min(range(len(score)), key=lambda i: (-score[i], i))
    return 1 + int(np.count_nonzero(gain > gain[top]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gains", action="append", default=[], help="METHOD:SEED=every-block result")
    ap.add_argument("--scores", action="append", default=[], help="LABEL:SEED=repair result")
    ap.add_argument("--perms", type=int, default=400000, help="permutations (exact when n! is at most this)")
    ap.add_argument("--widths", help="the blocks' output channels in graph order, comma-separated: adds "
                    "LABEL*width and LABEL/width rows for every --scores LABEL (width-normalised scores)")
    o = ap.parse_args()
    try:
        if not o.gains:
            raise Bad("no --gains file")
        G = {}   # method -> seed -> gains (graph order)
        names = None
        for s in o.gains:
            m, seed, path = spec(s, "--gains")
            d = load(path)
            if names is None:
                names = d["names"]
            elif d["names"] != names:
                raise Bad(f"{path}: other blocks than the first gains file")
            G.setdefault(m, {})[seed] = gains(d)
        S = {}   # label -> seed -> scores
        for s in o.scores:
            label, seed, path = spec(s, "--scores")
            S.setdefault(label, {})[seed] = scores_of(path, names)
        if o.widths:
            try:
                w = np.array([float(x) for x in o.widths.split(",")])
            except ValueError:
                raise Bad(f"--widths '{o.widths}': expected numbers separated by commas")
            if len(w) != len(names) or (w <= 0).any():
                raise Bad(f"--widths: {len(w)} positive numbers needed, one per block ({len(names)})")
            for label in list(S):
                S[label + "*width"] = {sd: v * w for sd, v in S[label].items()}
                S[label + "/width"] = {sd: v / w for sd, v in S[label].items()}
        seeds = sorted({s for g in G.values() for s in g})
        depth = np.arange(1, len(names) + 1, dtype=float)
        S["depth"] = {s: depth for s in seeds}
        S["shallow"] = {s: -depth for s in seeds}
    except Bad as e:
        sys.exit(f"ranking_vs_gain: {e}")
    n = len(names)
    third = (n + 2) // 3
    print(f"{n} blocks; gains: " + ", ".join(f"{m} seeds {sorted(g)}" for m, g in G.items()))
    for m, g in G.items():
        mean = np.mean([g[s] for s in sorted(g)], axis=0)
        print(f"\n== {m}: mean gain per block over seeds {sorted(g)}: " +
              ", ".join(f"{b} {v:+.4f}" for b, v in zip(names, mean)))
        print(f"{'ranking':<16}{'seed':>5}{'rho (same seed)':>17}{'p':>8}{'rho (mean gain)':>17}{'p':>8}"
              f"{'top block':>12}{'place':>7}")
        for label, sc in S.items():
            rs, tops = [], 0
            for s in sorted(sc):
                if s not in g:
                    continue
                r1, _, p1, _, _ = perm_test(sc[s], g[s], o.perms, 1)
                r2, _, p2, _, _ = perm_test(sc[s], mean, o.perms, 1)
                pl = place(sc[s], g[s])
                top = names[min(range(n), key=lambda i: (-sc[s][i], i))]
                rs.append(r1)
                tops += pl <= third
                print(f"{label:<16}{s:>5}{r1:>+17.3f}{p1:>8.3f}{r2:>+17.3f}{p2:>8.3f}{top:>12}{pl:>5}/{n}")
            if rs:
                print(f"{label:<16}{'mean':>5}{np.mean(rs):>+17.3f}{'':>8}{'':>17}{'':>8}"
                      f"{'top third:':>12}{tops:>5}/{len(rs)}")
            other = [spearman(sc[s], g[t]) for s in sorted(sc) if s in g for t in sorted(g) if t != s]
            if other:
                print(f"{label:<16}{'':>5}  rho vs the other seeds' gains: mean {np.mean(other):+.3f} "
                      f"(range {min(other):+.2f} .. {max(other):+.2f}, {len(other)} pairs)")
            loo = [vs_others_mean(sc[s], g, s) for s in sorted(sc) if s in g and len(g) >= 3]
            if loo:
                print(f"{label:<16}{'':>5}  rho vs the mean gain of the other seeds: mean {np.mean(loo):+.3f} "
                      f"(per seed " + ", ".join(f"{r:+.2f}" for r in loo) + ")")
        repeatability(m, g)


def spearman(x, y):
    """Spearman rho (ties: average ranks)."""
    return pearson(ranks(x), ranks(y))


def vs_others_mean(x, g, s):
    """rho of x against the mean gain of every seed of g but s."""
    return spearman(x, np.mean([g[t] for t in sorted(g) if t != s], axis=0))


def repeatability(m, g):
    """How well one seed's gains predict another's: the ceiling for a ranking."""
    seeds = sorted(g)
    if len(seeds) < 2:
        return
    pairs = [(a, b, spearman(g[a], g[b])) for i, a in enumerate(seeds) for b in seeds[i + 1:]]
    print(f"gains' repeatability ({m}): rho seed vs seed " +
          ", ".join(f"{a}-{b} {r:+.2f}" for a, b, r in pairs) +
          f" (mean {np.mean([r for _, _, r in pairs]):+.3f})")
    if len(seeds) >= 3:
        loo = [vs_others_mean(g[s], g, s) for s in seeds]
        print(f"gains' repeatability ({m}): rho seed vs the mean of the others " +
              ", ".join(f"{s} {r:+.2f}" for s, r in zip(seeds, loo)) + f" (mean {np.mean(loo):+.3f})")


if __name__ == "__main__":
    main()
