#!/usr/bin/python3
"""check_localization_sensitivity.py TOOL GAIN_TOOL ALL.h5 MODEL.h5 TMP -
tools/localization_sensitivity.py on an every-block result: ranked against
its own gains it gives the rho of tools/localization_gain.py and the
top-scored block; with the scores negated (a copy) rho changes sign and the
lowest-scored block comes first; a one-line error (exit != 0) for a scores
file that is no repair result and a gains file that is not an every-block run."""
import re
import shutil
import subprocess
import sys

import h5py
import numpy as np

tool, gain_tool, res, model, tmp = sys.argv[1:6]


def run(*args):
    p = subprocess.run(["/usr/bin/python3", *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


rc, out, err = run(gain_tool, res)
assert rc == 0, (rc, out, err)
want = float(re.search(r"rho\(score, corrupted gain\) = (\S+)", out).group(1))
with h5py.File(res, "r") as f:
    names = [x.decode() for x in f["/repair/blocks/names"][()]]
    scores = np.asarray(f["/repair/blocks/scores"][()], dtype=float)
rc, out, err = run(tool, "--gains", f"g={res}", res)
assert rc == 0, (rc, out, err)
print(out)
m = re.search(r"g: top (\S+) .*rho\(score, corrupted gain\) (\S+) \(two-sided p (\S+)\)", out)
assert m, out
assert m.group(1) == names[int(np.argmax(scores))], (m.group(1), names, scores)
assert abs(float(m.group(2)) - want) < 1e-3, (m.group(2), want)
assert 0 < float(m.group(3)) <= 1, m.group(3)
assert "localize default" in out, out
neg = f"{tmp}/negated.h5"
shutil.copy(res, neg)
with h5py.File(neg, "r+") as f:
    f["/repair/blocks/scores"][...] = -scores
rc, out, err = run(tool, "--gains", f"g={res}", neg)
assert rc == 0, (rc, out, err)
m = re.search(r"g: top (\S+) .*rho\(score, corrupted gain\) (\S+)", out)
assert m.group(1) == names[int(np.argmin(scores))], out
assert abs(float(m.group(2)) + want) < 1e-3, (m.group(2), want)
rc, out, err = run(tool, "--gains", f"g={res}", model)
assert rc != 0 and "localization_sensitivity:" in err and len(err.strip().splitlines()) == 1, (rc, err)
part = f"{tmp}/part.h5"
shutil.copy(res, part)
with h5py.File(part, "r+") as f:
    s = f["/repair/candidates/status"][()].copy()
    s[0] = b"pruned"
    del f["/repair/candidates/status"]
    f["/repair/candidates/status"] = s
rc, out, err = run(tool, "--gains", f"g={part}", res)
assert rc != 0 and "not an every-block run" in err, (rc, err)
print("localization_sensitivity: ok")
