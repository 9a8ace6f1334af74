"""The gradient a function sends back to its inputs, for checks of losses that an optimiser uses.

An optimiser never sees a loss's value, only its gradient: a `.detach()` or `.item()` in the wrong place
keeps the value and loses the gradient. `input_gradients` reads that gradient without failing on it, so a
check can report the mistake in one line.
"""

import torch

__all__ = ["input_gradients", "tolerance_for", "scaled_error"]


def input_gradients(fn, *inputs):
    """(value, [gradient of value.sum() w.r.t. each input]) of fn(*inputs), on fresh leaf copies of the
    inputs. An input the value does not depend on through autograd gets a gradient of zeros."""
    leaves = [torch.as_tensor(x).detach().clone().requires_grad_(True) for x in inputs]
    value = fn(*leaves)
    if not (torch.is_tensor(value) and value.requires_grad):
        return value, [torch.zeros_like(x) for x in leaves]
    grads = torch.autograd.grad(value.sum(), leaves, allow_unused=True)
    return value.detach(), [torch.zeros_like(x) if g is None else g.detach() for g, x in zip(grads, leaves)]


def tolerance_for(*results, float64=1e-9, float32=1e-4):
    """The tolerance the results allow by their dtypes: float64's when every one is a float64 tensor, float32
    rounding otherwise (the classic pipeline is float32: a float32 Gram matrix or loss is allowed, and a
    float64 loss computed from a float32 Gram matrix keeps float32's precision, so pass both)."""
    if all(torch.is_tensor(r) and r.dtype == torch.float64 for r in results):
        return float64
    return float32


def scaled_error(actual, expected):
    """max |actual - expected| / max |expected|: an error relative to the size of the whole array, which
    float32 rounding keeps small even where single elements are close to zero."""
    actual, expected = torch.as_tensor(actual).detach().double(), torch.as_tensor(expected).detach().double()
    return float((actual - expected).abs().max() / expected.abs().max().clamp_min(1e-300))
