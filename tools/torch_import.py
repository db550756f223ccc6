#!/usr/bin/python3
"""torch_import.py - an archrepair model file -> a torch.nn.Module that runs it.

    from torch_import import load
    net = load("m.h5")            # nn.Module; net(x) gives logits [N, classes]
    net.nodes                     # [(op, name, block, inputs)] as in the file
    net.mean, net.std             # input normalisation from the file

Parameters become the modules' parameters / buffers (trainable in PyTorch),
so a model can be fine-tuned in PyTorch and written back with
tools/torch_export.py semantics via save(net, path). Command line: prints the
logits of a random batch, or `--check IN.h5` runs /images of a dataset file.
Run with /usr/bin/python3.
"""
import argparse
import os
import sys

import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def _s(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def _ints(a, k):
    v = np.asarray(a.attrs[k]).reshape(-1)
    return [int(x) for x in v]


class Zero(nn.Module):
    """The search space's `none`: zeros of the strided input's shape."""

    def __init__(self, stride):
        super().__init__()
        self.stride = tuple(stride)

    def forward(self, x):
        return x[:, :, ::self.stride[0], ::self.stride[1]].mul(0.0)


class _Add(nn.Module):
    def forward(self, *xs):
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out


class _Cat(nn.Module):
    def forward(self, *xs):
        return torch.cat(xs, 1)


class Mix(nn.Module):
    """The relaxed search's mix: sum_k softmax(alpha)_k * x_k."""

    def __init__(self, alpha):
        super().__init__()
        self.alpha = nn.Parameter(alpha)

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


class _Gap(nn.Module):
    def forward(self, x):
        return x.mean((2, 3))


class _Linear(nn.Linear):
    def forward(self, x):
        return super().forward(torch.flatten(x, 1))


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


def _module(op, g):
    def p(k):
        return torch.tensor(np.asarray(g[k], np.float32)) if k in g else None

    if op == "conv2d":
        w = p("weight")
        m = nn.Conv2d(w.shape[1] * int(g.attrs["groups"]), int(g.attrs["out_channels"]),
                      _ints(g, "kernel"), _ints(g, "stride"), _ints(g, "padding"),
                      _ints(g, "dilation"), int(g.attrs["groups"]), bias="bias" in g)
        m.weight.data.copy_(w)
        if "bias" in g:
            m.bias.data.copy_(p("bias"))
        return m
    if op == "batchnorm2d":
        rm = p("running_mean")
        m = nn.BatchNorm2d(rm.shape[0], eps=float(g.attrs["eps"]), momentum=float(g.attrs["momentum"]),
                           affine="weight" in g)
        if "weight" in g:
            m.weight.data.copy_(p("weight"))
            m.bias.data.copy_(p("bias"))
        m.running_mean.copy_(rm)
        m.running_var.copy_(p("running_var"))
        return m
    if op == "relu":
        return nn.ReLU()
    if op == "maxpool2d":
        return nn.MaxPool2d(_ints(g, "kernel"), _ints(g, "stride"), _ints(g, "padding"))
    if op == "avgpool2d":
        return nn.AvgPool2d(_ints(g, "kernel"), _ints(g, "stride"), _ints(g, "padding"),
                            count_include_pad=bool(int(np.asarray(g.attrs["count_include_pad"]).reshape(-1)[0])))
    if op == "global_avgpool":
        return _Gap()
    if op == "linear":
        w = p("weight")
        m = _Linear(w.shape[1], w.shape[0], bias="bias" in g)
        m.weight.data.copy_(w)
        if "bias" in g:
            m.bias.data.copy_(p("bias"))
        return m
    if op == "add":
        return _Add()
    if op == "concat":
        return _Cat()
    if op == "identity":
        return nn.Identity()
    if op == "zero":
        return Zero(_ints(g, "stride"))
    if op == "mix":
        return Mix(p("alpha"))
    if op == "shift":
        return Shift(_ints(g, "offset"))
    raise ValueError("unknown op '%s'" % op)


def load(path):
    with h5py.File(path, "r") as f:
        if _s(f.attrs["format"]) != "archrepair-model":
            raise ValueError("%s: not an archrepair model" % path)
        keys = sorted(f["graph"].keys(), key=int)
        nodes, mods = [], []
        for k in keys:
            g = f["graph"][k]
            op = _s(g.attrs["op"])
            try:
                mods.append(_module(op, g))
            except (KeyError, ValueError) as e:
                raise ValueError("%s: node %s '%s': %s" % (path, k, _s(g.attrs["name"]), e))
            nodes.append((op, _s(g.attrs["name"]), _s(g.attrs["block"]), _ints(g, "inputs")))
        return ArchNet(nodes, mods, np.asarray(f.attrs["mean"], np.float32),
                       np.asarray(f.attrs["std"], np.float32), _s(f.attrs["arch"]),
                       _ints_root(f, "input_shape"), int(np.asarray(f.attrs["num_classes"]).reshape(-1)[0]))


def _ints_root(f, k):
    return [int(x) for x in np.asarray(f.attrs[k]).reshape(-1)]


def normalize(net, images_nhwc_u8):
    x = torch.tensor(np.asarray(images_nhwc_u8), dtype=torch.float32).permute(0, 3, 1, 2) / 255.0
    return (x - net.mean.view(1, -1, 1, 1)) / net.std.view(1, -1, 1, 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model")
    ap.add_argument("--check", help="dataset HDF5 (/images NHWC uint8, /labels): prints accuracy")
    a = ap.parse_args()
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
    except (ValueError, OSError, KeyError) as e:
        sys.exit("torch_import: %s" % e)
