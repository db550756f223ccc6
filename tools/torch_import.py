#!/usr/bin/python3
"""torch_import.py - a model file (a repair result too) back into PyTorch.

Guide: docs/pytorch.md.

Weights for your own class (a model exported with tools/torch_export.py
--module, unrepaired or repaired without changing its architecture):
    /usr/bin/python3 tools/torch_import.py RESULT.h5 --module net.py:ResNet20 \\
        [--kwargs JSON] --out weights.pth
  writes a state_dict keyed by your module's own names (the file records each
  node's module path), for `model.load_state_dict(torch.load("weights.pth"))`
  (strict); checked: your class with these weights must give the file's
  logits. When the repair changed the architecture (a searched cell replaced
  a block: nodes that no module of yours holds), it writes a runnable module
  instead: weights.py (a standalone nn.Module class, RepairedNet) and
  weights.pth (its state_dict; the layers you had keep your names, the cell's
  are under "<block>.cell.*"). Without --module, or with --generic, always
  the latter.
Inspect or evaluate a file:
    /usr/bin/python3 tools/torch_import.py MODEL.h5 [--check DATA.h5]
From Python:
    from torch_import import load
    net = load("m.h5")            # nn.Module; net(x) gives logits [N, classes]
    net.nodes                     # [(op, name, block, inputs)] as in the file
    net.mean, net.std             # input normalisation from the file

Parameters become the modules' parameters / buffers (trainable in PyTorch).
To bring a model fine-tuned in PyTorch back, export its class again with
tools/torch_export.py --module; torch_export.export(net, path, shape) also
takes a module returned by load or generated here, with the same numbers
but without block names. Run with /usr/bin/python3.
"""
import argparse
import inspect
import os
import sys

import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class ImportFailure(Exception):
    pass


