#!/usr/bin/python3
"""torch_export.py - your torch.nn.Module and its weights -> a model file.

The file is an archrepair model (layout: docs/formats.md "Model files");
guide, what is supported and what is not: docs/pytorch.md.

Your own model class, with trained weights:
    /usr/bin/python3 tools/torch_export.py --module net.py:ResNet20 \\
        [--kwargs '{"num_classes": 10}'] --state-dict weights.pth \\
        --input 3,32,32 --mean 0.4914,0.4822,0.4465 --std 0.247,0.243,0.261 \\
        --out model.h5 [--blocks BasicBlock,MyBlock] [--arch NAME]
A zoo model (tools/torch_models.py, PyTorch default init):
    /usr/bin/python3 tools/torch_export.py resnet20 out.h5 [--width W] [--seed S]
From Python:
    from torch_export import export
    export(model, "m.h5", input_shape=(3, 32, 32), mean=[...], std=[...])

How: the module runs once in eval mode on a random batch while every torch
function it calls and every module it enters is recorded (a concrete trace:
Python control flow and shape arithmetic such as `x.size(3)` just run). A
built-in layer (Conv2d, BatchNorm2d, Linear, activations, pools, ...) is one
node named by its module path, with `module` recording that path so its
state_dict keys are known later (tools/torch_import.py); a function call
(`F.relu`, `+`, `torch.cat`, `F.pad`, slicing) is a node named
"<enclosing module path>.<op>" ("layer1.0.add"; "_1", "_2" for repeats);
views, flattens and dropout (identity at inference) become no node at all.
Anything else - an unsupported layer or function, a parameter used outside
a supported layer, a constant tensor - is an error naming the op and the
module it was called in. The exported file is then run by
tools/torch_import.py and must give the module's logits (1e-4 relative),
else nothing is written. `block` is the path of the innermost enclosing
module whose class is a block (default: classes named *Block or
*Bottleneck, DenseLayer, InvertedResidual; --blocks to name yours).
Run with /usr/bin/python3 (Debian python3-torch, h5py, numpy).
"""
import argparse
import importlib.util
import json
import math
import os
import sys

import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode


class ExportError(Exception):
    pass


TRACE_BATCH = 3  # the traced batch: a size no code is likely to hard-wire

SUPPORTED = ("layers: Conv2d, BatchNorm2d, Linear, ReLU, ReLU6, Hardtanh, SiLU, Hardswish, "
             "MaxPool2d, AvgPool2d, AdaptiveAvgPool2d(1), AdaptiveMaxPool2d(1), Identity, "
             "Flatten, Dropout*; functions: + / add, torch.cat(dim=1), relu, relu6, hardtanh, "
             "clamp, silu, hardswish, max_pool2d, avg_pool2d, adaptive_avg_pool2d(1), "
             "mean((2, 3)), F.pad (zeros; negative pads crop), slices x[:, a:b, c:d:s, e:f:t], "
             "zeros_like, view / reshape / "
             "flatten to [N, features], dropout (training=self.training)")


def _pair(v):
    return [int(v), int(v)] if isinstance(v, int) else [int(v[0]), int(v[1])]


def _fn_names():
    """id(function) -> "F.relu" / "torch.add" / "Tensor.view" (first owner wins)."""
    names = {}
    for owner, on in ((F, "F"), (torch, "torch"), (torch.Tensor, "Tensor"),
                      (torch._C._nn, "F"), (torch._C._VariableFunctions, "torch")):
        for n in dir(owner):
            if n.startswith("__") and owner is not torch.Tensor:
                continue
            try:
                f = getattr(owner, n)
            except Exception:  # noqa: BLE001 - some attributes raise on access
                continue
            if callable(f):
                names.setdefault(id(f), "%s.%s" % (on, n))
    return names


_FN_NAMES = None


def _fn_name(func):
    global _FN_NAMES
    if _FN_NAMES is None:
        _FN_NAMES = _fn_names()
    n = _FN_NAMES.get(id(func))
    if n:
        return n
    return getattr(func, "__qualname__", None) or getattr(func, "__name__", None) or repr(func)


def _bind(args, kwargs, names, defaults):
    """Positional + keyword arguments -> dict over names (missing: defaults)."""
    out = dict(defaults)
    for k, v in zip(names, args):
        out[k] = v
    for k, v in kwargs.items():
        out[k] = v
    return out


def _default_block(mod):
    n = type(mod).__name__
    return (n.endswith("Block") or n.endswith("Bottleneck") or
            n in ("DenseLayer", "_DenseLayer", "InvertedResidual"))


_CONTAINERS = (nn.Sequential, nn.ModuleList, nn.ModuleDict)
_DROPOUTS = tuple(getattr(nn, n) for n in ("Dropout", "Dropout1d", "Dropout2d", "Dropout3d",
                                            "AlphaDropout", "FeatureAlphaDropout") if hasattr(nn, n))


class _Val:
    """A traced tensor: the node computing it (-1: the network input) and its
    per-image shape in the model file (differs from PyTorch's after a flatten
    or a global pool)."""
    __slots__ = ("t", "node", "cshape")

    def __init__(self, t, node, cshape):
        self.t, self.node, self.cshape = t, node, tuple(cshape)


