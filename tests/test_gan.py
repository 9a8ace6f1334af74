"""Unit tests for cs231n/gan_pytorch.py, the notebook's training wrapper cs231n/gan_training.py and the
Fréchet distance in cs231n/metrics/frechet.py.

Every function a student implements is compared against an independent reference (numpy in
float64, torch.nn.functional, or a closed form) on tiny seeded inputs.
"""

import copy
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import cs231n.gan_pytorch as gan
from cs231n.checks import rel_error
from cs231n.gan_pytorch import (
    NOISE_DIM,
    bce_loss,
    build_dc_classifier,
    build_dc_generator,
    count_params,
    discriminator,
    discriminator_loss,
    generator,
    generator_loss,
    get_optimizer,
    gradient_penalty,
    initialize_weights,
    ls_discriminator_loss,
    ls_generator_loss,
    run_a_gan,
    sample_noise,
    wgan_critic_loss,
    wgan_generator_loss,
)
from cs231n.gan_training import CLASSIC_SCHEDULE, CPU_SCHEDULE, linear_decay, train_gan
from cs231n.metrics.frechet import FeatureNet, frechet_distance, generate_images, generator_distance

# The classic notebook's fixed logits (gan-checks), fed to the losses as float32 of the classic shape (10,):
# the official 2022-2024 bce_loss (BCEWithLogitsLoss on input.squeeze()) takes targets of shape (N,).
LOGITS_REAL = [0.9348731096217853, -1.0169891625223137, -0.5730476939393363, -0.8816270356958762,
               -1.4012938925983567, -1.4539569266944938, -1.542397547964014, -0.5727332515501994,
               0.9858442941304029, 0.13312152437312422]
LOGITS_FAKE = [-1.8086586792257076, 0.09030055369905954, -0.44289020393777767, -0.0787936751879477,
               -0.3765504411101933, 0.3208474241671663, -0.28590836517263224, 1.013762805378476,
               0.9924143914567469, 0.3939434608511722]
TOL = 1e-7


def _logits():
    real = torch.tensor(LOGITS_REAL, dtype=torch.float32)
    fake = torch.tensor(LOGITS_FAKE, dtype=torch.float32)
    return real, fake


# ------------------------------------------------------------------------------------------------
# sample_noise
# ------------------------------------------------------------------------------------------------


def test_sample_noise_shape_and_range():
    z = sample_noise(3, 4)
    assert tuple(z.shape) == (3, 4), f"sample_noise(3, 4): shape {tuple(z.shape)}, expected (3, 4)"
    assert z.dtype == torch.float32, f"sample_noise: dtype {z.dtype}, expected torch.float32"
    big = sample_noise(20000, 2, seed=0)
    assert big.min() >= -1 and big.max() <= 1, f"sample_noise: values outside [-1, 1]: {big.min()}, {big.max()}"
    assert big.min() < -0.99 and big.max() > 0.99, "sample_noise: does not cover [-1, 1]"
    hist = torch.histc(big, bins=4, min=-1, max=1) / big.numel()
    assert torch.allclose(hist, torch.full((4,), 0.25), atol=0.02), f"sample_noise: not uniform, quarters {hist}"


def test_sample_noise_seed_is_reproducible():
    a, b = sample_noise(5, 7, seed=3), sample_noise(5, 7, seed=3)
    assert torch.equal(a, b), "sample_noise(seed=3) gave different noise on two calls"


# ------------------------------------------------------------------------------------------------
# The four classic networks: parameter counts, shapes, layers
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, build, expected", [
    ("discriminator()", lambda: discriminator(), 267009),
    ("generator(4)", lambda: generator(4), 1858320),
    ("build_dc_classifier(128)", lambda: build_dc_classifier(128), 1102721),
    ("build_dc_generator(4)", lambda: build_dc_generator(4), 6580801),
])
def test_parameter_counts_match_classic(name, build, expected):
    got = count_params(build())
    assert got == expected, f"{name}: {got} parameters, expected {expected} (check the layer sizes)"


def test_networks_output_shapes():
    torch.manual_seed(0)
    x = torch.rand(8, 1, 28, 28)
    z = sample_noise(8, NOISE_DIM, seed=0)
    assert tuple(discriminator()(x).shape) == (8, 1), "discriminator: output shape should be (N, 1)"
    # run_a_gan hands the DCGAN discriminator (N, 1, 28, 28): with Unflatten (2019-2021) or without (2022-2024)
    assert tuple(build_dc_classifier(8)(x).shape) == (8, 1), "build_dc_classifier: output not (N, 1)"
    for name, G in [("generator", generator()), ("build_dc_generator", build_dc_generator())]:
        out = G(z)
        assert tuple(out.shape) == (8, 784), f"{name}: output shape {tuple(out.shape)}, expected (8, 784)"
        assert out.abs().max() <= 1 and out.min() < 0 < out.max(), f"{name}: outputs must lie in [-1, 1] (tanh at the end)"


def _linears(model):
    return [m for m in model.modules() if isinstance(m, torch.nn.Linear)]


