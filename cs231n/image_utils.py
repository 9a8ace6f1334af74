"""Loading images from files and URLs, and the ImageNet statistics the pretrained models expect."""

import urllib.error
import urllib.request
from io import BytesIO
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from cs231n.models.normalization import IMAGENET_MEAN, IMAGENET_STD

# The classic names of the ImageNet input statistics (cs231n.models.normalization), which SqueezeNet
# and the offline stand-ins expect.
SQUEEZENET_MEAN = IMAGENET_MEAN
SQUEEZENET_STD = IMAGENET_STD


def image_from_url(url, timeout=10):
    """Read an image from a URL or a local path into a uint8 array (H, W, 3).

    Many of the classic COCO Flickr URLs are dead: a failed fetch prints one short line and returns
    None, so a notebook can skip the picture instead of stopping.
    """
    url = str(url)
    if not url.startswith(("http://", "https://")):
        path = Path(url[len("file://"):] if url.startswith("file://") else url)
        try:
            return _to_rgb_array(Image.open(path))
        except (OSError, UnidentifiedImageError) as e:
            print(f"image_from_url: cannot read {path} ({e.__class__.__name__}); skipping it")
            return None
    try:
        with urllib.request.urlopen(url, timeout=timeout) as f:
            data = f.read()
        return _to_rgb_array(Image.open(BytesIO(data)))
    except urllib.error.HTTPError as e:
        print(f"image_from_url: {url} answered HTTP {e.code}; skipping it")
    except (urllib.error.URLError, OSError, UnidentifiedImageError) as e:
        reason = getattr(e, "reason", e)
        print(f"image_from_url: cannot fetch {url} ({reason}); skipping it")
    return None


def load_image(filename, size=None):
    """Load an image file as uint8 (H, W, 3), optionally resized so its shorter side is `size`
    (`resize_shorter_side`, the resize of the classic helper and of torchvision's Resize).

    Raises FileNotFoundError or ValueError with a sentence naming the file when it is missing or is
    not an image.
    """
    path = Path(filename).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"No image file at {path}: check the path (relative paths start at "
                                f"{Path.cwd()}).")
    try:
        img = Image.open(path)
        img.load()
    except (UnidentifiedImageError, OSError) as e:
        raise ValueError(f"{path} is not an image Pillow can read ({e}); give a JPEG or PNG file.") from e
    img = img.convert("RGB")
    if size is not None:
        img = resize_shorter_side(img, size)
    return _to_rgb_array(img)


def resize_shorter_side(img, size):
    """Resize a PIL image so its shorter side is `size` pixels, keeping the aspect ratio (the longer
    side rounded down), with Pillow's antialiased bilinear filter: exactly what torchvision's
    ``Resize(size)`` does to a PIL image, the first step of the classic ``preprocess``. An image
    already of that size comes back as it is."""
    w, h = img.size
    if w <= h:
        new_w, new_h = size, int(size * h / w)
    else:
        new_w, new_h = int(size * w / h), size
    if (new_w, new_h) == (w, h):
        return img
    return img.resize((new_w, new_h), Image.BILINEAR)


def blur_image(X):
    """A very gentle blur of a minibatch of images: each channel is convolved with the 3x3 kernel
    [[1, 2, 1], [2, 188, 2], [1, 2, 1]] / 200 (stride 1, zero padding 1), as in the classic helper.

    Inputs:
    - X: Images of shape (N, 3, H, W).

    Returns:
    - X_blur: The blurred images, of shape (N, 3, H, W), in X's float dtype (float64 for integers).
    """
    X = np.asarray(X)
    if not np.issubdtype(X.dtype, np.floating):
        X = X.astype(np.float64)
    kernel = np.array([[1, 2, 1], [2, 188, 2], [1, 2, 1]], dtype=X.dtype) / X.dtype.type(200)
    H, W = X.shape[-2:]
    padded = np.pad(X, [(0, 0)] * (X.ndim - 2) + [(1, 1), (1, 1)])
    out = np.zeros_like(X)
    for dy in range(3):  # the kernel is symmetric, so convolution and correlation agree
        for dx in range(3):
            out += kernel[dy, dx] * padded[..., dy:dy + H, dx:dx + W]
    return out


def preprocess_image(img):
    """Convert a uint8 image (H, W, 3) to float32 for the pretrained models: scale to [0, 1], then
    subtract SQUEEZENET_MEAN and divide by SQUEEZENET_STD per channel."""
    return ((np.asarray(img, dtype=np.float32) / 255.0 - SQUEEZENET_MEAN) / SQUEEZENET_STD).astype(np.float32)


def deprocess_image(img, rescale=False):
    """Undo preprocess_image: multiply by SQUEEZENET_STD, add SQUEEZENET_MEAN; with rescale=True,
    stretch the result linearly to [0, 1] first (for images that left the natural range, like
    class visualizations). Returns a uint8 image (H, W, 3), clipped to [0, 255]."""
    img = np.asarray(img) * SQUEEZENET_STD + SQUEEZENET_MEAN
    if rescale:
        vmin, vmax = img.min(), img.max()
        img = (img - vmin) / max(vmax - vmin, 1e-12)
    return np.clip(255 * img, 0.0, 255.0).astype(np.uint8)


def _to_rgb_array(img):
    return np.asarray(img.convert("RGB"), dtype=np.uint8)
