"""Mistakes in network visualization that the other tests let through (found by `make mutants`).

Each test stays correct for every solution the classic specification allows (reference/classic_api.md):
a make_fooling_image that loops until fooled, as in the classic, passes too."""

import pytest
import torch
from torch import nn

from cs231n.net_visualization_pytorch import make_fooling_image


class _Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(2), nn.Flatten(),
                                  nn.Linear(16, 5))

    def forward(self, x):
        return self.body(x)


def _steps_to_fool(x, target, model, learning_rate):
    """How many normalised ascent steps the specified algorithm takes before the model is fooled."""
    x, steps = x.clone(), 0
    while steps < 1000:
        x.requires_grad_(True)
        scores = model(x)
        if scores.argmax(1).item() == target:
            return steps
        (g,) = torch.autograd.grad(scores[0, target], x)
        x = (x + learning_rate * g / g.norm()).detach()
        steps += 1
    raise AssertionError("test set-up: the model is never fooled")


@pytest.mark.parametrize("seed", [0, 1])
def test_fooling_image_may_use_every_one_of_its_max_iter_steps(seed):
    torch.manual_seed(seed)
    model = _Net().double().eval()
    x = torch.randn(1, 3, 8, 8, dtype=torch.float64)
    with torch.no_grad():
        target = (model(x).argmax(1).item() + 1) % 5
    steps = _steps_to_fool(x, target, model, 0.1)
    assert steps >= 2, f"test set-up: only {steps} step(s) needed"
    X_fooling = make_fooling_image(x, target, model, learning_rate=0.1, max_iter=steps)
    with torch.no_grad():
        now = model(X_fooling).argmax(1).item()
    assert now == target, (f"make_fooling_image: with max_iter={steps}, exactly the steps it needs, the model "
                           f"still predicts {now} (does the loop stop one step early?)")
