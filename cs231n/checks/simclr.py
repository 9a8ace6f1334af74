"""What the self-supervised learning notebook checks with: the official sanity values, a library
formulation of the NT-Xent loss, and the augmentation pipeline's specification.

- SANITY: the inputs and expected outputs of the official ``simclr_sanity_check.key`` (2021-2025),
  written out (left, right, sim, the loss at tau 1 and 5, the similarity matrix);
- ``nt_xent_cross_entropy``: the same loss as PyTorch's cross-entropy over the similarity logits
  (each row's positive as its class, itself masked out): the oracle the loss is compared with on
  random batches;
- ``train_transform_problems``: what differs between a transform and the classic pipeline (order,
  probabilities, jitter strengths), one line each.

Imports only ``cs231n.checks``.
"""

import torch
import torch.nn.functional as F
from torchvision import transforms

from cs231n.checks import check_all, check_close, check_true

__all__ = ["SANITY", "sanity_tensors", "nt_xent_cross_entropy", "train_transform_problems", "check_naive_loss",
           "check_vectorized_loss", "check_train_transform", "check_pair_dataset"]

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


def nt_xent_cross_entropy(out_left, out_right, tau):
    """The SimCLR loss as F.cross_entropy: row i of the 2N x 2N cosine-similarity logits / tau, with
    the diagonal removed, is classified as its positive (i + N mod 2N). Mean over the 2N rows."""
    n = out_left.shape[0]
    z = F.normalize(torch.cat([out_left, out_right]), dim=1)
    logits = (z @ z.T) / tau
    logits = logits.masked_fill(torch.eye(2 * n, dtype=torch.bool, device=z.device), float("-inf"))
    target = (torch.arange(2 * n, device=z.device) + n) % (2 * n)
    return F.cross_entropy(logits, target)


def check_naive_loss(sim, simclr_loss_naive, tol=1e-6):
    """The official checks of sim and simclr_loss_naive, then the loss on a random batch against cross-entropy."""
    a = sanity_tensors()
    left, right = a["left"], a["right"]
    with check_all():
        for k in range(2):
            check_close(f"sim(left[{k}], right[{k}])", sim(left[k], right[k]).reshape(()), a["sim"][k, 0], tol,
                        hint="the dot product divided by the product of the two norms")
        for tau in ("1.0", "5.0"):
            check_close(f"simclr_loss_naive, tau {tau}", simclr_loss_naive(left, right, float(tau)),
                        a["loss"][tau], tol, hint="the denominator sums over every k != i; divide the total by 2N")
        x, y = _random_batch()
        check_close("simclr_loss_naive vs cross-entropy, random batch, tau 0.5", simclr_loss_naive(x, y, 0.5),
                    nt_xent_cross_entropy(x, y, 0.5), tol, hint="both directions, l(k, k+N) and l(k+N, k), for every k")


def check_vectorized_loss(sim_positive_pairs, compute_sim_matrix, simclr_loss_vectorized, tol=1e-6):
    """The official checks of the vectorised pieces, then the loss on a random batch against cross-entropy."""
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
        x, y = _random_batch()
        check_close("simclr_loss_vectorized vs cross-entropy, random batch, tau 0.5",
                    simclr_loss_vectorized(x, y, 0.5), nt_xent_cross_entropy(x, y, 0.5), tol,
                    hint="numerators for all 2N rows: row k pairs with k+N and row k+N with k")


def _random_batch(n=8, d=5, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=gen), torch.randn(n, d, generator=gen)


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
