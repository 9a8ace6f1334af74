"""The stored VisionTransformer values (cs231n/checks/vit_values.npz) equal what the solution gives, and
the solution equals a torch.nn composition of the same weights.

Instructor-only: the reference below is VisionTransformer.forward written with torch.nn pieces.
"""

import importlib.util
import math
from pathlib import Path

import pytest
import torch
import torch.nn as nn

from cs231n.checks.vit import conv_reference_patches, load_vit_case, torch_reference_encoder_layer, vit_case
from cs231n.classifiers.transformer import VisionTransformer

pytestmark = pytest.mark.usefixtures("one_torch_thread")
TOOL = Path(__file__).resolve().parent.parent / "tools" / "make_vit_check_values.py"


def _tool():
    spec = importlib.util.spec_from_file_location("make_vit_check_values", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_vit_values_match_the_solution():
    tool = _tool()
    problems = tool.differences(tool.VIT_FILE, tool.vit_values())
    assert not problems, "\n".join(problems) + "\nrun: python tools/make_vit_check_values.py"


def _formula_encodings(P, D):
    table = torch.zeros(1, P, D, dtype=torch.float64)
    for i in range(P):
        for j in range(D):
            rate = 10000.0 ** (-(j - j % 2) / D)
            table[0, i, j] = math.sin(i * rate) if j % 2 == 0 else math.cos(i * rate)
    return table


def test_solution_matches_a_torch_nn_composition_of_the_same_weights():
    model = VisionTransformer(**vit_case()["model_kwargs"]).double().eval()
    images, stored = load_vit_case(model)
    with torch.no_grad():
        seq = conv_reference_patches(model.patch_embed, images)
        seq = seq + _formula_encodings(seq.shape[1], seq.shape[2])
        encoder = nn.Sequential(*(torch_reference_encoder_layer(layer) for layer in model.transformer.layers))
        expected = model.head(encoder(seq).mean(dim=1))
    err = (stored - expected).abs().max().item()
    # the model's encoding table is float32 (given code): scores move by about 1e-7
    assert err < 1e-5, f"stored ViT logits differ from the torch.nn composition by {err:.2e}"
