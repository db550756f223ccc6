#!/usr/bin/env python3
"""check_stats.py - helpers for the stats-job integration test.

  check_stats.py make DATA.h5            write a small random HDF5 dataset
  check_stats.py check DATA.h5 LIMIT OUT.h5 [OUT2.h5 ...]
      every output's /stats datasets are identical to the first's, and the
      clean set's numbers equal numpy's exact answer (count, pixel sums,
      label histogram, FNV-1a checksum as documented in jobs/stats/stats_job.h);
      each output's JSON summary (OUT.json) holds the same numbers.
"""
import json
import os
import sys

import h5py
import numpy as np

FNV_BASIS = 14695981039346656037
FNV_PRIME = 1099511628211
MASK = (1 << 64) - 1


def fnv(h, data):
    for b in data:
        h = ((h ^ b) * FNV_PRIME) & MASK
    return h


def make(path):
    rng = np.random.default_rng(1234)
    images = rng.integers(0, 256, size=(1000, 16, 16, 3), dtype=np.uint8)
    labels = rng.integers(0, 10, size=1000).astype(np.int64)
    labels[:10] = np.arange(10)  # every class present
    with h5py.File(path, "w") as f:
        f["images"] = images
        f["labels"] = labels
        f.attrs["name"] = "random16"


def expected(data, limit, shard):
    with h5py.File(data, "r") as f:
        x = f["images"][:limit]
        y = f["labels"][:limit].astype(np.int32)
    set_hash = FNV_BASIS
    for a in range(0, len(x), shard):
        sh = FNV_BASIS
        for i in range(a, min(a + shard, len(x))):
            h = fnv(fnv(FNV_BASIS, x[i].tobytes()), y[i].tobytes())
            sh = fnv(sh, h.to_bytes(8, "little"))
        set_hash = fnv(set_hash, sh.to_bytes(8, "little"))
    xi = x.astype(np.int64)
    return dict(count=len(x), pixel_sum=int(xi.sum()), pixel_sq=int((xi * xi).sum()),
                hist=np.bincount(y, minlength=10), checksum=set_hash)


def check_json(out, ref, names):
    """OUT.json agrees with OUT.h5's /stats (read into ref)."""
    with open(os.path.splitext(out)[0] + ".json") as f:
        j = json.load(f)
    for k in ("job", "model", "version", "ranks", "wall_seconds"):
        if k not in j:
            sys.exit(f"{out}: JSON lacks '{k}'")
    if j["kind"] != "stats" or [s["name"] for s in j["sets"]] != names:
        sys.exit(f"{out}: JSON kind {j['kind']}, sets {[s['name'] for s in j['sets']]}")
    for i, s in enumerate(j["sets"]):
        npx = s["count"] * 16 * 16 * 3
        want = dict(count=int(ref["count"][i]), pixel_sum=int(ref["pixel_sum"][i]),
                    pixel_sq=int(ref["pixel_sq"][i]), checksum="%016x" % (int(ref["checksum"][i]) & MASK),
                    class_counts=[int(c) for c in ref["hist"][i][:10]])
        for k, v in want.items():
            if s[k] != v:
                sys.exit(f"{out}: JSON set {s['name']} {k} = {s[k]}, /stats says {v}")
        if abs(s["pixel_mean"] - want["pixel_sum"] / npx) > 1e-9:
            sys.exit(f"{out}: JSON set {s['name']} pixel_mean {s['pixel_mean']}")
        if (s["corruption"], s["severity"]) != ((("", 0) if i == 0 else tuple(s["name"].rsplit("/", 1)[0:1]) + (int(s["name"].rsplit("/", 1)[1]),))):
            sys.exit(f"{out}: JSON set {s['name']}: corruption {s['corruption']} severity {s['severity']}")


def check(data, limit, shard, outs):
    ref = {}
    with h5py.File(outs[0], "r") as f:
        for k in f["stats"]:
            ref[k] = f["stats"][k][()]
    for o in outs[1:]:
        with h5py.File(o, "r") as f:
            for k, v in ref.items():
                got = f["stats"][k][()]
                if not np.array_equal(got, v):
                    sys.exit(f"{o}: /stats/{k} differs from {outs[0]}")
    names = [n.decode() if isinstance(n, bytes) else n for n in ref["set_names"]]
    if names[0] != "clean" or len(names) < 2:
        sys.exit(f"unexpected set names {names}")
    e = expected(data, limit, shard)
    got = dict(count=int(ref["count"][0]), pixel_sum=int(ref["pixel_sum"][0]),
               pixel_sq=int(ref["pixel_sq"][0]), hist=ref["hist"][0][:10],
               checksum=int(ref["checksum"][0]) & MASK)
    for k in e:
        if not np.array_equal(np.asarray(got[k]), np.asarray(e[k])):
            sys.exit(f"clean {k}: got {got[k]}, numpy says {e[k]}")
    for o in outs:
        check_json(o, ref, names)
    for i, n in enumerate(names):
        if int(ref["count"][i]) != limit:
            sys.exit(f"set {n}: count {ref['count'][i]} != {limit}")
    print(f"ok: {len(outs)} outputs identical, {len(names)} sets, clean set exact, JSON agrees")


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        check(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:])
