#!/usr/bin/python3
"""localization_sensitivity.py --gains LABEL=ALL.h5 [--gains ...] SCORES.h5 ...
- is the score/gain correlation of "does localization matter?" a property of
one localization setting? The per-block repair gains come from every-block
repair jobs (--gains; as for tools/localization_gain.py: no repair.blocks,
top_k = the block count, rungs = 1); a candidate's result does not depend on
the ranking (its seed is a key of job seed, block and variant), so only the
block SCORES change with the localize.* settings. Each SCORES.h5 is the
result of any repair job of the same model and data (e.g. top_k = 1, one
search epoch) with a different [localize] table: its /repair/blocks/scores
are ranked against every --gains file's gains. Prints per scores file the
localize.* settings that differ from the defaults (read from the job text),
the block ranked first and whether it qualifies under max_clean_drop in each
--gains file, the full ranking, Spearman rho(score, depth) (the graph's
block order) and rho(score, corrupted gain)
(ties: average ranks) with an exact two-sided permutation p-value (n! <=
--perms, else seeded permutations). A block with several candidates is
represented by the one the selection rule picks. Run with /usr/bin/python3
(h5py, numpy). docs/repair.md "Sensitivity to the localization settings"."""
import argparse
import os
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from localization_gain import Bad, perm_test, text  # noqa: E402  (same folder)

DEFAULTS = {"formula": "ochiai", "aggregate": "max", "gradient_scale": "weight",
            "gradient_norm": "layer_mean", "threshold": "passing_mean", "adversarial": "fgsm",
            "source": "all", "count": "1000", "eps": "8.0", "top_k": "10"}


def spearman_p(x, y, perms, seed):
    """rho and its two-sided permutation p-value (localization_gain.perm_test)."""
    rho, _, two, _, _ = perm_test(x, y, perms, seed)
    return rho, two


def localize_settings(job):
    """The [localize] keys of a job's TOML text (a flat table; strings unquoted)."""
    out, on = {}, False
    for line in job.splitlines():
        s = line.split("#", 1)[0].strip()
        if s.startswith("["):
            on = s == "[localize]"
        elif on and "=" in s:
            k, v = (t.strip() for t in s.split("=", 1))
            out[k] = v.strip('"')
    return out


def open_repair(path):
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise Bad(f"{path}: cannot open as HDF5 ({e})")
    if "repair" not in f or "blocks" not in f["repair"] or "scores" not in f["repair/blocks"]:
        f.close()
        raise Bad(f"{path}: no /repair/blocks/scores (not the result of a repair job)")
    return f


def load_gains(path):
    """block name -> (corrupted gain, clean change, qualifies) of an every-block job."""
    with open_repair(path) as f:
        a = f["/repair"].attrs
        names = [text(x) for x in f["/repair/blocks/names"][()]]
        c = f["/repair/candidates"]
        cb = [text(x) for x in c["block"][()]]
        cs = [text(x) for x in c["status"][()]]
        vc = np.asarray(c["val_clean"][()], dtype=float)
        vk = np.asarray(c["val_corrupt"][()], dtype=float)
        c0, k0, mcd = float(a["val_clean_before"]), float(a["val_corrupt_before"]), float(a["max_clean_drop"])
    missing = [b for b in names if b not in cb]
    if missing or "pruned" in cs:
        raise Bad(f"{path}: not an every-block run (blocks without a candidate: "
                  f"{', '.join(missing) or 'none'}; pruned candidates: {cs.count('pruned')})")
    lo = c0 - mcd - 1e-9
    g = {}
    for b in names:
        i = min((i for i, x in enumerate(cb) if x == b),
                key=lambda i: (not vc[i] >= lo, -vk[i], -vc[i], i))
        g[b] = (vk[i] - k0, vc[i] - c0, bool(vc[i] >= lo))
    return g, (c0, k0)


def load_scores(path):
    with open_repair(path) as f:
        a = f["/repair"].attrs
        names = [text(x) for x in f["/repair/blocks/names"][()]]
        sc = np.asarray(f["/repair/blocks/scores"][()], dtype=float)
        job = text(a["job"]) if "job" in a else ""
        v0 = (float(a["val_clean_before"]), float(a["val_corrupt_before"])) \
            if "val_clean_before" in a else None
    if len(names) != len(sc) or len(names) < 2:
        raise Bad(f"{path}: {len(names)} block names and {len(sc)} scores")
    loc = localize_settings(job)
    diff = [f"{k} {v}" for k, v in loc.items() if DEFAULTS.get(k) != v]
    return names, sc, ", ".join(diff) or "default", v0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("scores", nargs="+", help="repair results whose block scores are ranked")
    ap.add_argument("--gains", action="append", required=True, metavar="LABEL=FILE",
                    help="an every-block repair result giving each block's gain (repeatable)")
    ap.add_argument("--perms", type=int, default=400000)
    ap.add_argument("--seed", type=int, default=1)
    o = ap.parse_args()
    try:
        gains = []
        for s in o.gains:
            label, _, path = s.rpartition("=")
            g, v0 = load_gains(path)
            gains.append((label or path, g, v0))
        for path in o.scores:
            names, sc, setting, v0 = load_scores(path)
            for label, g, gv0 in gains:
                if set(names) != set(g):
                    raise Bad(f"{path}: blocks {sorted(names)} differ from {label}'s {sorted(g)}")
                if v0 is not None and any(abs(x - y) > 1e-9 for x, y in zip(v0, gv0)):
                    print(f"warning: {path}: the original's validation accuracies {v0} differ "
                          f"from {label}'s {gv0}: not the same data?")
            order = sorted(range(len(names)), key=lambda i: (-sc[i], i))
            top = names[order[0]]
            print(f"{path}: localize {setting}")
            print("  ranking: " + ", ".join(f"{names[i]} {sc[i]:.4g}" for i in order))
            rho, p = spearman_p(sc, np.arange(len(names)), o.perms, o.seed)
            print(f"  rho(score, depth = graph position) {rho:+.3f} (two-sided p {p:.3f})")
            for label, g, _ in gains:
                y = np.array([g[b][0] for b in names])
                rho, p = spearman_p(sc, y, o.perms, o.seed)
                place = 1 + sum(1 for b in names if g[b][0] > g[top][0])
                print(f"  {label}: top {top} gain {g[top][0]:+.4f} clean {g[top][1]:+.4f} "
                      f"{'ok' if g[top][2] else 'NOT ok'} (place {place} of {len(names)} by gain); "
                      f"rho(score, corrupted gain) {rho:+.3f} (two-sided p {p:.3f})")
    except Bad as e:
        sys.exit(f"localization_sensitivity: {e}")


if __name__ == "__main__":
    main()