def test_discriminator_matches_reference_forward():
    D = discriminator(seed=1)
    x = torch.randn(5, 1, 28, 28, generator=torch.Generator().manual_seed(2))
    l1, l2, l3 = _linears(D)
    h = F.leaky_relu(F.linear(x.view(5, -1), l1.weight, l1.bias), 0.01)
    h = F.leaky_relu(F.linear(h, l2.weight, l2.bias), 0.01)
    ref = F.linear(h, l3.weight, l3.bias)
    err = rel_error(D(x).detach(), ref.detach())
    assert err < 1e-6, f"discriminator: output differs from Linear/LeakyReLU(0.01) reference by {err:.1e}"


def test_generator_matches_reference_forward():
    G = generator(noise_dim=6, seed=1)
    z = sample_noise(5, 6, seed=2)
    l1, l2, l3 = _linears(G)
    ref = torch.tanh(F.linear(F.relu(F.linear(F.relu(F.linear(z, l1.weight, l1.bias)), l2.weight, l2.bias)),
                              l3.weight, l3.bias))
    err = rel_error(G(z).detach(), ref.detach())
    assert err < 1e-6, f"generator: output differs from Linear/ReLU/Tanh reference by {err:.1e}"


def test_seeded_networks_are_reproducible():
    a, b = discriminator(seed=5), discriminator(seed=5)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters())), \
        "discriminator(seed=5): weights differ between two calls"
    a, b = generator(seed=5), generator(seed=5)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters())), \
        "generator(seed=5): weights differ between two calls"


def test_dc_generator_layers_in_classic_order():
    kinds = [type(m).__name__ for m in build_dc_generator(4) if type(m).__name__ != "Unflatten"]
    expected = ["Linear", "ReLU", "BatchNorm1d", "Linear", "ReLU", "BatchNorm1d", "ConvTranspose2d", "ReLU",
                "BatchNorm2d", "ConvTranspose2d", "Tanh", "Flatten"]
    assert kinds == expected, f"build_dc_generator: layers {kinds}, expected {expected}"


def test_dc_classifier_uses_leaky_relu_and_max_pool():
    kinds = [type(m).__name__ for m in build_dc_classifier(4)]
    assert kinds.count("LeakyReLU") == 3 and kinds.count("MaxPool2d") == 2, \
        f"build_dc_classifier: layers {kinds}; expected 3 LeakyReLU(0.01) and 2 MaxPool2d"
    assert all(m.negative_slope == 0.01 for m in build_dc_classifier(4) if isinstance(m, torch.nn.LeakyReLU)), \
        "build_dc_classifier: LeakyReLU slope should be 0.01"


# ------------------------------------------------------------------------------------------------
# Losses
# ------------------------------------------------------------------------------------------------


def test_bce_loss_matches_torch_including_large_logits():
    g = torch.Generator().manual_seed(0)
    x = torch.cat([torch.randn(20, generator=g) * 3, torch.tensor([-200.0, -60.0, 60.0, 200.0])]).double()
    y = (torch.rand(24, generator=g) > 0.5).double()
    got = bce_loss(x, y)
    ref = F.binary_cross_entropy_with_logits(x, y)
    assert torch.isfinite(got), "bce_loss: not finite for logits of magnitude 200 (use the stable form)"
    err = rel_error(got.item(), ref.item())
    assert err < 1e-12, f"bce_loss: {got.item()} vs torch {ref.item()} (rel error {err:.1e})"


def test_bce_loss_matches_torch_on_moderate_logits():
    x = torch.linspace(-4, 4, 9, dtype=torch.float64)
    y = torch.tensor([1, 0, 1, 1, 0, 0, 1, 0, 1], dtype=torch.float64)
    got, ref = bce_loss(x, y).item(), F.binary_cross_entropy_with_logits(x, y).item()
    err = rel_error(got, ref)
    assert err < 1e-12, f"bce_loss: {got} vs torch's binary_cross_entropy_with_logits {ref} (rel error {err:.1e})"


def test_discriminator_loss_on_classic_logits():
    real, fake = _logits()
    got = discriminator_loss(real, fake).item()
    err = rel_error(got, 1.8423983904443109)
    assert err < TOL, f"discriminator_loss: {got} vs the classic value 1.8423983904443109 (rel error {err:.1e}, tol {TOL})"


def test_generator_loss_on_classic_logits():
    _, fake = _logits()
    got = generator_loss(fake).item()
    err = rel_error(got, 0.771286196423346)
    assert err < TOL, f"generator_loss: {got} vs the classic value 0.771286196423346 (rel error {err:.1e}, tol {TOL})"


def test_ls_discriminator_loss_on_classic_logits():
    real, fake = _logits()
    got = ls_discriminator_loss(real, fake).item()
    err = rel_error(got, 1.8770293614440594)
    assert err < TOL, f"ls_discriminator_loss: {got} vs the classic value 1.8770293614440594 (rel error {err:.1e})"


