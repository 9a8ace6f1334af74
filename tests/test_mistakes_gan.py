"""Mistakes in the GAN module that the other tests let through (found by `make mutants`).

Each test stays correct for every solution the classic specification allows (reference/classic_api.md)."""

import torch
from torch import nn

from cs231n.gan_pytorch import build_dc_classifier, get_optimizer


def test_get_optimizer_has_no_weight_decay():
    torch.manual_seed(0)
    model = nn.Linear(4, 3)
    before = [p.detach().clone() for p in model.parameters()]
    optimizer = get_optimizer(model)
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    optimizer.step()
    moved = max((p.detach() - b).abs().max().item() for p, b in zip(model.parameters(), before))
    assert moved == 0.0, (f"get_optimizer: a step with zero gradients moved the parameters by {moved:.2e}; "
                          "plain Adam does not (AdamW, or a weight_decay, does)")


def test_dc_classifier_returns_logits_not_probabilities():
    torch.manual_seed(0)
    model = build_dc_classifier(16)
    with torch.no_grad():
        scores = model(torch.randn(16, 1, 28, 28))  # as run_a_gan hands it images
    assert scores.shape == (16, 1), f"build_dc_classifier: output shape {tuple(scores.shape)}, expected (16, 1)"
    assert ((scores < 0) | (scores > 1)).any(), (
        "build_dc_classifier: every score lies in [0, 1]: the model must end with the Linear layer and return "
        "logits (bce_loss applies the sigmoid); is there a Sigmoid at the end?")
