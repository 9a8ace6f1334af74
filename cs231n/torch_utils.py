"""Small torch helpers that several notebooks share: the device, images to and from the normalised
tensors the ImageNet models take, and a row of pictures."""

import matplotlib.pyplot as plt
import numpy as np
import torch
from PIL import Image

from cs231n.image_utils import resize_shorter_side
from cs231n.models.normalization import IMAGENET_MEAN, IMAGENET_STD

_MEAN = torch.from_numpy(IMAGENET_MEAN).view(3, 1, 1)  # float32, per channel
_STD = torch.from_numpy(IMAGENET_STD).view(3, 1, 1)


def pick_device():
    """The best device this machine has: CUDA, then Apple's MPS, then the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def image_to_tensor(img, size=None):
    """A PIL image or uint8 array (H, W, 3) -> the normalised float32 batch of one (1, 3, H', W') that
    SqueezeNet and our offline models take: the classic pipeline of torchvision's ``Resize(size)``
    (`resize_shorter_side`; None keeps the size), ``ToTensor()`` and
    ``Normalize(IMAGENET_MEAN, IMAGENET_STD)``, with a leading batch dimension."""
    if isinstance(img, np.ndarray):
        img = Image.fromarray(img)
    img = img.convert("RGB")
    if size is not None:
        img = resize_shorter_side(img, size)
    x = torch.from_numpy(np.array(img, dtype=np.uint8)).permute(2, 0, 1).float().div(255)  # (3, H, W) in [0, 1]
    return ((x - _MEAN) / _STD)[None].contiguous()  # (1, 3, H, W)


def tensor_to_image(img, should_rescale=False):
    """Undo `image_to_tensor` for display: a normalised tensor (1, 3, H, W) or (3, H, W) -> uint8
    array (H, W, 3).

    Values are clipped to [0, 1]; with should_rescale=True they are first stretched to fill [0, 1]
    (`rescale`), which makes small differences and synthetic images visible.
    """
    x = img.detach().cpu().float()
    if x.dim() == 4:
        x = x[0]  # (3, H, W)
    x = x * _STD + _MEAN
    if should_rescale:
        x = rescale(x)
    return (x.clamp(0, 1).permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)  # (H, W, 3)


def rescale(x):
    """Stretch the values of x linearly onto [0, 1] (a constant input becomes all zeros)."""
    low, high = x.min(), x.max()
    return (x - low) / max(float(high - low), 1e-12)


def show_image_row(pictures, titles, title, *, axis_labels=False, width=2.2, height=2.6):
    """Draw pictures (uint8 arrays (H, W, 3) or PIL images) side by side, each with its title, under
    one overall title; axis_labels=True labels the axes in pixels instead of hiding them."""
    fig, axes = plt.subplots(1, len(pictures), figsize=(width * len(pictures), height), squeeze=False)
    for ax, picture, name in zip(axes[0], pictures, titles):
        ax.imshow(picture)
        ax.set_title(name, fontsize=9)
        if axis_labels:
            ax.set_xlabel("x (pixels)")
            ax.set_ylabel("y (pixels)")
        else:
            ax.axis("off")
    fig.suptitle(title)
    fig.tight_layout()
    plt.show()
