#!/usr/bin/python3
"""torch_case.py - the PyTorch side of run_torch_models.sh (one model class of
tests/torch/models through export, archrepair and import).

  make SPEC KWARGS DIR       builds SPEC (FILE.py:CLASS) with KWARGS (JSON),
                             gives it trained-ish weights (below), writes
                             DIR/w.pth (state_dict), DIR/data.h5 (64 random
                             images (images()), labels) and DIR/ref.npy (its
                             logits)
  data N SEED OUT.h5         N images (images()), labels i % 10
  compare LOGITS.h5 REF.npy  archrepair's logits against PyTorch's
  load SPEC KWARGS PTH DATA REF
                             a fresh SPEC, load_state_dict(PTH, strict=True),
                             its logits on DATA against REF (.npy or .h5)
  generated PY PTH DATA REF  the same for the generated RepairedNet of PY
  differ A.pth B.pth         the two state_dicts differ (training changed them)

Trained-ish: the class's own initialisation, BN affine weights drawn from
[0.5, 1.5] and biases from [-0.2, 0.2], linear biases from [-0.1, 0.1], then
BN running statistics measured on 256 such images in train mode
(cumulative averages) and moved off them (mean + N(0, 0.05), var x [0.8,
1.25]), so that eval-mode BN is neither the identity nor the batch's. Logit
tolerance: max |diff| <= 1e-4 x max(1, max |logit|), the same predictions
where the top two logits are further apart than twice that."""
import importlib.util
import json
import os
import sys

import h5py
import numpy as np
import torch
import torch.nn as nn

MEAN = [0.4914, 0.4822, 0.4465]
STD = [0.2470, 0.2435, 0.2616]
TOL = 1e-4


def build(spec, kwargs):
    path, cls = spec.rsplit(":", 1)
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    name = "_case_" + os.path.splitext(os.path.basename(path))[0]
    sp = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(sp)
    sp.loader.exec_module(mod)
    return getattr(mod, cls)(**json.loads(kwargs))


def normalize(images):
    x = torch.tensor(images, dtype=torch.float32).permute(0, 3, 1, 2).contiguous() / 255.0
    return (x - torch.tensor(MEAN).view(1, -1, 1, 1)) / torch.tensor(STD).view(1, -1, 1, 1)


def logits(model, data):
    with h5py.File(data, "r") as f:
        x = normalize(f["images"][:])
    with torch.no_grad():
        return model.eval()(x).numpy()


