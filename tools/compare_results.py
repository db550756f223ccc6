#!/usr/bin/python3
"""compare_results.py A.h5 B.h5 - whether two result (or model) files hold
the same numbers: every dataset of A must exist in B with identical values
(bit for bit), and every attribute too, except the ones that record how a
job ran rather than what it computed (wall_seconds, started, finished,
version, ranks; the candidates' and probes' cost_cpu_s). Datasets that only B has are
listed (new outputs), not counted as differences.
Exit status 0 when nothing differs. Run with /usr/bin/python3."""
import sys

import h5py
import numpy as np

SKIP_ATTRS = {"wall_seconds", "started", "finished", "version", "ranks"}
SKIP_DATASETS = {"repair/candidates/cost_cpu_s", "repair/blocks/probe_cost_cpu_s"}


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
    diffs, count = [], [0]

    def attrs(name, x, y):
        for k, v in x.attrs.items():
            if k in SKIP_ATTRS:
                continue
            if k not in y.attrs or not np.array_equal(np.asarray(v), np.asarray(y.attrs[k])):
                diffs.append("attribute %s@%s" % (name or "/", k))

    def visit(name, obj):
        if name not in b:
            diffs.append("missing in B: " + name)
            return
        attrs(name, obj, b[name])
        if isinstance(obj, h5py.Dataset) and name not in SKIP_DATASETS:
            count[0] += 1
            if not np.array_equal(obj[()], b[name][()]):
                diffs.append("dataset " + name)

    attrs("", a, b)
    a.visititems(visit)
    new = []
    b.visititems(lambda n, o: new.append(n) if n not in a and isinstance(o, h5py.Dataset) else None)
    for d in diffs:
        print("differs:", d)
    print("%d datasets compared, %d differences; only in B: %s" % (count[0], len(diffs), ", ".join(new) or "-"))
    sys.exit(1 if diffs else 0)


main()
