"""How the grader calls the graded functions of Network_Visualization (runs in the sandbox; no
expected values). The model is a small CNN whose weights come with the case, in eval mode."""

import importlib

import numpy as np
import torch
from torch import nn


def _nv():
    return importlib.import_module("cs231n.net_visualization_pytorch")


def _model(i):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.ReLU(), nn.Conv2d(6, 8, 3, padding=1), nn.ReLU(),
                          nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(32, int(i["C"])))
    with torch.no_grad():
        for k, p in enumerate(model.parameters()):
            p.copy_(torch.tensor(i[f"p{k}"], dtype=torch.float32))
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def _x(i):
    return torch.tensor(i["X"], dtype=torch.float32)


def compute_saliency_maps(i):
    X = _x(i)
    s = _nv().compute_saliency_maps(X, torch.tensor(i["y"], dtype=torch.long), _model(i))
    return {"saliency": s, "X_unchanged": np.asarray(bool(torch.equal(X, _x(i))))}


def make_fooling_image(i):
    model = _model(i)
    X = _x(i)
    target = int(i["target"])
    fooled = _nv().make_fooling_image(X, target, model, learning_rate=float(i["lr"]), max_iter=int(i["max_iter"]))
    fooled = fooled.detach()
    with torch.no_grad():
        predicted = model(fooled).argmax(dim=1).item()
    return {"fooled": np.asarray(predicted == target), "image": fooled}


def class_visualization_update_step(i):
    model = _model(i)
    img = _x(i).clone().requires_grad_(True)
    before = img.detach().clone()
    _nv().class_visualization_update_step(img, model, int(i["target"]), float(i["l2_reg"]), float(i["lr"]))
    step = img.detach() - before
    # Both steps the docstring allows (plain or normalised) point the same way: compare the direction.
    return {"direction": step / step.norm().clamp_min(1e-30)}


def grad_cam(i):
    model = _model(i)
    cam = _nv().grad_cam(_x(i), torch.tensor(i["y"], dtype=torch.long), model, model[3])
    return {"cam": cam}