def test_ls_generator_loss_on_classic_logits():
    _, fake = _logits()
    got = ls_generator_loss(fake).item()
    err = rel_error(got, 0.816954786997558)
    assert err < TOL, f"ls_generator_loss: {got} vs the classic value 0.816954786997558 (rel error {err:.1e})"


def test_losses_are_differentiable_scalars():
    real, fake = _logits()
    fake = fake.clone().requires_grad_(True)
    for name, loss in [("discriminator_loss", discriminator_loss(real, fake)), ("generator_loss", generator_loss(fake)),
                       ("ls_discriminator_loss", ls_discriminator_loss(real, fake)),
                       ("ls_generator_loss", ls_generator_loss(fake)),
                       ("wgan_critic_loss", wgan_critic_loss(real, fake)), ("wgan_generator_loss", wgan_generator_loss(fake))]:
        assert loss.dim() == 0, f"{name}: should return a scalar tensor, got shape {tuple(loss.shape)}"
        assert loss.requires_grad, f"{name}: result is detached from its inputs (no .item()/numpy inside)"


def test_generator_loss_gradient_is_sigmoid_minus_one():
    # d/dx mean(-log σ(x)) = (σ(x) - 1) / N: the non-saturating loss keeps a gradient when D wins.
    _, fake = _logits()
    x = fake.double().clone().requires_grad_(True)
    generator_loss(x).backward()
    ref = (torch.sigmoid(x.detach()) - 1) / x.numel()
    err = rel_error(x.grad, ref)
    assert err < 1e-10, f"generator_loss: gradient differs from (σ(x) - 1)/N by {err:.1e}"


def _score_grads(loss_fn, *scores):
    """d loss_fn(*scores) / d each score tensor, float32 as in the classic checks."""
    leaves = [s.clone().requires_grad_(True) for s in scores]
    grads = torch.autograd.grad(loss_fn(*leaves).sum(), leaves, allow_unused=True)
    return [torch.zeros_like(x) if g is None else g for g, x in zip(grads, leaves)]


# The gradient each loss sends back to the scores (what the optimiser uses), against its closed form for
# a mean over N scores: a .detach() or a constant in the wrong place keeps some values and loses this.
@pytest.mark.parametrize("name, loss_fn, expected", [
    ("bce_loss (targets 1, 0, 1, ...)", lambda x: bce_loss(x, (torch.arange(10) % 2 == 0).float()),
     lambda x: (torch.sigmoid(x) - (torch.arange(10) % 2 == 0).float()) / 10),
    ("discriminator_loss, d/d logits_real", lambda x: discriminator_loss(x, _logits()[1]),
     lambda x: (torch.sigmoid(x) - 1) / 10),
    ("discriminator_loss, d/d logits_fake", lambda x: discriminator_loss(_logits()[0], x),
     lambda x: torch.sigmoid(x) / 10),
    ("ls_discriminator_loss, d/d scores_real", lambda x: ls_discriminator_loss(x, _logits()[1]),
     lambda x: (x - 1) / 10),
    ("ls_discriminator_loss, d/d scores_fake", lambda x: ls_discriminator_loss(_logits()[0], x), lambda x: x / 10),
    ("ls_generator_loss", ls_generator_loss, lambda x: (x - 1) / 10),
    ("wgan_critic_loss, d/d scores_real", lambda x: wgan_critic_loss(x, _logits()[1]),
     lambda x: -torch.ones_like(x) / 10),
    ("wgan_critic_loss, d/d scores_fake", lambda x: wgan_critic_loss(_logits()[0], x),
     lambda x: torch.ones_like(x) / 10),
    ("wgan_generator_loss", wgan_generator_loss, lambda x: -torch.ones_like(x) / 10),
])
def test_loss_gradient_reaching_the_scores_is_the_closed_form(name, loss_fn, expected):
    _, fake = _logits()
    (grad,) = _score_grads(loss_fn, fake)
    err = rel_error(grad, expected(fake))
    assert err < 1e-5, (f"{name}: the gradient reaching the scores differs from its closed form by {err:.1e}; "
                        "no .detach(), .item() or numpy inside the loss, and a mean over the batch")


def test_wgan_losses_at_constant_scores():
    # Both losses are linear in the scores: these values and the gradients (±1/N, tested above) pin them down.
    zeros, ones = torch.zeros(10), torch.ones(10)
    for name, got, want in [("wgan_critic_loss(real 0, fake 1)", wgan_critic_loss(zeros, ones), 1.0),
                            ("wgan_critic_loss(real 1, fake 0)", wgan_critic_loss(ones, zeros), -1.0),
                            ("wgan_generator_loss(fake 1)", wgan_generator_loss(ones), -1.0),
                            ("wgan_generator_loss(fake 0)", wgan_generator_loss(zeros), 0.0)]:
        assert abs(float(got) - want) < 1e-6, f"{name}: {float(got)}, expected {want} (means, fake minus real)"


