"""A small VGG for CIFAR as people write one: a features Sequential built
from a configuration list (conv-BN-ReLU6 units, max pools), x.view(x.size(0),
-1), and a classifier Sequential with Dropout between the linears; one
functional dropout and one F.relu6 in forward. For the archrepair PyTorch
tests."""
import torch
import torch.nn as nn
import torch.nn.functional as F

CFG = {"S": [16, "M", 32, "M", 64, 64, "M", 128, "M"],
       "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]}


class ConvBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)
        self.bn = nn.BatchNorm2d(cout)
        self.act = nn.ReLU6(inplace=True)

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class VGG(nn.Module):
    def __init__(self, cfg="S", num_classes=10, hidden=64, image=32):
        super().__init__()
        layers, c, side = [], 3, image
        for v in CFG[cfg]:
            if v == "M":
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
                side //= 2
            else:
                layers.append(ConvBlock(c, v))
                c = v
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(
            nn.Dropout(0.5), nn.Linear(c * side * side, hidden), nn.ReLU(True),
            nn.Dropout(p=0.5), nn.Linear(hidden, hidden))
        self.head = nn.Linear(hidden, num_classes)

    def forward(self, x):
        x = self.features(x)
        x = x.view(x.size(0), -1)
        x = self.classifier(x)
        x = F.relu6(x)
        x = F.dropout(x, 0.2, training=self.training)
        return self.head(torch.flatten(x, 1))
