"""Mistakes in network visualization that the other tests let through (found by `make mutants`).

Each test stays correct for every solution the classic specification allows (reference/classic_api.md):
a make_fooling_image that loops until fooled, as in the classic, passes too."""

import torch

from cs231n.checks.net_visualization import CallLimit, check_model, expected_values
from cs231n.net_visualization_pytorch import make_fooling_image


def test_fooling_image_may_use_every_one_of_its_max_iter_steps():
    # The stored case needs exactly fool_steps normalised steps (29) before the check model is fooled.
    e = expected_values()
    model, target, steps = check_model(), int(e["fool_target"]), int(e["fool_steps"])
    X_fooling = make_fooling_image(e["X"][:1], target, CallLimit(model, 10 * steps),
                                   learning_rate=float(e["fool_learning_rate"]), max_iter=steps)
    with torch.no_grad():
        now = model(X_fooling).argmax(1).item()
    assert now == target, (f"make_fooling_image: with max_iter={steps}, exactly the steps it needs, the model "
                           f"still predicts {now} (does the loop stop one step early?)")