def test_gradient_penalty_of_linear_critic_is_closed_form():
    # For C(x) = w·x + b the gradient is w everywhere, so GP = (||w|| - 1)^2 whatever the mix, and
    # dGP/dw = 2 (||w|| - 1) w / ||w||.
    torch.manual_seed(0)
    C = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(12, 1)).double()
    w = C[1].weight
    real, fake = torch.randn(6, 1, 3, 4).double(), torch.randn(6, 1, 3, 4).double()
    gp = gradient_penalty(C, real, fake)
    norm = w.detach().norm()
    err = rel_error(gp.item(), ((norm - 1) ** 2).item())
    assert err < 1e-10, f"gradient_penalty: {gp.item()} vs (||w|| - 1)^2 = {((norm - 1) ** 2).item()}"
    gp.backward()
    assert w.grad is not None, "gradient_penalty: no gradient reached the critic (create_graph=True?)"
    err = rel_error(w.grad, 2 * (norm - 1) * w.detach() / norm)
    assert err < 1e-8, f"gradient_penalty: d/dw differs from 2(||w|| - 1) w/||w|| by {err:.1e}"


def test_gradient_penalty_mixes_real_and_fake_per_example():
    # C(x) = sum(x^2)/2 has gradient x, so GP depends on where x_hat lies: one eps per example means
    # every x_hat lies on the segment between its real and fake image.
    class Half(torch.nn.Module):
        def forward(self, x):
            return 0.5 * (x.reshape(len(x), -1) ** 2).sum(1, keepdim=True)

    real = torch.ones(200, 1, 2, 2, dtype=torch.float64)
    fake = -torch.ones(200, 1, 2, 2, dtype=torch.float64)
    torch.manual_seed(0)
    gp = gradient_penalty(Half(), real, fake).item()
    # x_hat = (2 eps - 1) * ones, ||x_hat|| = 2 |2 eps - 1|; E[(2|u| - 1)^2] for u ~ U(-1, 1) = 1/3.
    assert abs(gp - 1 / 3) < 0.06, f"gradient_penalty: {gp:.3f}, expected about 1/3 (eps ~ U[0, 1] per example)"


# ------------------------------------------------------------------------------------------------
# Optimizer and training loop
# ------------------------------------------------------------------------------------------------


def test_get_optimizer_is_adam_with_classic_settings():
    model = torch.nn.Linear(3, 2)
    opt = get_optimizer(model)
    assert isinstance(opt, torch.optim.Adam), f"get_optimizer: {type(opt).__name__}, expected Adam"
    group = opt.param_groups[0]
    assert group["lr"] == 1e-3 and tuple(group["betas"]) == (0.5, 0.999), \
        f"get_optimizer: lr {group['lr']}, betas {group['betas']}; expected 1e-3 and (0.5, 0.999)"
    assert {id(p) for p in group["params"]} == {id(p) for p in model.parameters()}, \
        "get_optimizer: should optimize all of the model's parameters"


def _tiny_loader(n_batches, batch_size=4):
    g = torch.Generator().manual_seed(0)
    return [(torch.rand(batch_size, 1, 28, 28, generator=g), torch.zeros(batch_size)) for _ in range(n_batches)]


def test_one_training_step_changes_both_networks():
    D, G = discriminator(seed=0), generator(noise_dim=8, seed=0)
    before_D = [p.detach().clone() for p in D.parameters()]
    before_G = [p.detach().clone() for p in G.parameters()]
    torch.manual_seed(0)
    images = run_a_gan(D, G, get_optimizer(D), get_optimizer(G), discriminator_loss, generator_loss,
                       _tiny_loader(1), show_every=1, batch_size=4, noise_size=8, num_epochs=1)
    assert all(not torch.equal(a, b) for a, b in zip(before_D, D.parameters())), "run_a_gan: D did not change"
    assert all(not torch.equal(a, b) for a, b in zip(before_G, G.parameters())), "run_a_gan: G did not change"
    assert len(images) == 1 and images[0].shape == (4, 784), "run_a_gan: should return the kept samples (16, 784)"


def test_run_a_gan_takes_critic_steps_per_generator_step():
    torch.manual_seed(0)  # small networks: this test is about the loop, not the architectures
    D = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 16), torch.nn.LeakyReLU(0.01), torch.nn.Linear(16, 1))
    G = torch.nn.Sequential(torch.nn.Linear(8, 784), torch.nn.Tanh())
    D_solver, G_solver = get_optimizer(D), get_optimizer(G)
    shown = []
    images = run_a_gan(D, G, D_solver, G_solver, wgan_critic_loss, wgan_generator_loss, _tiny_loader(10),
                       show_every=2, batch_size=4, noise_size=8, num_epochs=1, num_iters=3, critic_steps=3,
                       gp_weight=10.0, on_step=_record_shown(shown))
    d_steps = D_solver.state[next(iter(D.parameters()))]["step"].item()
    g_steps = G_solver.state[next(iter(G.parameters()))]["step"].item()
    assert (d_steps, g_steps) == (9, 3), f"run_a_gan: {d_steps} critic and {g_steps} generator steps, expected 9, 3"
    assert shown == [0, 2] and len(images) == 2, f"run_a_gan: showed samples at {shown}, expected [0, 2]"


