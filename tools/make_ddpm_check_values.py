#!/usr/bin/env python3
"""Write cs231n/checks/ddpm_values.json: the DDPM notebook's expected check values.

    python tools/make_ddpm_check_values.py [--check]

"course_2025" holds the values printed in the 2025 course notebook (copied facts, never computed);
"eval" the same checks run in evaluation mode with this repository's solutions (the inputs come from
cs231n.checks.ddpm, so notebook, tests and this tool build them alike). --check compares the file with
freshly computed values and exits 1 when they differ (tests/test_ddpm_check_values.py runs it).

Instructor-only: it runs the solutions.
"""

import argparse
import json
import sys

import numpy as np
import torch

from cs231n.checks import ddpm as chk
from cs231n.gaussian_diffusion import GaussianDiffusion
from cs231n.unet import Unet

COURSE_2025 = {
    "num_params_2_4_124": 6499,
    "downs_dims": [2, 2, 8, 2, 2, 8, 2, 2, 8, 2, 2, 8, 4, 4, 8, 4, 4, 8],
    "ups_dims": [8, 4, 8, 8, 4, 8, 4, 2, 8, 4, 2, 8, 4, 2, 8, 4, 2, 8],
    "q_sample": [
        [[[-0.9119949, -0.86840147], [-0.8248081, -0.7812148]], [[-0.7376214, -0.694028], [-0.65043473, -0.6068413]],
         [[-0.563248, -0.51965463], [-0.47606122, -0.43246788]]],
        [[[-0.42800453, -0.37039882], [-0.31279305, -0.2551873]], [[-0.19758154, -0.1399758], [-0.08237009, -0.024764337]],
         [[0.032841414, 0.090447165], [0.14805292, 0.20565866]]],
        [[[0.32864183, 0.37152246], [0.41440308, 0.45728368]], [[0.50016433, 0.5430449], [0.5859255, 0.6288062]],
         [[0.67168677, 0.7145674], [0.757448, 0.8003287]]]],
    "p_losses_train": 30.0732689,
    "forward_train_first_row": [0.14615417, 0.36610782, 0.27948245, 0.2229169],
    "p_sample_train_first_row": [1.1339471, 0.12097352, -0.7175048, 1.3196243],
    "cfg_train_first_row": [-0.07755187, 0.39913225, -0.616872, 0.16161466],
}


def eval_values():
    """The checks' outputs in evaluation mode, computed with the solutions."""
    out = {}
    unet, x, t, kwargs = chk.forward_inputs(Unet)
    with torch.no_grad():
        out["forward"] = unet(x, t, kwargs).tolist()
        out["cfg_forward"] = unet(x, t, {**kwargs, "cfg_scale": 2.31}).tolist()
    diffusion, x, kwargs = chk.p_losses_inputs(Unet, GaussianDiffusion)
    out["p_losses"] = diffusion.p_losses(x, kwargs).item()
    unet, x_t, step, kwargs, state = chk.p_sample_inputs(Unet)
    for objective, schedule in (("pred_x_start", "sigmoid"), ("pred_noise", "cosine")):
        diffusion = GaussianDiffusion(unet, image_size=4, timesteps=1000, beta_schedule=schedule, objective=objective)
        torch.set_rng_state(state)
        out[f"p_sample_{objective}"] = diffusion.p_sample(x_t, step, kwargs).tolist()
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the file instead of writing it")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    values = {"course_2025": COURSE_2025, "eval": eval_values()}
    if args.check:
        old = json.loads(chk.VALUES_PATH.read_text())
        bad = [k for k in values["eval"] if not np.allclose(old["eval"].get(k), values["eval"][k], rtol=1e-5, atol=1e-7)]
        bad += ["course_2025"] if old["course_2025"] != COURSE_2025 else []
        if bad:
            sys.exit(f"{chk.VALUES_PATH} is stale for {bad}: run python tools/make_ddpm_check_values.py")
        print(f"{chk.VALUES_PATH}: current")
        return
    chk.VALUES_PATH.write_text(json.dumps(values, indent=1) + "\n")
    print(f"wrote {chk.VALUES_PATH}")


if __name__ == "__main__":
    main()
