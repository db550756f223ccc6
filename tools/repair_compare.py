#!/usr/bin/python3
"""repair_compare.py RESULT.h5 ... - one table of accuracies from repair
results of the same job run with different repair.method values (same data,
seed and budget): a row per set, the original model's accuracy, then each
method's; the mean over corrupted sets, the selection metrics on the
validation images (clean, corrupted; the original's in the original column),
the outcome (repaired / kept_original), the chosen candidate's alpha
entropy at its last search epoch and the wall time last. Run with
/usr/bin/python3."""
import sys

import h5py
import numpy as np


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cols, names, before, v0 = [], None, None, None
    for p in sys.argv[1:]:
        with h5py.File(p, "r") as f:
            m = f["/repair/metrics"]
            sn = [s.decode() if isinstance(s, bytes) else s for s in m["set_names"][()]]
            if names is None:
                names, before = sn, m["acc_before"][()]
            elif sn != names or not np.array_equal(before, m["acc_before"][()]):
                sys.exit(f"{p}: other sets or another original model than {sys.argv[1]}")
            a = f["/repair"].attrs
            meth = a["method"].decode() if isinstance(a["method"], bytes) else a["method"]
            ch = f["/repair/blocks"].attrs["chosen"]
            ch = ch.decode() if isinstance(ch, bytes) else ch
            ex = {"outcome": a["outcome"].decode() if isinstance(a["outcome"], bytes) else a["outcome"]}
            c = f["/repair/candidates"]
            st = [x.decode() if isinstance(x, bytes) else x for x in c["status"][()]]
            if "chosen" in st:
                i = st.index("chosen")
                ex["val clean"], ex["val corrupted"] = c["val_clean"][i], c["val_corrupt"][i]
                h = f["/repair/history"]
                ph = [x.decode() if isinstance(x, bytes) else x for x in h["phase"][()]]
                rows = [k for k in range(len(ph)) if h["candidate"][k] == i and ph[k] == "search"]
                if rows:
                    last = max(rows, key=lambda k: (h["rung"][k], h["epoch"][k]))
                    ex["alpha entropy"] = h["alpha_entropy"][last]
            v0 = (float(a["val_clean_before"]), float(a["val_corrupt_before"]))
            cols.append((f"{meth}({ch})" if ch else meth, m["acc_after"][()],
                         float(a["wall_seconds"]), ex))
    w = max(len(n) for n in names + ["mean corrupted"]) + 2
    print("set".ljust(w) + "original".rjust(10) + "".join(c[0].rjust(max(15, len(c[0]) + 2)) for c in cols))
    rows = list(zip(names, range(len(names))))
    for n, i in rows:
        print(n.ljust(w) + f"{before[i]:10.4f}" +
              "".join(f"{c[1][i]:{max(15, len(c[0]) + 2)}.4f}" for c in cols))
    cor = [i for n, i in rows if n != "clean"]
    if cor:
        print("mean corrupted".ljust(w) + f"{before[cor].mean():10.4f}" +
              "".join(f"{c[1][cor].mean():{max(15, len(c[0]) + 2)}.4f}" for c in cols))
    for k in ("val clean", "val corrupted", "alpha entropy"):
        orig = {"val clean": f"{v0[0]:10.4f}", "val corrupted": f"{v0[1]:10.4f}"}.get(k, " " * 10)
        print(k.ljust(w) + orig + "".join(
            (f"{c[3][k]:{max(15, len(c[0]) + 2)}.4f}" if k in c[3] else "-".rjust(max(15, len(c[0]) + 2)))
            for c in cols))
    print("outcome".ljust(w) + " " * 10 + "".join(c[3]["outcome"].rjust(max(15, len(c[0]) + 2)) for c in cols))
    print("wall seconds".ljust(w) + " " * 10 + "".join(f"{c[2]:{max(15, len(c[0]) + 2)}.1f}" for c in cols))


main()
