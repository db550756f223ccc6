#!/usr/bin/python3
"""check_localize.py - checks for run_mpi_localize.sh.

  damage IN.h5 OUT.h5 BN_NODE_NAME FACTOR CHANNEL
      copies a model file, multiplying the BN weight of one channel
  same EXPECTED_BLOCK A.h5 B.h5 ...
      every file's /localization is bit-identical (names, scores, rankings,
      per-neuron arrays, counts) and ranks EXPECTED_BLOCK first; beside each
      job output (not the in-process file) its JSON summary A.json says the
      same (kind, options, counts, sets, rankings and scores)
"""
import json
import os
import shutil
import sys

import h5py
import numpy as np

ARRAYS = ["block_names", "block_scores", "block_ranking", "layer_names", "layer_scores",
          "layer_offsets", "neurons/act_fail", "neurons/act_pass", "neurons/grad",
          "neurons/threshold", "neurons/spectrum", "neurons/suspiciousness"]


def damage(src, dst, name, factor, channel):
    shutil.copyfile(src, dst)
    with h5py.File(dst, "r+") as f:
        for k in f["graph"]:
            g = f["graph"][k]
            n = g.attrs["name"]
            n = n.decode() if isinstance(n, bytes) else str(n)
            if n == name:
                w = g["weight"][...]
                w[channel] *= factor
                g["weight"][...] = w
                return
    sys.exit("no node " + name)


def check_json(path, loc):
    """The job's JSON summary beside path agrees with its /localization."""
    with open(os.path.splitext(path)[0] + ".json") as f:
        j = json.load(f)
    for k in ("job", "model", "version", "ranks", "wall_seconds", "options", "sets"):
        if k not in j:
            sys.exit(f"FAIL: {path}: JSON lacks '{k}'")
    if j["kind"] != "localize" or j["options"]["formula"] != "ochiai" or j["options"]["adversarial"] != "pgd":
        sys.exit(f"FAIL: {path}: JSON kind/options {j['kind']} {j['options']}")
    ex = j["examples"]
    if [ex["failing"] + ex["adversarial"], ex["passing"], ex["adversarial"]] != \
            [int(loc.attrs[a]) for a in ("n_fail", "n_pass", "n_adv")]:
        sys.exit(f"FAIL: {path}: JSON examples {ex}")
    if [s["name"] for s in j["sets"]] != ["clean", "gaussian_noise/2"] or \
            any(s["count"] != 200 for s in j["sets"]) or j["sets"][1]["severity"] != 2:
        sys.exit(f"FAIL: {path}: JSON sets {j['sets']}")
    names = [n.decode() if isinstance(n, bytes) else str(n) for n in loc["block_names"][...]]
    ranked = [n.decode() if isinstance(n, bytes) else str(n) for n in loc["block_ranking"][...]]
    scores = dict(zip(names, loc["block_scores"][...]))
    if [b["name"] for b in j["blocks"]] != ranked or j["top_block"] != ranked[0] or \
            [b["rank"] for b in j["blocks"]] != list(range(1, len(ranked) + 1)):
        sys.exit(f"FAIL: {path}: JSON block ranking {j['blocks']}")
    if any(b["score"] != scores[b["name"]] for b in j["blocks"]):
        sys.exit(f"FAIL: {path}: JSON block scores differ from /localization")
    if len(j["layers"]) != len(loc["layer_names"]) or \
            sum(l["neurons"] for l in j["layers"]) != loc["layer_offsets"][-1]:
        sys.exit(f"FAIL: {path}: JSON layers")
    if sorted(l["score"] for l in j["layers"]) != sorted(loc["layer_scores"][...].tolist()):
        sys.exit(f"FAIL: {path}: JSON layer scores differ from /localization")


def same(expected, files):
    ref = None
    for path in files:
        with h5py.File(path, "r") as f:
            loc = f["localization"]
            cur = {k: loc[k][...] for k in ARRAYS}
            cur["attrs"] = [int(loc.attrs[a]) for a in ("n_fail", "n_pass", "n_adv")]
            chosen = loc.attrs["chosen"]
            chosen = chosen.decode() if isinstance(chosen, bytes) else str(chosen)
            if os.path.exists(os.path.splitext(path)[0] + ".json"):
                check_json(path, loc)
        if chosen != expected:
            sys.exit(f"FAIL: {path} chose {chosen}, expected {expected}")
        if ref is None:
            ref = cur
            continue
        for k in ARRAYS:
            a, b = ref[k], cur[k]
            if a.shape != b.shape or not (a == b).all():
                sys.exit(f"FAIL: {path}: /localization/{k} differs from {files[0]}")
        if ref["attrs"] != cur["attrs"]:
            sys.exit(f"FAIL: {path}: counts {cur['attrs']} vs {ref['attrs']}")
    print(f"{len(files)} files identical; {expected} first; counts (fail, pass, adv) {ref['attrs']}; JSON agrees")


if __name__ == "__main__":
    if sys.argv[1] == "damage":
        damage(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]), int(sys.argv[6]))
    elif sys.argv[1] == "same":
        same(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(__doc__)
