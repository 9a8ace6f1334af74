"""What the self-supervised learning notebook checks with: the official sanity values, the loss's
stored values on random batches, and the augmentation pipeline's specification.

- SANITY: the inputs and expected outputs of the official ``simclr_sanity_check.key`` (2021-2025),
  written out (left, right, sim, the loss at tau 1 and 5, the similarity matrix);
- ``stored_values`` / ``loss_case``: random batches, the loss on them and its gradients with respect
  to both inputs, and a tiny model (``tiny_model``) with the mean loss and the SGD step one epoch of
  ``train`` gives. The instructors' solutions computed them (``tools/make_simclr_check_values.py``
  writes simclr_values.npz), as the classic assignment ships its sanity key: no loss is computed here;
- ``train_transform_problems``: what differs between a transform and the classic pipeline (order,
  probabilities, jitter strengths), one line each.

Imports only ``cs231n.checks``.
"""

from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torchvision import transforms

from cs231n.checks import check_all, check_close, check_true

__all__ = ["SANITY", "sanity_tensors", "VALUES_FILE", "stored_values", "LossCase", "loss_case", "TinySimCLR",
           "tiny_model", "train_batches", "train_transform_problems", "check_naive_loss", "check_vectorized_loss",
           "check_train_transform", "check_pair_dataset"]

SANITY = {
    "left": [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]],
    "right": [[0.0, 8.0, 3.0], [10.0, 4.0, 9.0]],
    "sim": [[0.78201401], [0.92560649]],
    "loss": {"1.0": 1.0537996292, "5.0": 1.0883455276},
    "sim_matrix": [[1.0, 0.97463179, 0.78201401, 0.85687089],
                   [0.97463179, 1.0, 0.77360845, 0.92560649],
                   [0.78201401, 0.77360845, 1.0, 0.49199134],
                   [0.85687089, 0.92560649, 0.49199134, 1.0]],
}


def sanity_tensors():
    """SANITY as the official key holds it: float32 tensors, the losses as floats keyed '1.0' and '5.0'."""
    t = {k: torch.tensor(v, dtype=torch.float32) for k, v in SANITY.items() if k != "loss"}
    t["loss"] = dict(SANITY["loss"])
    return t


VALUES_FILE = Path(__file__).with_name("simclr_values.npz")


def stored_values():
    """{name: float64 tensor} of simclr_values.npz: for each loss case '<case>/left', '<case>/right',
    '<case>/tau', '<case>/loss', '<case>/grad_left', '<case>/grad_right'; 'tiny/<parameter>' the tiny
    model's weights; 'train/...' its batches and what train gives on them."""
    with np.load(VALUES_FILE) as data:
        return {name: torch.from_numpy(data[name]) for name in data.files}


class LossCase(NamedTuple):
    """A random batch (out_left, out_right), the temperature, the loss a correct solution gives and the
    loss's gradients with respect to out_left and out_right."""

    left: torch.Tensor
    right: torch.Tensor
    tau: float
    loss: torch.Tensor
    grad_left: torch.Tensor
    grad_right: torch.Tensor


def loss_case(name, dtype=torch.float32, values=None):
    """The stored case `name` ('check', 'naive_n3', 'vectorized_n16', 'gradient', ...), inputs in `dtype`
    (the float32 cases' inputs are float32 numbers, so float32 loses nothing); expected values float64."""
    v = stored_values() if values is None else values
    if f"{name}/loss" not in v:
        cases = sorted({k.split("/")[0] for k in v if k.endswith("/loss")})
        raise KeyError(f"no stored SimCLR case {name!r} (stored: {', '.join(cases)}); "
                       "run tools/make_simclr_check_values.py after adding a case there")
    return LossCase(v[f"{name}/left"].to(dtype), v[f"{name}/right"].to(dtype), float(v[f"{name}/tau"]),
                    v[f"{name}/loss"], v[f"{name}/grad_left"], v[f"{name}/grad_right"])


class TinySimCLR(nn.Module):
    """(normalised feature, normalised projection) like Model, on (N, 3, 2, 2) inputs, without BatchNorm
    (so that one batch of 2N views and two batches of N give the same outputs)."""

    def __init__(self):
        super().__init__()
        self.f = nn.Linear(12, 6)
        self.g = nn.Linear(6, 4)

    def forward(self, x):
        feature = torch.tanh(self.f(x.flatten(1)))
        return F.normalize(feature, dim=-1), F.normalize(self.g(feature), dim=-1)


def tiny_model(weights="stored", dtype=torch.float32):
    """A TinySimCLR with the stored weights ('tiny/<name>'), or with the given {name: array} weights."""
    if isinstance(weights, str):
        weights = {k[len("tiny/"):]: w for k, w in stored_values().items() if k.startswith("tiny/")}
    model = TinySimCLR().to(dtype)
    model.load_state_dict({k: torch.as_tensor(np.asarray(w), dtype=dtype) for k, w in weights.items()})
    return model


def train_batches(dtype=torch.float32, values=None):
    """The stored training batches, [(x_i, x_j, labels)] as a DataLoader gives them (labels all 0)."""
    v = stored_values() if values is None else values
    count = sum(1 for k in v if k.startswith("train/x_i"))
    return [(v[f"train/x_i{b}"].to(dtype), v[f"train/x_j{b}"].to(dtype), torch.zeros(len(v[f"train/x_i{b}"])))
            for b in range(count)]


