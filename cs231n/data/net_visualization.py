"""The network-visualization notebook's classifier and images, real or embedded, never a mix of the two.

Real: SqueezeNet 1.1 with torchvision's ImageNet weights (`cs231n.data.pretrained`) and the classic 25
ImageNet validation images (`cs231n.data.imagenet_val`). Embedded default, used when either cannot be
had or CS231N_OFFLINE=1: the scene classifier trained on the generated scenes, and 25 such scenes.

`python -m cs231n.data.net_visualization` fetches the real files ahead of time (imagenet_val_25.npz and
the SqueezeNet weights); offline it prepares the embedded default instead, and says so.
"""

import torch

from cs231n.data.coco_sample import load_scene_classifier
from cs231n.data.imagenet_val import load_imagenet_val
from cs231n.data.paths import offline_forced
from cs231n.data.pretrained import load_squeezenet, why_unavailable

__all__ = ["load_model_and_images"]


def load_model_and_images(num=None, device="cpu"):
    """The classifier and the images the notebook visualises, with one line saying which they are.

    Inputs:
    - num: Number of images (max of 25)
    - device: Where to put the model

    Returns (model, X, y, class_names, source):
    - model: in eval mode on device, its parameters frozen (requires_grad False): only the images
      get gradients in this notebook
    - X: uint8 array (N, S, S, 3), S = 224 (ImageNet) or 64 (scenes); y: int64 array (N,)
    - class_names: list of the model's C class names
    - source: "imagenet" or "scenes"
    """
    reason = "CS231N_OFFLINE=1" if offline_forced() else None
    if reason is None:
        try:
            model, class_names = load_squeezenet()
            X, y, _ = load_imagenet_val(num, source="imagenet", verbose=False)
            source = "imagenet"
            line = (f"Network visualization: SqueezeNet 1.1 (torchvision's ImageNet weights, "
                    f"{len(class_names)} classes) on {len(X)} ImageNet validation images")
        except (OSError, RuntimeError) as e:  # urllib's errors are OSErrors, DownloadError a RuntimeError
            reason = why_unavailable(e, "the ImageNet weights or images")
    if reason is not None:
        model, class_names = load_scene_classifier(verbose=True)
        X, y, _ = load_imagenet_val(num, source="scenes", verbose=False)
        source = "scenes"
        line = (f"Network visualization: embedded default, the scene classifier ({len(class_names)} "
                f"classes) on {len(X)} generated {X.shape[1]}x{X.shape[2]} scenes, NOT ImageNet ({reason})")
    print(line)
    model = model.to(torch.device(device)).eval().requires_grad_(False)
    return model, X, y, list(class_names), source


if __name__ == "__main__":
    load_model_and_images()