def _record_shown(shown):
    """An on_step callback for run_a_gan that records the iterations at which a snapshot was kept."""
    def on_step(iter_count, d_loss, g_loss, snapshot):
        if snapshot is not None:
            shown.append(iter_count)
    return on_step


def _tiny_gan(seed=0):
    torch.manual_seed(seed)
    D = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 8), torch.nn.LeakyReLU(0.01), torch.nn.Linear(8, 1))
    G = torch.nn.Sequential(torch.nn.Linear(8, 784), torch.nn.Tanh())
    return D, G


@pytest.mark.parametrize("n_batches, show_every, expected", [(6, 4, [0, 4]), (1, 250, [0]), (9, 4, [0, 4, 8]),
                                                             (8, 1, list(range(8)))])
def test_run_a_gan_keeps_classic_snapshots(n_batches, show_every, expected):
    # The classic loop keeps a snapshot after the generator steps 0, show_every, 2 * show_every, ...
    D, G = _tiny_gan()
    shown = []
    images = run_a_gan(D, G, get_optimizer(D), get_optimizer(G), discriminator_loss, generator_loss,
                       _tiny_loader(n_batches), show_every=show_every, batch_size=4, noise_size=8, num_epochs=1,
                       on_step=_record_shown(shown))
    assert len(images) == len(expected) and shown == expected, \
        f"run_a_gan: {n_batches} iterations with show_every={show_every} kept {shown}, expected {expected}"
    assert all(isinstance(im, np.ndarray) and im.shape == (4, 784) for im in images)


def test_run_a_gan_skips_short_batches_and_runs_every_epoch():
    D, G = _tiny_gan()
    G_solver = get_optimizer(G)
    loader = _tiny_loader(3) + [(torch.rand(2, 1, 28, 28), torch.zeros(2))]  # a last, short batch
    images = run_a_gan(D, G, get_optimizer(D), G_solver, discriminator_loss, generator_loss, loader,
                       show_every=2, batch_size=4, noise_size=8, num_epochs=2)
    steps = G_solver.state[next(iter(G.parameters()))]["step"].item()
    assert steps == 6, f"run_a_gan: {steps} generator steps for 2 epochs of 3 full batches, expected 6"
    assert len(images) == 3, f"run_a_gan: kept {len(images)} snapshots of 6 iterations every 2, expected 3"


def test_run_a_gan_num_iters_keeps_the_last_step():
    D, G = _tiny_gan()
    shown = []
    run_a_gan(D, G, get_optimizer(D), get_optimizer(G), discriminator_loss, generator_loss, _tiny_loader(10),
              show_every=4, batch_size=4, noise_size=8, num_epochs=1, num_iters=7, on_step=_record_shown(shown))
    assert shown == [0, 4, 6], f"run_a_gan(num_iters=7, show_every=4): snapshots at {shown}, expected [0, 4, 6]"


def test_run_a_gan_reports_every_step_with_its_losses_and_snapshot():
    D, G = _tiny_gan()
    computed = {"D": [], "G": []}  # the losses as the loss functions returned them, step by step

    def d_loss_fn(logits_real, logits_fake):
        loss = discriminator_loss(logits_real, logits_fake)
        computed["D"].append(loss.item())
        return loss

    def g_loss_fn(logits_fake):
        loss = generator_loss(logits_fake)
        computed["G"].append(loss.item())
        return loss

    steps = []
    images = run_a_gan(D, G, get_optimizer(D), get_optimizer(G), d_loss_fn, g_loss_fn,
                       _tiny_loader(5), show_every=2, batch_size=4, noise_size=8, num_epochs=1,
                       on_step=lambda it, d_loss, g_loss, snapshot: steps.append((it, d_loss, g_loss, snapshot)))
    assert [s[0] for s in steps] == [0, 1, 2, 3, 4], f"run_a_gan: on_step called at {[s[0] for s in steps]}"
    assert all(isinstance(d, float) and isinstance(g, float) for _, d, g, _ in steps), \
        "run_a_gan: on_step should receive both losses as floats"
    assert [s[1] for s in steps] == computed["D"] and [s[2] for s in steps] == computed["G"], \
        "run_a_gan: on_step should receive the discriminator and generator losses of its own step"
    kept = [snap for *_, snap in steps if snap is not None]
    assert [s[0] for s in steps if s[3] is not None] == [0, 2, 4] and len(kept) == len(images), \
        "run_a_gan: on_step should receive the snapshot kept at this step, None elsewhere"
    assert all(a is b for a, b in zip(kept, images)), "run_a_gan: on_step's snapshots should be the returned ones"


def test_linear_decay_holds_then_falls_to_zero():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=2.0)
    sched = linear_decay(opt, 10, start=0.5)
    lrs = []
    for _ in range(10):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    lrs.append(opt.param_groups[0]["lr"])
    assert lrs[:6] == [2.0] * 6, f"linear_decay: should hold the learning rate for half the steps, got {lrs}"
    assert np.allclose(lrs[5:], [2.0, 1.6, 1.2, 0.8, 0.4, 0.0]), f"linear_decay: should fall linearly to 0, got {lrs}"


