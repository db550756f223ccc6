"""A MobileNetV2/V3-style network for CIFAR: a conv-BN-Hardswish stem,
inverted residual blocks (1x1 expansion, 3x3 depthwise, 1x1 linear
projection; a residual add when stride is 1 and the width is kept) with
SiLU or Hardswish activations (module and functional), a 1x1 head,
AdaptiveAvgPool2d(1), torch.flatten, Dropout and a linear classifier. For
the archrepair PyTorch tests."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class ConvBNAct(nn.Sequential):
    def __init__(self, cin, cout, k=3, stride=1, groups=1, act=nn.SiLU):
        super().__init__(nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False),
                         nn.BatchNorm2d(cout), act() if act else nn.Identity())


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand, hswish=False):
        super().__init__()
        hidden = cin * expand
        act = nn.Hardswish if hswish else nn.SiLU
        self.use_res = stride == 1 and cin == cout
        layers = []
        if expand != 1:
            layers.append(ConvBNAct(cin, hidden, 1, act=act))
        layers += [ConvBNAct(hidden, hidden, 3, stride, groups=hidden, act=act),
                   nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout)]
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        if self.use_res:
            return x + self.conv(x)
        return self.conv(x)


class MobileNet(nn.Module):
    # expansion, channels, repeats, stride, hardswish
    SETTINGS = [(1, 16, 1, 1, False), (4, 24, 2, 2, False), (4, 32, 2, 2, True),
                (4, 48, 2, 1, True), (4, 64, 1, 2, True)]

    def __init__(self, num_classes=10, width=1.0, dropout=0.2):
        super().__init__()
        c = int(16 * width)
        self.stem = ConvBNAct(3, c, 3, 1, act=nn.Hardswish)
        blocks = []
        for t, ch, n, s, hs in self.SETTINGS:
            out = int(ch * width)
            for i in range(n):
                blocks.append(InvertedResidual(c, out, s if i == 0 else 1, t, hs))
                c = out
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Conv2d(c, 4 * c, 1, bias=False)
        self.head_bn = nn.BatchNorm2d(4 * c)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(4 * c, num_classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        x = F.hardswish(self.head_bn(self.head(x)))
        x = F.silu(x) + x  # a functional SiLU and a residual outside any block
        x = torch.flatten(self.pool(x), 1)
        return self.fc(self.dropout(x))
