"""The SimCLR network: an encoder f and a projection head g (given).

``Model(feature_dim=128)`` is the classic one: a ResNet-50 adapted to 32x32 images (a 3x3 stride-1
first convolution, no max-pool, no final linear layer; 2048 features) and the head Linear(2048, 512,
bias=False), BatchNorm1d, ReLU, Linear(512, feature_dim). The course's pretrained weights fit it.

``Model(feature_dim, arch="small")`` keeps the interface with a four-layer CNN (128 features, about a
hundredth of ResNet-50's cost): the offline notebook pretrains it on a CPU in under a minute.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models.resnet import resnet50

__all__ = ["Model", "Classifier", "ARCHS"]

ARCHS = ("resnet50", "small")


def _resnet50_encoder():
    layers = []
    for name, module in resnet50().named_children():
        if name == "conv1":
            module = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
        if not isinstance(module, (nn.Linear, nn.MaxPool2d)):
            layers.append(module)
    return nn.Sequential(*layers), 2048  # ends with the global average pool: (N, 2048, 1, 1)


def _small_encoder(width=16):
    def block(cin, cout):
        return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]

    w = width
    layers = (block(3, w) + [nn.MaxPool2d(2)]            # (N, w, 16, 16)
              + block(w, 2 * w) + [nn.MaxPool2d(2)]      # (N, 2w, 8, 8)
              + block(2 * w, 4 * w) + [nn.MaxPool2d(2)]  # (N, 4w, 4, 4)
              + block(4 * w, 4 * w) + [nn.AdaptiveAvgPool2d(1)])
    return nn.Sequential(*layers), 4 * w


def _encoder(arch):
    if arch == "resnet50":
        return _resnet50_encoder()
    if arch == "small":
        return _small_encoder()
    raise ValueError(f"unknown arch {arch!r}: use one of {ARCHS}")


class Model(nn.Module):
    """SimCLR's encoder f and projection head g.

    Inputs:
    - feature_dim: size of the projection head's output z.
    - arch: "resnet50" (the classic, 2048 features) or "small" (the offline notebook's CNN, 128 features).

    forward(x), x of shape (N, 3, 32, 32), returns (F.normalize(feature), F.normalize(out)): the
    encoder's features h (N, encoder_dim) and the head's z (N, feature_dim), each row of norm 1.
    """

    def __init__(self, feature_dim=128, arch="resnet50"):
        super().__init__()
        self.arch = arch
        # encoder
        self.f, self.encoder_dim = _encoder(arch)
        # projection head
        hidden = 512 if arch == "resnet50" else self.encoder_dim
        self.g = nn.Sequential(nn.Linear(self.encoder_dim, hidden, bias=False), nn.BatchNorm1d(hidden),
                               nn.ReLU(inplace=True), nn.Linear(hidden, feature_dim, bias=True))

    def forward(self, x):
        x = self.f(x)
        feature = torch.flatten(x, start_dim=1)  # (N, encoder_dim)
        out = self.g(feature)                    # (N, feature_dim)
        return F.normalize(feature, dim=-1), F.normalize(out, dim=-1)


class Classifier(nn.Module):
    """A linear probe: the encoder f of a Model (same arch) and one linear layer on its features.

    The classic notebook defines it in a cell; the state dict of a Model loads into it with
    strict=False (the encoder's keys, f.*, match). Freeze f to probe a representation.
    """

    def __init__(self, num_class, arch="resnet50"):
        super().__init__()
        # Encoder.
        self.f, encoder_dim = _encoder(arch)
        # Classifier.
        self.fc = nn.Linear(encoder_dim, num_class, bias=True)

    def forward(self, x):
        x = self.f(x)
        feature = torch.flatten(x, start_dim=1)
        out = self.fc(feature)
        return out
