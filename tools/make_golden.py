#!/usr/bin/python3
"""make_golden.py - regenerates the PyTorch golden files under tests/golden/.

Each file is a model file (written by tools/torch_export.py, i.e. by h5py)
plus a /golden group that pins PyTorch's numbers for it:
    x [N, C, H, W] float32, labels [N] int32, eval_logits [N, K]
    train step (train mode, mean cross-entropy, SGD lr/momentum/weight_decay
    in attributes): train_logits, attribute loss, grad/<node>/<param> for
    every trainable parameter, after/<node>/<param> for every parameter and
    BN running statistic after optimiser.step().
    attributes: zoo, width, growth (the ar_zoo_build arguments that must give
    the same graph, or zoo = "" for the hand-made model)
tests/graph/test_golden.c compares our engine against them (1e-4 relative).
Narrow widths and batches of 2-4 keep the files small. Run:
    /usr/bin/python3 tools/make_golden.py [OUTDIR [NAME...]]   (NAME: allops, resnet20,
        resnet18, densenet121, torchops; default all)
"""
import os
import sys

import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_export  # noqa: E402
import torch_import  # noqa: E402
import torch_models  # noqa: E402


class AllOps(nn.Module):
    """Every op of the model format, small (3x8x8 -> 5 classes)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, 1, 1, bias=True)
        self.bn1 = nn.BatchNorm2d(4)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(3, 2, 1)
        self.conv2 = nn.Conv2d(4, 4, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(4, affine=False, eps=1e-3, momentum=0.2)
        self.id = nn.Identity()
        self.zero = torch_import.Zero((1, 1))
        self.conv3 = nn.Conv2d(12, 6, 1, groups=2)
        self.dw = nn.Conv2d(6, 6, 3, 1, 2, dilation=2, groups=6, bias=False)
        self.avg = nn.AvgPool2d(3, 1, 1, count_include_pad=False)
        self.avg2 = nn.AvgPool2d(2)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(6, 5)

    def forward(self, x):
        a = self.pool1(self.relu1(self.bn1(self.conv1(x))))
        b = F.relu(self.bn2(self.conv2(a))) + self.id(a)
        c = torch.cat([b, self.zero(b), a], 1)
        d = self.avg(self.dw(self.conv3(c)))
        d = self.avg2(d)
        return self.fc(torch.flatten(self.gap(d), 1))


class TorchOps(nn.Module):
    """The ops PyTorch models bring (clamp as ReLU6 and Hardtanh, silu,
    hardswish, pad of channels and of rows / columns, the strided subsample
    of an option-A shortcut), small (3x8x8 -> 4 classes)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, 1, 1)
        self.bn1 = nn.BatchNorm2d(4)
        self.act1 = nn.ReLU6()
        self.conv2 = nn.Conv2d(4, 8, 3, 2, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(8)
        self.act2 = nn.Hardswish()
        self.conv3 = nn.Conv2d(8, 8, 1)
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        a = self.act1(self.bn1(self.conv1(x)))
        b = self.act2(self.bn2(self.conv2(F.silu(a))))
        s = F.pad(a[:, :, ::2, ::2], (0, 0, 0, 0, 2, 2))
        c = F.hardtanh(b + s, -1.0, 1.0)
        d = F.pad(self.conv3(c), (1, 0, 0, 1))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(d, 1), 1))


def randomize_bn(model, gen):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.rand(m.num_features, generator=gen) * 0.4 - 0.2)
            m.running_var.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
            if m.affine:
                m.weight.data.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
                m.bias.data.copy_(torch.rand(m.num_features, generator=gen) * 0.4 - 0.2)


def make(path, model, shape, n, zoo="", width=1.0, growth=0, lr=0.1, momentum=0.9, wd=5e-4):
    gen = torch.Generator().manual_seed(1234)
    with torch.no_grad():
        randomize_bn(model, gen)
    nodes = torch_export.export_nodes(model, shape)
    classes = model.fc.out_features
    torch_export.write(path, nodes, shape, classes, zoo or "allops",
                       mean=[0.5] * shape[0], std=[0.25] * shape[0])
    where = {}
    for nd in nodes:
        for k, v in nd["params"].items():
            where[id(v)] = (nd["name"], k)
    x = torch.randn(n, *shape, generator=gen)
    y = torch.randint(0, classes, (n,), generator=gen)
    model.eval()
    with torch.no_grad():
        eval_logits = model(x)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum, weight_decay=wd)
    opt.zero_grad()
    train_logits = model(x)
    loss = F.cross_entropy(train_logits, y)
    loss.backward()
    grads = {where[id(p)]: p.grad.detach().clone() for p in model.parameters()}
    opt.step()
    with h5py.File(path, "a", libver="latest") as f:
        g = f.create_group("golden")
        g.attrs.update(zoo=zoo, width=float(width), growth=int(growth), lr=float(lr),
                       momentum=float(momentum), weight_decay=float(wd),
                       loss=float(loss.item()))
        g["x"] = x.numpy().astype(np.float32)
        g["labels"] = y.numpy().astype(np.int32)
        g["eval_logits"] = eval_logits.numpy().astype(np.float32)
        g["train_logits"] = train_logits.detach().numpy().astype(np.float32)
        for (name, k), v in grads.items():
            g["grad/%s/%s" % (name, k)] = v.numpy().astype(np.float32)
        for nd in nodes:
            for k, v in nd["params"].items():
                g["after/%s/%s" % (nd["name"], k)] = v.detach().numpy().astype(np.float32)
    print("%s: %d nodes, loss %.6f, %d KiB" % (path, len(nodes), loss.item(),
                                               os.path.getsize(path) // 1024))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "tests", "golden")
    only = set(sys.argv[2:])  # file stems to make (default: all)
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    cases = [
        ("allops", lambda: AllOps(), (3, 8, 8), 3, dict(lr=0.05, momentum=0.0, wd=0.0)),
        ("resnet20", lambda: torch_models.build("resnet20", 0.25), (3, 32, 32), 4,
         dict(zoo="resnet20", width=0.25)),
        ("resnet18", lambda: torch_models.build("resnet18", 0.0625), (3, 32, 32), 2,
         dict(zoo="resnet18", width=0.0625)),
        ("densenet121", lambda: torch_models.build("densenet121", growth=2), (3, 32, 32), 2,
         dict(zoo="densenet121", growth=2)),
        ("torchops", lambda: TorchOps(), (3, 8, 8), 3, dict(lr=0.05, momentum=0.9, wd=5e-4)),
    ]
    torch.manual_seed(0)  # one stream for the four original files, in this order
    for name, build, shape, n, kw in cases:
        if name == "torchops":
            torch.manual_seed(1)
        model = build()
        if not only or name in only:
            make(os.path.join(out, name + ".h5"), model, shape, n, **kw)


if __name__ == "__main__":
    main()
