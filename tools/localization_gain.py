#!/usr/bin/python3
"""localization_gain.py RESULT.h5 [--seed N] [--perms N] - does localization
matter? Reads the result of an every-block repair job (no repair.blocks,
repair.top_k = the model's block count, no candidate pruned: rungs = 1;
configs/fashion-mnist-repair-allblocks.toml) and prints per block, in
localization order: rank, score, the block's repair on the validation images
(clean, corrupted), its gain over the original model (corrupted and clean
change) and whether it qualifies under repair.max_clean_drop; then the
Spearman rank correlation between score and corrupted gain (ties: average
ranks) with a permutation p-value (exact when n! <= --perms, else --perms
seeded permutations), and the top-ranked block against a random block
(the mean over blocks, and one seeded draw), the best block and the job's
every-block choice. A block with several candidates (variants) is
represented by the one the selection rule would pick among them, as in a
job targeting that block alone. Run with /usr/bin/python3 (h5py, numpy).
docs/repair.md "Measured: does localization matter?"."""
import argparse
import itertools
import math
import sys

import h5py
import numpy as np


class Bad(Exception):
    pass


def text(x):
    return x.decode() if isinstance(x, bytes) else str(x)


def ranks(x):
    """Ranks 1..n of x (ascending), ties as the average of their ranks."""
    x = np.asarray(x, dtype=float)
    o = np.argsort(x, kind="stable")
    r = np.empty(len(x))
    i = 0
    while i < len(x):
        j = i
        while j + 1 < len(x) and x[o[j + 1]] == x[o[i]]:
            j += 1
        r[o[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return r


def pearson(a, b):
    a, b = a - a.mean(), b - b.mean()
    d = math.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / d) if d > 0 else float("nan")


def spearman(x, y):
    return pearson(ranks(x), ranks(y))


def perm_test(x, y, perms, seed):
    """rho(x, y), the one- and two-sided p-values of H0 'no association'
    (y's ranks permuted against x's; exact when n! <= perms) and the |rho|
    a two-sided test at 0.05 needs under H0."""
    rx, ry = ranks(x), ranks(y)
    rho = pearson(rx, ry)
    if math.isnan(rho):
        return rho, float("nan"), float("nan"), float("nan"), "undefined (a constant column)"
    n = len(rx)
    a = rx - rx.mean()
    b = ry - ry.mean()
    den = math.sqrt((a * a).sum() * (b * b).sum())
    if math.factorial(n) <= perms:
        P = np.array(list(itertools.permutations(range(n))), dtype=np.int64)
        how, plus = f"exact, all {len(P)} permutations", 0
    else:
        rng = np.random.default_rng(seed)
        P = np.argsort(rng.random((perms, n)), axis=1)
        how, plus = f"{perms} permutations, seed {seed}", 1
    r = (b[P] @ a) / den
    eps = 1e-12
    one = (np.count_nonzero(r >= rho - eps) + plus) / (len(P) + plus)
    two = (np.count_nonzero(np.abs(r) >= abs(rho) - eps) + plus) / (len(P) + plus)
    a = np.sort(np.abs(r))[::-1]
    crit = float(a[max(0, int(0.05 * len(a)) - 1)])  # P(|rho| >= crit) ~ 0.05 under H0
    return rho, one, two, crit, how


def open_result(path):
    """The repair result file at path, open (h5py.File), or Bad."""
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise Bad(f"{path}: cannot open as HDF5 ({e})")
    if "repair" not in f:
        f.close()
        raise Bad(f"{path}: no /repair group (not the result of a repair job)")
    return f


def load(path):
    with open_result(path) as f:
        for k in ("blocks/names", "blocks/scores", "candidates/block", "candidates/val_clean",
                  "candidates/val_corrupt", "candidates/status", "candidates/variant"):
            if k not in f["repair"]:
                raise Bad(f"{path}: /repair/{k} missing")
        a = f["/repair"].attrs
        for k in ("val_clean_before", "val_corrupt_before", "max_clean_drop", "method"):
            if k not in a:
                raise Bad(f"{path}: /repair attribute {k} missing")
        c = f["/repair/candidates"]
        d = {
            "method": text(a["method"]),
            "ranking": text(a["ranking"]) if "ranking" in a else "?",
            "wall": float(a["wall_seconds"]) if "wall_seconds" in a else float("nan"),
            "ranks": int(a["ranks"]) if "ranks" in a else 0,
            "v0": (float(a["val_clean_before"]), float(a["val_corrupt_before"])),
            "mcd": float(a["max_clean_drop"]),
            "names": [text(x) for x in f["/repair/blocks/names"][()]],
            "scores": np.asarray(f["/repair/blocks/scores"][()], dtype=float),
            "chosen": text(f["/repair/blocks"].attrs.get("chosen", "")),
            "cb": [text(x) for x in c["block"][()]],
            "cv": [text(x) for x in c["variant"][()]],
            "cs": [text(x) for x in c["status"][()]],
            "vc": np.asarray(c["val_clean"][()], dtype=float),
            "vk": np.asarray(c["val_corrupt"][()], dtype=float),
        }
    if len(d["names"]) != len(d["scores"]) or len(d["names"]) < 2:
        raise Bad(f"{path}: /repair/blocks has {len(d['names'])} names and "
                  f"{len(d['scores'])} scores (need the same number, at least 2)")
    missing = [b for b in d["names"] if b not in d["cb"]]
    if missing:
        raise Bad(f"{path}: not an every-block run: no candidate for {len(missing)} of "
                  f"{len(d['names'])} blocks ({', '.join(missing)}); run without repair.blocks "
                  f"and with repair.top_k = {len(d['names'])}")
    if "pruned" in d["cs"]:
        raise Bad(f"{path}: not an every-block run: {d['cs'].count('pruned')} candidates were "
                  f"pruned by successive halving (unequal budgets); run with repair.rungs = 1")
    return d


def pick(d, idx):
    """The candidate the selection rule picks among idx: qualifying first,
    then corrupted, then clean validation accuracy, then lower index."""
    lo = d["v0"][0] - d["mcd"] - 1e-9
    return min(idx, key=lambda i: (not d["vc"][i] >= lo, -d["vk"][i], -d["vc"][i], i))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("result")
    ap.add_argument("--seed", type=int, default=1, help="seed of the permutations and the random draw")
    ap.add_argument("--perms", type=int, default=400000,
                    help="permutations (exact test when n! is at most this)")
    o = ap.parse_args()
    try:
        d = load(o.result)
    except Bad as e:
        sys.exit(f"localization_gain: {e}")
    names, scores = d["names"], d["scores"]
    n = len(names)
    order = sorted(range(n), key=lambda i: (-scores[i], i))  # localization order
    c0, k0 = d["v0"]
    lo = c0 - d["mcd"] - 1e-9
    rows = []
    for r, b in enumerate(order):
        idx = [i for i, x in enumerate(d["cb"]) if x == names[b]]
        i = pick(d, idx)
        rows.append({"rank": r + 1, "block": names[b], "score": scores[b], "cand": i,
                     "nvar": len(idx), "clean": d["vc"][i], "corrupt": d["vk"][i],
                     "gain": d["vk"][i] - k0, "dclean": d["vc"][i] - c0, "ok": d["vc"][i] >= lo})
    print(f"{o.result}: method {d['method']}, ranking {d['ranking']}, {n} blocks, "
          f"{len(d['cb'])} candidates, wall {d['wall']:.1f} s at {d['ranks']} ranks")
    print(f"original on the validation images: clean {c0:.4f}, corrupted {k0:.4f}; "
          f"max_clean_drop {d['mcd']:g}")
    if d["ranking"] not in ("localization", "probe"):
        print(f"warning: the ranking is '{d['ranking']}', not a localization's or the probes'")
    w = max(10, max(len(x["block"]) for x in rows) + 2)
    print(f"{'rank':>4}  {'block':<{w}}{'score':>10}{'val clean':>11}{'val corr':>10}"
          f"{'gain corr':>11}{'d clean':>9}  qualifies")
    for x in rows:
        print(f"{x['rank']:>4}  {x['block']:<{w}}{x['score']:>10.4g}{x['clean']:>11.4f}"
              f"{x['corrupt']:>10.4f}{x['gain']:>+11.4f}{x['dclean']:>+9.4f}  "
              f"{'yes' if x['ok'] else 'no'}" + (f" ({x['nvar']} variants)" if x["nvar"] > 1 else ""))
    sc = np.array([x["score"] for x in rows])
    g = np.array([x["gain"] for x in rows])
    eff = np.array([x["gain"] if x["ok"] else 0.0 for x in rows])  # the job keeps the original
    crit = float("nan")
    for label, y in (("corrupted gain", g), ("gain within the clean bound (0 if not)", eff),
                     ("clean change", np.array([x["dclean"] for x in rows]))):
        rho, p1, p2, c, how = perm_test(sc, y, o.perms, o.seed)
        crit = c if math.isnan(crit) else crit
        print(f"Spearman rho(score, {label}) = {rho:+.4f}  n = {n} blocks; permutation p "
              f"(rho >= observed) = {p1:.4f}, two-sided {p2:.4f} ({how})")
    print(f"note: n = {n} blocks is small: a two-sided test at 0.05 needs |rho| >= {crit:.3f}; "
          f"the gains are measured on the same validation images (paired), each with its "
          f"sampling error")
    top = rows[0]
    best = max(rows, key=lambda x: (x["gain"], -x["rank"]))
    place = 1 + sum(1 for x in rows if x["gain"] > top["gain"])
    rnd = rows[int(np.random.default_rng(o.seed).integers(n))]
    print(f"top-ranked block {top['block']}: gain {top['gain']:+.4f} (clean {top['dclean']:+.4f}, "
          f"{'qualifies' if top['ok'] else 'does not qualify'}); place {place} of {n} by gain")
    print(f"best block {best['block']} (rank {best['rank']}): gain {best['gain']:+.4f} "
          f"(clean {best['dclean']:+.4f})")
    print(f"random block: expected gain {g.mean():+.4f} (mean of {n}; within the bound "
          f"{eff.mean():+.4f}); seeded draw (seed {o.seed}) {rnd['block']}: {rnd['gain']:+.4f}")
    ok = [x for x in rows if x["ok"]]
    if ok:
        ch = min(ok, key=lambda x: (-x["corrupt"], -x["clean"], x["cand"]))
        print(f"every block (the job's choice by the selection rule): {ch['block']} "
              f"(rank {ch['rank']}), gain {ch['gain']:+.4f} (clean {ch['dclean']:+.4f})"
              + ("" if ch["block"] == d["chosen"] else f"; the file says {d['chosen'] or 'none'}"))
    else:
        print("every block: no block qualifies; the job kept the original model")


if __name__ == "__main__":
    main()
