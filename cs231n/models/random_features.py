"""The style-transfer notebook's offline feature extractor: a small VGG-like CNN with random weights.

Gram matrices of random convolutional features already capture much of a texture, so style transfer
runs without downloading a pretrained network; the results look less like the paintings than with
SqueezeNet's ImageNet features. Why these choices: README.md, "Style transfer".
"""

import torch
from torch import nn

__all__ = ["random_cnn"]


def random_cnn(seed=0):
    """The embedded feature extractor: a small VGG-like network with random weights, fixed by `seed`.

    Five 3x3 convolutions (64, 64, 128, 256, 256 channels), each followed by a ReLU, with 2x2 max
    pooling between them: cnn[1], cnn[4], cnn[7], cnn[10], cnn[13] are the ReLU outputs at 1, 1/2,
    1/4, 1/8 and 1/16 of the image's resolution. Weights are drawn from N(0, 2 / fan_in) (He), so
    activations keep their scale from layer to layer; biases from N(0, 0.5^2), so that each ReLU
    cuts its projection at a different level. Circular padding gives every pixel the same
    neighbourhood, so textures have no border. Nothing is trained or downloaded.

    It takes images normalised like SqueezeNet's input (cs231n.models.normalization), so the notebook
    preprocesses them the same way for either extractor. Returns an nn.Sequential in eval mode with
    its parameters frozen.
    """
    gen = torch.Generator().manual_seed(seed)
    layers, c_in = [], 3
    for i, c_out in enumerate((64, 64, 128, 256, 256)):
        if i > 0:
            layers.append(nn.MaxPool2d(2))
        conv = nn.Conv2d(c_in, c_out, 3, padding=1, padding_mode="circular")
        with torch.no_grad():
            conv.weight.normal_(0.0, (2.0 / (c_in * 9)) ** 0.5, generator=gen)
            conv.bias.normal_(0.0, 0.5, generator=gen)
        layers += [conv, nn.ReLU()]
        c_in = c_out
    return nn.Sequential(*layers).eval().requires_grad_(False)
