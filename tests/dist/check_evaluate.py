#!/usr/bin/env python3
"""check_evaluate.py - helpers for the evaluate-job integration test.

  check_evaluate.py make DATA.h5 MODEL.h5
      writes 1000 16x16 RGB images (a random colour per image plus noise) and
      labels them with MODEL's own predictions, computed here with numpy from
      the model file (conv1x1 -> relu -> global_avgpool -> linear), so the
      model's clean accuracy must come out exactly 1.
  check_evaluate.py check LIMIT OUT.h5 [OUT2.h5 ...]
      every output's /evaluation is identical to the first's; the clean set
      scores 1.0 on LIMIT images; corruptions change some predictions; the
      JSON summary agrees with the HDF5 numbers.
"""
import json
import sys

import h5py
import numpy as np


def predict(model, images):
    with h5py.File(model, "r") as f:
        mean = f.attrs["mean"].astype(np.float64)
        std = f.attrs["std"].astype(np.float64)
        w1 = f["graph/0000/weight"][()][:, :, 0, 0].astype(np.float64)
        b1 = f["graph/0000/bias"][()].astype(np.float64)
        w2 = f["graph/0003/weight"][()].astype(np.float64)
        b2 = f["graph/0003/bias"][()].astype(np.float64)
    x = (images.astype(np.float64) / 255.0 - mean) / std          # N,H,W,C
    h = np.maximum(np.einsum("nhwc,oc->nhwo", x, w1) + b1, 0.0)   # conv1x1 + relu
    logits = h.mean(axis=(1, 2)) @ w2.T + b2
    top2 = np.sort(logits, axis=1)[:, -2:]
    return logits.argmax(axis=1), float((top2[:, 1] - top2[:, 0]).min())


def make(data, model):
    rng = np.random.default_rng(99)
    n = 1000
    base = rng.integers(0, 256, size=(n, 1, 1, 3))
    noise = rng.integers(-40, 41, size=(n, 16, 16, 3))
    images = np.clip(base + noise, 0, 255).astype(np.uint8)
    labels, margin = predict(model, images)
    with h5py.File(data, "w") as f:
        f["images"] = images
        f["labels"] = labels.astype(np.int64)
        f.attrs["name"] = "probe16"
    classes = len(np.unique(labels))
    print(f"made {n} images, {classes} classes predicted, smallest top-2 margin {margin:.2e}")
    if classes < 3:
        sys.exit("the probe model predicts too few classes for a meaningful test")


def load(path):
    with h5py.File(path, "r") as f:
        return {k: f["evaluation"][k][()] for k in ("set_names", "acc", "count", "correct", "confusion")}


def check(limit, outs):
    ref = load(outs[0])
    for o in outs[1:]:
        got = load(o)
        for k in ref:
            if not np.array_equal(ref[k], got[k]):
                sys.exit(f"{o}: /evaluation/{k} differs from {outs[0]}:\n{got[k]}\nvs\n{ref[k]}")
    names = [n.decode() if isinstance(n, bytes) else n for n in ref["set_names"]]
    if names[0] != "clean" or ref["acc"][0] != 1.0 or ref["correct"][0] != limit:
        sys.exit(f"clean accuracy {ref['acc'][0]} ({ref['correct'][0]}/{limit}), expected exactly 1")
    if not (ref["count"] == limit).all():
        sys.exit(f"counts {ref['count']} != {limit}")
    if not (ref["confusion"].sum(axis=(1, 2)) == limit).all():
        sys.exit("confusion matrices do not sum to the image count")
    if not (ref["acc"][1:] < 1.0).any():
        sys.exit("no corruption changed any prediction")
    js = json.load(open(outs[0][:-3] + ".json"))
    accs = [s["acc"] for s in js["sets"]]
    if [s["name"] for s in js["sets"]] != names or not np.allclose(accs, ref["acc"], rtol=0, atol=1e-15):
        sys.exit("JSON summary disagrees with /evaluation")
    # per-corruption and per-severity means (the table's last column and row)
    groups, sevs = {}, {}
    for s, a in zip(js["sets"][1:], accs[1:]):
        groups.setdefault(s["name"].rsplit("/", 1)[0], []).append(a)
        sevs.setdefault(s["severity"], []).append(a)
    got_g = [(c["name"], c["mean_acc"]) for c in js["corruptions"]]
    want_g = [(g, float(np.mean(v))) for g, v in groups.items()]
    if [g for g, _ in got_g] != [g for g, _ in want_g] or \
            not np.allclose([a for _, a in got_g], [a for _, a in want_g], rtol=0, atol=1e-12):
        sys.exit(f"JSON per-corruption means {got_g} != {want_g}")
    got_s = [(c["severity"], c["mean_acc"]) for c in js["severities"]]
    want_s = [(k, float(np.mean(sevs[k]))) for k in sorted(sevs)]
    if [k for k, _ in got_s] != [k for k, _ in want_s] or \
            not np.allclose([a for _, a in got_s], [a for _, a in want_s], rtol=0, atol=1e-12):
        sys.exit(f"JSON per-severity means {got_s} != {want_s}")
    rel = np.mean(ref["acc"][1:]) / ref["acc"][0]
    if abs(js["relative_robustness"] - rel) > 1e-12:
        sys.exit(f"relative robustness {js['relative_robustness']} != {rel}")
    print(f"ok: {len(outs)} outputs identical; clean 1.0; corrupted mean {np.mean(ref['acc'][1:]):.4f}")


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2], sys.argv[3])
    else:
        check(int(sys.argv[2]), sys.argv[3:])