class _TinySet:
    """Stands in for a load_gan_data dataset: .data uint8 (N, 28, 28), .targets (N,), .gan_name."""

    def __init__(self, n=40):
        self.data = torch.randint(0, 256, (n, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
        self.targets = torch.zeros(n, dtype=torch.long)
        self.gan_name = "tiny"

    def __len__(self):
        return len(self.data)


# The train_gan tests are about the given wrapper: they train through run_a_gan with networks, optimizers
# and losses of their own, so a blank elsewhere (get_optimizer, the losses) does not fail them.
def _tiny_nets():
    """D, G and their Adam optimizers; G maps noise (N, NOISE_DIM) to images (N, 784)."""
    torch.manual_seed(0)
    D = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 8), torch.nn.LeakyReLU(0.01), torch.nn.Linear(8, 1))
    G = torch.nn.Sequential(torch.nn.Linear(NOISE_DIM, 784), torch.nn.Tanh())
    return D, G, torch.optim.Adam(D.parameters(), betas=(0.5, 0.999)), torch.optim.Adam(G.parameters(), betas=(0.5, 0.999))


def _d_loss(scores_real, scores_fake):
    """Any loss will do for the wrapper's tests (a Huber loss towards 1 and 0: none of the blanks)."""
    return F.huber_loss(scores_real, torch.ones_like(scores_real)) + F.huber_loss(scores_fake, torch.zeros_like(scores_fake))


def _g_loss(scores_fake):
    return F.huber_loss(scores_fake, torch.ones_like(scores_fake))


def test_train_gan_sets_the_schedules_learning_rate_and_decays_it_to_zero(monkeypatch):
    monkeypatch.setitem(CPU_SCHEDULE, "vanilla GAN", (4, 6, 5e-3, True))  # batch 4, 6 steps, lr 5e-3, decay
    D, G, D_solver, G_solver = _tiny_nets()
    lrs = []
    out = train_gan("vanilla GAN", D, G, D_solver, G_solver, _d_loss, _g_loss, _TinySet(),
                    show=False, on_step=lambda *_: lrs.append((D_solver.param_groups[0]["lr"],
                                                               G_solver.param_groups[0]["lr"])))
    assert out is G, "train_gan: should return the generator it trained"
    # after generator step k the learning rate of step k + 1: held for 3 steps, then 2/3, 1/3, 0
    expected = [5e-3 * f for f in (1, 1, 1, 2 / 3, 1 / 3, 0)]
    assert np.allclose([d for d, _ in lrs], expected) and np.allclose([g for _, g in lrs], expected), \
        f"train_gan: learning rates {lrs}, expected {expected} for both optimizers"


def test_train_gan_classic_schedule_keeps_the_learning_rate(monkeypatch):
    monkeypatch.setitem(CLASSIC_SCHEDULE, "WGAN-GP", (4, 3, 2e-3, False))
    D, G, D_solver, G_solver = _tiny_nets()
    steps = []
    train_gan("WGAN-GP", D, G, D_solver, G_solver, _d_loss, _g_loss, _TinySet(), classic=True, critic_steps=2,
              show=False, on_step=lambda it, *_: steps.append(it))
    d_steps = D_solver.state[next(iter(D.parameters()))]["step"].item()
    assert steps == [0, 1, 2] and d_steps == 6, f"train_gan: generator steps {steps}, critic steps {d_steps}"
    assert D_solver.param_groups[0]["lr"] == G_solver.param_groups[0]["lr"] == 2e-3, \
        "train_gan: the classic schedule keeps its learning rate (no decay)"


def test_train_gan_is_reproducible_whatever_ran_before(monkeypatch):
    monkeypatch.setitem(CPU_SCHEDULE, "LSGAN", (4, 5, 1e-3, True))
    weights = []
    for before in (1, 2):
        D, G, D_solver, G_solver = _tiny_nets()
        torch.manual_seed(before)  # another state of torch's generator before the call
        train_gan("LSGAN", D, G, D_solver, G_solver, _d_loss, _g_loss, _TinySet(), seed=7, show=False)
        weights.append([p.detach().clone() for p in G.parameters()])
    assert all(torch.equal(a, b) for a, b in zip(*weights)), "train_gan(seed=7): two runs from the same weights differ"


