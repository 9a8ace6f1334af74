"""SimCLR's data: the augmentations (you complete them), pairs of views, and the notebook's datasets.

``CIFAR10Pair`` returns two independent augmentations of one CIFAR-10 image and its label. Offline,
``ScenesPair`` does the same for the generated shape scenes (cs231n/data/ssl.py), with the very same
``__getitem__``. ``load_ssl_data`` builds every dataset the notebook uses from whichever source
``cs231n.data.ssl.ssl_source`` picks, and says which.
"""

import random
from dataclasses import dataclass

import torch
from PIL import Image
from torch.utils.data import Subset
from torchvision import transforms
from torchvision.datasets import CIFAR10

from cs231n.data.ssl import CIFAR10_NAME, SCENES_NAME, ShapeScenes, ssl_source

__all__ = ["compute_train_transform", "compute_test_transform", "CIFAR10Pair", "ScenesPair", "SSLData",
           "load_ssl_data", "CIFAR10_MEAN", "CIFAR10_STD", "denormalize"]

CIFAR10_MEAN = [0.4914, 0.4822, 0.4465]
CIFAR10_STD = [0.2023, 0.1994, 0.2010]


def compute_train_transform(seed=123456):
    """
    This function returns a composition of data augmentations to a single training image.
    Complete the following lines. Hint: look at available functions in torchvision.transforms

    Inputs:
    - seed: Python's `random` and torch's generator are seeded with it (for reproducible checks).

    Returns:
    - train_transform: a transforms.Compose applying, in order, RandomResizedCrop(32), a horizontal
      flip with probability 0.5, colour jitter (brightness 0.4, contrast 0.4, saturation 0.4, hue 0.1)
      with probability 0.8, grayscale with probability 0.2, then ToTensor and Normalize(CIFAR-10's
      mean and std).
    """
    random.seed(seed)
    torch.random.manual_seed(seed)

    # Transformation that applies color jitter with brightness=0.4, contrast=0.4, saturation=0.4, and hue=0.1
    color_jitter = transforms.ColorJitter(0.4, 0.4, 0.4, 0.1)

    # Step 1: Randomly resize and crop to 32x32. (Given, as an example.)
    steps = [transforms.RandomResizedCrop(32)]

    # TODO: append steps 2 to 4 to `steps`, in this order. Hint: transforms.RandomHorizontalFlip,
    # transforms.RandomApply, transforms.RandomGrayscale.
    # Step 2: Horizontally flip the image with probability 0.5.
    # Step 3: With a probability of 0.8, apply color jitter (you can use "color_jitter" defined above).
    # Step 4: With a probability of 0.2, convert the image to grayscale.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    steps += [
        transforms.RandomHorizontalFlip(0.5),
        transforms.RandomApply([color_jitter], p=0.8),
        transforms.RandomGrayscale(0.2),
    ]
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

    train_transform = transforms.Compose(steps + [
        transforms.ToTensor(),
        transforms.Normalize(CIFAR10_MEAN, CIFAR10_STD)])
    return train_transform


def compute_test_transform():
    """ToTensor, then Normalize with CIFAR-10's mean and std (no augmentation)."""
    test_transform = transforms.Compose([
        transforms.ToTensor(),
        transforms.Normalize(CIFAR10_MEAN, CIFAR10_STD)])
    return test_transform


class CIFAR10Pair(CIFAR10):
    """CIFAR10 Dataset whose items are two augmented views of one image and its label."""

    def __getitem__(self, index):
        """
        Returns (x_i, x_j, target): self.transform applied twice, independently, to image `index`
        (two different random augmentations, x_i and x_j in the paper), and its label (through
        self.target_transform if there is one). Without a transform, x_i and x_j are None.
        """
        img, target = self.data[index], self.targets[index]
        img = Image.fromarray(img)

        x_i = None
        x_j = None

        if self.transform is not None:
            # TODO: Apply self.transform to the image to produce x_i and x_j in the paper.
            # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
            x_i = self.transform(img)
            x_j = self.transform(img)
            # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

        if self.target_transform is not None:
            target = self.target_transform(target)

        return x_i, x_j, target


class ScenesPair(ShapeScenes):
    """The generated shape scenes (the offline stand-in for CIFAR-10) as pairs: CIFAR10Pair's items."""

    __getitem__ = CIFAR10Pair.__getitem__


