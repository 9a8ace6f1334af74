#!/usr/bin/env python3
"""Regenerate the stored check values of the vision notebooks from this repository's solutions.

    python tools/make_vision_check_values.py [--check]

The student edition ships expected values, not reference code (the classic assignment ships
style-transfer-checks.npz and gan-checks.npz the same way). This tool draws fixed inputs from seeded
numpy generators, runs the solutions in cs231n/ on them, and writes inputs and outputs to

- cs231n/checks/style_transfer_expected.npz: content_loss, gram_matrix, style_loss and tv_loss, values
  and the gradients they send back to their inputs;
- cs231n/checks/net_visualization_expected.npz: a small seeded CNN (its weights), images and classes, and
  compute_saliency_maps, grad_cam and the gradient one class_visualization_update_step follows.

With --check it writes nothing and exits 1 when the committed files differ from what the solutions give
now (tests/test_vision_check_values.py runs the same comparison, and checks the solutions against
independent references). Instructor-only: it needs the solutions.
"""

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import check_values  # noqa: E402  (tools/: the comparison every make_*_check_values.py shares)

from cs231n import net_visualization_pytorch as nv  # noqa: E402
from cs231n import style_transfer_pytorch as st  # noqa: E402
from cs231n.checks.net_visualization import EXPECTED_FILE as NV_FILE  # noqa: E402
from cs231n.checks.net_visualization import check_model  # noqa: E402
from cs231n.checks.style_transfer import EXPECTED_FILE as ST_FILE  # noqa: E402


def _normal(seed, *shape):
    return np.random.default_rng(seed).standard_normal(shape)


def _grads(fn, *arrays):
    """(value, [gradients]) of fn on float64 leaves made from the arrays, by the solutions' autograd."""
    leaves = [torch.from_numpy(np.asarray(a, dtype=np.float64)).requires_grad_(True) for a in arrays]
    value = fn(*leaves)
    grads = torch.autograd.grad(value.sum(), leaves)
    return value.detach().numpy(), [g.numpy() for g in grads]


def style_transfer_values():
    """Inputs (float64) and the solutions' outputs for the style-transfer checks."""
    v = {}
    # content_loss: (2, 3, 4, 5) features, weight 0.3
    v["content_current"], v["content_original"], v["content_weight"] = _normal(1, 2, 3, 4, 5), _normal(2, 2, 3, 4, 5), 0.3
    v["content_value"], (v["content_grad"], _) = _grads(
        lambda a, b: st.content_loss(v["content_weight"], a, b), v["content_current"], v["content_original"])
    # gram_matrix: a batch of 2, H != W
    v["gram_features"] = _normal(3, 2, 3, 4, 5)
    f = torch.from_numpy(v["gram_features"])
    v["gram_raw"] = st.gram_matrix(f, normalize=False).numpy()
    v["gram_normalized"] = st.gram_matrix(f).numpy()
    # style_loss: layers 0 and 2 of three, layer 1 not a style layer
    v["style_feat0"], v["style_feat1"], v["style_feat2"] = _normal(4, 1, 4, 6, 3), _normal(5, 1, 5, 3, 2), _normal(6, 1, 2, 2, 7)
    v["style_target0"], v["style_target2"] = 0.1 * _normal(7, 1, 4, 4), 0.1 * _normal(8, 1, 2, 2)
    v["style_layers"], v["style_weights"] = np.array([0, 2]), np.array([0.5, 20.0])
    targets = [torch.from_numpy(v["style_target0"]), torch.from_numpy(v["style_target2"])]
    feat1 = torch.from_numpy(v["style_feat1"])
    v["style_value"], (v["style_grad0"], v["style_grad2"]) = _grads(
        lambda a, c: st.style_loss([a, feat1, c], [0, 2], targets, [0.5, 20.0]), v["style_feat0"], v["style_feat2"])
    # tv_loss: a (2, 3, 5, 7) batch, weight 2.0
    v["tv_img"], v["tv_weight"] = _normal(9, 2, 3, 5, 7), 2.0
    v["tv_value"], (v["tv_grad"],) = _grads(lambda x: st.tv_loss(x, v["tv_weight"]), v["tv_img"])
    return {k: np.asarray(a, dtype=np.float64) if k != "style_layers" else a for k, a in v.items()}