def images(n, gen):
    """n 32x32x3 uint8 images that differ more than white noise does: a random
    4x4 colour pattern blown up 8x, a random contrast, and pixel noise."""
    coarse = torch.rand(n, 3, 4, 4, generator=gen)
    x = torch.nn.functional.interpolate(coarse, scale_factor=8, mode="bilinear",
                                        align_corners=False)
    x = (x - 0.5) * (torch.rand(n, 1, 1, 1, generator=gen) * 1.5 + 0.5) + 0.5
    x = x + 0.1 * torch.randn(n, 3, 32, 32, generator=gen)
    return (x.clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()


def trained_ish(model, gen):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
                m.bias.copy_(torch.rand(m.num_features, generator=gen) * 0.4 - 0.2)
                m.reset_running_stats()
                m.momentum = None  # cumulative average over the calibration batches
            elif isinstance(m, nn.Linear) and m.bias is not None:
                m.bias.copy_(torch.rand(m.out_features, generator=gen) * 0.2 - 0.1)
        model.train()
        for _ in range(4):
            model(normalize(images(64, gen)))
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.momentum = 0.1
                m.running_mean.add_(torch.randn(m.num_features, generator=gen) * 0.05)
                m.running_var.mul_(torch.rand(m.num_features, generator=gen) * 0.45 + 0.8)
    return model.eval()


def check(out, ref, what, distinct=True):
    out, ref = np.asarray(out, np.float64), np.asarray(ref, np.float64)
    assert out.shape == ref.shape, "%s: shapes %s vs %s" % (what, out.shape, ref.shape)
    tol = TOL * max(1.0, float(np.abs(ref).max()))
    diff = float(np.abs(out - ref).max())
    top2 = np.sort(ref, 1)[:, -2:]
    clear = (top2[:, 1] - top2[:, 0]) > 2 * tol
    same = out.argmax(1) == ref.argmax(1)
    print("%s: %d images x %d classes (%d predicted), max |logit| %.3g, max |diff| %.3g "
          "(relative %.3g, tol %.3g), same prediction %d/%d" % (
              what, out.shape[0], out.shape[1], len(set(ref.argmax(1))),
                                            float(np.abs(ref).max()), diff,
                                            diff / max(1.0, float(np.abs(ref).max())), tol,
                                            int(same.sum()), len(same)))
    assert diff <= tol, "%s: logits differ by %g (tolerance %g)" % (what, diff, tol)
    assert same[clear].all(), "%s: predictions differ on %d images" % (what, int((~same[clear]).sum()))
    if distinct:  # the images must not all give (nearly) the same logits
        spread = float((ref.max(0) - ref.min(0)).max())
        assert spread > 0.05, "%s: degenerate reference (logits vary by %g)" % (what, spread)


def read_ref(path):
    if path.endswith(".npy"):
        return np.load(path)
    with h5py.File(path, "r") as f:
        return f["logits"][:]


def main():
    torch.set_num_threads(1)
    cmd, a = sys.argv[1], sys.argv[2:]
    if cmd == "make":
        spec, kwargs, out = a
        gen = torch.Generator().manual_seed(7)
        torch.manual_seed(7)
        model = trained_ish(build(spec, kwargs), gen)
        torch.save(model.state_dict(), os.path.join(out, "w.pth"))
        with h5py.File(os.path.join(out, "data.h5"), "w") as f:
            f["images"] = images(64, gen)
            f["labels"] = (np.arange(64) % 10).astype(np.int32)
        ref = logits(model, os.path.join(out, "data.h5"))
        np.save(os.path.join(out, "ref.npy"), ref)
        print("%s: %d parameters, logits in [%.3g, %.3g]" % (
            spec, sum(p.numel() for p in model.parameters()), ref.min(), ref.max()))
    elif cmd == "data":
        n, seed, out = int(a[0]), int(a[1]), a[2]
        with h5py.File(out, "w") as f:
            f["images"] = images(n, torch.Generator().manual_seed(seed))
            f["labels"] = (np.arange(n) % 10).astype(np.int32)
    elif cmd == "compare":
        check(read_ref(a[0]), read_ref(a[1]), "archrepair vs PyTorch")
    elif cmd == "load":
        spec, kwargs, pth, data, ref = a
        model = build(spec, kwargs)
        model.load_state_dict(torch.load(pth), strict=True)
        check(logits(model, data), read_ref(ref), "%s + %s (strict load)"
              % (spec.rsplit(":", 1)[1], os.path.basename(pth)))
    elif cmd == "generated":
        py, pth, data, ref = a
        sp = importlib.util.spec_from_file_location("_gen", py)
        mod = importlib.util.module_from_spec(sp)
        sp.loader.exec_module(mod)
        net = mod.RepairedNet()
        net.load_state_dict(torch.load(pth), strict=True)
        assert list(mod.MEAN) == [float(np.float32(v)) for v in MEAN], mod.MEAN
        check(logits(net, data), read_ref(ref), "generated %s (strict load)" % os.path.basename(py),
              distinct=False)  # the cell's weights are random
        cell = [k for k in net.state_dict() if ".cell." in k]
        assert cell, "no repaired cell in the generated module"
    elif cmd == "differ":
        x, y = torch.load(a[0]), torch.load(a[1])
        assert x.keys() == y.keys(), "different keys"
        d = max(float((x[k].double() - y[k].double()).abs().max()) for k in x)
        print("largest change of a state_dict entry: %.3g" % d)
        assert d > 1e-4, "training changed nothing"
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
