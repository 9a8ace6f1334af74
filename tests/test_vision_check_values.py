"""Instructor-only: the expected values the vision notebooks and tests ship are the solutions' outputs,
and independent references (loops, one image at a time) agree with them.

The student edition ships cs231n/checks/style_transfer_expected.npz and net_visualization_expected.npz
instead of reference code; tools/make_vision_check_values.py regenerates them from the solutions. This
file holds the references and is left out of the edition (tools/build_student.py, INSTRUCTOR_ONLY).
"""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from cs231n.checks import net_visualization as nv_checks
from cs231n.checks import style_transfer as st_checks

ROOT = Path(__file__).resolve().parent.parent


def _tool():
    spec = importlib.util.spec_from_file_location("make_vision_check_values", ROOT / "tools" / "make_vision_check_values.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("which", ["style_transfer", "net_visualization"])
def test_committed_values_are_the_solutions_outputs(which):
    tool = _tool()
    path, make = next((p, m) for p, m in tool.FILES.items() if p.name.startswith(which))
    bad = tool.differences(path, make())
    assert not bad, (f"{path.name} differs from the solutions' outputs in {bad}: run "
                     "`python tools/make_vision_check_values.py` and commit the file")


# ---------------------------------------------------------------- style transfer, by loops in numpy

def _np(x):
    return x.numpy().astype(np.float64)


def test_stored_style_values_agree_with_loop_references():
    e = {k: _np(v) for k, v in st_checks.expected_values().items()}
    cur, orig = e["content_current"], e["content_original"]
    content = e["content_weight"] * sum((a - b) ** 2 for a, b in zip(cur.ravel(), orig.ravel()))
    assert abs(content - e["content_value"]) <= 1e-12 * abs(content)
    assert np.allclose(e["content_grad"], 2 * e["content_weight"] * (cur - orig), rtol=1e-12)

    f = e["gram_features"]
    N, C, H, W = f.shape
    raw = np.array([[[np.sum(f[n, c] * f[n, d]) for d in range(C)] for c in range(C)] for n in range(N)])
    assert np.allclose(e["gram_raw"], raw, rtol=1e-12) and np.allclose(e["gram_normalized"], raw / (H * W * C), rtol=1e-12)

    style = 0.0
    for feat, target, weight in ((e["style_feat0"], e["style_target0"], 0.5), (e["style_feat2"], e["style_target2"], 20.0)):
        _, C, H, W = feat.shape
        flat = feat[0].reshape(C, H * W)
        style += weight * np.sum((flat @ flat.T / (H * W * C) - target[0]) ** 2)
    assert abs(style - e["style_value"]) <= 1e-12 * abs(style)

    x, tv = e["tv_img"], 0.0
    for n, c, h, w in np.ndindex(*x.shape):
        if h + 1 < x.shape[2]:
            tv += (x[n, c, h + 1, w] - x[n, c, h, w]) ** 2
        if w + 1 < x.shape[3]:
            tv += (x[n, c, h, w + 1] - x[n, c, h, w]) ** 2
    assert abs(e["tv_weight"] * tv - e["tv_value"]) <= 1e-12 * abs(tv)


def test_stored_style_gradients_agree_with_numeric_gradients():
    # Central differences of the loops above at a few entries: the stored gradients are the true ones.
    e = {k: _np(v) for k, v in st_checks.expected_values().items()}

    def tv(x):
        return e["tv_weight"] * (np.sum(np.diff(x, axis=2) ** 2) + np.sum(np.diff(x, axis=3) ** 2))

    def style0(feat):
        _, C, H, W = feat.shape
        flat = feat[0].reshape(C, H * W)
        return 0.5 * np.sum((flat @ flat.T / (H * W * C) - e["style_target0"][0]) ** 2)

    rng = np.random.default_rng(0)
    for fn, x, grad in ((tv, e["tv_img"], e["tv_grad"]), (style0, e["style_feat0"], e["style_grad0"])):
        for index in (tuple(rng.integers(0, s) for s in x.shape) for _ in range(5)):
            step = np.zeros_like(x)
            step[index] = 1e-6
            numeric = (fn(x + step) - fn(x - step)) / 2e-6
            assert abs(numeric - grad[index]) <= 1e-6 * max(1.0, abs(numeric)), (index, numeric, grad[index])


# ---------------------------------------------------------------- network visualization, image by image

def _saliency_reference(X, y, model):
    maps = []
    for i in range(len(X)):
        x = X[i:i + 1].clone().requires_grad_(True)
        model(x)[0, int(y[i])].backward()
        maps.append(x.grad[0].abs().max(dim=0).values)
    return torch.stack(maps)


def _grad_cam_reference(X, y, model):
    A = model.features(X).detach().requires_grad_(True)  # (N, K, h, w)
    model.head(A)[torch.arange(len(y)), y].sum().backward()
    weights = A.grad.mean(dim=(2, 3))  # (N, K)
    cam = torch.relu(torch.einsum("nk,nkhw->nhw", weights, A.detach()))
    cam = nn.Upsample(size=X.shape[2:], mode="bilinear", align_corners=False)(cam[:, None])[:, 0]
    return cam / cam.flatten(1).max(dim=1).values.clamp_min(1e-12)[:, None, None]


def test_stored_net_visualization_values_agree_with_references():
    e = nv_checks.expected_values()
    model = nv_checks.check_model().requires_grad_(True)
    for y_key, s_key, c_key in (("y", "saliency", "grad_cam"), ("y_other", "saliency_other", "grad_cam_other")):
        assert torch.allclose(_saliency_reference(e["X"], e[y_key], model), e[s_key], rtol=1e-10, atol=1e-14), s_key
        assert torch.allclose(_grad_cam_reference(e["X"], e[y_key], model), e[c_key], rtol=1e-10, atol=1e-12), c_key
    img = e["step_img"].clone().requires_grad_(True)
    l2_reg = float(e["step_l2_reg"])
    (model(img)[0, int(e["step_target"])] - l2_reg * (img ** 2).sum()).backward()
    g = img.grad
    assert torch.allclose(g / g.norm(), e["step_direction"], rtol=1e-10, atol=1e-14)
    assert abs(float(g.norm()) - float(e["step_gradient_norm"])) < 1e-10 * float(g.norm())
    assert len(set(e["y"].tolist())) == 4, "the stored classes should differ between the images"
