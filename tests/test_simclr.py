"""SimCLR (cs231n/simclr): every blank against the official sanity values, independent oracles
(torch.nn.functional.cosine_similarity) and the stored values of cs231n/checks/simclr_values.npz (the
loss and its gradients on random batches, a tiny model's training step, computed from the instructors'
solutions by tools/make_simclr_check_values.py).

Classic-style solutions pass: loops in the naive loss, F.cosine_similarity, a mask built with torch.eye.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from cs231n.checks.simclr import (loss_case, sanity_tensors, stored_values, tiny_model, train_batches,
                                  train_transform_problems)
from cs231n.simclr import contrastive_loss as cl
from cs231n.simclr.contrastive_loss import (compute_sim_matrix, sim, sim_positive_pairs, simclr_loss_naive,
                                            simclr_loss_vectorized)
from cs231n.simclr.data_utils import CIFAR10Pair, ScenesPair, compute_train_transform
from cs231n.simclr.utils import train

TOL = 1e-6  # float32 arithmetic on unit vectors


def _batch(n, d, seed, dtype=torch.float32):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=gen, dtype=dtype), torch.randn(n, d, generator=gen, dtype=dtype)


def _close(name, got, want, tol=TOL):
    got, want = torch.as_tensor(got, dtype=torch.float64), torch.as_tensor(want, dtype=torch.float64)
    assert got.shape == want.shape, f"{name}: shape {tuple(got.shape)}, expected {tuple(want.shape)}"
    err = (got - want).abs().max().item()
    assert err <= tol * max(1.0, want.abs().max().item()), f"{name}: off by {err:.3g} (tolerance {tol:g})"


# ---------------------------------------------------------------------------------------------- sim

def test_sim_matches_the_official_values():
    a = sanity_tensors()
    for k in range(2):
        _close(f"sim(left[{k}], right[{k}])", torch.as_tensor(sim(a["left"][k], a["right"][k])).reshape(()),
               a["sim"][k, 0])


def test_sim_is_the_cosine_similarity_whatever_the_norms():
    x, y = _batch(2, 7, 0)
    for scale in (1.0, 0.01, 50.0):
        _close(f"sim(x * {scale}, y)", torch.as_tensor(sim(x[0] * scale, y[0])).reshape(()),
               F.cosine_similarity(x[0], y[0], dim=0))


# ------------------------------------------------------------------------------------- naive loss

@pytest.mark.parametrize("tau", ["1.0", "5.0"])
def test_simclr_loss_naive_matches_the_official_values(tau):
    a = sanity_tensors()
    _close(f"simclr_loss_naive at tau {tau}", torch.as_tensor(simclr_loss_naive(a["left"], a["right"], float(tau))),
           a["loss"][tau])


@pytest.mark.parametrize("case", ["naive_n3", "naive_n5", "naive_n4"])
def test_simclr_loss_naive_matches_the_stored_loss_on_random_batches(case):
    c = loss_case(case)
    _close(f"simclr_loss_naive, N={len(c.left)}, tau={c.tau}", torch.as_tensor(simclr_loss_naive(c.left, c.right, c.tau)),
           c.loss)


def test_simclr_loss_naive_ignores_the_norms_of_the_rows():
    c = loss_case("norms")
    scale = torch.tensor([[0.1], [3.0], [1.0], [20.0]])
    _close("simclr_loss_naive with rescaled rows",
           torch.as_tensor(simclr_loss_naive(c.left * scale, c.right / scale, c.tau)), c.loss)


def test_simclr_loss_naive_is_not_symmetric_in_its_pairs_by_accident():
    # one pair much closer than the others, and a hard negative on the left only: l(k, k+N) and
    # l(k+N, k) have different denominators
    c = loss_case("asymmetric")
    _close("simclr_loss_naive, asymmetric batch", torch.as_tensor(simclr_loss_naive(c.left, c.right, c.tau)), c.loss)


# ------------------------------------------------------------------------------ vectorised pieces

def test_sim_positive_pairs_matches_the_official_values_and_shape():
    a = sanity_tensors()
    _close("sim_positive_pairs", sim_positive_pairs(a["left"], a["right"]), a["sim"])


def test_sim_positive_pairs_is_the_rowwise_cosine_similarity():
    x, y = _batch(6, 5, 1)
    x = x * torch.linspace(0.1, 10, 6)[:, None]
    _close("sim_positive_pairs", sim_positive_pairs(x, y), F.cosine_similarity(x, y, dim=1)[:, None])


def test_compute_sim_matrix_matches_the_official_values():
    a = sanity_tensors()
    _close("compute_sim_matrix", compute_sim_matrix(torch.cat([a["left"], a["right"]])), a["sim_matrix"])


def test_compute_sim_matrix_is_every_pairs_cosine_similarity():
    x, _ = _batch(7, 4, 2)
    x = x * torch.linspace(0.2, 5, 7)[:, None]
    want = F.cosine_similarity(x[:, None, :], x[None, :, :], dim=2)
    _close("compute_sim_matrix", compute_sim_matrix(x), want)


# ------------------------------------------------------------------------------- vectorised loss

@pytest.mark.parametrize("tau", ["1.0", "5.0"])
def test_simclr_loss_vectorized_matches_the_official_values(tau):
    a = sanity_tensors()
    _close(f"simclr_loss_vectorized at tau {tau}",
           simclr_loss_vectorized(a["left"], a["right"], float(tau), device="cpu"), a["loss"][tau])


@pytest.mark.parametrize("case", ["vectorized_n2", "vectorized_n5", "vectorized_n16", "vectorized_n1"])
def test_simclr_loss_vectorized_matches_the_stored_loss_and_the_loop(case):
    c = loss_case(case)
    n = len(c.left)
    loss = simclr_loss_vectorized(c.left, c.right, c.tau, device="cpu")
    assert torch.is_tensor(loss) and loss.numel() == 1, "simclr_loss_vectorized returns a scalar tensor"
    _close(f"simclr_loss_vectorized, N={n}, tau={c.tau}", loss.reshape(()), c.loss)
    _close(f"simclr_loss_vectorized vs simclr_loss_naive, N={n}", loss.reshape(()),
           torch.as_tensor(simclr_loss_naive(c.left, c.right, c.tau)).reshape(()))


def test_simclr_loss_vectorized_gradients_match_the_stored_gradients():
    c = loss_case("gradient", dtype=torch.float64)
    x, y = c.left.clone().requires_grad_(), c.right.clone().requires_grad_()
    loss = simclr_loss_vectorized(x, y, c.tau, device="cpu")
    _close(f"simclr_loss_vectorized, float64, tau={c.tau}", loss.detach().reshape(()), c.loss, 1e-9)
    loss.backward()
    assert x.grad is not None and y.grad is not None, "simclr_loss_vectorized: the loss must reach its inputs"
    _close("d loss / d out_left", x.grad, c.grad_left, 1e-9)
    _close("d loss / d out_right", y.grad, c.grad_right, 1e-9)


def test_simclr_loss_vectorized_default_device_runs_on_the_inputs_device():
    # the classic signature's device='cuda' must not break a machine without a GPU (nor move the result)
    x, y = _batch(3, 4, 5)
    loss = simclr_loss_vectorized(x, y, 0.5)
    assert loss.device == x.device, f"the loss is on {loss.device}, the inputs on {x.device}"


def test_simclr_loss_vectorized_uses_no_per_pair_sim_calls(monkeypatch):
    def no_loops(*args):
        raise AssertionError("simclr_loss_vectorized called sim(): no loops, use compute_sim_matrix")

    monkeypatch.setattr(cl, "sim", no_loops)
    x, y = _batch(4, 3, 6)
    simclr_loss_vectorized(x, y, 0.5, device="cpu")


# ---------------------------------------------------------------------------------- augmentations

def test_compute_train_transform_is_the_classic_pipeline():
    problems = train_transform_problems(compute_train_transform())
    assert not problems, "compute_train_transform: " + "; ".join(problems)


def test_compute_train_transform_is_reproducible_from_its_seed():
    img = Image.fromarray(np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8))
    a = torch.stack([compute_train_transform(seed=7)(img) for _ in range(1)])
    b = torch.stack([compute_train_transform(seed=7)(img) for _ in range(1)])
    assert torch.equal(a, b), "compute_train_transform(seed=7) twice gave different views of the same image"
    assert a.shape == (1, 3, 32, 32) and a.dtype == torch.float32


def test_compute_train_transform_draws_each_step_at_its_rate():
    # 400 views of one colourful image: about 20 % grey (plus a few jitters that desaturate), most jittered
    img = Image.fromarray(np.random.default_rng(1).integers(0, 256, (32, 32, 3), dtype=np.uint8))
    t = compute_train_transform(seed=3)
    grey = sum(bool(torch.allclose(v[0] * 0.2023 + 0.4914, v[1] * 0.1994 + 0.4822, atol=1e-4))
               for v in (t(img) for _ in range(400)))
    assert 45 <= grey <= 120, f"{grey} of 400 views were grey: RandomGrayscale should turn about 80 grey (p = 0.2)"


# -------------------------------------------------------------------------------------- pairs

class _RecordingTransform:
    """Returns a new tensor on each call and records the images it was given."""

    def __init__(self):
        self.seen = []

    def __call__(self, img):
        self.seen.append(np.asarray(img).copy())
        return torch.full((1,), float(len(self.seen)))


def test_pair_getitem_transforms_the_same_image_twice():
    ds = ScenesPair(5, train=True, transform=_RecordingTransform())
    x_i, x_j, target = ds[3]
    seen = ds.transform.seen
    assert len(seen) == 2, f"CIFAR10Pair.__getitem__ called the transform {len(seen)} times, expected twice"
    assert all(np.array_equal(s, ds.data[3]) for s in seen), "both views must come from image `index`"
    assert {x_i.item(), x_j.item()} == {1.0, 2.0}, "x_i and x_j must be the two calls' results"
    assert target == ds.targets[3], "the third element is the image's label"


def test_pair_getitem_applies_the_target_transform_and_gives_different_views():
    ds = ScenesPair(4, train=True, transform=compute_train_transform(), target_transform=lambda t: t + 100)
    x_i, x_j, target = ds[1]
    assert target == ds.targets[1] + 100, "target_transform must be applied to the label"
    assert x_i.shape == x_j.shape == (3, 32, 32) and not torch.equal(x_i, x_j), "two independent augmentations"


def _fake_cifar10(root, n=6):
    """A CIFAR-10 folder in torchvision's format (pickled batches), with random images."""
    import pickle

    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8), "labels": rng.integers(0, 10, n).tolist()}
        (folder / name).write_bytes(pickle.dumps(batch))
    (folder / "batches.meta").write_bytes(pickle.dumps({"label_names": [f"class{i}" for i in range(10)]}))
    return root


