"""Graded cases of Generative_Adversarial_Networks. Grader side only (see grading/README.md)."""

import numpy as np

DRIVERS = "Generative_Adversarial_Networks"
NEEDS = {}  # discriminator_loss and generator_loss run with torch's BCE in place of bce_loss
DRIVER_OF = {}
BUDGET_S = 60


def cases(rng):
    n = rng.standard_normal
    f32 = {"rtol": 1e-4, "atol": 1e-5}
    out = [("sample_noise", "100000 draws", {"N": np.asarray(1000), "D": np.asarray(100), "seed": np.asarray(7)},
            {"rtol": 0, "atol": 0.006})]
    out += [("discriminator", "batch of 3", {"x": n((3, 1, 28, 28))}, f32),
            ("generator", "batch of 3", {"z": n((3, 12)), "noise_dim": np.asarray(12)}, f32),
            ("build_dc_classifier", "batch of 2", {"x": n((2, 1, 28, 28)), "N": np.asarray(2)}, f32),
            ("build_dc_generator", "batch of 3", {"z": n((3, 10)), "noise_dim": np.asarray(10)}, f32)]
    logits = 3 * n(8)
    out += [("bce_loss", "mixed targets", {"input": logits, "target": (n(8) > 0).astype(float)}, f32),
            ("bce_loss", "large logits", {"input": np.array([40.0, -40.0, 12.0, -15.0]),
                                          "target": np.array([0.0, 1.0, 1.0, 0.0])}, f32)]
    pair = {"real": n((6, 1)), "fake": n((6, 1))}
    for fn in ("discriminator_loss", "ls_discriminator_loss", "wgan_critic_loss"):
        out.append((fn, "batch of 6", pair, f32))
    for fn in ("generator_loss", "ls_generator_loss", "wgan_generator_loss"):
        out.append((fn, "batch of 6", {"fake": pair["fake"]}, f32))
    out.append(("get_optimizer", "a linear model", {}, {"rtol": 0, "atol": 1e-12}))
    real, fake = n((4, 1, 3, 3)), n((4, 1, 3, 3))
    out.append(("gradient_penalty", "linear critic", {"linear": np.asarray(1), "seed": np.asarray(0), "real": real,
                                                      "fake": fake, "p0": 0.3 * n((1, 9)), "p1": n(1)}, f32))
    out.append(("gradient_penalty", "real equals fake", {"linear": np.asarray(0), "seed": np.asarray(0), "real": real,
                                                         "fake": real, "p0": 0.5 * n((5, 9)), "p1": n(5),
                                                         "p2": n((1, 5)), "p3": n(1)}, f32))
    return out
