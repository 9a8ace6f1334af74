"""Graded cases of DDPM. Grader side only (see grading/README.md)."""

import numpy as np

DRIVERS = "DDPM"
DRIVER_OF = {
    "GaussianDiffusion.q_sample": "q_sample",
    "GaussianDiffusion.predict_start_from_noise": "predict_start_from_noise",
    "GaussianDiffusion.predict_noise_from_start": "predict_noise_from_start",
    "GaussianDiffusion.p_losses": "p_losses",
    "GaussianDiffusion.p_sample": "p_sample",
    "Unet.__init__": "unet_init",
    "Unet.forward": "unet_forward",
    "Unet.cfg_forward": "unet_cfg_forward",
}
NEEDS = {"GaussianDiffusion.p_losses": ["GaussianDiffusion.q_sample"],
         "GaussianDiffusion.p_sample": ["GaussianDiffusion.predict_start_from_noise"],
         "Unet.forward": ["Unet.__init__"]}
BUDGET_S = 60


def _sched(name, T, size=2):
    return {"schedule": np.asarray(name), "T": np.asarray(T), "size": np.asarray(size)}


def cases(rng):
    f32 = {"rtol": 1e-4, "atol": 1e-5}
    n = rng.standard_normal
    out = []
    for name, T in (("sigmoid", 1000), ("cosine", 100), ("linear", 50)):
        t = rng.integers(0, T, 4)
        out.append(("GaussianDiffusion.q_sample", f"{name} T={T}", {**_sched(name, T), "x_start": n((4, 3, 2, 2)),
                                                                   "t": t, "noise": n((4, 3, 2, 2))}, f32))
        out.append(("GaussianDiffusion.predict_start_from_noise", f"{name} T={T}",
                    {**_sched(name, T), "x_t": n((4, 3, 2, 2)), "t": t, "noise": n((4, 3, 2, 2))}, f32))
        out.append(("GaussianDiffusion.predict_noise_from_start", f"{name} T={T}",
                    {**_sched(name, T), "x_t": n((4, 3, 2, 2)), "t": np.minimum(t, T - 2), "x_start": n((4, 3, 2, 2))}, f32))
    for objective in ("pred_noise", "pred_x_start"):
        out.append(("GaussianDiffusion.p_losses", objective,
                    {**_sched("sigmoid", 100, 4), "objective": np.asarray(objective), "abc": np.asarray([0.7, 0.01, 0.3]),
                     "seed": np.asarray(int(rng.integers(1000))), "x": rng.random((5, 3, 4, 4)), "emb": n((5, 6))}, f32))
        out.append(("GaussianDiffusion.p_sample", f"{objective} t=0",
                    {**_sched("cosine", 1000, 4), "objective": np.asarray(objective), "abc": np.asarray([1.3, 0.0, 0.2]),
                     "seed": np.asarray(0), "step": np.asarray(0), "x_t": n((3, 3, 4, 4)), "emb": n((3, 5))},
                    {"rtol": 1e-4, "atol": 1e-4}))
        out.append(("GaussianDiffusion.p_sample", f"{objective} t=37, moments of 20000 draws",
                    {**_sched("sigmoid", 100, 2), "objective": np.asarray(objective), "abc": np.asarray([1.3, 0.0, 0.0]),
                     "seed": np.asarray(1), "step": np.asarray(37), "copies": np.asarray(20000),
                     "x_t": np.linspace(-1.5, 1.5, 12).reshape(1, 3, 2, 2)}, {"rtol": 0.03, "atol": 0.01}))
    for dim, mults in ((2, (1, 2, 4)), (3, (1, 2)), (4, (2,))):
        out.append(("Unet.__init__", f"Unet({dim}, 5, {mults})", {"dim": np.asarray(dim), "cond": np.asarray(5),
                                                                 "mults": np.asarray(mults)}, {"rtol": 0, "atol": 0}))
    for mults, size in (((2, 4), 4), ((1, 2, 2), 8)):
        out.append(("Unet.forward", f"dim_mults={mults}", {"dim": np.asarray(4), "cond": np.asarray(3),
                                                         "mults": np.asarray(mults), "seed": np.asarray(int(rng.integers(1000))),
                                                         "x": n((2, 3, size, size)), "t": rng.integers(0, 50, 2),
                                                         "emb": n((2, 3))}, {"rtol": 1e-3, "atol": 1e-4}))
    for scale in (0.0, 2.31):
        out.append(("Unet.cfg_forward", f"scale {scale}", {"x": n((2, 3, 2, 2)), "t": rng.integers(0, 50, 2),
                                                          "emb": n((2, 3)), "scale": np.asarray(scale)}, f32))
    return out
