"""Comparing generators: a Fréchet distance on the features of a small classifier.

This is not the FID of the literature: that uses Inception-v3 features learned on ImageNet. For 28x28
grey images we train a small CNN classifier (FeatureNet) on the GAN's own dataset and fit Gaussians to
its 64 penultimate features, so the numbers compare generators within one dataset only.

Nothing here imports the assignment's modules: the generator is any module mapping noise (N, D) drawn
uniformly from [-1, 1) to images (N, 784) in [-1, 1].
"""

import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from cs231n.data.paths import datasets_dir


class FeatureNet(nn.Module):
    """A small CNN classifier for 28x28 images; its 64-dim penultimate layer serves as features."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (N, 16, 14, 14)
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (N, 32, 7, 7)
            nn.Flatten(), nn.Linear(32 * 7 * 7, 64), nn.ReLU(),  # (N, 64)
        )
        self.head = nn.Linear(64, num_classes)

    def features(self, x):
        """Features (N, 64) of images x (N, 784) or (N, 1, 28, 28) in [-1, 1]."""
        return self.body(x.reshape(-1, 1, 28, 28))

    def forward(self, x):
        return self.head(self.features(x))


def train_feature_classifier(train_set, test_set, num_train=20000, epochs=2, batch_size=128, seed=0,
                             cache=True, verbose=True):
    """
    Train FeatureNet on the GAN's own dataset (or load it from the cache under datasets/).

    Inputs:
    - train_set, test_set: the datasets returned by load_gan_data(True) and load_gan_data(False).
    - num_train, epochs, batch_size: training size; a couple of epochs on 20000 images give ~90%.
    - seed: seed for the initialization and the shuffling.
    - cache: load/save the weights at datasets/gan_feature_net_v1_<dataset>.pt (v1: FeatureNet as defined here).

    Returns:
    - model: the trained FeatureNet, in eval mode, on the CPU.
    - test_acc: its accuracy on the first 2000 test images.
    """
    name = getattr(train_set, "gan_name", type(train_set).__name__)
    path = datasets_dir() / f"gan_feature_net_v1_{name.replace('-', '_').lower()}.pt"
    torch.manual_seed(seed)
    model = FeatureNet()
    x_test, y_test = _scaled(test_set, 2000)
    if cache and path.is_file():
        model.load_state_dict(torch.load(path, weights_only=True))
        model.eval()
        acc = _accuracy(model, x_test, y_test)
        _say(verbose, f"Feature classifier ({name}): loaded from {path}, test accuracy {acc:.3f}")
        return model, acc
    x, y = _scaled(train_set, num_train)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    fit_classifier(model, opt, x, y, epochs, batch_size, torch.Generator().manual_seed(seed))
    acc = _accuracy(model, x_test, y_test)
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        torch.save(model.state_dict(), tmp)
        os.replace(tmp, path)
    _say(verbose, f"Feature classifier ({name}): trained on {len(x)} images, test accuracy {acc:.3f}")
    return model, acc


def fit_classifier(model, opt, x, y, epochs, batch_size, generator):
    """
    Train a classifier with cross-entropy on minibatches; the loop that FeatureNet and the DDPM
    notebook's SceneClassifier (cs231n.metrics.ddpm_features) share.

    Inputs:
    - model: a module mapping x[idx] to logits (B, C); opt: its optimizer.
    - x, y: all training inputs (N, ...) and labels (N,).
    - epochs, batch_size: passes over x, each in a fresh order drawn from generator, and minibatch size
      (the last batch of an epoch may be smaller).
    - generator: a torch.Generator that draws the orders (so the model's own random state is untouched).

    Returns:
    - model, trained, in eval mode.
    """
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=generator)
        for i in range(0, len(x), batch_size):
            idx = order[i: i + batch_size]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model.eval()


@torch.no_grad()
def _accuracy(model, x, y):
    return float((model(x).argmax(1) == y).float().mean())


@torch.no_grad()
def classifier_features(model, images, batch_size=500):
    """Features (N, 64) float64 numpy of images (N, 784) or (N, 1, 28, 28) in [-1, 1]."""
    images = torch.as_tensor(images, dtype=torch.float32).cpu()
    feats = [model.features(images[i: i + batch_size]) for i in range(0, len(images), batch_size)]
    return torch.cat(feats).double().numpy()


def frechet_distance(feats1, feats2):
    """
    Fréchet distance between Gaussians fitted to two feature sets (N1, F) and (N2, F):

      ||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2))

    Tr((S1 S2)^(1/2)) is computed as the sum of the square roots of the eigenvalues of the symmetric
    matrix S1^(1/2) S2 S1^(1/2), which has the same eigenvalues as S1 S2.
    """
    mu1, mu2 = feats1.mean(0), feats2.mean(0)
    s1, s2 = np.cov(feats1, rowvar=False), np.cov(feats2, rowvar=False)
    w, v = np.linalg.eigh(s1)
    s1_half = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    m = s1_half @ s2 @ s1_half
    tr_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh((m + m.T) / 2), 0, None)).sum()
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * tr_sqrt)


@torch.no_grad()
def generate_images(G, n=1000, noise_dim=96, seed=0, batch_size=500):
    """n generator samples (n, 784) in [-1, 1] on the CPU, from noise seeded with seed.

    G stays in its current mode (the training loop leaves it in train mode, so BatchNorm uses the
    statistics of each batch, as during training).
    """
    device = next(G.parameters()).device
    g = torch.Generator().manual_seed(seed)
    out = []
    for i in range(0, n, batch_size):
        z = 2 * torch.rand(min(batch_size, n - i), noise_dim, generator=g) - 1
        out.append(G(z.to(device)).reshape(-1, 784).cpu())
    return torch.cat(out)


def _scaled(dataset, n):
    """The first n images of an MNIST-style dataset as (n, 1, 28, 28) in [-1, 1], and labels (n,)."""
    x = dataset.data[:n].float().div(255).unsqueeze(1)
    return 2 * x - 1, dataset.targets[:n].clone()


def real_features(feature_net, dataset, n=1000):
    """Features (n, 64) of the first n images of dataset (the reference set of the distance)."""
    return classifier_features(feature_net, _scaled(dataset, n)[0])


def generator_distance(feature_net, real_feats, G, n=1000, noise_dim=96, seed=0):
    """Fréchet distance between real_feats and the features of n samples of G (lower is better)."""
    return frechet_distance(real_feats, classifier_features(feature_net, generate_images(G, n, noise_dim, seed)))


def _say(verbose, line):
    if verbose:
        print(line)
