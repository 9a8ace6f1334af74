"""Small torch helpers that several notebooks share."""

import torch


def pick_device():
    """The best device this machine has: CUDA, then Apple's MPS, then the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def image_to_tensor(img, size=None):
    """A PIL image or uint8 array (H, W, 3) -> the normalised float32 batch of one (1, 3, H', W') that
    SqueezeNet and our offline models take, exactly the classic pipeline: torchvision's ``Resize(size)``
    (shorter side to `size`, aspect kept, bilinear; None keeps the size), ``ToTensor()``,
    ``Normalize(SQUEEZENET_MEAN, SQUEEZENET_STD)``, and a leading batch dimension."""
    import numpy as np
    from PIL import Image
    from torchvision import transforms as T

    from .image_utils import SQUEEZENET_MEAN, SQUEEZENET_STD

    if isinstance(img, np.ndarray):
        img = Image.fromarray(img)
    steps = [T.Resize(size)] if size is not None else []
    steps += [T.ToTensor(), T.Normalize(mean=SQUEEZENET_MEAN.tolist(), std=SQUEEZENET_STD.tolist())]
    return T.Compose(steps)(img.convert("RGB"))[None].contiguous()  # (1, 3, H, W)


def tensor_to_image(img, should_rescale=False):
    """Undo `image_to_tensor`: a normalised tensor (1, 3, H, W) or (3, H, W) -> uint8 array (H, W, 3).

    Values are clipped to [0, 1]; with should_rescale=True they are first stretched to fill [0, 1]
    (`rescale`), which makes small differences and synthetic images visible.
    """
    import numpy as np

    from .image_utils import SQUEEZENET_MEAN, SQUEEZENET_STD

    x = img.detach().cpu().float()
    if x.dim() == 4:
        x = x[0]  # (3, H, W)
    x = x * torch.from_numpy(SQUEEZENET_STD).view(3, 1, 1) + torch.from_numpy(SQUEEZENET_MEAN).view(3, 1, 1)
    if should_rescale:
        x = rescale(x)
    return (x.clamp(0, 1).permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)  # (H, W, 3)


def rescale(x):
    """Stretch the values of x linearly onto [0, 1] (a constant input becomes all zeros)."""
    low, high = x.min(), x.max()
    return (x - low) / max(float(high - low), 1e-12)


def load_squeezenet():
    """SqueezeNet 1.1 with ImageNet weights through torchvision's weights API (downloaded once into its
    own cache) and its 1000 class names. Raises whatever the download raises when offline."""
    from torchvision.models import SqueezeNet1_1_Weights, squeezenet1_1

    weights = SqueezeNet1_1_Weights.IMAGENET1K_V1
    return squeezenet1_1(weights=weights, progress=False), list(weights.meta["categories"])


def unreachable(error):
    """True when an exception means the host could not be reached (as opposed to a broken download)."""
    import urllib.error

    from .download import OfflineError

    if isinstance(error, OfflineError):
        return True
    return isinstance(error, urllib.error.URLError) and not isinstance(error, urllib.error.HTTPError)
