#!/usr/bin/python3
"""torch_export.py - a torch.nn.Module -> an archrepair model file
(layout: docs/formats.md "Model files").

The module is traced with torch.fx; supported: Conv2d, BatchNorm2d, ReLU
(module, F.relu, torch.relu, .relu()), MaxPool2d / AvgPool2d (modules and
F.max_pool2d / F.avg_pool2d), AdaptiveAvgPool2d(1) / F.adaptive_avg_pool2d(x,1)
/ x.mean((2, 3)) -> global_avgpool, Linear, + / torch.add, torch.cat(dim=1),
torch.flatten(x, 1) / nn.Flatten (folded into the following linear),
nn.Identity, and torch_import's Zero, Mix and Shift modules (the search
space's zero, mix and shift ops). Anything else is an error naming the fx node.

Names: a module call gets its dotted path ("layer1.0.conv1"; "_1", "_2" for
repeated calls); a function call inside a module gets "<module path>.<op>"
("layer1.0.add"). `block` is the path of the innermost enclosing module whose
class is in block_types (default: classes named *Block, Bottleneck,
DenseLayer), else "".

    from torch_export import export
    export(model, "m.h5", input_shape=(3, 32, 32), arch="resnet20",
           mean=[0.49, 0.48, 0.45], std=[0.25, 0.24, 0.26])

Command line (a model from tools/torch_models.py, PyTorch default init):
    /usr/bin/python3 tools/torch_export.py resnet20 out.h5 [--width W] [--seed S]
Run with /usr/bin/python3 (Debian python3-torch, h5py, numpy).
"""
import argparse
import operator
import os
import sys

import h5py
import numpy as np
import torch
import torch.fx as fx
import torch.nn as nn
import torch.nn.functional as F


class _ScopeTracer(fx.Tracer):
    """Records, for every fx node, the path of the module being traced."""

    def __init__(self):
        super().__init__()
        self.scope = [""]

    def call_module(self, m, forward, args, kwargs):
        self.scope.append(self.path_of_module(m))
        try:
            return super().call_module(m, forward, args, kwargs)
        finally:
            self.scope.pop()

    def is_leaf_module(self, m, qualname):
        return (type(m).__name__ in ("Zero", "Mix", "Shift") or
                isinstance(m, (nn.Conv2d, nn.BatchNorm2d, nn.Linear, nn.MaxPool2d, nn.AvgPool2d)) or
                super().is_leaf_module(m, qualname))

    def create_node(self, *args, **kwargs):
        node = super().create_node(*args, **kwargs)
        node.meta["scope"] = self.scope[-1]
        return node


def _default_block(mod):
    n = type(mod).__name__
    return n.endswith("Block") or n in ("Bottleneck", "DenseLayer", "_DenseLayer")


def _pair(v):
    return [int(v), int(v)] if isinstance(v, int) else [int(v[0]), int(v[1])]


class ExportError(Exception):
    pass


