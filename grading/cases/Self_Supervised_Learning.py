"""Graded cases of Self_Supervised_Learning. Grader side only (see grading/README.md)."""

import numpy as np

DRIVERS = "Self_Supervised_Learning"
DRIVER_OF = {"CIFAR10Pair.__getitem__": "cifar10_pair_getitem"}
# The losses run with torch's cosine similarity in place of sim, sim_positive_pairs and
# compute_sim_matrix; train with a fixed function in place of simclr_loss_vectorized.
NEEDS = {}
BUDGET_S = 60
PRELOAD = ["torch", "torchvision"]


def _rows(rng, n, d):
    """Rows of very different lengths, so that a missing or wrong normalisation shows."""
    return rng.standard_normal((n, d)) * np.geomspace(0.2, 9.0, n)[:, None]


def cases(rng):
    n = rng.standard_normal
    f32 = {"rtol": 1e-4, "atol": 1e-5}
    out = [("sim", "1xD rows", {"z_i": 3 * n((1, 7)), "z_j": 0.4 * n((1, 7))}, f32),
           ("sim", "D vectors", {"z_i": 5 * n(4), "z_j": n(4)}, f32)]
    for N, D, tau in ((3, 5, 0.5), (4, 3, 0.1)):
        pair = {"left": _rows(rng, N, D), "right": _rows(rng, N, D)[::-1].copy(), "tau": np.asarray(tau)}
        out.append(("simclr_loss_naive", f"N={N} tau={tau}", pair, f32))
        out.append(("simclr_loss_vectorized", f"N={N} tau={tau}", pair, f32))
    out.append(("sim_positive_pairs", "N=5", {"left": _rows(rng, 5, 4), "right": _rows(rng, 5, 4)[::-1].copy()}, f32))
    out.append(("compute_sim_matrix", "2N=6", {"out": _rows(rng, 6, 4)}, f32))
    image = rng.integers(0, 256, (32, 32, 3)).astype(np.uint8)
    out.append(("compute_train_transform", "seed 5", {"seed": np.asarray(5), "image": image}, {"rtol": 1e-5, "atol": 1e-5}))
    data = rng.integers(0, 256, (4, 3, 3, 3)).astype(np.uint8)
    targets = rng.integers(0, 10, 4)
    for index, tt in ((2, 0), (1, 1)):
        out.append(("CIFAR10Pair.__getitem__", f"image {index}" + (", target_transform" if tt else ""),
                    {"data": data, "targets": targets, "index": np.asarray(index), "target_transform": np.asarray(tt)},
                    {"rtol": 0, "atol": 0}))
    out.append(("train", "one epoch of two batches", {"seed": np.asarray(3), "tau": np.asarray(0.3),
                                                       "batch": np.asarray(4), "x_i": n((7, 3, 2, 2)),
                                                       "x_j": n((7, 3, 2, 2))}, {"rtol": 1e-4, "atol": 1e-5}))
    return out
