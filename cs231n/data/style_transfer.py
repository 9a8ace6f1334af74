"""What the style-transfer notebook runs on: the feature extractor, the settings of each run, the images.

Extractor: SqueezeNet 1.1's convolutional layers with torchvision's ImageNet weights
(`cs231n.data.pretrained`) and the classic settings; when the weights cannot be had, or
CS231N_OFFLINE=1, the embedded default `cs231n.models.random_features.random_cnn()` with settings of
its own. Images: the classic files, or the embedded sample images (`cs231n.data.style_images`).

`python -m cs231n.data.style_transfer` fetches the real files ahead of time (the SqueezeNet weights and
the classic images); offline it says which embedded defaults the notebook will use.
"""

from collections import namedtuple

import numpy as np
import torch

from cs231n.data.paths import offline_forced
from cs231n.data.pretrained import load_squeezenet, why_unavailable
from cs231n.data.style_images import style_transfer_images
from cs231n.models.random_features import random_cnn

__all__ = ["PARAMS", "StyleTransferSetup", "load_style_transfer_setup"]


def _classic_params():
    """The classic notebook's settings of each run with SqueezeNet (Adam, 200 steps); texture synthesis
    (not in the classic notebook) is the third transfer's settings without the content term."""
    common = dict(image_size=192, content_layer=3, style_layers=(1, 4, 6, 7), optimizer="adam", num_iters=200)
    params = {
        "transfer1": dict(common, style_size=512, content_weight=5e-2, style_weights=(20000, 500, 12, 1),
                          tv_weight=5e-2),
        "transfer2": dict(common, style_size=224, content_weight=3e-2, style_weights=(200000, 800, 12, 1),
                          tv_weight=2e-2),
        "transfer3": dict(common, style_size=192, content_weight=6e-2, style_weights=(300000, 1000, 15, 3),
                          tv_weight=2e-2),
    }
    params["inversion"] = dict(params["transfer3"], style_weights=(0, 0, 0, 0), init_random=True)
    params["texture"] = dict(params["transfer3"], content_weight=0.0, init_random=True)
    return params


def _embedded_params():
    """Settings for the random-weight network on the embedded images, chosen by looking at the results
    (style weights about 1000 / |A_l|^2, so each layer counts about equally); L-BFGS, because on random
    features the loss is badly conditioned (README.md, "Style transfer")."""
    base = dict(image_size=128, style_size=192, content_layer=4, content_weight=1e-6,
                style_layers=(1, 4, 7, 10, 13), style_weights=(400, 200, 130, 70, 30), tv_weight=1e-5,
                optimizer="lbfgs", num_iters=120)
    params = {name: dict(base) for name in ("transfer1", "transfer2", "transfer3")}
    params["inversion"] = dict(base, style_weights=(0,) * 5, init_random=True)
    params["texture"] = dict(base, content_weight=0.0, init_random=True)
    return params


# Settings of each run, per feature extractor: {"squeezenet" | "random": {run: style_transfer kwargs}}.
PARAMS = {"squeezenet": _classic_params(), "random": _embedded_params()}

StyleTransferSetup = namedtuple("StyleTransferSetup", "cnn params images label answers")
StyleTransferSetup.__doc__ = """What `load_style_transfer_setup` chose.

- cnn: nn.Sequential feature extractor in eval mode, parameters frozen
- params: {run: style_transfer keyword arguments} for transfer1..3, inversion and texture
- images: {run: (content path, style path)}
- label: a few words for plot titles, e.g. "SqueezeNet features, classic images"
- answers: the classic expected values (dict of arrays from style-transfer-checks.npz: cl_out, gm_out,
  sl_out, tv_out) when SqueezeNet's ImageNet features and the verified classic files are both in
  use, else None"""


def load_style_transfer_setup(device="cpu", archive=None):
    """The feature extractor, the settings of each run and the images, with two lines saying which.

    Inputs:
    - device: torch device for cnn
    - archive: the `classic_archive.Archive` to fetch the classic images from (default: the official one)

    Returns a StyleTransferSetup (cnn, params, images, label, answers).
    """
    reason = "CS231N_OFFLINE=1" if offline_forced() else None
    if reason is None:
        try:
            cnn, kind = load_squeezenet()[0].features, "squeezenet"
            what = "SqueezeNet 1.1 with torchvision's ImageNet weights, classic settings"
        except (OSError, RuntimeError) as e:  # urllib's errors are OSErrors; DownloadError a RuntimeError
            reason = why_unavailable(e, "the ImageNet weights")
    if reason is not None:
        cnn, kind = random_cnn(), "random"
        what = f"embedded default, a random-weight VGG-like CNN (seed 0), NOT ImageNet features ({reason})"
    images, checks, source = style_transfer_images(archive)
    print(f"Style transfer features: {what}")
    print(f"Style transfer images: {source}")

    answers = None
    if kind == "squeezenet" and checks is not None:
        with np.load(checks) as data:  # plain arrays: no pickle
            answers = {k: data[k] for k in data.files}
    label = (("SqueezeNet features" if kind == "squeezenet" else "random-weight features") + ", "
             + ("classic images" if checks is not None else "embedded images"))
    params = {run: dict(p) for run, p in PARAMS[kind].items()}
    cnn = cnn.to(torch.device(device)).eval().requires_grad_(False)
    return StyleTransferSetup(cnn, params, images, label, answers)


if __name__ == "__main__":
    load_style_transfer_setup()