def export_nodes(model, block_types=None):
    """Returns the node list: dicts with op, name, block, inputs, attrs, params."""
    model = model.eval()
    tracer = _ScopeTracer()
    graph = tracer.trace(model)
    mods = dict(model.named_modules())
    if block_types is None:
        blocks = [p for p, m in mods.items() if p and _default_block(m)]
    else:
        blocks = [p for p, m in mods.items() if p and isinstance(m, tuple(block_types))]

    def block_of(path):
        best = ""
        for b in blocks:
            if (path == b or path.startswith(b + ".")) and len(b) > len(best):
                best = b
        return best

    nodes, index, used = [], {}, {}
    flat = set()  # fx nodes that are flatten aliases

    def unique(name):
        k = used.get(name, 0)
        used[name] = k + 1
        return name if k == 0 else "%s_%d" % (name, k)

    def ref(a, who):
        if not isinstance(a, fx.Node) or a not in index:
            raise ExportError("fx node %s: unsupported input %r" % (who, a))
        return index[a]

    def emit(n, op, name, inputs, attrs=None, params=None, path=None):
        nodes.append(dict(op=op, name=unique(name), block=block_of(path if path is not None else name),
                          inputs=[ref(a, n.name) for a in inputs], attrs=attrs or {},
                          params=params or {}))
        index[n] = len(nodes) - 1

    def fname(n, op):
        scope = n.meta.get("scope", "")
        return (scope + "." if scope else "") + op, scope

    for n in graph.nodes:
        if n.op == "placeholder":
            if -1 in index.values():
                raise ExportError("more than one input")
            index[n] = -1
        elif n.op == "output":
            out = n.args[0]
            if not isinstance(out, fx.Node) or index.get(out) != len(nodes) - 1:
                raise ExportError("the output must be the last computed node")
        elif n.op == "call_module":
            m = mods[n.target]
            t = n.target
            x = n.args[0]
            if isinstance(m, nn.Conv2d):
                if m.padding_mode != "zeros" or isinstance(m.padding, str):
                    raise ExportError("%s: only numeric zero padding" % t)
                params = {"weight": m.weight}
                if m.bias is not None:
                    params["bias"] = m.bias
                emit(n, "conv2d", t, [x], dict(out_channels=m.out_channels, kernel=_pair(m.kernel_size),
                     stride=_pair(m.stride), padding=_pair(m.padding), dilation=_pair(m.dilation),
                     groups=m.groups), params)
            elif isinstance(m, nn.BatchNorm2d):
                if not m.track_running_stats or m.momentum is None:
                    raise ExportError("%s: needs running stats and a momentum" % t)
                params = {}
                if m.affine:
                    params.update(weight=m.weight, bias=m.bias)
                params.update(running_mean=m.running_mean, running_var=m.running_var)
                emit(n, "batchnorm2d", t, [x], dict(eps=float(m.eps), momentum=float(m.momentum)),
                     params)
            elif isinstance(m, nn.ReLU):
                emit(n, "relu", t, [x])
            elif isinstance(m, nn.MaxPool2d):
                if m.ceil_mode or _pair(m.dilation) != [1, 1]:
                    raise ExportError("%s: ceil_mode / dilation unsupported" % t)
                emit(n, "maxpool2d", t, [x], dict(kernel=_pair(m.kernel_size),
                     stride=_pair(m.stride or m.kernel_size), padding=_pair(m.padding)))
            elif isinstance(m, nn.AvgPool2d):
                if m.ceil_mode or m.divisor_override:
                    raise ExportError("%s: ceil_mode / divisor_override unsupported" % t)
                emit(n, "avgpool2d", t, [x], dict(kernel=_pair(m.kernel_size),
                     stride=_pair(m.stride or m.kernel_size), padding=_pair(m.padding),
                     count_include_pad=int(m.count_include_pad)))
            elif isinstance(m, nn.AdaptiveAvgPool2d):
                if _pair(m.output_size) != [1, 1]:
                    raise ExportError("%s: only output size 1" % t)
                emit(n, "global_avgpool", t, [x])
            elif isinstance(m, nn.Linear):
                params = {"weight": m.weight}
                if m.bias is not None:
                    params["bias"] = m.bias
                emit(n, "linear", t, [x], {}, params)
            elif isinstance(m, nn.Identity):
                emit(n, "identity", t, [x])
            elif isinstance(m, nn.Flatten):
                index[n] = ref(x, n.name)
                flat.add(n)
            elif type(m).__name__ == "Zero":
                emit(n, "zero", t, [x], dict(stride=_pair(getattr(m, "stride", 1))))
            elif type(m).__name__ == "Mix":  # torch_import.Mix: softmax(alpha)-weighted sum
                emit(n, "mix", t, list(n.args), {}, {"alpha": m.alpha})
            elif type(m).__name__ == "Shift":  # torch_import.Shift
                emit(n, "shift", t, [x], dict(offset=[int(m.dy), int(m.dx)]))
            else:
                raise ExportError("fx node %s: module %s (%s) unsupported" % (n.name, t, type(m).__name__))
        elif n.op in ("call_function", "call_method"):
            f = n.target
            name, scope = None, None
            if f in (operator.add, torch.add, "add"):
                if len(n.args) != 2 or n.kwargs:
                    raise ExportError("fx node %s: add of two tensors only" % n.name)
                name, scope = fname(n, "add")
                emit(n, "add", name, list(n.args), path=scope)
            elif f is torch.cat:
                dim = n.kwargs.get("dim", n.args[1] if len(n.args) > 1 else 0)
                if dim != 1:
                    raise ExportError("fx node %s: cat along dim %s (only 1)" % (n.name, dim))
                name, scope = fname(n, "cat")
                emit(n, "concat", name, list(n.args[0]), path=scope)
            elif f in (F.relu, torch.relu, "relu"):
                name, scope = fname(n, "relu")
                emit(n, "relu", name, [n.args[0]], path=scope)
            elif f in (torch.flatten, "flatten"):
                start = n.kwargs.get("start_dim", n.args[1] if len(n.args) > 1 else 0)
                if start != 1:
                    raise ExportError("fx node %s: flatten from dim %s (only 1)" % (n.name, start))
                index[n] = ref(n.args[0], n.name)
                flat.add(n)
            elif f is F.adaptive_avg_pool2d:
                if _pair(n.args[1] if len(n.args) > 1 else n.kwargs["output_size"]) != [1, 1]:
                    raise ExportError("fx node %s: only output size 1" % n.name)
                name, scope = fname(n, "avgpool")
                emit(n, "global_avgpool", name, [n.args[0]], path=scope)
            elif f == "mean" and tuple(n.args[1] if len(n.args) > 1 else n.kwargs.get("dim")) in ((2, 3), (-2, -1)):
                name, scope = fname(n, "mean")
                emit(n, "global_avgpool", name, [n.args[0]], path=scope)
            elif f in (F.avg_pool2d, F.max_pool2d):
                a = list(n.args) + [None] * 5
                k = _pair(a[1] if a[1] is not None else n.kwargs["kernel_size"])
                s = n.kwargs.get("stride", a[2]) or k
                p = n.kwargs.get("padding", a[3] if a[3] is not None else 0)
                if f is F.avg_pool2d:
                    name, scope = fname(n, "avgpool")
                    emit(n, "avgpool2d", name, [n.args[0]], dict(kernel=k, stride=_pair(s),
                         padding=_pair(p), count_include_pad=int(n.kwargs.get("count_include_pad", True))),
                         path=scope)
                else:
                    name, scope = fname(n, "maxpool")
                    emit(n, "maxpool2d", name, [n.args[0]], dict(kernel=k, stride=_pair(s),
                         padding=_pair(p)), path=scope)
            else:
                raise ExportError("fx node %s: %s %s unsupported" % (n.name, n.op, f))
        else:
            raise ExportError("fx node %s: %s unsupported" % (n.name, n.op))
    # a flatten may only feed linear nodes
    for n in flat:
        for u in n.users:
            if u in index and index[u] >= 0 and nodes[index[u]]["op"] != "linear":
                raise ExportError("fx node %s: flatten feeds %s, not a linear" % (n.name, u.name))
    return nodes


