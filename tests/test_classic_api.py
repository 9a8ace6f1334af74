"""The classic API contract (../shared/reference/classic_api.md): every name the official CS231n
assignment-3 notebooks (2019-2024) import from this package exists, with the classic signature and the
classic return type, so official notebooks and classic solutions work unchanged."""

import inspect

import numpy as np
import pytest


def _params(fn):
    """{name: default} of a function's parameters (inspect.Parameter.empty where there is none)."""
    return {p.name: p.default for p in inspect.signature(fn).parameters.values()}


# --------------------------------------------------------------------------------------------------
# Captioning, numpy: optim, captioning_solver, image_utils, coco_utils, rnn_layers, classifiers/rnn
# --------------------------------------------------------------------------------------------------

# --------------------------------------------------------------------------------------------------
# Transformer
# --------------------------------------------------------------------------------------------------

# --------------------------------------------------------------------------------------------------
# Network visualization
# --------------------------------------------------------------------------------------------------

# --------------------------------------------------------------------------------------------------
# Style transfer
# --------------------------------------------------------------------------------------------------

# --------------------------------------------------------------------------------------------------
# GANs
# --------------------------------------------------------------------------------------------------
