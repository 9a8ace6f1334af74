"""Helpers for the GAN checks (notebook and tests): which layers a network is built from, and the
gradient a loss sends back to the scores it is given.

Nothing here builds a network or computes a loss: the checks compare these readings with the
specification (the list of layers in the notebook) and with closed forms of the gradients.
"""

import torch

from cs231n.checks.gradients import input_gradients

__all__ = ["layer_kinds", "leaky_slopes", "score_gradients"]

# Reshapes are left out of layer lists: Flatten/Unflatten, ours or torch's, or none where the input
# already has the right shape, are all allowed; the output-shape checks cover them.
_RESHAPES = ("Flatten", "Unflatten")


def layer_kinds(model):
    """The class names of model's layers (its modules without children), in order, reshapes left out."""
    return [type(m).__name__ for m in model.modules()
            if next(m.children(), None) is None and type(m).__name__ not in _RESHAPES]


def leaky_slopes(model):
    """The negative slope of every LeakyReLU of model, in order."""
    return [m.negative_slope for m in model.modules() if isinstance(m, torch.nn.LeakyReLU)]


def score_gradients(loss_fn, *scores):
    """The gradient of loss_fn(*scores) with respect to each of the score tensors, as a list (zeros for a
    score the loss does not reach through autograd: a .detach() or .item() on its way)."""
    return input_gradients(loss_fn, *scores)[1]