def write(path, nodes, input_shape, num_classes, arch, mean=None, std=None):
    c = input_shape[0]
    mean = np.zeros(c, np.float32) if mean is None else np.asarray(mean, np.float32)
    std = np.ones(c, np.float32) if std is None else np.asarray(std, np.float32)
    tmp = path + ".tmp.%d" % os.getpid()
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


def export(model, path, input_shape, arch="", num_classes=None, mean=None, std=None,
           block_types=None):
    """Writes model (traced in eval mode) to path; returns the node list."""
    nodes = export_nodes(model, block_types)
    if num_classes is None:
        with torch.no_grad():
            num_classes = model.eval()(torch.zeros(1, *input_shape)).shape[1]
    write(path, nodes, input_shape, num_classes, arch or type(model).__name__, mean, std)
    return nodes


def main():
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import torch_models
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("arch")
    ap.add_argument("out")
    ap.add_argument("--width", type=float, default=1.0)
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--input", default="3,32,32", help="C,H,W")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    shp = tuple(int(v) for v in a.input.split(","))
    torch.manual_seed(a.seed)
    m = torch_models.build(a.arch, a.width, shp[0], a.classes)
    nodes = export(m, a.out, shp, a.arch, a.classes)
    print("%s: %d nodes, %d parameters" % (a.out, len(nodes), sum(p.numel() for p in m.parameters())))


if __name__ == "__main__":
    try:
        main()
    except ExportError as e:
        sys.exit("torch_export: %s" % e)
