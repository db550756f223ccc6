#!/usr/bin/python3
"""check_export_errors.py TOOLS TMP - what tools/torch_export.py cannot hold
fails with a message naming the op or layer and the module it sits in
(and writes no file); tools/torch_import.py refuses a class that does not
fit a model file, naming the entry; the zoo form of the command line still
works. Each case: a small module, the substrings its error must contain."""
import os
import subprocess
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

tools, tmp = sys.argv[1], sys.argv[2]
sys.path.insert(0, tools)
import torch_export  # noqa: E402
from torch_export import ExportError, export  # noqa: E402


class Stem(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class Head(nn.Module):
    def __init__(self, c=8):
        super().__init__()
        self.fc = nn.Linear(c, 4)

    def forward(self, x):
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class SEBlock(nn.Module):
    def __init__(self, c=8):
        super().__init__()
        self.fc = nn.Linear(c, c)

    def forward(self, x):
        s = torch.sigmoid(self.fc(x.mean((2, 3))))
        return x * s[:, :, None, None]


class Net(nn.Module):
    """stem, the middle under test, head"""

    def __init__(self, middle, head=None):
        super().__init__()
        self.stem = Stem()
        self.middle = middle
        self.head = head if head is not None else Head()

    def forward(self, x):
        return self.head(self.middle(self.stem(x)))


class Lambda(nn.Module):
    def __init__(self, f):
        super().__init__()
        self.f = f

    def forward(self, x):
        return self.f(x)


class Scale(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(1, 8, 1, 1))

    def forward(self, x):
        return x * self.scale


class Tuple(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = Net(nn.Identity())

    def forward(self, x):
        y = self.net(x)
        return y, y


class Write(nn.Module):
    def forward(self, x):
        x[:, 0] = 0
        return x


CASES = [
    ("squeeze-excitation (sigmoid, mul)", Net(SEBlock()), ["torch.sigmoid", "module 'middle' (SEBlock)", "not supported"]),
    ("GELU layer", Net(nn.GELU()), ["module 'middle' (GELU) is not supported"]),
    ("BatchNorm1d in the head", Net(nn.Identity(), nn.Sequential(nn.Flatten(), nn.BatchNorm1d(8 * 8 * 8))),
     ["module 'head.1' (BatchNorm1d) is not supported"]),
    ("F.interpolate", Net(Lambda(lambda x: F.interpolate(x, scale_factor=2))),
     ["F.interpolate", "module 'middle' (Lambda)", "not supported"]),
    ("dropout without training=", Net(Lambda(lambda x: F.dropout(x, 0.5))),
     ["F.dropout", "training=True", "training=self.training"]),
    ("a parameter outside a layer", Net(Scale()), ["Tensor.mul", "module 'middle' (Scale)"]),
    ("a batch slice", Net(Lambda(lambda x: x[1:, :])), ["Tensor.__getitem__", "batch dim 0"]),
    ("a strided channel slice", Net(Lambda(lambda x: x[:, ::2])), ["dim 1 with a step", "x[:, a:b]"]),
    ("an integer index", Net(Lambda(lambda x: x[:, 0])), ["indexing", "only slices"]),
    ("linear on a feature map", Net(nn.Identity(), nn.Linear(8, 4)),
     ["module 'head' (Linear)", "[3, 8, 8, 8]", "flatten first"]),
    ("adding a constant", Net(Lambda(lambda x: x + 1.0)), ["Tensor.add", "two tensors"]),
    ("ceil_mode pooling", Net(nn.MaxPool2d(3, 2, ceil_mode=True)), ["module 'middle' (MaxPool2d)", "ceil_mode"]),
    ("a tuple output", Tuple(), ["Tuple.forward returns tuple"]),
    ("writing into a tensor", Net(Write()), ["__setitem__", "module 'middle' (Write)", "in place"]),
    ("conv on a globally pooled vector", Net(nn.AdaptiveAvgPool2d(1), nn.Sequential(nn.Conv2d(8, 4, 1), nn.Flatten())),
     ["module 'head.0' (Conv2d): needs a [N, C, H, W] feature map", "[3, 8, 1, 1] in PyTorch and [8]"]),
    ("a constant tensor", Net(Lambda(lambda x: x + torch.ones(1, 8, 1, 1))),
     ["torch.ones called in module 'middle' (Lambda)", "does not come from the network input"]),
    ("a reflect pad", Net(Lambda(lambda x: F.pad(x, (1, 1, 1, 1), mode="reflect"))), ["F.pad", "only constant zeros"]),
]


def main():
    bad = 0
    out = os.path.join(tmp, "err.h5")
    for what, model, want in CASES:
        if os.path.exists(out):
            os.remove(out)
        try:
            export(model, out, (3, 8, 8))
            msg = None
        except ExportError as e:
            msg = str(e)
        ok = msg is not None and all(w in msg for w in want) and not os.path.exists(out)
        print("%-36s %s: %s" % (what, "ok" if ok else "WRONG", msg))
        if not ok:
            print("    wanted: %s" % want)
            bad += 1
    # the command line: message on stderr, exit status 1
    py = os.path.join(tmp, "errnet.py")
    with open(py, "w") as f:
        f.write("import torch.nn as nn\nclass Net(nn.Module):\n"
                "    def __init__(self, c=4):\n        super().__init__()\n"
                "        self.conv = nn.Conv2d(3, c, 3)\n        self.act = nn.GELU()\n"
                "        self.fc = nn.Linear(c, 2)\n"
                "    def forward(self, x):\n        return self.fc(self.act(self.conv(x)).mean((2, 3)))\n"
                "class Ok(nn.Module):\n    def __init__(self, c=4):\n        super().__init__()\n"
                "        self.conv = nn.Conv2d(3, c, 3)\n        self.fc = nn.Linear(c, 2)\n"
                "    def forward(self, x):\n        return self.fc(self.conv(x).mean((2, 3)))\n")
    exe = [sys.executable, os.path.join(tools, "torch_export.py")]
    imp = [sys.executable, os.path.join(tools, "torch_import.py")]
    ok_h5 = os.path.join(tmp, "ok.h5")
    runs = [
        (exe + ["--module", py + ":Net", "--input", "3,8,8", "--out", out], 1,
         ["torch_export: module 'act' (GELU) is not supported"]),
        (exe + ["--module", py + ":Nope", "--input", "3,8,8", "--out", out], 1, ["has no 'Nope'"]),
        (exe + ["--module", py + ":Ok", "--kwargs", "{\"c\": 4}", "--input", "3,8,8", "--out",
                ok_h5], 0, []),
        (imp + [ok_h5, "--module", py + ":Ok", "--kwargs", "{\"c\": 5}", "--out",
                os.path.join(tmp, "w.pth")], 1,
         ["torch_import: node 'conv': 'conv.bias' is [4] in the file, [5] in Ok"]),
        # Net's weights fit the file, but it puts a GELU between conv and fc: caught by the
        # logits check
        (imp + [ok_h5, "--module", py + ":Net", "--out", os.path.join(tmp, "w.pth")], 1,
         ["errnet.py:Net with the file's weights does not compute what the file computes"]),
        (imp + [ok_h5, "--module", py + ":Ok", "--out", os.path.join(tmp, "w.pth")], 0,
         ["state_dict of", "4 entries from the file"]),
        (exe + ["resnet20", os.path.join(tmp, "zoo.h5"), "--width", "0.25"], 0, ["72 nodes"]),
    ]
    for cmd, rc, want in runs:
        r = subprocess.run(cmd, capture_output=True, text=True)
        text = r.stdout + r.stderr
        ok = r.returncode == rc and all(w in text for w in want)
        print("%-36s %s: rc %d %s" % (" ".join(os.path.basename(c) for c in cmd[1:4]),
                                      "ok" if ok else "WRONG", r.returncode, text.strip()))
        bad += not ok
    print("%d of %d cases wrong" % (bad, len(CASES) + len(runs)))
    sys.exit(1 if bad else 0)


main()
