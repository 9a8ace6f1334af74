"""Instructor-only: the stored CLIP loss values (cs231n/checks/clip_dino_values.npz) are the solution's
outputs and agree with the loss written as two cross-entropies (the reference students never see)."""

import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import make_clip_dino_check_values as tool  # noqa: E402


def _contrastive_reference(img, txt, scale):
    logits = scale * F.cosine_similarity(img[:, None, :], txt[None, :, :], dim=-1)
    target = torch.arange(img.shape[0])
    return (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) / 2


def test_the_committed_values_are_the_solutions():
    assert tool.main(["--check"]) == 0, "run python tools/make_clip_dino_check_values.py and commit the .npz"


def test_the_stored_loss_and_gradients_match_the_cross_entropy_form():
    with np.load(tool.OUT, allow_pickle=False) as stored:
        case = {k.split("/", 1)[1]: torch.tensor(stored[k], dtype=torch.float64) for k in stored.files}
    inputs = [case[k].clone().requires_grad_(True) for k in ("image_features", "text_features", "logit_scale")]
    ref = _contrastive_reference(*inputs)
    grads = torch.autograd.grad(ref, inputs)
    assert abs(ref.item() - case["loss"].item()) < 1e-5
    for name, g in zip(("image_features", "text_features", "logit_scale"), grads):
        assert (g - case["d_" + name]).abs().max().item() < 1e-5, name
    # the case is one a wrong loss cannot match: the two directions differ, so one alone is off
    one_way = F.cross_entropy(case["logit_scale"] * F.cosine_similarity(
        case["image_features"][:, None], case["text_features"][None], dim=-1), torch.arange(6))
    assert abs(one_way.item() - case["loss"].item()) > 1e-3
