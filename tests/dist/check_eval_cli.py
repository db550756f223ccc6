#!/usr/bin/env python3
"""check_eval_cli.py LIMIT CLI.txt OUT.h5 [OUT2.h5 ...] - for run_mpi_eval_cli.sh.

Every output's /evaluation is identical to the first's (names, counts,
correct counts, accuracies, confusion matrices); the sets are exactly those
of CLI.txt ("<label> <correct> <count>" per line, from `archrepair eval`), in
the same order, and each set's correct and image counts equal the CLI's; the
clean accuracy is neither trivial (1.0) nor chance; the confusion matrices
agree with the correct counts (trace) and the image counts (sum).
"""
import sys

import h5py
import numpy as np


def load(path):
    with h5py.File(path, "r") as f:
        e = f["evaluation"]
        d = {k: e[k][()] for k in ("set_names", "acc", "count", "correct", "confusion")}
    d["set_names"] = [n.decode() if isinstance(n, bytes) else str(n) for n in d["set_names"]]
    return d


def main(limit, cli_txt, outs):
    ref = load(outs[0])
    for o in outs[1:]:
        got = load(o)
        for k in ref:
            same = ref[k] == got[k] if k == "set_names" else np.array_equal(ref[k], got[k])
            if not same:
                sys.exit(f"{o}: /evaluation/{k} differs from {outs[0]}:\n{got[k]}\nvs\n{ref[k]}")
    cli = [line.split() for line in open(cli_txt) if line.strip()]
    names = ref["set_names"]
    if [c[0] for c in cli] != names:
        sys.exit(f"job sets {names} != archrepair eval sets {[c[0] for c in cli]}")
    for i, (label, correct, count) in enumerate(cli):
        jc, jn = int(ref["correct"][i]), int(ref["count"][i])
        if (jc, jn) != (int(correct), int(count)):
            sys.exit(f"set {label}: evaluate job {jc}/{jn} correct, archrepair eval {correct}/{count}")
        if jn != limit:
            sys.exit(f"set {label}: {jn} images, expected {limit}")
        conf = ref["confusion"][i]
        if int(np.trace(conf)) != jc or int(conf.sum()) != jn:
            sys.exit(f"set {label}: confusion matrix (trace {np.trace(conf)}, sum {conf.sum()}) "
                     f"disagrees with {jc}/{jn}")
        if abs(ref["acc"][i] - jc / jn) > 1e-12:
            sys.exit(f"set {label}: acc {ref['acc'][i]} != {jc}/{jn}")
    clean = ref["acc"][0]
    if not 0.3 < clean < 0.99:
        sys.exit(f"clean accuracy {clean}: expected a trained, imperfect model")
    if len(set(int(c) for c in ref["correct"])) < 3:
        sys.exit("the corruptions hardly change the correct counts; the test would not discriminate")
    print(f"ok: {len(outs)} outputs identical and equal to archrepair eval on {len(names)} sets; "
          f"clean {clean:.4f}, correct counts {[int(c) for c in ref['correct']]}")


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], sys.argv[3:])
