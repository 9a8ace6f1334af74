"""Numeric gradients by centred differences, to check the analytic backward passes.

    df/dx_i ~ (f(x + h e_i) - f(x - h e_i)) / (2 h)

has an error of order h^2 (a one-sided difference has order h), so in float64 with h = 1e-5
an exact gradient agrees to a relative error of about 1e-8 or better.
"""

import random

import numpy as np


def eval_numerical_gradient(f, x, verbose=True, h=0.00001):
    """The numeric gradient of a scalar function f at x.

    Inputs:
    - f: A function of one argument (the array x) that returns a scalar.
    - x: The point (a float array) at which to evaluate the gradient; modified and restored.
    - verbose: If True, print the index and the gradient of every entry.
    - h: The step of the centred difference.

    Returns:
    - grad: Array of x's shape with df/dx.
    """
    grad = np.zeros_like(x)
    for ix in np.ndindex(x.shape):
        fxph, fxmh = _nudged(f, x, ix, h)
        grad[ix] = (fxph - fxmh) / (2 * h)
        if verbose:
            print(ix, grad[ix])
    return grad


def eval_numerical_gradient_array(f, x, df, h=1e-5):
    """The numeric gradient of sum(f(x) * df) with respect to x, for an array-valued f.

    This is what a backward pass computes: the upstream gradient df pulled back through f.

    Inputs:
    - f: A function of one argument (the array x) that returns an array.
    - x: The point (a float array); modified and restored.
    - df: The upstream gradient, of f(x)'s shape.
    - h: The step of the centred difference.

    Returns:
    - grad: Array of x's shape.
    """
    grad = np.zeros_like(x)
    for ix in np.ndindex(x.shape):
        pos, neg = _nudged(f, x, ix, h)
        grad[ix] = np.sum((pos - neg) * df) / (2 * h)
    return grad


def _nudged(f, x, ix, h):
    """(f at x with x[ix] + h, f at x with x[ix] - h); x is restored. The outputs are copied, since f
    may return a view of x or reuse its output buffer."""
    old_value = x[ix]
    x[ix] = old_value + h
    plus = np.copy(f(x))
    x[ix] = old_value - h
    minus = np.copy(f(x))
    x[ix] = old_value
    return plus, minus


def grad_check_sparse(f, x, analytic_grad, num_checks=10, h=1e-5, seed=None):
    """Compare an analytic gradient with centred differences at a few random entries of x.

    Prints one line per entry with both values and their relative error, and returns the
    largest relative error so that callers can assert on it. `seed` fixes the entries checked.
    """
    rng = random.Random(seed)
    worst = 0.0
    for _ in range(num_checks):
        ix = tuple(rng.randrange(m) for m in x.shape)
        fxph, fxmh = _nudged(f, x, ix, h)
        grad_numerical = (fxph - fxmh) / (2 * h)
        grad_analytic = analytic_grad[ix]
        rel_error = abs(grad_numerical - grad_analytic) / max(1e-8, abs(grad_numerical) + abs(grad_analytic))
        worst = max(worst, float(rel_error))
        print(f"numerical: {grad_numerical:f} analytic: {grad_analytic:f}, relative error: {rel_error:e}")
    return worst