def denormalize(x):
    """Undo Normalize(CIFAR10_MEAN, CIFAR10_STD): images (..., 3, H, W) back to [0, 1] for plotting."""
    mean = torch.tensor(CIFAR10_MEAN, device=x.device).view(3, 1, 1)
    std = torch.tensor(CIFAR10_STD, device=x.device).view(3, 1, 1)
    return (x * std + mean).clamp(0, 1)


@dataclass
class SSLData:
    """Every dataset the notebook uses, from one source.

    - source: "CIFAR-10" or "generated shape scenes", for titles.
    - classes: the label names (the shapes offline; the labels SimCLR never sees).
    - pretrain: pairs (x_i, x_j, label) with the training augmentations, for contrastive training.
    - memory, test_pairs: pairs with the test transform: the kNN monitor's bank and queries.
    - probe_train: (x, label) with the test transform: the few labelled images of the probe. (The classic
      probe trains on augmented views; with a tenth of a few thousand images and a few dozen steps a
      linear layer learns faster from the images as they are.)
    - test: (x, label) with the test transform.
    - train_plain: (x, label) of the pretraining images with the test transform (for pictures).
    """

    source: str
    classes: list
    pretrain: torch.utils.data.Dataset
    memory: torch.utils.data.Dataset
    test_pairs: torch.utils.data.Dataset
    probe_train: torch.utils.data.Dataset
    test: torch.utils.data.Dataset
    train_plain: torch.utils.data.Dataset


def load_ssl_data(n_train=2000, n_test=1000, label_fraction=0.1, train_transform=None, test_transform=None,
                  root=None, verbose=True):
    """The notebook's datasets from CIFAR-10 (with internet or already downloaded) or the generated scenes.

    Inputs:
    - n_train: images used for pretraining (the first n_train of the training split; None: all).
    - n_test: test images (None: all; the scenes need a number).
    - label_fraction: the share of the n_train images whose labels the linear probe may use.
    - train_transform, test_transform: default compute_train_transform() and compute_test_transform().
    - root: where CIFAR-10 lies or lands (default datasets/); verbose: print the source line.

    Returns an SSLData.
    """
    train_transform = train_transform or compute_train_transform()
    test_transform = test_transform or compute_test_transform()
    kind, cifar_root = ssl_source(root, verbose=verbose)
    if kind == "cifar10":
        root = str(cifar_root)
        train = CIFAR10Pair(root, train=True, transform=train_transform)
        n_train = len(train) if n_train is None else min(n_train, len(train))
        first = list(range(n_train))
        labelled = first[:max(1, int(n_train * label_fraction))]
        test = CIFAR10(root, train=False, transform=test_transform)
        n_test = len(test) if n_test is None else min(n_test, len(test))
        return SSLData(
            source=CIFAR10_NAME, classes=list(train.classes),
            pretrain=Subset(train, first),
            memory=Subset(CIFAR10Pair(root, train=True, transform=test_transform), first),
            test_pairs=Subset(CIFAR10Pair(root, train=False, transform=test_transform), list(range(n_test))),
            probe_train=Subset(CIFAR10(root, train=True, transform=test_transform), labelled),
            test=Subset(test, list(range(n_test))),
            train_plain=Subset(CIFAR10(root, train=True, transform=test_transform), first))
    train = ShapeScenes(n_train or 2000, train=True)
    test = ShapeScenes(n_test or 1000, train=False)
    labelled = list(range(max(1, int(len(train) * label_fraction))))
    return SSLData(
        source=SCENES_NAME, classes=list(train.classes),
        pretrain=_view(train, ScenesPair, train_transform),
        memory=_view(train, ScenesPair, test_transform),
        test_pairs=_view(test, ScenesPair, test_transform),
        probe_train=Subset(_view(train, ShapeScenes, test_transform), labelled),
        test=_view(test, ShapeScenes, test_transform),
        train_plain=_view(train, ShapeScenes, test_transform))


def _view(dataset, cls, transform):
    """The same generated images as another dataset class with another transform (drawn once, shared)."""
    view = cls.__new__(cls)
    view.__dict__.update(dataset.__dict__)
    view.transform = transform
    return view