def net_visualization_values():
    """The check model's weights, inputs, and the solutions' outputs for the network-visualization checks."""
    v = {f"model.{name}": 0.5 * _normal(20 + i, *p.shape)
         for i, (name, p) in enumerate(check_model(weights=None).state_dict().items())}
    model = check_model(weights={k[len("model."):]: a for k, a in v.items()})
    X = torch.from_numpy(_normal(40, 4, 3, 16, 16))
    # A different class for each image, rarely the top one: a map of the wrong class (the top score's,
    # or one image's class for all) differs from the stored one.
    y, y_other = torch.tensor([3, 0, 4, 1]), torch.tensor([0, 1, 3, 2])
    v["X"], v["y"], v["y_other"] = X.numpy(), y.numpy(), y_other.numpy()
    v["saliency"] = nv.compute_saliency_maps(X, y, model).numpy()
    v["saliency_other"] = nv.compute_saliency_maps(X, y_other, model).numpy()
    layer = model.features[-1]
    v["grad_cam"] = nv.grad_cam(X, y, model, layer).numpy()
    v["grad_cam_other"] = nv.grad_cam(X, y_other, model, layer).numpy()
    # One update step for class 3 on image 0: l2_reg makes the L2 term's gradient as large as the
    # score's, so a missing L2 term, a wrong sign or factor turns the step far from g.
    img, target = X[:1], 3
    x = img.clone().requires_grad_(True)
    (score_grad,) = torch.autograd.grad(model(x)[0, target], x)
    l2_reg = float(score_grad.norm() / (2 * img.norm()))
    work = img.clone().requires_grad_(True)
    nv.class_visualization_update_step(work, model, target, l2_reg, 1.0)  # the solution's normalised step
    step = (work.detach() - img)
    v["step_img"], v["step_target"], v["step_l2_reg"] = img.numpy(), np.array(target), np.array(l2_reg)
    v["step_direction"] = (step / step.norm()).numpy()  # unit vector along the regularised gradient
    v["step_gradient_norm"] = np.array(float((score_grad - 2 * l2_reg * img).norm()))
    # make_fooling_image on image 0 towards class 1 with steps of 0.2: the solution's image, and the number
    # of steps the specified loop (check, then a normalised step) takes, written out here.
    target, lr = 1, 0.2
    steps, x = 0, X[:1].clone()
    while True:
        x.requires_grad_(True)
        scores = model(x)
        if scores.argmax(1).item() == target:
            break
        (g,) = torch.autograd.grad(scores[0, target], x)
        x, steps = (x + lr * g / g.norm()).detach(), steps + 1
    fooled = nv.make_fooling_image(X[:1], target, model, learning_rate=lr, max_iter=1000)
    assert torch.allclose(fooled, x.detach(), rtol=0, atol=1e-12), "make_fooling_image differs from the loop"
    v["fool_target"], v["fool_learning_rate"], v["fool_steps"] = np.array(target), np.array(lr), np.array(steps)
    v["fool_result"] = fooled.numpy()
    return v


FILES = {ST_FILE: style_transfer_values, NV_FILE: net_visualization_values}


def differences(path, fresh):
    """What differs between the committed file and fresh values (beyond 1e-12 relative): a list of lines."""
    return check_values.differences(path, fresh, rtol=1e-12, atol=1e-14,
                                    fix="run python tools/make_vision_check_values.py")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--check", action="store_true", help="compare with the committed files, write nothing")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    status = 0
    for path, make in FILES.items():
        fresh = make()
        if args.check:
            bad = differences(path, fresh)
            print(f"{path.relative_to(ROOT)}: {'differs in ' + ', '.join(bad) if bad else 'up to date'}")
            status |= bool(bad)
        else:
            np.savez(path, **fresh)
            print(f"wrote {path.relative_to(ROOT)} ({len(fresh)} arrays)")
    return status


if __name__ == "__main__":
    sys.exit(main())
