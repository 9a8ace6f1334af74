"""What the DDPM notebook checks with: the seeded inputs of each check, and the expected outputs stored in
ddpm_values.json beside this file.

The file holds two sets of values:
- "course_2025": the check values printed in the 2025 course notebook (facts, not computed here). Those
  that depend only on formulas (the parameter count, the U-Net's block sizes, q_sample) are reproduced
  exactly; those computed in training mode (forward, p_losses, p_sample, guidance) depend on every
  random number drawn on the way (initialisation, dropout, the condition drop); the instructors'
  solutions do not reproduce them with PyTorch 2.14 (p_losses 30.2033 for the course's 30.0732689),
  so the notebook explains them instead of checking them.
- "eval": the same checks in evaluation mode (no dropout, no condition drop), so that only the order
  of the draws the functions are specified to make matters; tools/make_ddpm_check_values.py writes them from
  the instructors' solutions, and an instructor-only test keeps them current.

The builders take the student's classes as arguments: this module imports nothing of the assignment.
"""

import json
from pathlib import Path

import numpy as np
import torch

VALUES_PATH = Path(__file__).with_name("ddpm_values.json")
SEED = 231


def stored(group, name):
    """An expected value from ddpm_values.json as a float64 numpy array (or a plain number/list)."""
    value = json.loads(VALUES_PATH.read_text())[group][name]
    return np.asarray(value, dtype=np.float64) if isinstance(value, list) and name not in ("downs_dims", "ups_dims") \
        else value


def q_sample_inputs(b=3, sz=2):
    """The course's q_sample check: t = 0, 300, 999 of the sigmoid schedule (T = 1000), linspace inputs."""
    t = torch.tensor([0, 300, 999]).long()
    x_start = torch.linspace(-0.9, 0.6, b * 3 * sz * sz).view(b, 3, sz, sz)
    noise = torch.linspace(-0.7, 0.8, b * 3 * sz * sz).view(b, 3, sz, sz)
    return x_start, t, noise


def round_trip_inputs(b=3, sz=2):
    """The course's round-trip check: t = 1, 300, 998 and other linspace inputs."""
    t = torch.tensor([1, 300, 998]).long()
    x_start = torch.linspace(-0.91, 0.67, b * 3 * sz * sz).view(b, 3, sz, sz)
    noise = torch.linspace(-0.73, 0.81, b * 3 * sz * sz).view(b, 3, sz, sz)
    return x_start, t, noise


def block_sizes(unet):
    """The (dim, dim_out, context_dim) of the two ResnetBlocks of every level, down then up, flattened."""
    downs = [d for m in unet.downs for r in (m[0], m[1]) for d in (r.dim, r.dim_out, r.context_dim)]
    ups = [d for m in unet.ups for r in (m[1], m[2]) for d in (r.dim, r.dim_out, r.context_dim)]
    return downs, ups


def forward_inputs(Unet, train=False, dim_mults=(2, 4)):
    """The course's forward check: seed 231, Unet(dim=4, condition_dim=4, dim_mults), 2 images of 4x4.

    Returns (unet, x, t, model_kwargs); the unet in training mode if train, else in evaluation mode.
    """
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    unet = Unet(dim=4, condition_dim=4, dim_mults=dim_mults)
    x = torch.randn(2, 3, 4, 4)
    text_emb = torch.randn(2, 4)
    unet.train(train)
    return unet, x, torch.tensor([8, 25]).long(), {"text_emb": text_emb}


def p_losses_inputs(Unet, GaussianDiffusion, train=False):
    """The course's p_losses check: seed 231, Unet(4, 4, (2, 4)), pred_x_start, sigmoid, batch 3.

    Returns (diffusion, x_start, model_kwargs); call diffusion.p_losses(x_start, model_kwargs) next,
    since it draws the time steps and the noise from the seeded generator.
    """
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    unet = Unet(dim=4, condition_dim=4, dim_mults=(2, 4))
    diffusion = GaussianDiffusion(unet, image_size=4, timesteps=1000, beta_schedule="sigmoid",
                                  objective="pred_x_start")
    x = torch.randn(3, 3, 4, 4)
    kwargs = {"text_emb": torch.randn(3, 4)}
    diffusion.train(train)
    return diffusion, x, kwargs


def p_sample_inputs(Unet, train=False):
    """The course's p_sample check: seed 231, Unet(4, 4, (2,)), one 4x4 image, t = 231.

    Returns (unet, x_t, t, model_kwargs, rng_state): restore rng_state with torch.set_rng_state before
    each p_sample call so that both schedules see the same draws, as in the course's check.
    """
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    unet = Unet(dim=4, condition_dim=4, dim_mults=(2,))
    x_t = torch.randn(1, 3, 4, 4)
    kwargs = {"text_emb": torch.randn(1, 4)}
    unet.train(train)
    return unet, x_t, 231, kwargs, torch.get_rng_state()
