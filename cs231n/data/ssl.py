"""The self-supervised learning notebook's images: CIFAR-10 through torchvision, or generated shapes offline.

Real source: CIFAR-10, downloaded and MD5-checked by torchvision itself into ``datasets/cifar-10-batches-py``
(a quick probe of the host first, so an unreachable network falls back in seconds).
Embedded default (offline, CS231N_OFFLINE=1, or when the download fails): ``ShapeScenes``, 32x32 scenes
of one shape each, drawn by the project (cs231n/data/scenes.py's shapes and colours). The label is the
shape (circle, square, triangle, star, cross); colour, background, position, size and rotation vary
freely and are kept beside it (``colours``, ``backgrounds``), so a plot can show what a representation
ignores. The shape is what a linear probe must read; colour is what a random network sees first.
The palette is small on purpose (three colours, two backgrounds): with few colours, many images of a
batch share their positive's colours, so the contrastive task cannot be solved by colour alone and
the encoder has to look at the shape.

``ShapeScenes`` has CIFAR-10's interface (``data`` as (N, 32, 32, 3) uint8, ``targets``, ``classes``,
``transform``, ``target_transform``, items ``(PIL image, label)``), so the classic ``CIFAR10Pair`` code
runs on it unchanged.
"""

import contextlib
import io
import urllib.parse
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw
from torchvision.datasets import CIFAR10

from cs231n.data import scenes
from cs231n.data.download import OfflineError, check_reachable, download, socket_timeout
from cs231n.data.paths import datasets_dir, offline_forced

__all__ = ["ShapeScenes", "SCENES_NAME", "CIFAR10_NAME", "ssl_source", "cifar10_ready", "download_cifar10",
           "PRETRAINED_URL", "fetch_pretrained_simclr", "load_checked_state_dict"]

# The course's SimCLR weights for the classic Model(128) (ResNet-50), as the official notebook fetches them.
# No checksum is published: a file is used only once it loads with weights_only=True and holds the
# classic Model's encoder and head with their shapes (PRETRAINED_SHAPES).
PRETRAINED_URL = "http://downloads.cs.stanford.edu/downloads/cs231n/pretrained_simclr_model.pth"
PRETRAINED_SHAPES = {"f.0.weight": (64, 3, 3, 3), "g.0.weight": (512, 2048), "g.3.weight": (128, 512)}

IMAGE_SIZE = 32
SCENES_NAME = "generated shape scenes"
CIFAR10_NAME = "CIFAR-10"
_SUPERSAMPLE = 4
PALETTE = ("red", "blue", "yellow")  # names in scenes.COLOURS
BACKDROPS = ("white", "black")       # names in scenes.BACKGROUNDS
_SPLIT_SEEDS = {True: 1231, False: 2231}  # train and test scenes never share a random stream


class ShapeScenes(torch.utils.data.Dataset):
    """Generated 32x32 scenes of one shape each, with CIFAR-10's interface.

    Inputs:
    - n: number of scenes.
    - train: which split (the two are drawn from different seeds).
    - transform, target_transform: applied as torchvision datasets apply them.
    - seed: overrides the split's seed.
    - colours, backgrounds: names from scenes.COLOURS and scenes.BACKGROUNDS (default PALETTE, BACKDROPS).

    Attributes: data (n, 32, 32, 3) uint8; targets, a list of n shape indices into classes;
    classes, the shape names; colours and backgrounds, the nuisance attributes (indices into
    colour_names and background_names).
    """

    def __init__(self, n=2000, train=True, transform=None, target_transform=None, seed=None, colours=None,
                 backgrounds=None):
        rng = np.random.default_rng(_SPLIT_SEEDS[bool(train)] if seed is None else seed)
        self.classes = list(scenes.KINDS)
        self.colour_names = list(colours or PALETTE)
        self.background_names = list(backgrounds or BACKDROPS)
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        self.targets = rng.integers(len(self.classes), size=n).tolist()
        self.colours = rng.integers(len(self.colour_names), size=n).tolist()
        self.backgrounds = rng.integers(len(self.background_names), size=n).tolist()
        self.data = np.stack([self._render(rng, i) for i in range(n)])

    def _render(self, rng, i):
        s = IMAGE_SIZE * _SUPERSAMPLE
        bg = _jitter(scenes.BACKGROUNDS[self.background_names[self.backgrounds[i]]], rng, 12)
        fg = _jitter(scenes.COLOURS[self.colour_names[self.colours[i]]], rng, 24)
        if fg == bg:  # never an invisible shape
            fg = tuple(255 - c for c in bg)
        img = Image.new("RGB", (s, s), bg)
        r = rng.uniform(0.30, 0.42) * s
        cx, cy = rng.uniform(r, s - r, size=2)  # anywhere, wholly inside the frame
        scenes._draw_shape(ImageDraw.Draw(img), self.classes[self.targets[i]], cx, cy, r,
                           rng.uniform(-0.2, 0.2), fg)
        return np.asarray(img.resize((IMAGE_SIZE, IMAGE_SIZE), Image.LANCZOS), dtype=np.uint8)

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        img, target = Image.fromarray(self.data[index]), self.targets[index]
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target


