"""Instructor-only: the stored values the SimCLR checks and tests compare with are the solutions' outputs,
and the contrastive loss written as PyTorch's cross-entropy agrees with them.

The student edition ships cs231n/checks/simclr_values.npz instead of a reference of the loss;
tools/make_simclr_check_values.py regenerates it from the solutions. This file holds the reference
(`nt_xent_cross_entropy`) and is left out of the edition (tools/build_student.py, INSTRUCTOR_ONLY).
"""

import importlib.util
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from cs231n.checks.simclr import loss_case, sanity_tensors, stored_values, tiny_model, train_batches

ROOT = Path(__file__).resolve().parent.parent


def _tool():
    spec = importlib.util.spec_from_file_location("make_simclr_check_values",
                                                  ROOT / "tools" / "make_simclr_check_values.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def nt_xent_cross_entropy(out_left, out_right, tau):
    """The SimCLR loss as F.cross_entropy: row i of the 2N x 2N cosine-similarity logits / tau, with
    the diagonal removed, is classified as its positive (i + N mod 2N). Mean over the 2N rows."""
    n = out_left.shape[0]
    z = F.normalize(torch.cat([out_left, out_right]), dim=1)
    logits = (z @ z.T) / tau
    logits = logits.masked_fill(torch.eye(2 * n, dtype=torch.bool, device=z.device), float("-inf"))
    target = (torch.arange(2 * n, device=z.device) + n) % (2 * n)
    return F.cross_entropy(logits, target)


def _assert_close(name, got, want, rtol):
    got, want = torch.as_tensor(got, dtype=torch.float64), torch.as_tensor(want, dtype=torch.float64)
    assert got.shape == want.shape, f"{name}: shape {tuple(got.shape)}, expected {tuple(want.shape)}"
    assert torch.allclose(got, want, rtol=rtol, atol=rtol), f"{name}: {got} vs {want}"


def test_committed_values_are_the_solutions_outputs():
    tool = _tool()
    bad = tool.differences(tool.VALUES_FILE, tool.simclr_values())
    assert not bad, (f"simclr_values.npz differs from the solutions' outputs in {bad}: run "
                     "`python tools/make_simclr_check_values.py` and commit the file")


@pytest.mark.parametrize("tau", ["1.0", "5.0"])
def test_the_reference_gives_the_official_sanity_losses(tau):
    a = sanity_tensors()
    _assert_close(f"cross-entropy form at tau {tau}", nt_xent_cross_entropy(a["left"], a["right"], float(tau)),
                  a["loss"][tau], 1e-6)


@pytest.mark.parametrize("case", sorted(_tool().LOSS_CASES))
def test_stored_losses_and_gradients_agree_with_the_cross_entropy_form(case):
    c = loss_case(case, dtype=torch.float64)
    x, y = c.left.clone().requires_grad_(True), c.right.clone().requires_grad_(True)
    loss = nt_xent_cross_entropy(x, y, c.tau)
    gx, gy = torch.autograd.grad(loss, (x, y))
    _assert_close(f"{case}: loss", c.loss, loss.detach(), 1e-12)
    _assert_close(f"{case}: d loss / d left", c.grad_left, gx, 1e-10)
    _assert_close(f"{case}: d loss / d right", c.grad_right, gy, 1e-10)


def test_stored_cases_are_what_the_tests_say():
    # the inputs are float32 numbers (the tests run in float32 and lose nothing), except 'gradient'
    tool = _tool()
    for name, (n, d, tau, _, dtype) in tool.LOSS_CASES.items():
        c = loss_case(name, dtype=torch.float64)
        assert c.left.shape == c.right.shape == (n, d) and c.tau == tau, name
        if dtype == torch.float32:
            assert torch.equal(c.left.float().double(), c.left) and torch.equal(c.right.float().double(), c.right)
    # the asymmetric batch: l(k, k+N) and l(k+N, k) differ (a loss counting one direction twice is off)
    c = loss_case("asymmetric", dtype=torch.float64)
    n = len(c.left)
    z = F.normalize(torch.cat([c.left, c.right]), dim=1)
    logits = (z @ z.T / c.tau).fill_diagonal_(float("-inf"))
    per_row = -logits.log_softmax(dim=1)[torch.arange(2 * n), (torch.arange(2 * n) + n) % (2 * n)]
    assert (per_row[:n] - per_row[n:]).abs().max() > 0.1


def test_stored_training_values_agree_with_the_cross_entropy_form():
    v = stored_values()
    batches = train_batches(dtype=torch.float64)
    model = tiny_model(dtype=torch.float64)
    with torch.no_grad():
        losses = [nt_xent_cross_entropy(model(a)[1], model(b)[1], float(v["train/temperature"])) for a, b, _ in batches]
    _assert_close("mean loss", v["train/mean_loss"], torch.stack(losses).mean(), 1e-12)

    a, b, _ = batches[0]
    nt_xent_cross_entropy(model(a)[1], model(b)[1], float(v["train/step_temperature"])).backward()
    lr = float(v["train/step_lr"])
    for name, p in model.named_parameters():
        _assert_close(f"SGD step on {name}", v[f"train/step/{name}"], p.detach() - lr * p.grad, 1e-12)
        assert (p.grad.abs() * lr).max() > 1e-3, f"{name}: the step is too small for the tests to see (tolerance 1e-5)"
