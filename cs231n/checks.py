"""One-line numeric checks shared by every notebook: print what was compared, then pass or stop."""

import numpy as np


def rel_error(x, y):
    """Maximum relative error, max(|x - y| / max(1e-8, |x| + |y|)), as in the classic notebooks."""
    x = np.asarray(_to_numpy(x), dtype=np.float64)
    y = np.asarray(_to_numpy(y), dtype=np.float64)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def check_close(name, actual, expected, tol):
    """Print '<name>: rel error E (tol T) PASS|FAIL' and raise AssertionError on FAIL.

    A shape mismatch fails with both shapes named, before any arithmetic.
    """
    a, e = np.asarray(_to_numpy(actual)), np.asarray(_to_numpy(expected))
    if a.shape != e.shape:
        msg = f"{name}: shape {a.shape} but expected {e.shape} FAIL"
        print(msg)
        raise AssertionError(msg)
    err = rel_error(a, e)
    ok = bool(np.isfinite(err) and err <= tol)
    msg = f"{name}: rel error {err:.2e} (tol {tol:.0e}) {'PASS' if ok else 'FAIL'}"
    print(msg)
    if not ok:
        raise AssertionError(msg)
    return err


def check_true(name, condition, detail=""):
    """Print '<name>: <detail> PASS|FAIL' and raise AssertionError when the condition is false."""
    ok = bool(condition)
    msg = f"{name}: {detail} {'PASS' if ok else 'FAIL'}".replace("  ", " ")
    print(msg)
    if not ok:
        raise AssertionError(msg)


def _to_numpy(x):
    if hasattr(x, "detach"):  # a torch tensor, without importing torch here
        return x.detach().cpu().numpy()
    return x
