#!/usr/bin/python3
"""check_localization_gain.py TOOL ALL.h5 MODEL.h5 TMP - the every-block
report of tools/localization_gain.py: one row per block of the ranking,
ranks 1..n in descending score, the gain = candidate minus original on the
validation images, Spearman rho in [-1, 1] and p-values in (0, 1]; and a
one-line error (exit != 0) for a model without /repair, a run that misses
blocks and one with pruned candidates."""
import re
import shutil
import subprocess
import sys

import h5py
import numpy as np

tool, res, model, tmp = sys.argv[1:5]


def run(path):
    p = subprocess.run(["/usr/bin/python3", tool, path], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


rc, out, err = run(res)
assert rc == 0, (rc, out, err)
print(out)
with h5py.File(res, "r") as f:
    names = [x.decode() for x in f["/repair/blocks/names"][()]]
    scores = f["/repair/blocks/scores"][()]
    cb = [x.decode() for x in f["/repair/candidates/block"][()]]
    vk = f["/repair/candidates/val_corrupt"][()]
    k0 = f["/repair"].attrs["val_corrupt_before"]
assert len(names) == 9 and sorted(cb) == sorted(names), (names, cb)
rows = re.findall(r"^\s+(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(yes|no)", out, re.M)
assert len(rows) == len(names), rows
assert [int(r[0]) for r in rows] == list(range(1, 10)), rows
sc = [scores[names.index(r[1])] for r in rows]
assert all(a >= b for a, b in zip(sc, sc[1:])), ("not in descending score order", sc)
for r in rows:
    want = vk[cb.index(r[1])] - k0
    assert abs(float(r[5]) - want) < 1e-4, (r, want)
rho = re.findall(r"Spearman rho\(score, corrupted gain\) = (\S+)\s+n = 9 blocks; permutation p "
                 r"\(rho >= observed\) = (\S+), two-sided (\S+)", out)
assert len(rho) == 1, out
v, p1, p2 = map(float, rho[0])
assert -1 <= v <= 1 and 0 < p1 <= 1 and 0 < p2 <= 1, rho
for k in ("top-ranked block", "best block", "random block: expected gain", "every block"):
    assert k in out, k
assert "the file says" not in out, "the every-block choice differs from the job's"

# not results of an every-block repair job: one line on stderr, exit != 0
shutil.copy(res, f"{tmp}/missing.h5")
with h5py.File(f"{tmp}/missing.h5", "r+") as f:
    c = f["/repair/candidates/block"]
    b = c[()]
    b[b == b[0]] = b[1]  # the first candidate's block now appears twice, its own never
    c[...] = b
shutil.copy(res, f"{tmp}/pruned.h5")
with h5py.File(f"{tmp}/pruned.h5", "r+") as f:
    s = f["/repair/candidates/status"]
    t = s[()]
    t[-1] = b"pruned"
    s[...] = t
for path, want in ((model, "no /repair group"), (f"{tmp}/missing.h5", "not an every-block run: no candidate"),
                   (f"{tmp}/pruned.h5", "pruned by successive halving"),
                   (f"{tmp}/absent.h5", "cannot open")):
    rc, out, err = run(path)
    lines = err.strip().splitlines()
    assert rc != 0 and len(lines) == 1 and want in lines[0] and path in lines[0], (path, rc, err)
print("check_localization_gain: ok")