def _s(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def _ints(a, k):
    v = np.asarray(a.attrs[k]).reshape(-1)
    return [int(x) for x in v]


# ---- modules for the ops PyTorch has no single layer for (copied verbatim into
# ---- generated files: keep them self-contained) -------------------------------

class Zero(nn.Module):
    """The search space's `none`: zeros of the strided input's shape."""

    def __init__(self, stride):
        super().__init__()
        self.stride = tuple(stride)

    def forward(self, x):
        return x[:, :, ::self.stride[0], ::self.stride[1]].mul(0.0)


class Add(nn.Module):
    def forward(self, *xs):
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out


class Cat(nn.Module):
    def forward(self, *xs):
        return torch.cat(xs, 1)


class Mix(nn.Module):
    """The relaxed search's mix: sum_k softmax(alpha)_k * x_k."""

    def __init__(self, alpha):
        super().__init__()
        self.alpha = nn.Parameter(torch.as_tensor(alpha, dtype=torch.float32).clone())

    def forward(self, *xs):
        w = torch.softmax(self.alpha, 0)
        out = w[0] * xs[0]
        for k in range(1, len(xs)):
            out = out + w[k] * xs[k]
        return out


class Shift(nn.Module):
    """y[n, c, h, w] = x[n, c, h + dy, w + dx], zero outside."""

    def __init__(self, offset):
        super().__init__()
        self.dy, self.dx = offset

    def forward(self, x):
        H, W = x.shape[2], x.shape[3]
        p = max(abs(self.dy), abs(self.dx))
        xp = F.pad(x, (p, p, p, p))
        return xp[:, :, p + self.dy:p + self.dy + H, p + self.dx:p + self.dx + W]


class Clamp(nn.Module):
    """clamp: min(max(x, lo), hi) with hardtanh's gradient (ReLU6 = Clamp(0, 6))."""

    def __init__(self, lo, hi):
        super().__init__()
        self.lo, self.hi = float(lo), float(hi)

    def forward(self, x):
        return F.hardtanh(x, self.lo, self.hi)

    def extra_repr(self):
        return "min=%g, max=%g" % (self.lo, self.hi)


class Pad(nn.Module):
    """pad: zeros around x, pads = (c0, c1, h0, h1, w0, w1)."""

    def __init__(self, pads):
        super().__init__()
        self.pads = tuple(int(p) for p in pads)

    def forward(self, x):
        c0, c1, h0, h1, w0, w1 = self.pads
        return F.pad(x, (w0, w1, h0, h1, c0, c1))

    def extra_repr(self):
        return "pads=%s" % (self.pads,)


class GlobalAvgPool(nn.Module):
    def forward(self, x):
        return x.mean((2, 3))


class FlatLinear(nn.Linear):
    """nn.Linear on the input flattened from dim 1 (the model file's linear)."""

    def forward(self, x):
        return super().forward(torch.flatten(x, 1))


def make(op, a):
    """The module for op with constructor arguments a (make_args), weights not set."""
    if op == "conv2d":
        return nn.Conv2d(a["in"], a["out"], a["kernel"], a["stride"], a["padding"],
                         a["dilation"], a["groups"], bias=a["bias"])
    if op == "batchnorm2d":
        return nn.BatchNorm2d(a["channels"], eps=a["eps"], momentum=a["momentum"],
                              affine=a["affine"])
    if op == "linear":
        return FlatLinear(a["in"], a["out"], bias=a["bias"])
    if op == "relu":
        return nn.ReLU()
    if op == "maxpool2d":
        return nn.MaxPool2d(a["kernel"], a["stride"], a["padding"])
    if op == "avgpool2d":
        return nn.AvgPool2d(a["kernel"], a["stride"], a["padding"],
                            count_include_pad=a["count_include_pad"])
    if op == "global_avgpool":
        return GlobalAvgPool()
    if op == "add":
        return Add()
    if op == "concat":
        return Cat()
    if op == "identity":
        return nn.Identity()
    if op == "zero":
        return Zero(a["stride"])
    if op == "mix":
        return Mix(torch.zeros(a["n"]))
    if op == "shift":
        return Shift(a["offset"])
    if op == "clamp":
        return nn.ReLU6() if (a["min"], a["max"]) == (0.0, 6.0) else Clamp(a["min"], a["max"])
    if op == "silu":
        return nn.SiLU()
    if op == "hardswish":
        return nn.Hardswish()
    if op == "pad":
        return Pad(a["pads"])
    raise ValueError("unknown op '%s'" % op)


# ---- reading model files -------------------------------------------------------------

def make_args(op, g):
    """Constructor arguments of node group g's module (plain Python values)."""
    def shape(k):
        if k not in g:
            raise KeyError("dataset '%s' missing" % k)
        return tuple(int(d) for d in g[k].shape)

    def f(k):
        return float(np.asarray(g.attrs[k]).reshape(-1)[0])

    if op == "conv2d":
        groups = _ints(g, "groups")[0]
        return dict(**{"in": shape("weight")[1] * groups}, out=_ints(g, "out_channels")[0],
                    kernel=_ints(g, "kernel"), stride=_ints(g, "stride"),
                    padding=_ints(g, "padding"), dilation=_ints(g, "dilation"), groups=groups,
                    bias="bias" in g)
    if op == "batchnorm2d":
        return dict(channels=shape("running_mean")[0], eps=f("eps"), momentum=f("momentum"),
                    affine="weight" in g)
    if op == "linear":
        w = shape("weight")
        return dict(**{"in": w[1]}, out=w[0], bias="bias" in g)
    if op == "maxpool2d":
        return dict(kernel=_ints(g, "kernel"), stride=_ints(g, "stride"),
                    padding=_ints(g, "padding"))
    if op == "avgpool2d":
        return dict(kernel=_ints(g, "kernel"), stride=_ints(g, "stride"),
                    padding=_ints(g, "padding"),
                    count_include_pad=bool(_ints(g, "count_include_pad")[0]))
    if op == "zero":
        return dict(stride=_ints(g, "stride"))
    if op == "mix":
        return dict(n=shape("alpha")[0])
    if op == "shift":
        return dict(offset=_ints(g, "offset"))
    if op == "clamp":
        return {"min": f("min"), "max": f("max")}
    if op == "pad":
        return dict(pads=_ints(g, "pads"))
    if op in ("relu", "global_avgpool", "add", "concat", "identity", "silu", "hardswish"):
        return {}
    raise ValueError("unknown op '%s'" % op)


class ModelFile:
    """A model file read whole: nodes (op, name, block, inputs, module, args,
    params {dataset: float32 array}) and the root attributes."""

    def __init__(self, path):
        self.path = path
        with h5py.File(path, "r") as f:
            if _s(f.attrs.get("format", "")) != "archrepair-model":
                raise ValueError("%s: not an archrepair model" % path)
            self.arch = _s(f.attrs["arch"])
            self.input_shape = [int(x) for x in np.asarray(f.attrs["input_shape"]).reshape(-1)]
            self.num_classes = int(np.asarray(f.attrs["num_classes"]).reshape(-1)[0])
            self.mean = np.asarray(f.attrs["mean"], np.float32).reshape(-1)
            self.std = np.asarray(f.attrs["std"], np.float32).reshape(-1)
            self.nodes = []
            for k in sorted(f["graph"].keys(), key=int):
                g = f["graph"][k]
                op, name = _s(g.attrs["op"]), _s(g.attrs["name"])
                try:
                    args = make_args(op, g)
                except (KeyError, ValueError) as e:
                    raise ValueError("%s: node %s '%s': %s" % (path, k, name, e))
                params = {d: np.asarray(g[d], np.float32) for d in g.keys()
                          if d != "num_batches_tracked"}
                self.nodes.append(dict(op=op, name=name, block=_s(g.attrs["block"]),
                                       inputs=_ints(g, "inputs"),
                                       module=_s(g.attrs["module"]) if "module" in g.attrs else "",
                                       args=args, params=params))


def _set_params(m, params):
    for k, v in params.items():
        t = getattr(m, k)
        if tuple(t.shape) != v.shape:
            raise ValueError("dataset '%s' has shape %s, the module %s" % (k, v.shape,
                                                                        tuple(t.shape)))
        with torch.no_grad():
            t.copy_(torch.from_numpy(v))


class ArchNet(nn.Module):
    """Runs the nodes in file order; modules live in self.mods[i]."""

    def __init__(self, nodes, mods, mean, std, arch, input_shape, num_classes):
        super().__init__()
        self.nodes = nodes
        self.mods = nn.ModuleList(mods)
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32))
        self.arch, self.input_shape, self.num_classes = arch, input_shape, num_classes

    def forward(self, x, return_all=False):
        outs = []
        for (op, name, block, inputs), m in zip(self.nodes, self.mods):
            args = [x if i < 0 else outs[i] for i in inputs]
            outs.append(m(*args))
        return outs if return_all else outs[-1]


