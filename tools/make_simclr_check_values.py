#!/usr/bin/env python3
"""Write the stored values the SimCLR checks and tests compare with, from this repository's solutions.

    python tools/make_simclr_check_values.py [--check]

The student edition may not ship code that computes what a blank computes, so the contrastive loss's
expected values ship as data: cs231n/checks/simclr_values.npz, read by cs231n.checks.simclr
(loss_case, tiny_model, train_batches) for the notebook's checks and tests/test_simclr.py. It holds

- loss cases '<case>/...': a random batch (left, right), tau, and the solution's loss on it with its
  gradients with respect to both inputs (float64 arithmetic on float32 inputs, or float64 inputs for
  'gradient'). LOSS_CASES lists them: 'check' for the notebook, the others for the tests;
- 'tiny/<parameter>': the weights of cs231n.checks.simclr.TinySimCLR, drawn from a seeded generator;
- 'train/...': two batches of views, the mean loss the solution's train returns on them with a
  learning rate of 0 (temperature 'train/temperature'), and the parameters after the one SGD step
  train takes on batch 0 ('train/step/<parameter>', temperature 'train/step_temperature', learning
  rate 'train/step_lr').

Run it after changing a solution or a case; --check writes nothing and exits 1 when the committed file
differs from what the solutions give now (tests/test_simclr_check_values.py runs the same comparison
and checks the values against the loss written as cross-entropy). Instructor-only: it needs the
solutions.
"""

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import check_values  # noqa: E402  (tools/: the comparison every make_*_check_values.py shares)

from cs231n.checks.simclr import VALUES_FILE, TinySimCLR, tiny_model  # noqa: E402
from cs231n.simclr.contrastive_loss import simclr_loss_vectorized  # noqa: E402
from cs231n.simclr.utils import train  # noqa: E402

# name -> (N, D, tau, seed, dtype): the batch is torch.randn(N, D) twice from Generator(seed).
LOSS_CASES = {
    "check": (8, 5, 0.5, 0, torch.float32),          # cs231n.checks.simclr: check_naive_loss, check_vectorized_loss
    "naive_n3": (3, 6, 0.1, 3, torch.float32),        # tests/test_simclr.py: the naive loss on random batches
    "naive_n5": (5, 6, 0.5, 5, torch.float32),
    "naive_n4": (4, 6, 2.0, 4, torch.float32),
    "norms": (4, 5, 0.5, 3, torch.float32),           # ... the same loss whatever the rows' norms
    "asymmetric": (3, 4, 0.2, 7, torch.float32),      # ... a close pair and a hard negative (see _asymmetric)
    "vectorized_n2": (2, 3, 0.1, 12, torch.float32),  # ... the vectorised loss on random batches
    "vectorized_n5": (5, 8, 0.5, 15, torch.float32),
    "vectorized_n16": (16, 4, 2.0, 26, torch.float32),
    "vectorized_n1": (1, 3, 0.5, 11, torch.float32),
    "gradient": (6, 5, 0.3, 4, torch.float64),        # ... the gradients, in float64
}
TRAIN_BATCHES, TRAIN_N, TRAIN_SEED, TINY_SEED = 2, 5, 0, 0
TRAIN_TEMPERATURE, STEP_TEMPERATURE, STEP_LR = 0.2, 0.5, 0.1


def _batch(n, d, seed, dtype):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=gen, dtype=dtype), torch.randn(n, d, generator=gen, dtype=dtype)


def _asymmetric(left, right):
    """One pair much closer than the others, and a hard negative on the left only: l(k, k+N) and
    l(k+N, k) have different denominators, so a loss that counts one direction twice differs."""
    right[0] = left[0] + 0.01
    left[1] = left[2] + 0.05
    return left, right


def loss_values(name, n, d, tau, seed, dtype):
    left, right = _batch(n, d, seed, dtype)
    if name == "asymmetric":
        left, right = _asymmetric(left, right)
    left, right = left.double(), right.double()  # float32 numbers are float64 numbers: float64 arithmetic
    x, y = left.clone().requires_grad_(True), right.clone().requires_grad_(True)
    loss = simclr_loss_vectorized(x, y, tau, device="cpu")
    gx, gy = torch.autograd.grad(loss, (x, y))
    return {f"{name}/left": left.numpy(), f"{name}/right": right.numpy(),
            f"{name}/tau": np.array(tau), f"{name}/loss": loss.detach().numpy(),
            f"{name}/grad_left": gx.numpy(), f"{name}/grad_right": gy.numpy()}


def train_values():
    """The tiny model's weights, its batches, and what the solution's train gives on them (float64)."""
    rng = np.random.default_rng(TINY_SEED)
    v = {f"tiny/{k}": 0.5 * rng.standard_normal(p.shape) for k, p in TinySimCLR().state_dict().items()}
    weights = {k[len("tiny/"):]: w for k, w in v.items()}
    gen = torch.Generator().manual_seed(TRAIN_SEED)
    batches = []
    for b in range(TRAIN_BATCHES):
        x_i = torch.randn(TRAIN_N, 3, 2, 2, generator=gen, dtype=torch.float32).double()
        x_j = torch.randn(TRAIN_N, 3, 2, 2, generator=gen, dtype=torch.float32).double()
        v[f"train/x_i{b}"], v[f"train/x_j{b}"] = x_i.numpy(), x_j.numpy()
        batches.append((x_i, x_j, torch.zeros(TRAIN_N)))
    model = tiny_model(weights, dtype=torch.float64)
    mean = train(model, batches, torch.optim.SGD(model.parameters(), lr=0.0), 1, 1, batch_size=TRAIN_N,
                 temperature=TRAIN_TEMPERATURE, device="cpu", verbose=False)
    v["train/temperature"], v["train/mean_loss"] = np.array(TRAIN_TEMPERATURE), np.array(mean)
    model = tiny_model(weights, dtype=torch.float64)
    train(model, batches[:1], torch.optim.SGD(model.parameters(), lr=STEP_LR), 1, 1, batch_size=TRAIN_N,
          temperature=STEP_TEMPERATURE, device="cpu", verbose=False)
    v["train/step_temperature"], v["train/step_lr"] = np.array(STEP_TEMPERATURE), np.array(STEP_LR)
    v.update({f"train/step/{k}": p.detach().numpy() for k, p in model.state_dict().items()})
    return v


def simclr_values():
    """{name: float64 array} of everything simclr_values.npz holds."""
    v = {}
    for name, case in LOSS_CASES.items():
        v.update(loss_values(name, *case))
    v.update(train_values())
    return {k: np.asarray(a, dtype=np.float64) for k, a in v.items()}


def differences(path, fresh):
    """What differs between the committed file and fresh values (beyond 1e-12 relative): a list of lines."""
    return check_values.differences(path, fresh, rtol=1e-12, atol=1e-14,
                                    fix="run python tools/make_simclr_check_values.py")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--check", action="store_true", help="compare with the committed file, write nothing")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    fresh = simclr_values()
    if args.check:
        bad = differences(VALUES_FILE, fresh)
        print(f"{VALUES_FILE.relative_to(ROOT)}: {'differs in ' + ', '.join(bad) if bad else 'up to date'}")
        return int(bool(bad))
    np.savez(VALUES_FILE, **fresh)
    print(f"wrote {VALUES_FILE.relative_to(ROOT)} ({len(fresh)} arrays)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
