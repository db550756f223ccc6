"""torch_models.py - PyTorch definitions of the archrepair zoo (common/nn/zoo.c).

The same architectures, module names and node order as the C zoo, so that
tools/torch_export.py turns them into model files whose graphs equal
ar_zoo_build's, and golden files (tools/make_golden.py) pin our numbers to
PyTorch's. Run with /usr/bin/python3 (Debian's python3-torch).

    resnet20/32/56       He et al. CIFAR ResNets, 1x1 conv + BN projections
    resnet18/34/50/101   CIFAR style (3x3 stem, no max-pool)
    densenet121          CIFAR style (growth 32, bottleneck, reduction 0.5)
"""
import torch
import torch.nn as nn


def ch(c, width):
    return max(1, int(round(c * width)))


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or in_planes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(in_planes, planes, 1, stride, bias=False),
                                            nn.BatchNorm2d(planes))
        self.relu2 = nn.ReLU()

    def forward(self, x):
        out = self.relu1(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        sc = self.downsample(x) if self.downsample is not None else x
        return self.relu2(out + sc)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, in_planes, planes, stride):
        super().__init__()
        out = 4 * planes
        self.conv1 = nn.Conv2d(in_planes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.relu2 = nn.ReLU()
        self.conv3 = nn.Conv2d(planes, out, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out)
        self.downsample = None
        if stride != 1 or in_planes != out:
            self.downsample = nn.Sequential(nn.Conv2d(in_planes, out, 1, stride, bias=False),
                                            nn.BatchNorm2d(out))
        self.relu3 = nn.ReLU()

    def forward(self, x):
        y = self.relu1(self.bn1(self.conv1(x)))
        y = self.relu2(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        sc = self.downsample(x) if self.downsample is not None else x
        return self.relu3(y + sc)


class ResNet(nn.Module):
    def __init__(self, block, stem, widths, blocks, strides, width=1.0, in_c=3, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(in_c, ch(stem, width), 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(ch(stem, width))
        self.relu = nn.ReLU()
        in_planes = ch(stem, width)
        for s, (w, n, st) in enumerate(zip(widths, blocks, strides)):
            layers = []
            for k in range(n):
                layers.append(block(in_planes, ch(w, width), st if k == 0 else 1))
                in_planes = ch(w, width) * block.expansion
            setattr(self, "layer%d" % (s + 1), nn.Sequential(*layers))
        self.nstages = len(widths)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(in_planes, classes)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        for s in range(self.nstages):
            x = getattr(self, "layer%d" % (s + 1))(x)
        return self.fc(torch.flatten(self.avgpool(x), 1))


class DenseLayer(nn.Module):
    def __init__(self, in_planes, growth):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.relu1 = nn.ReLU()
        self.conv1 = nn.Conv2d(in_planes, 4 * growth, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(4 * growth)
        self.relu2 = nn.ReLU()
        self.conv2 = nn.Conv2d(4 * growth, growth, 3, 1, 1, bias=False)

    def forward(self, x):
        y = self.relu1(self.bn1(x))
        y = self.relu2(self.bn2(self.conv1(y)))
        y = self.conv2(y)
        return torch.cat([y, x], 1)


class Transition(nn.Module):
    def __init__(self, in_planes, out_planes):
        super().__init__()
        self.bn = nn.BatchNorm2d(in_planes)
        self.relu = nn.ReLU()
        self.conv = nn.Conv2d(in_planes, out_planes, 1, bias=False)
        self.pool = nn.AvgPool2d(2)

    def forward(self, x):
        return self.pool(self.conv(self.relu(self.bn(x))))


class DenseNet(nn.Module):
    def __init__(self, growth=32, nblocks=(6, 12, 24, 16), in_c=3, classes=10):
        super().__init__()
        planes = 2 * growth
        self.conv1 = nn.Conv2d(in_c, planes, 3, 1, 1, bias=False)
        for s, n in enumerate(nblocks):
            layers = []
            for k in range(n):
                layers.append(DenseLayer(planes, growth))
                planes += growth
            setattr(self, "dense%d" % (s + 1), nn.Sequential(*layers))
            if s < len(nblocks) - 1:
                setattr(self, "trans%d" % (s + 1), Transition(planes, planes // 2))
                planes //= 2
        self.nstages = len(nblocks)
        self.bn = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(planes, classes)

    def forward(self, x):
        x = self.conv1(x)
        for s in range(self.nstages):
            x = getattr(self, "dense%d" % (s + 1))(x)
            if s < self.nstages - 1:
                x = getattr(self, "trans%d" % (s + 1))(x)
        x = self.relu(self.bn(x))
        return self.fc(torch.flatten(self.avgpool(x), 1))


BLOCK_TYPES = (BasicBlock, Bottleneck, DenseLayer)


def build(name, width=1.0, in_c=3, classes=10, growth=0):
    w3, s3 = (16, 32, 64), (1, 2, 2)
    w4, s4 = (64, 128, 256, 512), (1, 2, 2, 2)
    if name in ("resnet20", "resnet32", "resnet56"):
        n = (int(name[6:]) - 2) // 6
        return ResNet(BasicBlock, 16, w3, (n, n, n), s3, width, in_c, classes)
    if name == "resnet18":
        return ResNet(BasicBlock, 64, w4, (2, 2, 2, 2), s4, width, in_c, classes)
    if name == "resnet34":
        return ResNet(BasicBlock, 64, w4, (3, 4, 6, 3), s4, width, in_c, classes)
    if name == "resnet50":
        return ResNet(Bottleneck, 64, w4, (3, 4, 6, 3), s4, width, in_c, classes)
    if name == "resnet101":
        return ResNet(Bottleneck, 64, w4, (3, 4, 23, 3), s4, width, in_c, classes)
    if name == "densenet121":
        return DenseNet(growth or ch(32, width), in_c=in_c, classes=classes)
    raise ValueError("unknown model " + name)


if __name__ == "__main__":
    for n in ("resnet20", "resnet32", "resnet56", "resnet18", "resnet34", "resnet50",
              "resnet101", "densenet121"):
        m = build(n)
        print(n, sum(p.numel() for p in m.parameters()))
