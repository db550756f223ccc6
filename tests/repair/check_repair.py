#!/usr/bin/python3
"""check_repair.py A.h5 B.h5 ... - repair results of the same job at different
rank counts: identical candidates (val_acc, status, genotype, seeds), chosen
block, genotype, metrics, per-epoch history and repaired weights; a valid
result layout; the held-out flags (a corrupted set whose corruption the
repair pool never saw) and the JSON summary beside the result."""
import json
import sys

import h5py
import numpy as np


def load(path):
    f = h5py.File(path, "r")
    r = {"attrs": dict(f["/repair"].attrs), "chosen": f["/repair/blocks"].attrs["chosen"],
         "geno": f["/repair/genotype"].attrs["text"]}
    for k in ("set_names", "acc_before", "acc_after", "count", "held_out"):
        r["m_" + k] = f["/repair/metrics/" + k][()]
    for k in ("block", "variant", "seed", "val_acc", "val_clean", "val_corrupt", "status", "rung",
              "genotype", "method", "interp", "cost_passes"):
        r["c_" + k] = f["/repair/candidates/" + k][()]
    r["blocks"] = f["/repair/blocks/names"][()]
    pp = f["/repair/blocks"].get("probe_cost_passes")  # repair.ranking = "probe" only
    r["probe_passes"] = pp[()] if pp is not None else np.zeros((0, 2), dtype=np.int64)
    for k in ("candidate", "rung", "phase", "epoch", "train_loss", "val_acc", "alpha_entropy"):
        r["h_" + k] = f["/repair/history/" + k][()]
    w = {}
    f["/graph"].visititems(lambda n, o: w.__setitem__(n, o[()]) if isinstance(o, h5py.Dataset) else None)
    r["weights"] = w
    r["json"] = json.load(open(path[:-3] + ".json" if path.endswith(".h5") else path + ".json"))
    assert f.attrs["format"] in ("archrepair-model", b"archrepair-model")
    ops = {f["/graph"][g].attrs["op"] for g in f["/graph"]}
    assert "mix" not in ops and b"mix" not in ops, "the result holds mix nodes"
    return r


def main():
    args = sys.argv[1:]
    # --parts-vary: the runs trained candidates with different numbers of
    # workers (data-parallel): their cost (work done, which includes each
    # worker's own prefix cache) may differ, nothing else may
    vary = "--parts-vary" in args
    args = [x for x in args if x != "--parts-vary"]
    rs = [load(p) for p in args]
    a = rs[0]
    st = [s.decode() if isinstance(s, bytes) else s for s in a["c_status"]]
    assert st.count("chosen") == 1, st
    meth = a["attrs"]["method"]
    meth = meth.decode() if isinstance(meth, bytes) else meth
    assert meth in str(a["attrs"]["methods"]), (meth, a["attrs"]["methods"])
    for k in ("started", "finished", "wall_seconds", "job", "version", "ranks"):
        assert k in a["attrs"], k
    # the selection rule: the chosen candidate is within the clean-drop bound
    # and has the best corrupted validation accuracy of those that are
    at = a["attrs"]
    assert at["outcome"] in ("repaired", b"repaired"), at["outcome"]
    c0, md = at["val_clean_before"], at["max_clean_drop"]
    ch = st.index("chosen")
    ok = [i for i, s in enumerate(st) if s != "pruned" and a["c_val_clean"][i] >= c0 - md - 1e-9]
    assert ch in ok, (ch, a["c_val_clean"], c0, md)
    assert a["c_val_corrupt"][ch] == max(a["c_val_corrupt"][i] for i in ok)
    assert len(a["m_set_names"]) >= 2 and (a["m_count"] > 0).all()
    assert len(a["h_epoch"]) > 0 and np.isfinite(a["h_train_loss"]).all()
    # cost: every candidate went forward; the trained ones backward too
    cp = a["c_cost_passes"]
    assert cp.shape == (len(st), 2) and (cp[:, 0] > 0).all(), cp
    assert all(cp[i, 1] > 0 for i, mth in enumerate(a["c_method"]) if mth not in (b"bn-adapt", "bn-adapt")), cp
    # the JSON total: the candidates and the block probes (repair.ranking = "probe")
    pp = a["probe_passes"]
    ranking = at.get("ranking", b"")
    assert (len(pp) > 0) == (ranking in ("probe", b"probe")), (ranking, pp.shape)
    assert a["json"]["cost"]["passes_fwd"] == cp[:, 0].sum() + pp[:, 0].sum() and a["json"]["cost"]["cpu_s"] >= 0
    assert a["json"]["ranking"] in ("probe", "localization", "graph-order"), a["json"]["ranking"]
    # held-out: corrupted sets whose corruption is not in the pool
    j = a["json"]
    pool = set(j["pool_corruptions"].split(",")) - {""}
    names = [n.decode() if isinstance(n, bytes) else n for n in a["m_set_names"]]
    assert a["m_held_out"].dtype == np.int8, a["m_held_out"].dtype
    want = [0 if i == 0 else int(s["corruption"] not in pool) for i, s in enumerate(j["sets"])]
    assert list(a["m_held_out"]) == want, (list(a["m_held_out"]), want, pool)
    assert [s["name"] for s in j["sets"]] == names
    assert [s["held_out"] for s in j["sets"]] == want
    for g, flag in (("in_pool", 0), ("held_out", 1)):
        idx = [i for i in range(1, len(want)) if want[i] == flag]
        assert j["summary"][g]["sets"] == len(idx), (g, j["summary"][g])
        if idx:
            assert abs(j["summary"][g]["after"] - np.mean(a["m_acc_after"][idx])) < 1e-12
            assert abs(j["summary"][g]["before"] - np.mean(a["m_acc_before"][idx])) < 1e-12
    oc = at["outcome"]
    assert j["outcome"] == (oc.decode() if isinstance(oc, bytes) else oc), (j["outcome"], oc)
    geno = a["geno"].decode() if isinstance(a["geno"], bytes) else a["geno"]
    assert ("out = proj" in geno) == (meth == "archrepair"), (meth, geno)
    for b, p in zip(rs[1:], args[1:]):
        assert b["chosen"] == a["chosen"], (p, b["chosen"], a["chosen"])
        assert b["geno"] == a["geno"], p
        for k in a:
            if (k[:2] in ("m_", "c_", "h_") or k == "blocks") and not (vary and k == "c_cost_passes"):
                assert np.array_equal(a[k], b[k]), (p, k, a[k], b[k])
        assert a["weights"].keys() == b["weights"].keys(), p
        for n in a["weights"]:
            assert np.array_equal(a["weights"][n], b["weights"][n]), (p, n)
    print("candidates:", list(zip([x.decode() for x in a["c_block"]], [x.decode() for x in a["c_variant"]],
                                  a["c_val_acc"].round(4), a["c_val_clean"].round(4),
                                  a["c_val_corrupt"].round(4), st)))
    print("original validation: clean %.4f corrupted %.4f" % (a["attrs"]["val_clean_before"],
                                                             a["attrs"]["val_corrupt_before"]))
    print("chosen:", a["chosen"], "metrics:", list(zip(a["m_set_names"], a["m_acc_before"].round(4),
                                                        a["m_acc_after"].round(4))))


main()