def _jitter(rgb, rng, amount):
    return tuple(int(np.clip(c + rng.integers(-amount, amount + 1), 0, 255)) for c in rgb)


def cifar10_ready(root=None):
    """True when torchvision's CIFAR-10 files are in root/cifar-10-batches-py (default root: datasets_dir())."""
    folder = Path(root if root is not None else datasets_dir()) / CIFAR10.base_folder
    return all((folder / name).is_file() for name, _ in CIFAR10.train_list + CIFAR10.test_list)


def download_cifar10(root=None, timeout=30):
    """Let torchvision download and MD5-check CIFAR-10 into root (default datasets_dir()).

    Returns None on success, else a short reason (the caller falls back to the generated scenes).
    """
    root = Path(root) if root is not None else datasets_dir()
    try:
        check_reachable(CIFAR10.url, CIFAR10_NAME, timeout=min(timeout, 10), connect=True)
    except OfflineError:
        return f"offline, cannot reach {urllib.parse.urlparse(CIFAR10.url).hostname}"
    chatter = io.StringIO()  # torchvision prints a line per step; the loader prints one in all
    try:
        with socket_timeout(timeout), contextlib.redirect_stdout(chatter), contextlib.redirect_stderr(chatter):
            CIFAR10(str(root), train=True, download=True)
    except Exception as e:  # noqa: BLE001  (any network or checksum failure means: use the scenes)
        text = str(e).strip().splitlines()
        return (text[-1] if text else e.__class__.__name__)[:120]
    return None


def ssl_source(root=None, verbose=True):
    """Which images the notebook uses: ("cifar10", root) or ("scenes", None), and print one line saying so.

    CIFAR-10 when its files are already under root, else (unless CS231N_OFFLINE=1) after torchvision's
    download and checksum; otherwise the generated scenes, with the reason.
    """
    root = Path(root) if root is not None else datasets_dir()
    if cifar10_ready(root):
        _say(verbose, f"SSL data: {CIFAR10_NAME} (torchvision, {root / CIFAR10.base_folder})")
        return "cifar10", root
    if offline_forced():
        note = "offline: CS231N_OFFLINE=1"
    else:
        reason = download_cifar10(root)
        if reason is None:
            _say(verbose, f"SSL data: {CIFAR10_NAME} (downloaded and checked by torchvision into {root})")
            return "cifar10", root
        note = f"CIFAR-10 download failed: {reason}"
    _say(verbose, f"SSL data: {SCENES_NAME}, 32x32, label = shape, stand-in for CIFAR-10 ({note})")
    return "scenes", None


def _say(verbose, line):
    if verbose:
        print(line)


def load_checked_state_dict(path, expected_shapes=None):
    """torch.load(path, weights_only=True), then check it is a state dict holding expected_shapes
    (default PRETRAINED_SHAPES: the classic Model(128)'s first convolution and head). Returns it;
    raises ValueError naming what is wrong and the fix."""
    expected_shapes = PRETRAINED_SHAPES if expected_shapes is None else expected_shapes
    fix = f"delete {path} and fetch it again (cs231n.data.ssl.fetch_pretrained_simclr())"
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001  (a truncated file, an HTML page, a pickle with code in it)
        raise ValueError(f"{path} is not a weights-only PyTorch state dict ({e.__class__.__name__}): {fix}") from e
    if not isinstance(state, dict) or not all(torch.is_tensor(v) for v in state.values()):
        raise ValueError(f"{path} does not hold a state dict of tensors: {fix}")
    for key, shape in expected_shapes.items():
        got = tuple(state[key].shape) if key in state else None
        if got != tuple(shape):
            raise ValueError(f"{path}: {key} has shape {got}, the classic SimCLR Model(128) needs {tuple(shape)}: {fix}")
    return state


def fetch_pretrained_simclr(root=None, url=PRETRAINED_URL, timeout=30, expected_shapes=None):
    """The course's pretrained SimCLR weights (for Model(128), the classic ResNet-50) as a state dict.

    Downloaded once into root/pretrained_model/pretrained_simclr_model.pth (default root: datasets/),
    through a temporary file that must pass load_checked_state_dict before it takes the final name.
    Raises OfflineError or DownloadError (cs231n.data.download) when it cannot be had.
    """
    dest = Path(root if root is not None else datasets_dir()) / "pretrained_model" / "pretrained_simclr_model.pth"
    if not dest.is_file():
        download(url, dest, desc="SimCLR pretrained weights", timeout=timeout,
                 verify=lambda part: load_checked_state_dict(part, expected_shapes))
    return load_checked_state_dict(dest, expected_shapes)
