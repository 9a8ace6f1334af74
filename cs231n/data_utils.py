"""Classic data entry points. The loaders themselves live in `cs231n.data`."""

from cs231n.data.imagenet_val import load_imagenet_val
from cs231n.data.paths import datasets_dir, offline_forced

__all__ = ["datasets_dir", "load_imagenet_val", "offline_forced"]
