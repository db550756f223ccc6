"""A ShuffleNetV2-style network for CIFAR, the channel split and the crops
as people write them: each unit splits its channels (x[:, :c], x[:, c:]),
transforms one half (1x1, depthwise 3x3, 1x1, BN, ReLU) and concatenates it
after the other; between the stages a border crop (x[:, :, 1:-1, 1:-1]), a
negative F.pad and an offset strided subsample (x[:, :, ::2, 1::2]); then
mean((2, 3)) and a linear classifier. For the archrepair PyTorch tests
(tools/torch_export.py turns the slices and the negative pad into pad nodes
that crop, and the step into a 1x1 average pool)."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class SplitUnit(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c // 2
        self.branch = nn.Sequential(
            nn.Conv2d(h, h, 1, bias=False), nn.BatchNorm2d(h), nn.ReLU(inplace=True),
            nn.Conv2d(h, h, 3, padding=1, groups=h, bias=False), nn.BatchNorm2d(h),
            nn.Conv2d(h, h, 1, bias=False), nn.BatchNorm2d(h), nn.ReLU(inplace=True))

    def forward(self, x):
        h = x.size(1) // 2
        return torch.cat([x[:, :h], self.branch(x[:, h:])], 1)


class SplitNet(nn.Module):
    def __init__(self, num_classes=10, width=16):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, width, 3, padding=1, bias=False),
                                  nn.BatchNorm2d(width), nn.ReLU(inplace=True))
        self.stage1 = nn.Sequential(SplitUnit(width), SplitUnit(width))
        self.widen = nn.Sequential(nn.Conv2d(width, 2 * width, 1, bias=False),
                                   nn.BatchNorm2d(2 * width), nn.ReLU(inplace=True))
        self.stage2 = SplitUnit(2 * width)
        self.fc = nn.Linear(2 * width, num_classes)

    def forward(self, x):
        x = self.stage1(self.stem(x))          # [N, 16, 32, 32]
        x = x[:, :, 1:-1, 1:-1]                 # [N, 16, 30, 30]
        x = F.pad(x, (-1, 0, 0, -1))            # [N, 16, 29, 29]
        x = x[:, :, ::2, 1::2]                  # [N, 16, 15, 14]
        x = self.stage2(self.widen(x))
        return self.fc(x.mean((2, 3)))
