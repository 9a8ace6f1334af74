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

    from cs231n.image_utils import SQUEEZENET_MEAN, SQUEEZENET_STD

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

    from cs231n.image_utils import SQUEEZENET_MEAN, SQUEEZENET_STD

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


def load_squeezenet(timeout=30):
    """SqueezeNet 1.1 with ImageNet weights through torchvision's weights API (downloaded once into its
    own cache, $TORCH_HOME/hub/checkpoints, and hash-checked by torchvision) and its 1000 class names.

    Raises OfflineError when the weights are not cached and download.pytorch.org cannot be reached,
    and DownloadError for any other failure (an HTTP error, a download that fails torchvision's hash
    check, a cached file that cannot be loaded): one line saying what went wrong and what to do.
    """
    import socket
    import urllib.parse
    from pathlib import Path

    from torchvision.models import SqueezeNet1_1_Weights, squeezenet1_1

    from cs231n.data import download

    weights = SqueezeNet1_1_Weights.IMAGENET1K_V1
    cached = Path(torch.hub.get_dir()) / "checkpoints" / Path(urllib.parse.urlparse(weights.url).path).name
    name = "SqueezeNet 1.1's ImageNet weights"
    old_timeout = socket.getdefaulttimeout()
    try:
        if not cached.is_file():
            # torchvision's download has no timeout of its own, and a DNS lookup none at all
            download._check_host_resolves(weights.url, name, download._DNS_TIMEOUT_S)
            socket.setdefaulttimeout(timeout)
        model = squeezenet1_1(weights=weights, progress=False)
    except download.DownloadError:
        raise
    except Exception as e:  # noqa: BLE001  (every failure becomes one line naming the fix)
        raise _squeezenet_error(e, weights.url, cached, name) from e
    finally:
        socket.setdefaulttimeout(old_timeout)
    return model, list(weights.meta["categories"])


def _squeezenet_error(error, url, cached, name):
    """The OfflineError or DownloadError, with a one-line message, for a failure to load SqueezeNet."""
    import urllib.error
    import urllib.parse

    from cs231n.data.download import DownloadError, OfflineError

    host = urllib.parse.urlparse(url).hostname
    detail = (str(error).strip().splitlines() or [error.__class__.__name__])[0][:160].rstrip(".")
    if isinstance(error, urllib.error.HTTPError):
        return DownloadError(f"{host} answered HTTP {error.code} ({error.reason}) for {name} ({url}); "
                             f"try again later.", reason="http", url=url, status=error.code)
    if unreachable(error) or isinstance(error, (ConnectionError, TimeoutError)):
        return OfflineError(f"Cannot reach {host} to download {name} ({detail}); you seem to be offline.",
                            url=url)
    if "invalid hash value" in str(error):  # torchvision deleted the download; nothing was cached
        return DownloadError(f"The download of {name} from {url} failed torchvision's hash check "
                             f"(truncated or corrupted in transit); run the same command again.",
                             reason="sha256", url=url)
    if cached.is_file():
        return DownloadError(f"The cached {name} in {cached} cannot be loaded ({error.__class__.__name__}: "
                             f"{detail}); delete that file and run again to download them afresh.",
                             reason="verify", url=url)
    return DownloadError(f"Loading {name} failed ({error.__class__.__name__}: {detail}).", reason="io", url=url)


def unreachable(error):
    """True when an exception means the host could not be reached (as opposed to a broken download)."""
    import urllib.error

    from cs231n.data.download import OfflineError

    if isinstance(error, OfflineError):
        return True
    return isinstance(error, urllib.error.URLError) and not isinstance(error, urllib.error.HTTPError)