def check_naive_loss(sim, simclr_loss_naive, tol=1e-6):
    """The official checks of sim and simclr_loss_naive, then the loss on a random batch (stored value)."""
    a = sanity_tensors()
    left, right = a["left"], a["right"]
    with check_all():
        for k in range(2):
            check_close(f"sim(left[{k}], right[{k}])", sim(left[k], right[k]).reshape(()), a["sim"][k, 0], tol,
                        hint="the dot product divided by the product of the two norms")
        for tau in ("1.0", "5.0"):
            check_close(f"simclr_loss_naive, tau {tau}", simclr_loss_naive(left, right, float(tau)),
                        a["loss"][tau], tol, hint="the denominator sums over every k != i; divide the total by 2N")
        c = loss_case("check")
        check_close(f"simclr_loss_naive, random batch of {len(c.left)}, tau {c.tau}",
                    simclr_loss_naive(c.left, c.right, c.tau), c.loss, tol,
                    hint="both directions, l(k, k+N) and l(k+N, k), for every k")


def check_vectorized_loss(sim_positive_pairs, compute_sim_matrix, simclr_loss_vectorized, tol=1e-6):
    """The official checks of the vectorised pieces, then the loss on a random batch (stored value)."""
    a = sanity_tensors()
    left, right = a["left"], a["right"]
    with check_all():
        check_close("sim_positive_pairs", sim_positive_pairs(left, right), a["sim"], tol,
                    hint="one cosine similarity per row, shape (N, 1) (keepdim=True)")
        check_close("compute_sim_matrix", compute_sim_matrix(torch.cat([left, right])), a["sim_matrix"], tol,
                    hint="normalise every row first, then one matrix product")
        for tau in ("1.0", "5.0"):
            check_close(f"simclr_loss_vectorized, tau {tau}", simclr_loss_vectorized(left, right, float(tau)),
                        a["loss"][tau], tol, hint="mask the diagonal out of the denominators; mean over 2N rows")
        c = loss_case("check")
        check_close(f"simclr_loss_vectorized, random batch of {len(c.left)}, tau {c.tau}",
                    simclr_loss_vectorized(c.left, c.right, c.tau), c.loss, tol,
                    hint="numerators for all 2N rows: row k pairs with k+N and row k+N with k")


_EXPECTED_STEPS = ("RandomResizedCrop", "RandomHorizontalFlip", "RandomApply", "RandomGrayscale", "ToTensor",
                   "Normalize")


def train_transform_problems(transform):
    """Differences between `transform` (a transforms.Compose) and the classic augmentation pipeline, one
    line each; [] when it matches."""
    steps = getattr(transform, "transforms", None)
    if steps is None:
        return [f"expected a transforms.Compose, got {type(transform).__name__}"]
    names = tuple(type(t).__name__ for t in steps)
    if names != _EXPECTED_STEPS:
        return [f"steps {names}, expected {_EXPECTED_STEPS} in this order"]
    crop, flip, apply, gray = steps[:4]
    problems = []
    if tuple(crop.size) != (32, 32):
        problems.append(f"RandomResizedCrop size {crop.size}, expected 32")
    if flip.p != 0.5:
        problems.append(f"RandomHorizontalFlip p={flip.p}, expected 0.5")
    if apply.p != 0.8:
        problems.append(f"RandomApply p={apply.p}, expected 0.8")
    inner = list(apply.transforms)
    if len(inner) != 1 or not isinstance(inner[0], transforms.ColorJitter):
        problems.append(f"RandomApply holds {[type(t).__name__ for t in inner]}, expected [ColorJitter]")
    else:
        j = inner[0]
        got = (tuple(j.brightness), tuple(j.contrast), tuple(j.saturation), tuple(j.hue))
        want = ((0.6, 1.4), (0.6, 1.4), (0.6, 1.4), (-0.1, 0.1))
        if any(abs(g - w) > 1e-6 for gp, wp in zip(got, want) for g, w in zip(gp, wp)):
            problems.append(f"ColorJitter ranges {got}, expected ColorJitter(0.4, 0.4, 0.4, 0.1) = {want}")
    if gray.p != 0.2:
        problems.append(f"RandomGrayscale p={gray.p}, expected 0.2")
    return problems


def check_train_transform(transform):
    """One line: does compute_train_transform() build the classic pipeline?"""
    problems = train_transform_problems(transform)
    check_true("compute_train_transform", not problems,
               "crop, flip 0.5, jitter 0.8, grayscale 0.2, ToTensor, Normalize" if not problems else "; ".join(problems),
               hint="steps 2-4 in order: RandomHorizontalFlip(0.5), RandomApply([color_jitter], p=0.8), "
                    "RandomGrayscale(0.2)")


def check_pair_dataset(dataset, index=0):
    """One line: item `index` is (x_i, x_j, label) with two different views of the same shape."""
    x_i, x_j, target = dataset[index]
    ok = (torch.is_tensor(x_i) and torch.is_tensor(x_j) and x_i.shape == x_j.shape == (3, 32, 32)
          and not torch.equal(x_i, x_j) and int(target) == int(dataset.targets[index]))
    check_true("CIFAR10Pair.__getitem__", ok, "two different (3, 32, 32) views and the image's label",
               hint="call self.transform(img) twice: each call draws new random augmentations")