class _UncheckedPair(CIFAR10Pair):
    meta = {**CIFAR10Pair.meta, "md5": None}

    def _check_integrity(self):  # the fake files cannot match CIFAR-10's MD5 sums
        return True


def test_cifar10pair_reads_torchvision_cifar10_folders(tmp_path):
    root = _fake_cifar10(tmp_path)
    ds = _UncheckedPair(str(root), train=True, transform=compute_train_transform())
    assert len(ds) == 30 and ds.data.shape == (30, 32, 32, 3)
    x_i, x_j, target = ds[4]
    assert x_i.shape == (3, 32, 32) and not torch.equal(x_i, x_j) and target == ds.targets[4]


# ---------------------------------------------------------------------------------------- train

# A tiny model (cs231n.checks.simclr.TinySimCLR: (normalised feature, normalised projection) like Model,
# without BatchNorm) with stored weights and batches; the expected mean loss and SGD step are stored.

def test_train_returns_the_mean_loss_of_the_projections_at_the_given_temperature():
    model, batches, v = tiny_model(), train_batches(), stored_values()
    temperature = float(v["train/temperature"])
    got = train(model, batches, torch.optim.SGD(model.parameters(), lr=0.0), 1, 1, batch_size=len(batches[0][0]),
                temperature=temperature, device="cpu", verbose=False)
    _close(f"train's mean loss (projection outputs z, both views, temperature {temperature})", got,
           v["train/mean_loss"], 1e-5)


def test_train_steps_along_the_gradient_of_the_contrastive_loss():
    model, batches, v = tiny_model(), train_batches()[:1], stored_values()
    train(model, batches, torch.optim.SGD(model.parameters(), lr=float(v["train/step_lr"])), 1, 1,
          batch_size=len(batches[0][0]), temperature=float(v["train/step_temperature"]),
          device="cuda", verbose=False)  # the classic default device: the model's device is used
    for name, p in model.named_parameters():
        _close(f"train's SGD step on {name}", p.detach(), v[f"train/step/{name}"], 1e-5)
