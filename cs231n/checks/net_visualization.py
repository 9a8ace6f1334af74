"""What the network-visualization checks compare with (notebook and tests).

No saliency map or Grad-CAM is computed here. The checks run the student's functions on a small CNN with
stored weights (`check_model`) and compare with outputs stored in a file (`expected_values`), the
instructors' solutions' outputs on these inputs (`tools/make_vision_check_values.py` regenerates it), as
the classic assignment ships its expected values.

- check_model, expected_values: the stored CNN, its images, classes and expected outputs;
- update_step_geometry: one class_visualization_update_step on the stored image, measured against the
  stored direction of the regularised gradient;
- CallLimit: a model wrapper that turns a loop that never stops into a clear error.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

__all__ = ["CallLimit", "StepGeometry", "check_model", "expected_values", "update_step_geometry", "EXPECTED_FILE"]

EXPECTED_FILE = Path(__file__).with_name("net_visualization_expected.npz")


class CheckNet(nn.Module):
    """features (conv, ReLU, pool, conv, ReLU) then a head: the shape of SqueezeNet and SceneNet, small."""

    def __init__(self, num_classes=5):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(6, 8, 3, padding=1), nn.ReLU())
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(32, num_classes))

    def forward(self, x):
        return self.head(self.features(x))


def check_model(weights="stored"):
    """The check CNN in float64, eval mode, parameters frozen: with the stored weights, with the given
    {name: array} weights, or (weights=None) with PyTorch's initialisation."""
    model = CheckNet().double()
    if weights is not None:
        if isinstance(weights, str):
            weights = {k[len("model."):]: v for k, v in expected_values().items() if k.startswith("model.")}
        model.load_state_dict({k: torch.as_tensor(np.asarray(v), dtype=torch.float64) for k, v in weights.items()})
    return model.eval().requires_grad_(False)


def expected_values():
    """The stored inputs and expected outputs, {name: tensor} (float64; the classes as int64)."""
    with np.load(EXPECTED_FILE) as data:
        return {name: torch.from_numpy(data[name]) for name in data.files}


@dataclass
class StepGeometry:
    """One update step compared with g, the gradient of s_y(I) - l2_reg * ||I||^2 at the start."""

    cosine: float         # cos(angle between the step and g): 1 for a step along g
    length: float         # ||step||
    plain: float          # learning_rate * ||g||, the length of the plain step
    normalised: float     # learning_rate, the length of the normalised step

    @property
    def length_ok(self):
        return any(abs(self.length - want) <= 1e-6 * want for want in (self.plain, self.normalised))


def update_step_geometry(update_step, learning_rate=0.5):
    """Run update_step(img, model, target_y, l2_reg, learning_rate) once on the stored image and check
    model, and measure the step it took against the stored direction of g.

    The stored l2_reg makes the L2 term's gradient as large as the score's: a missing L2 term, a wrong
    sign or a wrong factor then turns the step well away from g."""
    v = expected_values()
    model, start = check_model(), v["step_img"]
    work = start.clone().requires_grad_(True)
    update_step(work, model, int(v["step_target"]), float(v["step_l2_reg"]), learning_rate)
    step = (work.detach() - start).flatten()
    length = float(step.norm())
    cosine = float(step @ v["step_direction"].flatten() / max(length, 1e-300))
    return StepGeometry(cosine, length, learning_rate * float(v["step_gradient_norm"]), learning_rate)


class CallLimit(nn.Module):
    """model, but raising RuntimeError on the (max_calls + 1)-th forward call: a loop that should stop
    (make_fooling_image stops once the model is fooled) fails with a message instead of hanging."""

    def __init__(self, model, max_calls, what="make_fooling_image"):
        super().__init__()
        self.model, self.max_calls, self.what, self.calls = model, max_calls, what, 0

    def forward(self, x):
        self.calls += 1
        if self.calls > self.max_calls:
            raise RuntimeError(f"{self.what} called the model {self.max_calls} times without stopping: does "
                               f"the loop end once the model predicts the target, and does each step "
                               f"raise the target score (gradient ascent, +)?")
        return self.model(x)
