#!/usr/bin/python3
"""check_torch_result.py TOOLS MODEL.h5 DATA.h5 LOGITS.h5 [OPS] - MODEL loaded with
TOOLS/torch_import.py gives, on DATA's /images, the logits `archrepair
predict` wrote to LOGITS (max |diff| <= 1e-4 x max(1, |logit|)) and the same
predictions; MODEL holds a repaired cell (nodes named "<block>.cell.*"); a
result file's /repair group is ignored by the import. OPS: a comma list of
ops the cell must contain."""
import sys

import h5py
import numpy as np
import torch

sys.path.insert(0, sys.argv[1])
from torch_import import load, normalize  # noqa: E402


def main():
    model, data, logits = sys.argv[2:5]
    net = load(model).eval()
    cell_ops = sorted({op for op, name, _, _ in net.nodes if ".cell." in name})
    assert cell_ops, "%s: no repaired cell" % model
    if len(sys.argv) > 5:
        missing = set(sys.argv[5].split(",")) - set(cell_ops)
        assert not missing, "%s: the cell lacks ops %s" % (model, sorted(missing))
    with h5py.File(data, "r") as f:
        images = f["images"][:]
    with h5py.File(logits, "r") as f:
        ref = f["logits"][:]
    with torch.no_grad():
        out = net(normalize(net, images)).numpy()
    assert out.shape == ref.shape, (out.shape, ref.shape)
    tol = 1e-4 * max(1.0, float(np.abs(ref).max()))
    diff = float(np.abs(out - ref).max())
    # argmax may differ only where the top two logits are within tol
    top2 = np.sort(ref, 1)[:, -2:]
    clear = (top2[:, 1] - top2[:, 0]) > 2 * tol
    same = (out.argmax(1) == ref.argmax(1))
    print("%s: %d images, %d classes, cell ops %s: max |torch - archrepair| %.3g (tol %.3g), "
          "same prediction %d/%d" % (model, out.shape[0], out.shape[1], ",".join(cell_ops), diff, tol,
                                     int(same.sum()), len(same)))
    assert diff <= tol, "logits differ by %g" % diff
    assert same[clear].all(), "predictions differ on %d images" % int((~same[clear]).sum())
    with h5py.File(model, "r") as f:
        print("  /repair present:", "repair" in f)


main()