def test_run_a_gan_steps_are_the_classic_loops_and_d_keeps_its_requires_grad():
    # run_a_gan computes no gradient for D's weights in the generator step (the classic loop computed
    # them and the next zero_grad threw them away): every weight must still end exactly where the
    # classic loop puts it, and D's requires_grad flags must be what they were.
    D, G, _, _ = _tiny_nets()
    D[3].bias.requires_grad_(False)  # one the caller froze stays frozen
    D2, G2 = copy.deepcopy(D), copy.deepcopy(G)
    D_solver, G_solver, D2_solver, G2_solver = (
        torch.optim.Adam([p for p in m.parameters() if p.requires_grad], betas=(0.5, 0.999)) for m in (D, G, D2, G2))
    loader = _tiny_loader(3)
    torch.manual_seed(5)
    run_a_gan(D, G, D_solver, G_solver, _d_loss, _g_loss, loader, show_every=100, batch_size=4,
              noise_size=NOISE_DIM, num_epochs=1)
    torch.manual_seed(5)
    for x, _ in loader:  # the classic loop
        D2_solver.zero_grad()
        logits_real = D2(gan.preprocess_img(x))
        fake = G2(gan.sample_noise(4, NOISE_DIM)).detach().view(4, 1, 28, 28)
        _d_loss(logits_real, D2(fake)).backward()
        D2_solver.step()
        G2_solver.zero_grad()
        _g_loss(D2(G2(gan.sample_noise(4, NOISE_DIM)).view(4, 1, 28, 28))).backward()
        G2_solver.step()
    for name, ours, classic in (("G", G, G2), ("D", D, D2)):
        assert all(torch.equal(a, b) for a, b in zip(ours.parameters(), classic.parameters())), \
            f"run_a_gan: {name}'s weights after 3 steps differ from the classic loop's"
    assert [p.requires_grad for p in D.parameters()] == [True, True, True, False], \
        "run_a_gan: D's requires_grad flags after training are not those it had before"


def test_train_gan_names_the_schedules_when_the_name_is_unknown():
    D, G, D_solver, G_solver = _tiny_nets()
    with pytest.raises(ValueError, match="no schedule named 'GAN'.*vanilla GAN"):
        train_gan("GAN", D, G, D_solver, G_solver, _d_loss, _g_loss, _TinySet(), show=False)


def test_train_gan_shows_its_run(monkeypatch):
    monkeypatch.setitem(CPU_SCHEDULE, "DCGAN", (16, 5, 1e-3, True))  # mosaics need 16 samples
    monkeypatch.setattr("matplotlib.pyplot.show", lambda *a, **k: None)
    import matplotlib.pyplot as plt

    D, G, D_solver, G_solver = _tiny_nets()
    plt.close("all")
    train_gan("DCGAN", D, G, D_solver, G_solver, _d_loss, _g_loss, _TinySet())
    fig = plt.gcf()
    titles = [ax.get_title() for ax in fig.axes]
    # 5 steps, a snapshot every 5 // 4 = 1 step: iterations 0 to 4, then the losses
    assert titles[:5] == [f"iteration {i}" for i in range(5)], f"train_gan: snapshot titles {titles}"
    assert "DCGAN" in fig.get_suptitle() and "tiny" in fig.get_suptitle(), f"train_gan: title {fig.get_suptitle()!r}"
    assert [len(line.get_xdata()) for line in fig.axes[-1].get_lines()] == [5, 5], "train_gan: one loss per step"
    plt.close(fig)


def test_module_dtype_is_the_classic_float_tensor_type():
    expected = torch.cuda.FloatTensor if torch.cuda.is_available() else torch.FloatTensor
    assert gan.dtype is expected, f"gan_pytorch.dtype is {gan.dtype}, expected {expected}"
    assert torch.zeros(2).type(gan.dtype).dtype == torch.float32


def test_initialize_weights_is_xavier_and_keeps_biases():
    torch.manual_seed(0)
    lin, conv, other = torch.nn.Linear(300, 200), torch.nn.ConvTranspose2d(16, 8, 4), torch.nn.Conv2d(3, 3, 3)
    biases = [m.bias.detach().clone() for m in (lin, conv)]
    other_w = other.weight.detach().clone()
    for m in (lin, conv, other):
        initialize_weights(m)
    bound = np.sqrt(6 / (300 + 200))
    w = lin.weight.detach()
    assert w.abs().max() <= bound and w.abs().max() > 0.95 * bound, "initialize_weights: Linear weights not Xavier-uniform"
    assert abs(float(w.std()) - bound / np.sqrt(3)) < 0.05 * bound, "initialize_weights: Linear weights not Xavier-uniform"
    assert all(torch.equal(b, m.bias) for b, m in zip(biases, (lin, conv))), \
        "initialize_weights: the classic leaves biases at PyTorch's default"
    assert torch.equal(other_w, other.weight), "initialize_weights: only Linear and ConvTranspose2d layers change"


