"""Graded cases of Style_Transfer. Grader side only (see grading/README.md)."""

import numpy as np

DRIVERS = "Style_Transfer"
NEEDS = {}  # style_loss runs with the grams given (a table), not the student's gram_matrix
DRIVER_OF = {}
BUDGET_S = 30


def _gram(f, normalize=True):
    N, C, H, W = f.shape
    F = f.reshape(N, C, H * W)
    G = F @ F.transpose(0, 2, 1)
    return G / (C * H * W) if normalize else G


def cases(rng):
    f32 = {"rtol": 1e-4, "atol": 1e-5}
    n = rng.standard_normal
    out = [("content_loss", "one layer", {"weight": np.asarray(0.6), "current": n((1, 4, 3, 5)),
                                          "original": n((1, 4, 3, 5))}, f32)]
    for norm in (True, False):
        out.append(("gram_matrix", f"normalize={norm}", {"features": n((2, 3, 4, 5)), "normalize": np.asarray(norm),
                                                         "R": n((2, 3, 3))}, f32))
    layers = [0, 2]
    s = {"layers": np.asarray(layers), "weights": np.asarray([0.7, 2.5]), "feat_unused": n((1, 2, 3, 3))}
    for k, (C, H, W) in zip(layers, ((3, 4, 4), (5, 2, 3))):
        f = n((1, C, H, W))
        s[f"feat{k}"], s[f"gram{k}"], s[f"target{k}"] = f, _gram(f), _gram(n((1, C, H, W)))
    out.append(("style_loss", "two layers", s, f32))
    out += [("tv_loss", "one image", {"weight": np.asarray(0.3), "img": n((1, 3, 4, 6))}, f32),
            ("tv_loss", "non-square", {"weight": np.asarray(2.0), "img": n((1, 3, 7, 2))}, f32)]
    return out
