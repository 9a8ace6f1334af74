"""The input statistics of ImageNet-trained networks. SqueezeNet expects its input normalised by them,
and the offline stand-ins (the scene classifier, the random-feature style extractor) take the same
input, so that a notebook's preprocessing is the same for the real network and its stand-in.
numpy only: the numpy half of the assignment (cs231n.image_utils) reads these too."""

import numpy as np

__all__ = ["IMAGENET_MEAN", "IMAGENET_STD"]

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