def test_classic_helpers():
    x = torch.tensor([0.0, 0.5, 1.0])
    assert torch.allclose(gan.preprocess_img(x), torch.tensor([-1.0, 0.0, 1.0]))
    assert torch.allclose(gan.deprocess_img(torch.tensor([-1.0, 0.0, 1.0])), x)
    assert list(gan.ChunkSampler(3, start=5)) == [5, 6, 7] and len(gan.ChunkSampler(3, start=5)) == 3
    assert tuple(gan.Flatten()(torch.zeros(2, 3, 4, 5)).shape) == (2, 60)
    assert tuple(gan.Unflatten(-1, 128, 7, 7)(torch.zeros(2, 128 * 49)).shape) == (2, 128, 7, 7)
    assert gan.rel_error is rel_error, "gan_pytorch.rel_error should be cs231n.checks.rel_error, not a copy"
    assert gan.rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0
    assert abs(gan.rel_error(1.0, 3.0) - 0.5) < 1e-12


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_run_a_gan_trains_on_the_gpu():
    D, G = _tiny_gan()
    D, G = D.cuda(), G.cuda()
    images = run_a_gan(D, G, get_optimizer(D), get_optimizer(G), discriminator_loss, generator_loss, _tiny_loader(2),
                       show_every=1, batch_size=4, noise_size=8, num_epochs=1, gp_weight=10.0)
    assert len(images) == 2 and isinstance(images[0], np.ndarray)


def test_dcgan_trains_one_step():
    D, G = build_dc_classifier(4), build_dc_generator(8)
    before = [p.detach().clone() for p in G.parameters()]
    torch.manual_seed(0)
    run_a_gan(D, G, get_optimizer(D), get_optimizer(G), ls_discriminator_loss, ls_generator_loss, _tiny_loader(1),
              show_every=1, batch_size=4, noise_size=8, num_epochs=1)
    assert any(not torch.equal(a, b) for a, b in zip(before, G.parameters())), "run_a_gan (DCGAN): G did not change"


# ------------------------------------------------------------------------------------------------
# Comparing generators
# ------------------------------------------------------------------------------------------------


def test_frechet_distance_matches_scipy_sqrtm():
    from scipy.linalg import sqrtm

    rng = np.random.default_rng(0)
    a = rng.normal(size=(400, 5))
    b = rng.normal(size=(300, 5)) @ rng.normal(size=(5, 5)) + 0.5
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    ref = ((a.mean(0) - b.mean(0)) ** 2).sum() + np.trace(s1 + s2 - 2 * np.real(sqrtm(s1 @ s2)))
    got = frechet_distance(a, b)
    assert rel_error(got, ref) < 1e-8, f"frechet_distance: {got} vs scipy sqrtm formula {ref}"
    assert abs(frechet_distance(a, a)) < 1e-8, "frechet_distance: should be 0 for identical feature sets"


def test_generator_distance_of_a_copy_of_the_data_is_small():
    # A "generator" that replays real images scores near the floor; one that outputs noise scores far above.
    torch.manual_seed(0)
    net = FeatureNet().eval()
    real = torch.rand(600, 784) * 2 - 1
    real_feats = net.features(real[:300]).double().detach().numpy()

    class Replay(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1))

        def forward(self, z):
            return real[300: 300 + len(z)] + 0 * self.w

    class Constant(Replay):
        def forward(self, z):
            return torch.zeros(len(z), 784) + 0 * self.w

    near = generator_distance(net, real_feats, Replay(), n=300, noise_dim=8)
    far = generator_distance(net, real_feats, Constant(), n=300, noise_dim=8)
    assert near < 0.2 * far, f"generator_distance: replayed data {near:.3g} vs constant images {far:.3g}"
    assert generate_images(Replay(), 10, noise_dim=8).shape == (10, 784)


_REPO = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(not (_REPO / "bench" / "bench_gan.py").is_file(), reason="instructor repository only (bench/)")
def test_notebook_and_bench_share_the_schedules():
    # bench/bench_gan.py measures what the notebook runs: both train every GAN through
    # cs231n.gan_training.train_gan, whose schedules are the only ones.
    import ast
    import importlib.util
    import json

    import cs231n.gan_training as training

    spec = importlib.util.spec_from_file_location("bench_gan", _REPO / "bench" / "bench_gan.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.train_gan is training.train_gan, "bench_gan should train through cs231n.gan_training.train_gan"
    assert sorted(bench.KEYS.values()) == sorted(training.CPU_SCHEDULE) == sorted(training.CLASSIC_SCHEDULE)

    nb = json.loads((_REPO / "assignment3" / "Generative_Adversarial_Networks.ipynb").read_text())
    code = "\n".join("\n".join(line for line in "".join(c["source"]).splitlines() if not line.startswith("%"))
                     for c in nb["cells"] if c["cell_type"] == "code")
    calls = [node for node in ast.walk(ast.parse(code))
             if isinstance(node, ast.Call) and ast.unparse(node.func) in ("train_gan", "run_a_gan")]
    trained = [ast.literal_eval(c.args[0]) for c in calls if ast.unparse(c.func) == "train_gan"]
    assert trained == list(training.CPU_SCHEDULE), f"the notebook trains {trained}, the schedules are for " \
        f"{list(training.CPU_SCHEDULE)}; every GAN should go through train_gan, once"
    assert all(ast.unparse(c.func) == "train_gan" for c in calls), "the notebook calls run_a_gan outside train_gan"
    assert all({ast.unparse(k.value) for k in c.keywords if k.arg == "classic"} == {"CLASSIC"} for c in calls), \
        "each train_gan call of the notebook should pass classic=CLASSIC (the set-up cell's choice)"
