"""Scoring the DDPM notebook's samples: features for a Fréchet distance, and how often a sample shows
what its prompt asked for.

On the embedded scenes a small CNN is trained (seconds) to name the 30 (colour, kind) classes; its
64-dim penultimate layer gives the features of cs231n.metrics.frechet.frechet_distance, and its
predictions say whether a sample conditioned on "a red star" looks like a red star to it. On the
course's emoji (no classes) the features are those of cs231n.models.random_features' fixed random CNN,
averaged over the image. Either way the numbers compare models on one dataset only: they are not the FID
of the literature.
"""

import torch
from torch import nn

from cs231n.metrics.frechet import fit_classifier, frechet_distance
from cs231n.models.random_features import random_cnn

__all__ = ["SceneClassifier", "train_scene_classifier", "features", "sample_distance", "random_features"]


class SceneClassifier(nn.Module):
    """A small CNN on (N, 3, S, S) images in [0, 1] (S divisible by 4); features() is (N, 64)."""

    def __init__(self, num_classes=30):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (N, 32, S/2, S/2)
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (N, 64, S/4, S/4)
            nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),  # (N, 64)
        )
        self.head = nn.Linear(64, num_classes)

    def features(self, x):
        return self.body(2 * x - 1)

    def forward(self, x):
        return self.head(self.features(x))


def train_scene_classifier(images, labels, epochs=12, batch_size=64, seed=0):
    """Train a SceneClassifier on images (N, 3, S, S) in [0, 1] with labels (N,); returns it in eval mode.

    Training sees each image also flipped left-right: the scenes' shapes are nearly symmetric, and the
    flips keep the classifier from keying on the renderer's exact pixels.
    """
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = SceneClassifier(int(labels.max()) + 1)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    x = torch.cat([images, images.flip(-1)])
    y = torch.cat([labels, labels])
    return fit_classifier(model, opt, x, y, epochs, batch_size, g)


@torch.no_grad()
def features(model, images, batch_size=500):
    """Features (N, F) float64 numpy of images (N, 3, S, S) in [0, 1] (model: SceneClassifier or random_features())."""
    images = images.float().cpu()
    out = [model.features(images[i: i + batch_size]) for i in range(0, len(images), batch_size)]
    return torch.cat(out).double().numpy()


def sample_distance(model, real_images, fake_images):
    """Fréchet distance between the features of two image sets (lower is closer)."""
    return frechet_distance(features(model, real_images), features(model, fake_images))


class _RandomFeatures(nn.Module):
    def __init__(self, seed):
        super().__init__()
        self.cnn = random_cnn(seed)[:8]  # three convolutions: 128 channels at a quarter of the resolution

    def features(self, x):
        return self.cnn(2 * x - 1).mean((2, 3))  # (N, 128)


def random_features(seed=0):
    """A fixed random CNN whose averaged activations (N, 128) serve as features where no classes exist."""
    return _RandomFeatures(seed).eval()