def load(path, mf=None):
    """The file as an ArchNet (one module per node, in self.mods)."""
    mf = mf or ModelFile(path)
    mods = []
    for i, nd in enumerate(mf.nodes):
        try:
            m = make(nd["op"], nd["args"])
            _set_params(m, nd["params"])
        except (AttributeError, ValueError) as e:
            raise ValueError("%s: node %04d '%s': %s" % (path, i, nd["name"], e))
        mods.append(m)
    return ArchNet([(nd["op"], nd["name"], nd["block"], nd["inputs"]) for nd in mf.nodes], mods,
                   mf.mean, mf.std, mf.arch, mf.input_shape, mf.num_classes)


def normalize(net, images_nhwc_u8):
    x = torch.tensor(np.asarray(images_nhwc_u8), dtype=torch.float32).permute(0, 3, 1, 2) / 255.0
    return (x - net.mean.view(1, -1, 1, 1)) / net.std.view(1, -1, 1, 1)


def compare(a, b, input_shape, n=4, seed=0):
    """max |a(x) - b(x)| / max(1, |b(x)|) on a random batch, both in eval mode."""
    x = torch.randn(n, *input_shape, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        ya, yb = a.eval()(x), b.eval()(x)
    if ya.shape != yb.shape:
        return float("inf")
    return float((ya - yb).abs().max()) / max(1.0, float(yb.abs().max()))


# ---- weights for the user's own class -----------------------------------------------------

def user_state_dict(mf, model):
    """(state_dict, kept, n): the file's n parameter tensors under model's own
    keys, every other entry of model.state_dict() kept as it is (kept: their
    keys, num_batches_tracked aside). Raises ImportFailure naming what does
    not fit."""
    own = model.state_dict()
    got, src = {}, {}
    for nd in mf.nodes:
        for k, v in nd["params"].items():
            key = nd["module"] + "." + k
            if key not in own:
                raise ImportFailure("node '%s': %s has no entry '%s' (is --module / --kwargs "
                                   "the class this model was exported from?)"
                                   % (nd["name"], type(model).__name__, key))
            if tuple(own[key].shape) != v.shape:
                raise ImportFailure("node '%s': '%s' is %s in the file, %s in %s"
                                   % (nd["name"], key, list(v.shape), list(own[key].shape),
                                      type(model).__name__))
            if key in got and not np.array_equal(got[key], v):
                raise ImportFailure("'%s' is held by nodes '%s' and '%s' with different values "
                                   "(a module called twice, its copies trained apart); use "
                                   "--generic" % (key, src[key], nd["name"]))
            got[key], src[key] = v, nd["name"]
    sd = type(own)()
    kept = []
    for k, t in own.items():
        if k in got:
            sd[k] = torch.from_numpy(got[k]).to(t.dtype).reshape(t.shape).clone()
        else:
            sd[k] = t.clone()
            if not k.endswith("num_batches_tracked"):
                kept.append(k)
    return sd, kept, len(got)


def _changed(mf):
    """Names of nodes with parameters that no module of the user's holds."""
    return [nd["name"] for nd in mf.nodes if nd["params"] and not nd["module"]]


# ---- a generated module for a changed architecture --------------------------------------

_GEN_CLASSES = (Zero, Add, Cat, Mix, Shift, Clamp, Pad, GlobalAvgPool, FlatLinear)


def _paths(mf):
    """state_dict prefix of each node holding parameters: its module path where
    it has one not taken yet, else its node name."""
    taken, out = set(), []
    for nd in mf.nodes:
        p = ""
        if nd["params"]:
            p = nd["module"] if nd["module"] and nd["module"] not in taken else nd["name"]
            if p in taken:
                raise ImportFailure("node '%s': state_dict prefix '%s' used twice" % (nd["name"], p))
            taken.add(p)
        out.append(p)
    for p in taken:  # a leaf path may not also be a container of another
        for q in taken:
            if q.startswith(p + "."):
                raise ImportFailure("state_dict prefixes '%s' and '%s' collide" % (p, q))
    return out


def _lit(v):
    """v as a Python literal (inf and nan spelt so that they evaluate)."""
    if isinstance(v, float) and not np.isfinite(v):
        return 'float("%s")' % v
    if isinstance(v, dict):
        return "{%s}" % ", ".join("%r: %s" % (k, _lit(x)) for k, x in v.items())
    if isinstance(v, (list, tuple)):
        return ("[%s]" if isinstance(v, list) else "(%s,)") % ", ".join(_lit(x) for x in v)
    return repr(v)


def generic_source(mf, cls="RepairedNet", py="weights.py", pth="weights.pth"):
    """Python source of a standalone module class running mf's graph."""
    paths = _paths(mf)
    rows = ",\n".join("    (%r, %r, %r, %s, %r, %s)" % (nd["op"], nd["name"], nd["block"],
                                                        _lit(nd["inputs"]), p, _lit(nd["args"]))
                      for nd, p in zip(mf.nodes, paths))
    helpers = "\n\n".join(inspect.getsource(c) for c in _GEN_CLASSES)
    return '''"""%(cls)s: the network of %(src)s (%(arch)s, %(n)d nodes), generated by
archrepair's tools/torch_import.py. Standalone: needs only torch.

    import torch
    from %(mod)s import %(cls)s, MEAN, STD
    net = %(cls)s()
    net.load_state_dict(torch.load("%(pth)s"))
    net.eval()   # input [N, %(c)d, %(h)d, %(w)d]: (pixel / 255 - MEAN[c]) / STD[c]

Layers your own module had keep their state_dict names; the nodes a repair
made (a searched cell) are named "<block>.cell.*". NODES lists the graph:
(op, node name, block, inputs (-1: the input), state_dict prefix, arguments).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN = %(mean)r
STD = %(std)r
INPUT_SHAPE = %(shape)r

NODES = [
%(rows)s,
]


%(helpers)s


%(make)s

def _put(root, path, m):
    parts = path.split(".")
    for p in parts[:-1]:
        if p not in root._modules:
            root.add_module(p, nn.Module())
        root = root._modules[p]
    root.add_module(parts[-1], m)


class %(cls)s(nn.Module):
    def __init__(self):
        super().__init__()
        self._steps = []
        for op, name, block, inputs, path, args in NODES:
            m = make(op, args)
            if path:
                _put(self, path, m)
            self._steps.append((m, inputs))

    def forward(self, x):
        outs = []
        for m, inputs in self._steps:
            outs.append(m(*[x if i < 0 else outs[i] for i in inputs]))
        return outs[-1]
''' % dict(cls=cls, src=os.path.basename(mf.path), arch=mf.arch, n=len(mf.nodes),
           mod=os.path.splitext(os.path.basename(py))[0],
           pth=os.path.basename(pth), c=mf.input_shape[0], h=mf.input_shape[1],
           w=mf.input_shape[2], mean=[float(v) for v in mf.mean],
           std=[float(v) for v in mf.std], shape=tuple(mf.input_shape), rows=rows,
           helpers=helpers, make=inspect.getsource(make))


def load_generated(py):
    import importlib.util
    name = "_gen_" + os.path.splitext(os.path.basename(py))[0]
    sp = importlib.util.spec_from_file_location(name, py)
    mod = importlib.util.module_from_spec(sp)
    sp.loader.exec_module(mod)
    return mod


def write_generic(mf, out_pth, py=None, cls="RepairedNet"):
    """Writes py (default: out_pth with .py) and out_pth (its state_dict);
    returns (py, module instance, max relative difference to the file)."""
    py = py or os.path.splitext(out_pth)[0] + ".py"
    src = generic_source(mf, cls, py, out_pth)
    tmp = py + ".tmp.%d" % os.getpid()
    with open(tmp, "w") as f:
        f.write(src)
    os.replace(tmp, py)
    net = getattr(load_generated(py), cls)()
    paths = _paths(mf)
    sd = net.state_dict()
    for nd, p in zip(mf.nodes, paths):
        for k, v in nd["params"].items():
            sd[p + "." + k] = torch.from_numpy(v).clone()
    net.load_state_dict(sd, strict=True)
    err = compare(net, load(mf.path, mf), mf.input_shape)
    torch.save(net.state_dict(), out_pth)
    return py, net, err


def _save(sd, path):
    tmp = path + ".tmp.%d" % os.getpid()
    torch.save(sd, tmp)
    os.replace(tmp, path)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="See docs/pytorch.md.")
    ap.add_argument("model")
    ap.add_argument("--check", help="dataset HDF5 (/images NHWC uint8, /labels): prints accuracy")
    ap.add_argument("--module", help="FILE.py:CLASS the model was exported from")
    ap.add_argument("--kwargs", help="JSON object of CLASS's constructor arguments")
    ap.add_argument("--out", help="state_dict to write (.pth); a generated module goes beside "
                    "it as .py")
    ap.add_argument("--generic", action="store_true",
                    help="write the generated module even when your class fits")
    ap.add_argument("--py", help="where to write the generated module (default: OUT as .py)")
    a = ap.parse_args(argv)
    if a.out:
        mf = ModelFile(a.model)
        changed = _changed(mf)
        if a.module and not a.generic and not changed:
            sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
            import torch_export
            try:
                model = torch_export.build_module(a.module, a.kwargs)
            except torch_export.ExportError as e:
                raise ImportFailure(str(e))
            sd, kept, nfile = user_state_dict(mf, model)
            model.load_state_dict(sd, strict=True)
            err = compare(model, load(a.model, mf), mf.input_shape)
            if not err <= 1e-4:
                raise ImportFailure("%s with the file's weights does not compute what the file "
                                   "computes (relative logit difference %.3g); --generic writes "
                                   "a module that does" % (a.module, err))
            _save(sd, a.out)
            print("%s: state_dict of %s (%d entries from the file; check: relative logit "
                  "difference %.2g)" % (a.out, a.module, nfile, err))
            if kept:
                print("  kept at the module's own values (not in the file): %s" % ", ".join(kept))
            return
        if a.module and changed and not a.generic:
            print("the architecture changed (%d nodes with parameters no module of yours "
                  "holds, e.g. '%s'): writing a generated module" % (len(changed), changed[0]))
        py, net, err = write_generic(mf, a.out, a.py)
        if not err <= 1e-4:
            raise ImportFailure("the generated module differs from the file (relative logit "
                               "difference %.3g)" % err)
        print("%s + %s: RepairedNet, %d parameter values (check: relative logit difference "
              "%.2g)" % (py, a.out, sum(p.numel() for p in net.parameters()), err))
        return
    net = load(a.model).eval()
    print("%s: %s, %d nodes, %d parameters" % (a.model, net.arch, len(net.nodes),
                                               sum(p.numel() for p in net.parameters())))
    with torch.no_grad():
        if a.check:
            with h5py.File(a.check, "r") as f:
                x = normalize(net, f["images"][:])
                y = np.asarray(f["labels"][:])
            pred = net(x).argmax(1).numpy()
            print("accuracy %.4f on %d images" % ((pred == y).mean(), len(y)))
        else:
            torch.manual_seed(0)
            print(net(torch.randn(2, *net.input_shape)))


if __name__ == "__main__":
    try:
        main()
    except (ImportFailure, ValueError, OSError, KeyError) as e:
        sys.exit("torch_import: %s" % e)
