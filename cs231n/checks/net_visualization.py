"""Reference computations for the network-visualization checks (notebook and tests).

Written independently of the functions students implement, one image at a time with `.backward()`,
so that a check compares two different routes to the same numbers. Students never need to read this.

- saliency_reference: max over channels of |d s_y / d pixel|, image by image.
- grad_cam_reference: Grad-CAM through a forward hook, image by image.
- update_step_geometry: the direction and length of one class_visualization_update_step, against
  the gradient of the regularised score.
- CallLimit: a model wrapper that turns a loop that never stops into a clear error.
"""

import copy
from dataclasses import dataclass

import torch
from torch import nn


def saliency_reference(X, y, model):
    """Saliency maps (N, H, W) of images X (N, 3, H, W) for classes y (N,), one backward per image."""
    maps = []
    for i in range(len(X)):
        x = X[i:i + 1].detach().clone().requires_grad_(True)
        model(x)[0, int(y[i])].backward()
        maps.append(x.grad[0].abs().max(dim=0).values)  # (H, W)
    return torch.stack(maps)


def grad_cam_reference(X, y, model, layer):
    """Grad-CAM maps (N, H, W) in [0, 1], one image at a time, reading `layer`'s output with a hook."""
    maps, seen = [], []
    handle = layer.register_forward_hook(lambda module, inputs, output: seen.append(output))
    try:
        for i in range(len(X)):
            seen.clear()
            x = X[i:i + 1].detach().clone().requires_grad_(True)  # keeps the graph when parameters are frozen
            score = model(x)[0, int(y[i])]
            maps.append(_one_grad_cam(seen[0], score, tuple(X.shape[2:])))
    finally:
        handle.remove()
    return torch.stack(maps)


def _one_grad_cam(A, score, size):
    """The Grad-CAM map (H, W) of one image from its activations A (1, K, h, w) and its class score."""
    A.retain_grad()
    score.backward()
    K, h, w = A.shape[1:]
    weights = A.grad[0].sum(dim=(1, 2)) / (h * w)  # (K,)
    cam = torch.clamp((weights.view(K, 1, 1) * A[0].detach()).sum(dim=0), min=0)  # (h, w)
    cam = nn.Upsample(size=size, mode="bilinear", align_corners=False)(cam[None, None])[0, 0]  # (H, W)
    peak = cam.max()
    return cam / peak if peak > 0 else cam


@dataclass
class StepGeometry:
    """One update step compared with g, the gradient of s_y(I) - l2_reg * ||I||^2 at the start."""

    cosine: float         # cos(angle between the step and g): 1 for a step along g
    length: float         # ||step||
    plain: float          # learning_rate * ||g||, the length of the plain step
    normalised: float     # learning_rate, the length of the normalised step
    l2_reg: float
    learning_rate: float

    @property
    def length_ok(self):
        return any(abs(self.length - want) <= 1e-6 * want for want in (self.plain, self.normalised))


def update_step_geometry(update_step, model, img, target_y=None, learning_rate=0.5):
    """Run update_step(img, model, target_y, l2_reg, learning_rate) once, in float64 on a copy of the
    model, and measure the step it took against the gradient of the regularised score.

    l2_reg is chosen so that the L2 term's gradient is as large as the score's: a missing L2 term, a
    wrong sign or a wrong factor then turns the step well away from g. target_y=None takes the class
    the model ranks first, whose score has a gradient (a class a final ReLU zeroes out may have none).
    """
    model64 = copy.deepcopy(model).double().eval()
    start = img.detach().clone().double()  # (1, 3, H, W)
    x = start.clone().requires_grad_(True)
    scores = model64(x)  # (1, C)
    if target_y is None:
        target_y = int(scores.argmax())
    scores[0, target_y].backward()
    score_grad = x.grad.detach()
    if not score_grad.norm() > 0:
        raise ValueError(f"update_step_geometry: the score of class {target_y} has no gradient at this image; "
                         f"pick another class")
    l2_reg = float(score_grad.norm() / (2 * start.norm()))
    g = score_grad - 2 * l2_reg * start  # d/dI of s_y(I) - l2_reg * ||I||^2

    work = start.clone().requires_grad_(True)
    update_step(work, model64, target_y, l2_reg, learning_rate)
    step = (work.detach() - start).flatten()
    length = float(step.norm())
    cosine = float(step @ g.flatten() / max(length * float(g.norm()), 1e-300))
    return StepGeometry(cosine, length, learning_rate * float(g.norm()), learning_rate, l2_reg, learning_rate)


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
