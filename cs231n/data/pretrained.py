"""Pretrained weights: SqueezeNet 1.1 with ImageNet weights, through torchvision's own download and cache.

torchvision keeps the file in $TORCH_HOME/hub/checkpoints and checks its hash when it downloads it.
What this module adds is the failure report: every way of not getting the weights (offline, an HTTP
error, a download that fails the hash check, a cached file that cannot be loaded) becomes an
OfflineError or a DownloadError with a one-line message naming the fix, and `why_unavailable` turns
such an error into the few words a loader prints when it falls back to its embedded default.
"""

import urllib.error
import urllib.parse
from pathlib import Path

import torch
from torchvision.models import SqueezeNet1_1_Weights, squeezenet1_1

from cs231n.data.download import DownloadError, OfflineError, check_reachable, socket_timeout

__all__ = ["load_squeezenet", "why_unavailable"]

_WEIGHTS_NAME = "SqueezeNet 1.1's ImageNet weights"


def load_squeezenet(timeout=30):
    """SqueezeNet 1.1 with ImageNet weights through torchvision's weights API (downloaded once into its
    own cache, $TORCH_HOME/hub/checkpoints, and hash-checked by torchvision) and its 1000 class names.

    Returns (model, class_names): the model as torchvision builds it (use .eval()), a list of str.

    Raises OfflineError when the weights are not cached and download.pytorch.org cannot be reached,
    and DownloadError for any other failure (an HTTP error, a download that fails torchvision's hash
    check, a cached file that cannot be loaded): one line saying what went wrong and what to do.
    """
    weights = SqueezeNet1_1_Weights.IMAGENET1K_V1
    cached = Path(torch.hub.get_dir()) / "checkpoints" / Path(urllib.parse.urlparse(weights.url).path).name
    try:
        if not cached.is_file():
            # torchvision's download has no timeout of its own, and a DNS lookup none at all
            check_reachable(weights.url, _WEIGHTS_NAME)
        with socket_timeout(timeout):
            model = squeezenet1_1(weights=weights, progress=False)
    except DownloadError:
        raise
    except Exception as e:  # noqa: BLE001  (every failure becomes one line naming the fix)
        raise _squeezenet_error(e, weights.url, cached) from e
    return model, list(weights.meta["categories"])


def why_unavailable(error, what):
    """A few words on why `what` (e.g. "the ImageNet weights") could not be had, for a loader's one-line
    report of its fallback: "offline: ... cannot be downloaded", or the error's own first sentence."""
    if _unreachable(error):
        return f"offline: {what} cannot be downloaded"
    return f"{what} failed to load: {str(error).rstrip('.')}"


def _squeezenet_error(error, url, cached):
    """The OfflineError or DownloadError, with a one-line message, for a failure to load SqueezeNet."""
    host = urllib.parse.urlparse(url).hostname
    detail = (str(error).strip().splitlines() or [error.__class__.__name__])[0][:160].rstrip(".")
    name = _WEIGHTS_NAME
    if isinstance(error, urllib.error.HTTPError):
        return DownloadError(f"{host} answered HTTP {error.code} ({error.reason}) for {name} ({url}); "
                             f"try again later.", reason="http", url=url, status=error.code)
    if _unreachable(error) or isinstance(error, (ConnectionError, TimeoutError)):
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


def _unreachable(error):
    """True when an exception means the host could not be reached (as opposed to a broken download)."""
    if isinstance(error, OfflineError):
        return True
    return isinstance(error, urllib.error.URLError) and not isinstance(error, urllib.error.HTTPError)