class _Tracer(TorchFunctionMode):
    def __init__(self, model, block_types):
        super().__init__()
        self.model = model
        self.paths = {}
        for p, m in model.named_modules(remove_duplicate=False):
            self.paths.setdefault(id(m), p)
        mods = dict(model.named_modules())
        if block_types is None:
            self.blocks = [p for p, m in mods.items() if p and _default_block(m)]
        else:
            names = set(n for n in block_types if isinstance(n, str))
            types = tuple(t for t in block_types if not isinstance(t, str))
            self.blocks = [p for p, m in mods.items() if p and (
                type(m).__name__ in names or (types and isinstance(m, types)))]
        self.vals = {}      # id(tensor) -> _Val
        self.keep = []      # every traced tensor, so that ids are never reused
        self.nodes = []
        self.used = {}
        self.scope = [("", model)]
        self.paused = 0

    # -- bookkeeping ------------------------------------------------------------
    def where(self):
        path, m = self.scope[-1]
        return ("module '%s' (%s)" % (path, type(m).__name__) if path else
                "%s.forward" % type(m).__name__)

    def unique(self, name):
        k = self.used.get(name, 0)
        self.used[name] = k + 1
        return name if k == 0 else "%s_%d" % (name, k)

    def block_of(self, path):
        best = ""
        for b in self.blocks:
            if (path == b or path.startswith(b + ".")) and len(b) > len(best):
                best = b
        return best

    def val(self, t, who):
        if not torch.is_tensor(t):
            raise ExportError("%s: input %r is not a tensor" % (who, t))
        v = self.vals.get(id(t))
        if v is None or v.t is not t:
            kind = "a parameter" if isinstance(t, nn.Parameter) else "a tensor"
            raise ExportError("%s: reads %s that is not computed from the network input (a "
                              "weight used outside a supported layer, or a constant); "
                              "supported %s" % (who, kind, SUPPORTED))
        return v

    def fmap(self, t, who):
        """The value of t, which must be a [N, C, H, W] feature map in both."""
        v = self.val(t, who)
        if t.dim() != 4 or len(v.cshape) != 3 or tuple(t.shape[1:]) != v.cshape:
            raise ExportError("%s: needs a [N, C, H, W] feature map; its input is %s in "
                              "PyTorch and %s per image in the model file (the output of a "
                              "flatten or a global pool)" % (who, list(t.shape),
                                                             list(v.cshape)))
        return v

    def bind(self, t, node, cshape):
        if t.dim() < 1 or t.shape[0] != TRACE_BATCH:
            raise ExportError("%s: the result %s does not keep the batch dimension"
                              % (self.where(), list(t.shape)))
        self.vals[id(t)] = _Val(t, node, cshape)
        self.keep.append(t)

    def emit(self, out, op, name, ins, who, attrs=None, params=None, module="", path=None,
             cshape=None):
        """Appends a node reading the values ins and binds tensor out to it."""
        node = dict(op=op, name=self.unique(name), block=self.block_of(name if path is None
                                                                        else path),
                    inputs=[v.node for v in ins], attrs=attrs or {}, params=params or {},
                    module=module, who=who)
        self.nodes.append(node)
        self.bind(out, len(self.nodes) - 1, tuple(out.shape[1:]) if cshape is None else cshape)

    def alias(self, out, v):
        self.bind(out, v.node, v.cshape)

    def fname(self, op):
        path = self.scope[-1][0]
        return (path + "." if path else "") + op, path

    # -- module calls -------------------------------------------------------------
    def module_call(self, orig, m, args, kwargs):
        if self.paused:
            return orig(m, *args, **kwargs)
        path = self.paths.get(id(m))
        handler = self._module_handler(m)
        if handler is None:
            if (type(m).__module__.startswith("torch.nn.modules") and
                    not isinstance(m, _CONTAINERS)):
                raise ExportError("module '%s' (%s) is not supported; supported %s"
                                  % (path, type(m).__name__, SUPPORTED))
            self.scope.append((path if path is not None else self.scope[-1][0], m))
            try:
                return orig(m, *args, **kwargs)
            finally:
                self.scope.pop()
        self.paused += 1
        try:
            out = orig(m, *args, **kwargs)
            if isinstance(m, nn.Identity) and args and out is args[0]:
                out = out.view_as(out)  # its own object: the input keeps its node
        finally:
            self.paused -= 1
        if path is None:  # built in forward(): no state_dict entry
            name, scope = self.fname(type(m).__name__.lower())
            module = ""
        else:
            name, scope, module = path, path, path
        who = "module '%s' (%s)" % (path if path is not None else name, type(m).__name__)
        if kwargs:
            raise ExportError("%s: called with keyword arguments" % who)
        if not torch.is_tensor(out):
            raise ExportError("%s: returns %s, not a tensor" % (who, type(out).__name__))
        handler(m, name, module, scope, args, out, who)
        return out

    def _module_handler(self, m):
        for cls, h in ((nn.Conv2d, self.m_conv), (nn.BatchNorm2d, self.m_bn),
                       (nn.ReLU, self.m_act), (nn.Hardtanh, self.m_act), (nn.SiLU, self.m_act),
                       (nn.Hardswish, self.m_act), (nn.MaxPool2d, self.m_maxpool),
                       (nn.AvgPool2d, self.m_avgpool), (nn.AdaptiveAvgPool2d, self.m_adaptive),
                       (nn.AdaptiveMaxPool2d, self.m_adaptive), (nn.Linear, self.m_linear),
                       (nn.Identity, self.m_identity), (nn.Flatten, self.m_view),
                       (_DROPOUTS, self.m_dropout)):
            if isinstance(m, cls):
                return h
        n = type(m).__name__
        if n == "Zero":
            return self.m_zero
        if n == "Mix":
            return self.m_mix
        if n == "Shift":
            return self.m_shift
        return None

    def one_input(self, args, who):
        if len(args) != 1:
            raise ExportError("%s: called with %d arguments, expected 1" % (who, len(args)))
        return args[0]

    def m_conv(self, m, name, module, path, args, out, who):
        x = self.one_input(args, who)
        v = self.fmap(x, who)
        if m.padding_mode != "zeros":
            raise ExportError("%s: padding_mode '%s' (only zeros)" % (who, m.padding_mode))
        pad = m.padding
        if isinstance(pad, str):
            if pad == "valid":
                pad = (0, 0)
            else:  # 'same' (stride 1): symmetric only
                tot = [d * (k - 1) for d, k in zip(_pair(m.dilation), _pair(m.kernel_size))]
                if any(t % 2 for t in tot):
                    raise ExportError("%s: padding='same' with an even kernel pads unevenly"
                                      % who)
                pad = (tot[0] // 2, tot[1] // 2)
        params = {"weight": m.weight}
        if m.bias is not None:
            params["bias"] = m.bias
        self.emit(out, "conv2d", name, [v], who, dict(
            out_channels=m.out_channels, kernel=_pair(m.kernel_size), stride=_pair(m.stride),
            padding=_pair(pad), dilation=_pair(m.dilation), groups=m.groups), params, module,
            path)

    def m_bn(self, m, name, module, path, args, out, who):
        v = self.fmap(self.one_input(args, who), who)
        if not m.track_running_stats or m.running_mean is None or m.momentum is None:
            raise ExportError("%s: needs running statistics and a momentum" % who)
        params = {}
        if m.affine:
            params.update(weight=m.weight, bias=m.bias)
        params.update(running_mean=m.running_mean, running_var=m.running_var)
        self.emit(out, "batchnorm2d", name, [v], who, dict(eps=float(m.eps),
                                                           momentum=float(m.momentum)),
                  params, module, path)

    def m_act(self, m, name, module, path, args, out, who):
        v = self.val(self.one_input(args, who), who)
        if isinstance(m, nn.ReLU):
            op, attrs = "relu", {}
        elif isinstance(m, nn.Hardtanh):  # ReLU6 is a Hardtanh(0, 6)
            op, attrs = "clamp", dict(min=float(m.min_val), max=float(m.max_val))
        elif isinstance(m, nn.SiLU):
            op, attrs = "silu", {}
        else:
            op, attrs = "hardswish", {}
        self.emit(out, op, name, [v], who, attrs, None, module, path, cshape=v.cshape)

    def m_maxpool(self, m, name, module, path, args, out, who):
        v = self.fmap(self.one_input(args, who), who)
        if m.ceil_mode or _pair(m.dilation) != [1, 1] or m.return_indices:
            raise ExportError("%s: ceil_mode / dilation / return_indices unsupported" % who)
        self.emit(out, "maxpool2d", name, [v], who, dict(
            kernel=_pair(m.kernel_size), stride=_pair(m.stride or m.kernel_size),
            padding=_pair(m.padding)), None, module, path)

    def m_avgpool(self, m, name, module, path, args, out, who):
        self.avgpool(args[0] if len(args) == 1 else None, out, name, module, path, who,
                     m.kernel_size, m.stride, m.padding, m.ceil_mode, m.count_include_pad,
                     m.divisor_override, module_form=True)

    def m_adaptive(self, m, name, module, path, args, out, who):
        self.adaptive(self.one_input(args, who), out, m.output_size,
                      isinstance(m, nn.AdaptiveMaxPool2d), name, module, path, who)

    def m_linear(self, m, name, module, path, args, out, who):
        x = self.one_input(args, who)
        v = self.val(x, who)
        if x.dim() != 2 and type(m).__name__ != "FlatLinear":  # torch_import's flattens
            raise ExportError("%s: applied to a %s tensor (it acts on the last dimension); "
                              "only [N, features] inputs (flatten first)" % (who, list(x.shape)))
        params = {"weight": m.weight}
        if m.bias is not None:
            params["bias"] = m.bias
        self.emit(out, "linear", name, [v], who, {}, params, module, path)

    def m_identity(self, m, name, module, path, args, out, who):
        v = self.val(self.one_input(args, who), who)
        self.emit(out, "identity", name, [v], who, None, None, module, path, cshape=v.cshape)

    def m_view(self, m, name, module, path, args, out, who):
        self.reshape(self.one_input(args, who), out, who)

    def m_dropout(self, m, name, module, path, args, out, who):
        self.alias(out, self.val(self.one_input(args, who), who))  # identity at inference

    def m_zero(self, m, name, module, path, args, out, who):
        v = self.val(self.one_input(args, who), who)
        self.emit(out, "zero", name, [v], who, dict(stride=_pair(getattr(m, "stride", 1))),
                  None, module, path)

    def m_mix(self, m, name, module, path, args, out, who):
        ins = [self.val(a, who) for a in args]
        self.emit(out, "mix", name, ins, who, {}, {"alpha": m.alpha}, module, path,
                  cshape=ins[0].cshape)

    def m_shift(self, m, name, module, path, args, out, who):
        v = self.fmap(self.one_input(args, who), who)
        self.emit(out, "shift", name, [v], who, dict(offset=[int(m.dy), int(m.dx)]), None,
                  module, path)

    # -- shared op forms --------------------------------------------------------------
    def reshape(self, x, out, who):
        """view / reshape / flatten: no change, or flattening to [N, features]."""
        v = self.val(x, who)
        if out.dim() < 1 or out.shape[0] != TRACE_BATCH:
            raise ExportError("%s: reshapes %s to %s, changing the batch dimension"
                              % (who, list(x.shape), list(out.shape)))
        t = tuple(out.shape[1:])
        if t == tuple(x.shape[1:]) or t == v.cshape:
            self.alias(out, v)  # no change, or back to the model file's own shape
        elif len(t) == 1:
            self.alias(out, v)  # flattened: the model file keeps the map, linear flattens it
        else:
            raise ExportError("%s: reshapes %s to %s; only flattening to [N, features] (or "
                              "no change) is supported" % (who, list(x.shape), list(out.shape)))

    def avgpool(self, x, out, name, module, path, who, kernel, stride, padding, ceil_mode,
                count_include_pad, divisor_override, module_form=False):
        if x is None:
            raise ExportError("%s: expected one input" % who)
        v = self.fmap(x, who)
        if ceil_mode or divisor_override:
            raise ExportError("%s: ceil_mode / divisor_override unsupported" % who)
        k = _pair(kernel)
        s = _pair(stride) if stride not in (None, []) and stride != () else k
        p = _pair(padding)
        hw = list(x.shape[2:])
        if k == hw and p == [0, 0] and list(out.shape[2:]) == [1, 1]:
            # one window over the whole map: a global average pool (F.avg_pool2d(x, 4) on 4x4)
            self.emit(out, "global_avgpool", name, [v], who, None, None, module, path,
                      cshape=(int(x.shape[1]),))
            return
        self.emit(out, "avgpool2d", name, [v], who, dict(
            kernel=k, stride=s, padding=p, count_include_pad=int(bool(count_include_pad))),
            None, module, path)

    def adaptive(self, x, out, size, is_max, name, module, path, who):
        v = self.fmap(x, who)
        size = [s if s is not None else x.shape[2 + i] for i, s in enumerate(_pair_none(size))]
        if size != [1, 1]:
            if size == list(x.shape[2:]):
                self.alias(out, v)
                return
            raise ExportError("%s: adaptive pool to %s (only to 1x1)" % (who, size))
        if is_max:  # a max over the whole map, kept as [C, 1, 1]
            hw = [int(x.shape[2]), int(x.shape[3])]
            self.emit(out, "maxpool2d", name, [v], who, dict(kernel=hw, stride=hw,
                                                             padding=[0, 0]), None, module, path)
        else:
            self.emit(out, "global_avgpool", name, [v], who, None, None, module, path,
                      cshape=(int(x.shape[1]),))

    # -- function calls ---------------------------------------------------------------
    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if self.paused:
            return func(*args, **kwargs)
        self.paused += 1
        try:
            out = func(*args, **kwargs)
        finally:
            self.paused -= 1
        fn = _fn_name(func)
        op = fn.split(".")[-1]
        who = "%s called in %s" % (fn, self.where())
        if op == "__setitem__":
            raise ExportError("%s: writes into a tensor in place (x[...] = ...): unsupported"
                              % who)
        if not torch.is_tensor(out):
            return out  # sizes, shapes, dims: Python values, already concrete
        if not any(torch.is_tensor(a) and id(a) in self.vals for a in _flat(args, kwargs)):
            if op == "__get__":
                return out
            raise ExportError("%s: makes a tensor that does not come from the network input "
                              "(a constant or a weight used outside a supported layer); "
                              "supported %s" % (who, SUPPORTED))
        self.function(fn, op, args, kwargs, out, who)
        return out

    def function(self, fn, op, args, kwargs, out, who):
        base = op[:-1] if op.endswith("_") and not op.endswith("__") else op
        if base in ("add", "__add__", "__radd__", "__iadd__"):
            a = _bind(args, kwargs, ("input", "other", "alpha"), {"alpha": 1})
            zero = [t for t, o in ((a["input"], a["other"]), (a["other"], a["input"]))
                    if torch.is_tensor(t) and isinstance(o, (int, float)) and o == 0]
            if zero and a["alpha"] == 1:  # 0 + x (Python's sum() of tensors)
                self.alias(out, self.val(zero[0], who))
                return
            if not (torch.is_tensor(a["input"]) and torch.is_tensor(a["other"])) or \
                    a["alpha"] != 1:
                raise ExportError("%s: only the sum of two tensors (no constants, no alpha)"
                                  % who)
            x, y = self.val(a["input"], who), self.val(a["other"], who)
            if x.cshape != y.cshape or a["input"].shape != a["other"].shape:
                raise ExportError("%s: adds %s and %s (broadcasting unsupported)"
                                  % (who, list(a["input"].shape), list(a["other"].shape)))
            name, path = self.fname("add")
            self.emit(out, "add", name, [x, y], who, path=path, cshape=x.cshape)
        elif base == "cat":
            a = _bind(args, kwargs, ("tensors", "dim"), {"dim": 0})
            ts = list(a["tensors"])
            dim = a["dim"] + ts[0].dim() if a["dim"] < 0 else a["dim"]
            if dim != 1:
                raise ExportError("%s: concatenates along dim %s (only 1, channels)"
                                  % (who, a["dim"]))
            name, path = self.fname("cat")
            self.emit(out, "concat", name, [self.fmap(t, who) for t in ts], who, path=path)
        elif base in ("relu", "relu6", "hardtanh", "clamp", "clip", "silu", "hardswish"):
            self.activation(base, args, kwargs, out, who)
        elif fn in ("F.dropout", "F.dropout1d", "F.dropout2d", "F.dropout3d", "F.alpha_dropout",
                    "F.feature_alpha_dropout", "torch.dropout", "torch.feature_dropout",
                    "torch.alpha_dropout", "torch.feature_alpha_dropout"):
            names = ("input", "p", "training" if fn.startswith("F.") else "train")
            a = _bind(args, kwargs, names, {"p": 0.5, names[2]: True})
            if a[names[2]] and a["p"] > 0:
                raise ExportError("%s: dropout with training=True runs at inference too "
                                  "(pass training=self.training)" % who)
            self.alias(out, self.val(a["input"], who))
        elif fn in ("F.max_pool2d", "F.max_pool2d_with_indices"):
            a = _bind(args, kwargs, ("input", "kernel_size", "stride", "padding", "dilation",
                                     "ceil_mode", "return_indices"),
                      dict(stride=None, padding=0, dilation=1, ceil_mode=False,
                           return_indices=False))
            if a["ceil_mode"] or _pair(a["dilation"]) != [1, 1] or a["return_indices"]:
                raise ExportError("%s: ceil_mode / dilation / return_indices unsupported" % who)
            k = _pair(a["kernel_size"])
            s = _pair(a["stride"]) if a["stride"] not in (None, [], ()) else k
            name, path = self.fname("maxpool")
            self.emit(out, "maxpool2d", name, [self.fmap(a["input"], who)], who,
                      dict(kernel=k, stride=s, padding=_pair(a["padding"])), path=path)
        elif fn == "F.avg_pool2d":
            a = _bind(args, kwargs, ("input", "kernel_size", "stride", "padding", "ceil_mode",
                                     "count_include_pad", "divisor_override"),
                      dict(stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                           divisor_override=None))
            name, path = self.fname("avgpool")
            self.avgpool(a["input"], out, name, "", path, who, a["kernel_size"], a["stride"],
                         a["padding"], a["ceil_mode"], a["count_include_pad"],
                         a["divisor_override"])
        elif fn in ("F.adaptive_avg_pool2d", "F.adaptive_max_pool2d"):
            a = _bind(args, kwargs, ("input", "output_size"), {})
            name, path = self.fname("avgpool" if "avg" in fn else "maxpool")
            self.adaptive(a["input"], out, a["output_size"], "max" in fn, name, "", path, who)
        elif base == "mean":
            a = _bind(args, kwargs, ("input", "dim", "keepdim"), {"dim": None, "keepdim": False})
            x = a["input"]
            dims = a["dim"]
            dims = tuple(sorted(d % x.dim() for d in (dims if isinstance(dims, (list, tuple))
                                                      else [dims]))) if dims is not None else ()
            if x.dim() != 4 or dims != (2, 3):
                raise ExportError("%s: mean over dims %s (only (2, 3): a global pool)"
                                  % (who, a["dim"]))
            name, path = self.fname("mean")
            self.emit(out, "global_avgpool", name, [self.fmap(x, who)], who, path=path,
                      cshape=(int(x.shape[1]),))
        elif base in ("view", "reshape", "flatten", "squeeze", "unsqueeze", "view_as",
                      "reshape_as", "contiguous", "clone", "detach", "float"):
            if base == "float" and args[0].dtype != torch.float32:
                raise ExportError("%s: converts from %s" % (who, args[0].dtype))
            self.reshape(args[0], out, who)
        elif base == "__getitem__":
            self.subsample(args[0], args[1], out, who)
        elif fn in ("F.pad", "torch.constant_pad_nd"):
            self.pad(args, kwargs, out, who, fn)
        elif base == "zeros_like":
            a = _bind(args, kwargs, ("input",), {})
            v = self.val(a["input"], who)
            name, path = self.fname("zero")
            self.emit(out, "zero", name, [v], who, dict(stride=[1, 1]), path=path,
                      cshape=v.cshape)
        else:
            raise ExportError("%s is not supported; supported %s" % (who, SUPPORTED))

    def activation(self, base, args, kwargs, out, who):
        if base in ("relu", "silu", "hardswish", "relu6"):
            a = _bind(args, kwargs, ("input",), {})
            op, attrs, nm = {"relu": ("relu", {}, "relu"), "silu": ("silu", {}, "silu"),
                             "hardswish": ("hardswish", {}, "hardswish"),
                             "relu6": ("clamp", dict(min=0.0, max=6.0), "relu6")}[base]
        elif base == "hardtanh":
            a = _bind(args, kwargs, ("input", "min_val", "max_val"),
                      {"min_val": -1.0, "max_val": 1.0})
            op, attrs, nm = "clamp", dict(min=float(a["min_val"]), max=float(a["max_val"])), \
                "hardtanh"
        else:  # clamp / clip
            a = _bind(args, kwargs, ("input", "min", "max"), {"min": None, "max": None})
            if torch.is_tensor(a["min"]) or torch.is_tensor(a["max"]):
                raise ExportError("%s: tensor bounds unsupported" % who)
            lo = -math.inf if a["min"] is None else float(a["min"])
            hi = math.inf if a["max"] is None else float(a["max"])
            op, attrs, nm = "clamp", dict(min=lo, max=hi), "clamp"
        v = self.val(a["input"], who)
        name, path = self.fname(nm)
        self.emit(out, op, name, [v], who, attrs, path=path, cshape=v.cshape)

    def subsample(self, x, index, out, who):
        """x[:, a:b, c:d:sh, e:f:sw] -> a pad node with negative pads (the crop) and/or an
        avgpool2d with a 1x1 kernel and stride (sh, sw) (the strided subsample)."""
        v = self.fmap(x, who)
        idx = list(index) if isinstance(index, tuple) else [index]
        if any(i is Ellipsis for i in idx):
            k = idx.index(Ellipsis)
            idx = idx[:k] + [slice(None)] * (4 - len(idx) + 1) + idx[k + 1:]
        idx += [slice(None)] * (4 - len(idx))
        if len(idx) != 4 or not all(isinstance(i, slice) for i in idx):
            raise ExportError("%s: indexing %r; only slices x[:, a:b, c:d:s, e:f:t] (a crop "
                              "and a strided subsample) are supported" % (who, index))
        crops, steps, kept = [], [], []  # pads c0, c1, h0, h1, w0, w1; (sh, sw); [C, H, W] cropped
        for d, sl in enumerate(idx):
            n = int(x.shape[d])
            if not all(q is None or isinstance(q, int) for q in (sl.start, sl.stop, sl.step)):
                raise ExportError("%s: slice %r of dim %d: not plain integers" % (who, sl, d))
            start, stop, step = sl.indices(n)
            count = len(range(start, stop, step))
            if d == 0 and (start, count, step) != (0, n, 1):
                raise ExportError("%s: slice %r of the batch dim 0; the batch is kept whole"
                                  % (who, sl))
            if d == 1 and step != 1:
                raise ExportError("%s: slice %r of the channel dim 1 with a step; channels "
                                  "may be cropped (x[:, a:b]), not strided" % (who, sl))
            if count < 1:
                raise ExportError("%s: slice %r of dim %d is empty" % (who, sl, d))
            if d > 0:
                last = start + (count - 1) * step
                crops += [-start, -(n - 1 - last)]
                kept.append(last + 1 - start)
            if d > 1:
                steps.append(step)
        if not any(crops) and steps == [1, 1]:
            self.alias(out, v)
            return
        if any(crops):
            mid = out
            if steps != [1, 1]:  # an intermediate value: the crop, before the subsample
                mid = torch.empty((TRACE_BATCH, *kept))
            name, path = self.fname("crop")
            self.emit(mid, "pad", name, [v], who, dict(pads=crops), path=path)
            if mid is out:
                return
            v = self.vals[id(mid)]
        name, path = self.fname("subsample")
        self.emit(out, "avgpool2d", name, [v], who, dict(kernel=[1, 1], stride=steps,
                                                         padding=[0, 0], count_include_pad=1),
                  path=path)

    def pad(self, args, kwargs, out, who, fn):
        a = _bind(args, kwargs, ("input", "pad", "mode", "value"), {"mode": "constant",
                                                                    "value": None})
        if fn == "torch.constant_pad_nd":
            a["mode"] = "constant"
        x, p = a["input"], [int(q) for q in a["pad"]]
        if a["mode"] != "constant" or (a["value"] not in (None, 0, 0.0)):
            raise ExportError("%s: mode '%s' value %s (only constant zeros)"
                              % (who, a["mode"], a["value"]))
        if len(p) % 2 or len(p) > 6:
            raise ExportError("%s: pad %s (up to 3 pairs for W, H, C)" % (who, p))
        p += [0] * (6 - len(p))
        v = self.fmap(x, who)
        if any(int(x.shape[3 - k // 2]) + p[k] + p[k + 1] < 1 for k in range(0, 6, 2)):
            raise ExportError("%s: pad %s crops a dimension of %s away" % (who, p, list(x.shape)))
        if not any(p):
            self.alias(out, v)
            return
        name, path = self.fname("pad")
        self.emit(out, "pad", name, [v], who, dict(pads=[p[4], p[5], p[2], p[3], p[0], p[1]]),
                  path=path)


def _pair_none(v):
    return [v, v] if v is None or isinstance(v, int) else [v[0], v[1]]


def _flat(args, kwargs):
    for a in list(args) + list(kwargs.values()):
        if isinstance(a, (list, tuple)):
            yield from a
        else:
            yield a


def _prune(nodes, out_node):
    """Drops nodes the output does not depend on; renumbers inputs."""
    live = set()
    stack = [out_node]
    while stack:
        i = stack.pop()
        if i < 0 or i in live:
            continue
        live.add(i)
        stack.extend(nodes[i]["inputs"])
    new = {-1: -1}
    kept = []
    for i, nd in enumerate(nodes):
        if i in live:
            new[i] = len(kept)
            kept.append(nd)
    for nd in kept:
        nd["inputs"] = [new[j] for j in nd["inputs"]]
    return kept


def trace(model, input_shape, block_types=None, seed=0):
    """Runs model (eval mode, no grad) on a random [3, C, H, W] batch; returns
    (nodes, x, logits). Raises ExportError on what the model file cannot hold."""
    model = model.eval()
    tr = _Tracer(model, block_types)
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(TRACE_BATCH, *input_shape, generator=gen)
    tr.bind(x, -1, tuple(input_shape))
    orig = nn.Module.__call__

    def call(m, *args, **kwargs):
        return tr.module_call(orig, m, args, kwargs)

    nn.Module.__call__ = call
    try:
        with torch.no_grad(), tr:
            out = model(x)
    finally:
        nn.Module.__call__ = orig
    if not torch.is_tensor(out):
        raise ExportError("%s.forward returns %s; it must return the logits tensor"
                          % (type(model).__name__, type(out).__name__))
    if id(out) not in tr.vals or tr.vals[id(out)].t is not out:
        raise ExportError("%s.forward returns a tensor not computed from its input"
                          % type(model).__name__)
    v = tr.vals[id(out)]
    if out.dim() != 2 or len(v.cshape) != 1 or v.node < 0:
        raise ExportError("%s.forward returns %s (model file: %s per image); the logits must "
                          "be [N, classes] (end with a linear, or a global pool and a flatten)"
                          % (type(model).__name__, list(out.shape), list(v.cshape)))
    nodes = _prune(tr.nodes, v.node)
    return nodes, x, out.detach().clone()


def export_nodes(model, input_shape, block_types=None):
    """The node list (dicts: op, name, block, inputs, attrs, params, module) of
    model traced on input_shape (C, H, W)."""
    return trace(model, input_shape, block_types)[0]


def write(path, nodes, input_shape, num_classes, arch, mean=None, std=None):
    c = input_shape[0]
    mean = np.zeros(c, np.float32) if mean is None else np.asarray(mean, np.float32)
    std = np.ones(c, np.float32) if std is None else np.asarray(std, np.float32)
    if mean.shape != (c,) or std.shape != (c,):
        raise ExportError("mean and std need %d values each (one per input channel)" % c)
    if not (std > 0).all():
        raise ExportError("every std must be positive")
    tmp = path + ".tmp.%d" % os.getpid()
    try:
        with h5py.File(tmp, "w", libver="latest") as f:
            f.attrs["format"] = "archrepair-model"
            f.attrs["format_version"] = np.int32(1)
            f.attrs["arch"] = arch
            f.attrs["input_shape"] = np.asarray(input_shape, np.int32)
            f.attrs["num_classes"] = np.int32(num_classes)
            f.attrs["mean"] = mean
            f.attrs["std"] = std
            for i, nd in enumerate(nodes):
                g = f.create_group("graph/%04d" % i)
                g.attrs["op"] = nd["op"]
                g.attrs["name"] = nd["name"]
                g.attrs["block"] = nd["block"]
                g.attrs["inputs"] = np.asarray(nd["inputs"], np.int32)
                if nd.get("module"):
                    g.attrs["module"] = nd["module"]
                for k, v in nd["attrs"].items():
                    if isinstance(v, float):
                        g.attrs[k] = np.float32(v)
                    elif isinstance(v, list):
                        g.attrs[k] = np.asarray(v, np.int32)
                    else:
                        g.attrs[k] = np.int32(v)
                for k, v in nd["params"].items():
                    g[k] = v.detach().cpu().numpy().astype(np.float32)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def check_file(path, x, want, tol=1e-4):
    """tools/torch_import.py runs the file on x; returns max |diff| / max(1, |want|)
    against want (the module's logits)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import torch_import
    net = torch_import.load(path).eval()
    with torch.no_grad():
        got = net(x)
    return float((got - want).abs().max()) / max(1.0, float(want.abs().max()))


def export(model, path, input_shape, arch="", num_classes=None, mean=None, std=None,
           block_types=None, check=True):
    """Writes model (traced in eval mode) to path; returns the node list.
    check: the written file, run by tools/torch_import.py, must give the
    module's logits (else ExportError and no file)."""
    nodes, x, logits = trace(model, tuple(input_shape), block_types)
    if num_classes is None:
        num_classes = int(logits.shape[1])
    tmp = path + ".check.%d" % os.getpid()
    write(tmp, nodes, input_shape, num_classes, arch or type(model).__name__, mean, std)
    try:
        if check:
            err = check_file(tmp, x, logits)
            if not err <= 1e-4:
                raise ExportError("the exported graph does not compute what %s computes "
                                  "(relative logit difference %.3g): a construct was "
                                  "mistranslated; please report it" % (type(model).__name__, err))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return nodes


# -- command line -------------------------------------------------------------------------

def load_module_class(spec):
    """"FILE.py:CLASS" -> the class (FILE's folder goes first on sys.path, so
    its sibling imports work)."""
    if ":" not in spec:
        raise ExportError("--module wants FILE.py:CLASS, got '%s'" % spec)
    fpath, cls = spec.rsplit(":", 1)
    if not os.path.isfile(fpath):
        raise ExportError("--module: no file '%s'" % fpath)
    sys.path.insert(0, os.path.dirname(os.path.abspath(fpath)))
    name = "_user_" + os.path.splitext(os.path.basename(fpath))[0]
    sp = importlib.util.spec_from_file_location(name, fpath)
    mod = importlib.util.module_from_spec(sp)
    sys.modules[name] = mod
    sp.loader.exec_module(mod)
    if not hasattr(mod, cls):
        raise ExportError("--module: %s has no '%s'" % (fpath, cls))
    return getattr(mod, cls)


def build_module(spec, kwargs_json):
    cls = load_module_class(spec)
    try:
        kw = json.loads(kwargs_json) if kwargs_json else {}
    except ValueError as e:
        raise ExportError("--kwargs is not JSON: %s" % e)
    if not isinstance(kw, dict):
        raise ExportError("--kwargs must be a JSON object")
    try:
        return cls(**kw)
    except TypeError as e:
        raise ExportError("%s(**%s): %s" % (spec, kw, e))


def read_state_dict(path):
    """A state_dict from a .pth: a plain state_dict, a checkpoint dict holding
    one ('state_dict', 'model_state_dict', 'model', 'net'), or a pickled
    module."""
    try:
        obj = torch.load(path, map_location="cpu")
    except Exception as e:  # noqa: BLE001 - torch.load raises many types
        raise ExportError("%s: cannot load: %s" % (path, e))
    if isinstance(obj, nn.Module):
        return obj.state_dict()
    if isinstance(obj, dict):
        for k in ("state_dict", "model_state_dict", "model", "net"):
            if k in obj and isinstance(obj[k], dict):
                return obj[k]
            if k in obj and isinstance(obj[k], nn.Module):
                return obj[k].state_dict()
        if all(torch.is_tensor(v) for v in obj.values()):
            return obj
    raise ExportError("%s: no state_dict in it (a dict of tensors, or a checkpoint with "
                      "'state_dict' / 'model_state_dict')" % path)


def load_weights(model, path):
    """load_state_dict(strict=True), dropping a DataParallel 'module.' prefix."""
    sd = read_state_dict(path)
    own = model.state_dict()
    if sd and all(k.startswith("module.") for k in sd) and not any(k.startswith("module.")
                                                                    for k in own):
        sd = {k[len("module."):]: v for k, v in sd.items()}
    try:
        model.load_state_dict(sd, strict=True)
    except RuntimeError as e:
        raise ExportError("%s does not fit %s: %s" % (path, type(model).__name__,
                                                      str(e).strip().replace("\n\t", " ")))


def _floats(s, what):
    try:
        return [float(v) for v in s.split(",")]
    except ValueError:
        raise ExportError("%s: comma-separated numbers expected, got '%s'" % (what, s))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="See docs/pytorch.md.")
    ap.add_argument("arch", nargs="?", help="zoo model (tools/torch_models.py), without --module")
    ap.add_argument("out_pos", nargs="?", metavar="out", help="output file (zoo form)")
    ap.add_argument("--module", help="FILE.py:CLASS, your nn.Module class")
    ap.add_argument("--kwargs", help="JSON object of CLASS's constructor arguments")
    ap.add_argument("--state-dict", help="trained weights (.pth: a state_dict or checkpoint)")
    ap.add_argument("--out", help="model file to write")
    ap.add_argument("--input", default="3,32,32", help="C,H,W of one input image")
    ap.add_argument("--mean", help="per-channel mean of pixel/255 (comma list)")
    ap.add_argument("--std", help="per-channel std of pixel/255 (comma list)")
    ap.add_argument("--blocks", help="comma list of your block class names (localization "
                    "and repair work on blocks; default: *Block, *Bottleneck, DenseLayer, "
                    "InvertedResidual)")
    ap.add_argument("--arch-name", dest="arch_name", help="the file's 'arch' (default: CLASS)")
    ap.add_argument("--width", type=float, default=1.0, help="zoo: width multiplier")
    ap.add_argument("--classes", type=int, default=10, help="zoo: classes")
    ap.add_argument("--seed", type=int, default=0, help="zoo: initialisation seed")
    a = ap.parse_args(argv)
    try:
        shp = tuple(int(v) for v in a.input.split(","))
    except ValueError:
        shp = ()
    if len(shp) != 3 or min(shp) <= 0:
        raise ExportError("--input wants C,H,W (three positive integers), got '%s'" % a.input)
    mean = _floats(a.mean, "--mean") if a.mean else None
    std = _floats(a.std, "--std") if a.std else None
    blocks = a.blocks.split(",") if a.blocks else None
    if a.module:
        if a.arch or a.out_pos:
            raise ExportError("with --module, give the output as --out (no positional arguments)")
        if not a.out:
            raise ExportError("--out is required")
        m = build_module(a.module, a.kwargs)
        if a.state_dict:
            load_weights(m, a.state_dict)
        arch = a.arch_name or a.module.rsplit(":", 1)[1]
        out = a.out
    else:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import torch_models
        out = a.out_pos or a.out
        if not a.arch or not out:
            ap.error("give --module FILE.py:CLASS ... --out OUT, or a zoo name and an output")
        torch.manual_seed(a.seed)
        m = torch_models.build(a.arch, a.width, shp[0], a.classes)
        arch = a.arch_name or a.arch
    nodes = export(m, out, shp, arch, mean=mean, std=std, block_types=blocks)
    nparams = sum(v.numel() for nd in nodes for v in nd["params"].values())
    nblocks = len(set(nd["block"] for nd in nodes if nd["block"]))
    print("%s: %d nodes, %d blocks, %d parameter values" % (out, len(nodes), nblocks, nparams))


if __name__ == "__main__":
    try:
        main()
    except ExportError as e:
        sys.exit("torch_export: %s" % e)
