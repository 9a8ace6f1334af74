"""Graded cases of Network_Visualization. Grader side only (see grading/README.md)."""

import numpy as np

DRIVERS = "Network_Visualization"
NEEDS = {}
DRIVER_OF = {}
BUDGET_S = 60


def _weights(rng, C):
    shapes = [(6, 3, 3, 3), (6,), (8, 6, 3, 3), (8,), (C, 32), (C,)]
    return {f"p{k}": 0.4 * rng.standard_normal(s) for k, s in enumerate(shapes)}


def cases(rng):
    C = 5
    f32 = {"rtol": 1e-4, "atol": 1e-5}
    out = []
    m = _weights(rng, C)
    out.append(("compute_saliency_maps", "batch of 3", {**m, "C": np.asarray(C), "X": rng.standard_normal((3, 3, 8, 8)),
                                                         "y": np.array([0, 4, 2])}, f32))
    X = rng.standard_normal((1, 3, 8, 8))
    out.append(("make_fooling_image", "one image", {**m, "C": np.asarray(C), "X": X, "target": np.asarray(3),
                                                    "lr": np.asarray(0.5), "max_iter": np.asarray(200)},
                {"rtol": 1e-3, "atol": 1e-3}))
    out.append(("class_visualization_update_step", "one step", {**m, "C": np.asarray(C), "X": X,
                                                                 "target": np.asarray(1), "l2_reg": np.asarray(0.05),
                                                                 "lr": np.asarray(2.0)}, f32))
    out.append(("grad_cam", "batch of 2", {**m, "C": np.asarray(C), "X": rng.standard_normal((2, 3, 8, 8)),
                                           "y": np.array([1, 3])}, {"rtol": 1e-4, "atol": 1e-4}))
    return out
