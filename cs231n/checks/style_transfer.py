"""Helpers for the style-transfer checks (notebook and tests): losses compared as values, and the
expected values stored with the package.

The classic allows a loss of shape () or (1,) (a classic solution accumulates into
`torch.zeros(1).type(dtype)`), so the checks compare the value, not the shape, of a scalar loss.
The expected values are the instructors' solutions' outputs on fixed inputs, stored in a file, as the
classic assignment ships `style-transfer-checks.npz`: no loss is computed here.
"""

from pathlib import Path

import numpy as np
import torch

from cs231n.checks import to_numpy

__all__ = ["loss_value", "expected_values", "EXPECTED_FILE"]


def loss_value(x):
    """A loss as a float64 numpy value for checks: a 0-d or one-element tensor or array, or a number,
    gives a 0-d array; anything larger comes back whole, so a check reports its shape."""
    a = np.asarray(to_numpy(x), dtype=np.float64)
    return a.reshape(()) if a.size == 1 else a


EXPECTED_FILE = Path(__file__).with_name("style_transfer_expected.npz")


def expected_values():
    """The stored check inputs and expected outputs, {name: float64 tensor}: the losses' values on fixed
    inputs and the gradients they send back to those inputs (`tools/make_vision_check_values.py`
    regenerates the file from the instructors' solutions)."""
    with np.load(EXPECTED_FILE) as data:
        return {name: torch.from_numpy(data[name]) for name in data.files}
