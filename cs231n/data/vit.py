"""The Vision Transformer notebook's images: CIFAR-10 through torchvision, or generated scenes offline.

Real source: CIFAR-10 (the 2025 notebook's data), downloaded and MD5-checked by torchvision itself
into ``datasets/cifar-10-batches-py``. A quick probe of its host comes first, so an unreachable network
falls back in seconds. Embedded default (offline, or when the download fails): 32x32 renders of the
generated scenes of cs231n/data/scenes.py, one shape on a plain background, labelled by the shape's
kind (5 classes); colour, size, position and background vary, so the label is in the shape alone.
The loader prints one line naming the source used.

Images are kept as one uint8 tensor and turned into floats in [0, 1] a minibatch at a time, so the
50,000 CIFAR-10 images take 150 MB, not 600.
"""

import contextlib
import io
import urllib.parse
from pathlib import Path

import numpy as np
import torch
import torchvision.datasets as dset
from torchvision.datasets.utils import check_integrity

from cs231n.data.download import OfflineError, check_reachable, socket_timeout
from cs231n.data.paths import datasets_dir, offline_forced
from cs231n.data.scenes import KINDS, random_scene, render_scene

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
SCENE_CLASSES = KINDS
IMAGE_SIZE = 32
SCENE_SEEDS = {"train": 2025, "test": 2026}  # the stand-in's splits are fixed: the same images every run


class ImageTensors(torch.utils.data.Dataset):
    """A dataset of (image (C, H, W) float32 in [0, 1], label) pairs held as one uint8 tensor."""

    def __init__(self, images, labels):
        """images: uint8 tensor (N, C, H, W); labels: int64 tensor (N,)."""
        assert images.dtype == torch.uint8 and images.shape[0] == labels.shape[0]
        self.images, self.labels = images, labels

    def __len__(self):
        return self.labels.shape[0]

    def __getitem__(self, i):
        return self.images[i].float() / 255.0, self.labels[i]

    def tensors(self, n=None):
        """The first n images (all by default) as one float tensor in [0, 1], and their labels."""
        return self.images[:n].float() / 255.0, self.labels[:n]


def scene_images(n, seed):
    """n generated scenes rendered at 32x32: an ImageTensors of (3, 32, 32) images labelled by kind."""
    rng = np.random.default_rng(seed)
    images, labels = np.empty((n, IMAGE_SIZE, IMAGE_SIZE, 3), dtype=np.uint8), np.empty(n, dtype=np.int64)
    for i in range(n):
        scene = random_scene(rng)
        images[i] = np.asarray(render_scene(scene, size=IMAGE_SIZE))
        labels[i] = SCENE_CLASSES.index(scene["kind"])
    return ImageTensors(torch.from_numpy(images).permute(0, 3, 1, 2).contiguous(), torch.from_numpy(labels))


def load_vit_data(num_train=None, num_test=None, root=None, verbose=True):
    """
    The Vision Transformer notebook's training and test images.

    Real source: CIFAR-10 through torchvision (its own download and MD5 checks) under datasets/.
    Embedded default (offline, CS231N_OFFLINE=1, or when the download fails): generated scenes at
    32x32, labelled by the kind of shape.

    Inputs:
    - num_train, num_test: keep the first this many images of each split (all of CIFAR-10 by default;
      the scenes default to 4000 and 500)
    - root: the folder datasets land in (default: datasets_dir())
    - verbose: print the one line naming the data in use

    Returns a dict with
    - train, test: ImageTensors datasets of (image (3, 32, 32) in [0, 1], label)
    - class_names: tuple of the class names, indexed by label
    - name: "CIFAR-10" or "generated scenes"
    """
    root = Path(root) if root is not None else datasets_dir()
    if _cifar10_ready(root):
        return _cifar10(root, num_train, num_test, verbose, f"torchvision, {root / dset.CIFAR10.base_folder}")
    if offline_forced():
        note = "offline: CS231N_OFFLINE=1"
    else:
        reason = download_cifar10(root)
        if reason is None:
            return _cifar10(root, num_train, num_test, verbose, f"downloaded by torchvision to {root}")
        note = f"CIFAR-10 download failed: {reason}"
    train = scene_images(num_train or 4000, SCENE_SEEDS["train"])
    test = scene_images(num_test or 500, SCENE_SEEDS["test"])
    if verbose:
        print(f"ViT data: generated scenes, 5 shapes at 32x32, stand-in for CIFAR-10 ({note})")
    return {"train": train, "test": test, "class_names": SCENE_CLASSES, "name": "generated scenes"}


def _cifar10_ready(root):
    """True when torchvision finds CIFAR-10 complete under root (every batch file's MD5 checked)."""
    folder = Path(root) / dset.CIFAR10.base_folder
    files = [*dset.CIFAR10.train_list, *dset.CIFAR10.test_list, (dset.CIFAR10.meta["filename"], dset.CIFAR10.meta["md5"])]
    return folder.is_dir() and all(check_integrity(str(folder / name), md5) for name, md5 in files)


def _split(root, train, n):
    ds = dset.CIFAR10(str(root), train=train, download=False)
    images = torch.from_numpy(ds.data[:n]).permute(0, 3, 1, 2).contiguous()  # (N, 3, 32, 32) uint8
    return ImageTensors(images, torch.tensor(ds.targets[:n], dtype=torch.int64))


def _cifar10(root, num_train, num_test, verbose, where):
    train, test = _split(root, True, num_train), _split(root, False, num_test)
    if verbose:
        print(f"ViT data: CIFAR-10 ({where}), {len(train)} training and {len(test)} test images")
    return {"train": train, "test": test, "class_names": CIFAR10_CLASSES, "name": "CIFAR-10"}


def download_cifar10(root=None, timeout=30):
    """Let torchvision download, verify and unpack CIFAR-10 into root (default: datasets_dir()).

    Returns None on success, else a short reason. A quick probe of the host comes first, so that an
    unreachable network fails in seconds.
    """
    root = Path(root) if root is not None else datasets_dir()
    url = dset.CIFAR10.url
    try:
        check_reachable(url, "CIFAR-10", timeout=min(timeout, 10), connect=True)
    except OfflineError:
        return f"offline, cannot reach {urllib.parse.urlparse(url).hostname}"
    chatter = io.StringIO()  # torchvision prints progress; we print one line in all
    try:
        root.mkdir(parents=True, exist_ok=True)
        with socket_timeout(timeout), contextlib.redirect_stdout(chatter), contextlib.redirect_stderr(chatter):
            dset.CIFAR10(str(root), train=True, download=True)
    except Exception as e:  # any network or checksum failure means: use the embedded default
        text = str(e).strip().splitlines()
        return (text[-1] if text else e.__class__.__name__)[:120]
    if not _cifar10_ready(root):
        return "the unpacked files fail torchvision's MD5 check"
    return None
