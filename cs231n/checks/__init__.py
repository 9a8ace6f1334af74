"""One-line numeric checks shared by every notebook: print what was compared, then pass or stop.

A cell that runs several checks wraps them in ``with check_all():`` so every check prints its line
before the cell stops: a failing ``dx`` no longer hides ``dWx``, ``dWh`` and ``db``. Each check takes
an optional ``hint``, one line naming the likely mistake, printed only when the check fails.

What the checks compare with, one module per notebook (the student never needs to read them):

- :mod:`cs231n.checks.captioning`: stored decoding cases of CaptioningRNN (weights, inputs, the expected
  log-probabilities, states and greedy captions: ``captioning_values.npz``);
- :mod:`cs231n.checks.transformer`: ``nn.MultiheadAttention`` with our weights, per-head attention
  weights, a dropout probe, and stored positional encodings and a CaptioningTransformer case
  (``transformer_values.npz``);
- :mod:`cs231n.checks.net_visualization`: a small CNN with stored weights and the expected saliency maps,
  Grad-CAM maps, gradient direction and fooling image on its images (``net_visualization_expected.npz``),
  the geometry of an update step, ``CallLimit`` (a model that stops a runaway loop);
- :mod:`cs231n.checks.style_transfer`: ``loss_value``, a loss as a float whatever shape it comes in, and the
  losses' expected values and input gradients on fixed inputs (``style_transfer_expected.npz``);
- :mod:`cs231n.checks.gan`: the layers a network is built from, the gradient a loss sends to its scores;
- :mod:`cs231n.checks.gradients`: the gradient a function sends back to its inputs, tolerances by dtype.

The stored values are the course solutions' outputs (``tools/make_vision_check_values.py`` writes them in
the instructors' repository), as the classic assignment ships its ``*-checks.npz`` files: nothing here
computes what a blank computes.

Modules here import only ``cs231n.checks``.
"""

import contextlib

import numpy as np

_stack = []


def rel_error(x, y):
    """Maximum relative error, max(|x - y| / max(1e-8, |x| + |y|)), as in the classic notebooks."""
    x = np.asarray(to_numpy(x), dtype=np.float64)
    y = np.asarray(to_numpy(y), dtype=np.float64)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


@contextlib.contextmanager
def check_all():
    """Run every check in the block, print each line, then fail once if any failed.

    The AssertionError lists every failed check, one a line.
    """
    failures = []
    _stack.append(failures)
    try:
        yield
    finally:
        _stack.pop()
    if failures:
        raise AssertionError(f"{len(failures)} check(s) failed:\n" + "\n".join(failures))


def _report(msg, ok, hint):
    if not ok and hint:
        msg = f"{msg}\n    hint: {hint}"
    print(msg)
    if not ok:
        if _stack:
            _stack[-1].append(msg)
        else:
            raise AssertionError(msg)


def check_close(name, actual, expected, tol, hint=""):
    """Print '<name>: rel error E (tol T) PASS|FAIL'; on FAIL print the hint and fail.

    A shape mismatch fails with both shapes named, before any arithmetic. Inside ``check_all()`` the
    failure is recorded and the block fails at its end; outside, AssertionError is raised at once.
    Returns the relative error (inf on a shape mismatch).
    """
    a, e = np.asarray(to_numpy(actual)), np.asarray(to_numpy(expected))
    if a.shape != e.shape:
        _report(f"{name}: shape {a.shape} but expected {e.shape} FAIL", False, hint)
        return float("inf")
    err = rel_error(a, e)
    ok = bool(np.isfinite(err) and err <= tol)
    _report(f"{name}: rel error {err:.2e} (tol {tol:.0e}) {'PASS' if ok else 'FAIL'}", ok, hint)
    return err


def check_true(name, condition, detail="", hint=""):
    """Print '<name>: <detail> PASS|FAIL'; on FAIL print the hint and fail (see check_close)."""
    ok = bool(condition)
    _report(f"{name}: {detail} {'PASS' if ok else 'FAIL'}".replace("  ", " "), ok, hint)
    return ok


def to_numpy(x):
    """A torch tensor (any device) as a numpy array, without importing torch here; anything else as is."""
    if hasattr(x, "detach"):
        return x.detach().cpu().numpy()
    return x
