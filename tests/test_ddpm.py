"""Unit tests for cs231n/gaussian_diffusion.py and cs231n/unet.py (the DDPM notebook's blanks).

Oracles: the closed forms of the forward process and the posterior, recomputed here in float64 numpy
from the betas alone; the 2025 course's published check values where they depend only on formulas
(the parameter count, the block sizes, q_sample); stub models whose output is a known function of their
input, so that a method's verdict depends on that method only; moments of many draws for sampling; and
values stored with the package (cs231n/checks/ddpm_values.json, evaluation mode) for the U-Net's forward.
"""

import numpy as np
import pytest
import torch
from torch import nn

from cs231n.checks import ddpm as chk
from cs231n.checks import rel_error
from cs231n.data import ddpm as ddpm_data
from cs231n.gaussian_diffusion import GaussianDiffusion, get_beta_schedule
from cs231n.unet import Downsample, ResnetBlock, Unet, Upsample

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _abar(schedule="sigmoid", T=1000):
    """abar_t = prod_{s <= t} (1 - beta_s) in float64, from the schedule's betas only."""
    return np.cumprod(1.0 - get_beta_schedule(schedule, T).numpy())


def _images(seed, shape=(4, 3, 4, 4)):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(shape, generator=g), torch.randn(shape, generator=g)


class _Stub(nn.Module):
    """A 'denoiser' with a known output: a * x_t + b * t (per example) + c * text_emb.sum(), no randomness.

    Records every call's arguments in self.calls."""

    def __init__(self, a=0.7, b=0.01, c=0.3, channels=3):
        super().__init__()
        self.a, self.b, self.c, self.channels = a, b, c, channels
        self.scale = nn.Parameter(torch.tensor(1.0))  # so that the loss has a gradient
        self.calls = []

    def expected(self, x_t, t, text_emb=None):
        out = self.a * x_t + self.b * t.double().reshape(-1, 1, 1, 1)
        if text_emb is not None:
            out = out + self.c * text_emb.double().sum(1).reshape(-1, 1, 1, 1)
        return out

    def forward(self, x_t, t, model_kwargs={}):  # noqa: B006
        self.calls.append((x_t.detach().clone(), t.detach().clone(), dict(model_kwargs)))
        out = self.expected(x_t.double(), t, model_kwargs.get("text_emb")).float()
        return out * self.scale


# ---------------------------------------------------------------------------------------------
# The forward process and its inversions


@pytest.mark.parametrize("schedule", ["sigmoid", "cosine", "linear"])
def test_q_sample_matches_closed_form(schedule):
    d = GaussianDiffusion(None, image_size=4, timesteps=100, beta_schedule=schedule)
    x0, eps = _images(0)
    t = torch.tensor([0, 17, 50, 99])
    got = d.q_sample(x0, t, eps)
    ab = _abar(schedule, 100)[t.numpy()].reshape(-1, 1, 1, 1)
    want = np.sqrt(ab) * x0.double().numpy() + np.sqrt(1 - ab) * eps.double().numpy()
    assert got.shape == x0.shape, f"q_sample: shape {tuple(got.shape)}, expected {tuple(x0.shape)}"
    err = rel_error(got, want)
    assert err < 1e-5, (f"q_sample ({schedule}): rel error {err:.1e} against sqrt(abar_t) x0 + sqrt(1 - abar_t) "
                        "noise, with abar_t indexed per example by t")


def test_q_sample_reproduces_the_2025_check_values():
    d = GaussianDiffusion(None, image_size=2, timesteps=1000, beta_schedule="sigmoid")
    x0, t, eps = chk.q_sample_inputs()
    err = rel_error(d.q_sample(x0, t, eps), chk.stored("course_2025", "q_sample"))
    assert err < 1e-6, f"q_sample: rel error {err:.1e} against the 2025 course's check values"


def test_q_sample_keeps_dtype_and_device_and_draws_nothing():
    d = GaussianDiffusion(None, image_size=4, timesteps=50)
    x0, eps = _images(1)
    state = torch.get_rng_state()
    out = d.q_sample(x0, torch.tensor([3, 3, 40, 49]), eps)
    assert torch.equal(state, torch.get_rng_state()), "q_sample: drew random numbers; it must use the noise given"
    assert out.dtype == torch.float32, f"q_sample: returned {out.dtype} for float32 inputs"


@pytest.mark.parametrize("schedule", ["sigmoid", "cosine"])
def test_predict_start_from_noise_matches_closed_form(schedule):
    d = GaussianDiffusion(None, image_size=4, timesteps=1000, beta_schedule=schedule)
    x_t, eps = _images(2)
    t = torch.tensor([1, 300, 998, 0])
    ab = _abar(schedule)[t.numpy()].reshape(-1, 1, 1, 1)
    want = (x_t.double().numpy() - np.sqrt(1 - ab) * eps.double().numpy()) / np.sqrt(ab)
    err = rel_error(d.predict_start_from_noise(x_t, t, eps), want)
    assert err < 1e-5, f"predict_start_from_noise ({schedule}): rel error {err:.1e} against (x_t - sqrt(1-abar) eps) / sqrt(abar)"


@pytest.mark.parametrize("schedule", ["sigmoid", "cosine"])
def test_predict_noise_from_start_matches_closed_form(schedule):
    d = GaussianDiffusion(None, image_size=4, timesteps=1000, beta_schedule=schedule)
    x_t, x0 = _images(3)
    t = torch.tensor([1, 300, 998, 0])
    ab = _abar(schedule)[t.numpy()].reshape(-1, 1, 1, 1)
    want = (x_t.double().numpy() - np.sqrt(ab) * x0.double().numpy()) / np.sqrt(1 - ab)
    err = rel_error(d.predict_noise_from_start(x_t, t, x0), want)
    assert err < 1e-5, f"predict_noise_from_start ({schedule}): rel error {err:.1e} against (x_t - sqrt(abar) x0) / sqrt(1-abar)"


# ---------------------------------------------------------------------------------------------
# p_losses


@pytest.mark.parametrize("objective", ["pred_noise", "pred_x_start"])
def test_p_losses_is_the_weighted_mse_of_the_model_on_q_sample(objective):
    T, b = 100, 5
    stub = _Stub()
    d = GaussianDiffusion(stub, image_size=4, timesteps=T, objective=objective, beta_schedule="sigmoid")
    g = torch.Generator().manual_seed(4)
    x = torch.rand(b, 3, 4, 4, generator=g)  # images in [0, 1]
    emb = torch.randn(b, 6, generator=g)
    torch.manual_seed(5)
    loss = d.p_losses(x, {"text_emb": emb})
    # The same draws as the given part of p_losses: the time steps, then the noise.
    torch.manual_seed(5)
    t = torch.randint(0, T, (b,)).long()
    eps = torch.randn(x.shape).double().numpy()
    x0 = 2 * x.double().numpy() - 1
    ab = _abar("sigmoid", T)[t.numpy()].reshape(-1, 1, 1, 1)
    x_t = np.sqrt(ab) * x0 + np.sqrt(1 - ab) * eps
    pred = stub.expected(torch.from_numpy(x_t), t, emb).numpy()
    target = eps if objective == "pred_noise" else x0
    weight = np.ones_like(ab) if objective == "pred_noise" else ab / (1 - ab)
    want = np.mean(weight * (pred - target) ** 2)
    assert loss.ndim == 0, f"p_losses: returned shape {tuple(loss.shape)}, expected a scalar"
    err = rel_error(loss, want)
    assert err < 1e-4, (f"p_losses ({objective}): {loss.item():.6f}, expected {want:.6f} (rel error {err:.1e}): "
                        "mean over all elements of loss_weight * (model(q_sample(x_start, t, noise), t) - target)^2")
    assert len(stub.calls) == 1, f"p_losses: called the model {len(stub.calls)} times, expected once"
    assert torch.equal(stub.calls[0][1], t), "p_losses: the model must receive the time steps t drawn above"
    assert stub.calls[0][2].get("text_emb") is emb, "p_losses: pass model_kwargs on to the model"


def test_p_losses_has_a_gradient_for_the_model():
    stub = _Stub()
    d = GaussianDiffusion(stub, image_size=4, timesteps=50)
    torch.manual_seed(6)
    d.p_losses(torch.rand(3, 3, 4, 4), {"text_emb": torch.zeros(3, 2)}).backward()
    assert stub.scale.grad is not None and stub.scale.grad.abs() > 0, (
        "p_losses: no gradient reaches the model's parameters (was the prediction detached?)")


# ---------------------------------------------------------------------------------------------
# p_sample


@pytest.mark.parametrize("objective", ["pred_noise", "pred_x_start"])
def test_p_sample_at_t0_returns_the_posterior_mean(objective):
    # At t = 0 the posterior's standard deviation is 1e-10: the step is deterministic.
    stub = _Stub(a=0.4, b=0.0, c=0.2)
    d = GaussianDiffusion(stub, image_size=4, timesteps=1000, objective=objective, beta_schedule="cosine")
    x_t, _ = _images(7)
    emb = torch.randn(4, 3)
    out = d.p_sample(x_t, 0, {"text_emb": emb})
    ab = _abar("cosine")[0]
    model = stub.expected(x_t.double(), torch.zeros(4, dtype=torch.long), emb).numpy()
    x0 = model if objective == "pred_x_start" else (x_t.double().numpy() - np.sqrt(1 - ab) * model) / np.sqrt(ab)
    want = np.clip(x0, -1, 1)  # at t = 0, coef1 = beta_0 / (1 - abar_0) = 1 and coef2 = 0
    err = rel_error(out, want)
    assert err < 1e-4, (f"p_sample ({objective}) at t = 0: rel error {err:.1e} against the posterior mean with "
                        "the model's x_0 estimate clamped to [-1, 1]")
    assert torch.equal(stub.calls[0][1], torch.zeros(4, dtype=torch.long)), \
        "p_sample: the model must receive t as a (B,) tensor (built for you at the top)"


@pytest.mark.parametrize("objective", ["pred_noise", "pred_x_start"])
def test_p_sample_draws_from_the_posterior(objective):
    # Many copies of one x_t: the sample mean and std must match the posterior's for the model's x_0.
    T, step, n = 100, 37, 20000
    stub = _Stub(a=1.3, b=0.0, c=0.0)  # large enough that the clamp matters for some pixels
    d = GaussianDiffusion(stub, image_size=2, timesteps=T, objective=objective, beta_schedule="sigmoid")
    x1 = torch.linspace(-1.5, 1.5, 12).reshape(1, 3, 2, 2)
    torch.manual_seed(8)
    out = d.p_sample(x1.expand(n, 3, 2, 2).contiguous(), step, {"text_emb": None}).double().numpy()
    betas = get_beta_schedule("sigmoid", T).numpy()
    ab = np.cumprod(1 - betas)
    ab_prev = ab[step - 1]
    x = x1.double().numpy()
    model = 1.3 * x
    x0 = model if objective == "pred_x_start" else (x - np.sqrt(1 - ab[step]) * model) / np.sqrt(ab[step])
    x0 = np.clip(x0, -1, 1)
    mean = (betas[step] * np.sqrt(ab_prev) * x0 + (1 - ab_prev) * np.sqrt(1 - betas[step]) * x) / (1 - ab[step])
    std = np.sqrt(betas[step] * (1 - ab_prev) / (1 - ab[step]))
    got_mean, got_std = out.mean(0, keepdims=True), out.std(0)
    tol = 5 * std / np.sqrt(n)
    assert np.abs(got_mean - mean).max() < tol, (
        f"p_sample ({objective}): mean of {n} draws off the posterior mean by {np.abs(got_mean - mean).max():.2e} "
        f"(allowed {tol:.1e}); mean = coef1 * clamp(x0_hat, -1, 1) + coef2 * x_t")
    assert np.abs(got_std / std - 1).max() < 0.05, (
        f"p_sample ({objective}): spread of the draws {got_std.mean():.4f}, posterior std {std:.4f}; "
        "add posterior_std * standard normal noise")


def test_p_sample_draws_new_noise_each_call_and_returns_a_tensor_shaped_like_x_t():
    d = GaussianDiffusion(_Stub(), image_size=4, timesteps=50)
    x_t, _ = _images(9, (2, 3, 4, 4))
    a, b = d.p_sample(x_t, 20, {"text_emb": None}), d.p_sample(x_t, 20, {"text_emb": None})
    assert a.shape == x_t.shape, f"p_sample: shape {tuple(a.shape)}, expected {tuple(x_t.shape)}"
    assert not torch.equal(a, b), "p_sample: two calls gave the same sample; draw fresh noise each time"


# ---------------------------------------------------------------------------------------------
# The U-Net's levels


def test_unet_parameter_count_and_block_sizes_match_the_2025_checks():
    unet = Unet(dim=2, condition_dim=4, dim_mults=(1, 2, 4))
    n = sum(p.numel() for p in unet.parameters())
    assert n == chk.stored("course_2025", "num_params_2_4_124"), f"Unet(2, 4, (1, 2, 4)): {n} parameters, expected 6,499"
    downs, ups = chk.block_sizes(unet)
    assert downs == chk.stored("course_2025", "downs_dims"), f"Unet.__init__: downsampling ResnetBlocks {downs}"
    assert ups == chk.stored("course_2025", "ups_dims"), f"Unet.__init__: upsampling ResnetBlocks {ups}"


@pytest.mark.parametrize("dim, mults", [(4, (2, 4)), (3, (1, 2, 3)), (8, (1,))])
def test_unet_levels_are_built_in_the_checkpoint_layout(dim, mults):
    unet = Unet(dim=dim, condition_dim=5, dim_mults=mults)
    dims = [dim] + [dim * m for m in mults]
    assert len(unet.downs) == len(mults) and len(unet.ups) == len(mults), "Unet.__init__: one down and one up level per multiplier"
    for i, level in enumerate(unet.downs):
        d_in, d_out = dims[i], dims[i + 1]
        assert [type(m) for m in level] == [ResnetBlock, ResnetBlock, type(Downsample(1))], \
            f"Unet.downs[{i}]: expected [ResnetBlock, ResnetBlock, Downsample], got {[type(m).__name__ for m in level]}"
        assert (level[2].in_channels, level[2].out_channels) == (d_in, d_out), \
            f"Unet.downs[{i}][2]: Downsample({level[2].in_channels}, {level[2].out_channels}), expected ({d_in}, {d_out})"
        assert all(r.context_dim == 4 * dim for r in level[:2]), f"Unet.downs[{i}]: pass context_dim to the ResnetBlocks"
    for i, level in enumerate(unet.ups):
        d_in, d_out = dims[len(mults) - i], dims[len(mults) - i - 1]
        assert type(level[0]) is type(Upsample(1)) and [type(m) for m in level[1:]] == [ResnetBlock, ResnetBlock], \
            f"Unet.ups[{i}]: expected [Upsample, ResnetBlock, ResnetBlock]"
        conv = level[0][1]
        assert (conv.in_channels, conv.out_channels) == (d_in, d_out), f"Unet.ups[{i}][0]: Upsample({conv.in_channels}, {conv.out_channels}), expected ({d_in}, {d_out})"


def test_unet_loads_the_embedded_checkpoint_by_name():
    cfg = ddpm_data.SCENE_MODEL
    state, _ = ddpm_data.load_scenes_checkpoint()
    unet = Unet(dim=cfg["dim"], condition_dim=cfg["condition_dim"], dim_mults=cfg["dim_mults"])
    unet.load_state_dict(state)  # strict: every name and shape must match


# ---------------------------------------------------------------------------------------------
# The U-Net's forward pass and guidance


def test_unet_forward_matches_stored_values_in_eval_mode():
    unet, x, t, kwargs = chk.forward_inputs(Unet)
    with torch.no_grad():
        out = unet(x, t, kwargs)
    err = rel_error(out, chk.stored("eval", "forward"))
    assert err < 1e-5, (f"Unet.forward: rel error {err:.1e} against the stored output (eval mode): keep each "
                        "ResnetBlock's output for the skips, and use them last-in first-out")


@pytest.mark.parametrize("mults, size", [((1, 2), 8), ((2, 2, 2), 16), ((1,), 2)])
def test_unet_forward_keeps_the_shape_and_uses_every_skip(mults, size):
    torch.manual_seed(10)
    unet = Unet(dim=4, condition_dim=3, dim_mults=mults).eval()
    x = torch.randn(2, 3, size, size, requires_grad=True)
    out = unet(x, torch.tensor([1, 7]), {"text_emb": torch.randn(2, 3)})
    assert out.shape == x.shape, f"Unet.forward: shape {tuple(out.shape)}, expected {tuple(x.shape)}"
    out.sum().backward()
    unused = [n for n, p in unet.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert not unused, f"Unet.forward: these parameters get no gradient (blocks not used): {unused[:4]}"


def test_unet_forward_is_deterministic_in_eval_and_depends_on_the_condition():
    unet, x, t, kwargs = chk.forward_inputs(Unet)
    with torch.no_grad():
        a, b = unet(x, t, kwargs), unet(x, t, kwargs)
        c = unet(x, t, {"text_emb": None})
    assert torch.equal(a, b), "Unet.forward: two eval-mode calls differ"
    assert not torch.allclose(a, c), "Unet.forward: the output ignores the text embedding; pass the context to every ResnetBlock"


def test_cfg_forward_combines_two_predictions():
    unet = Unet(dim=4, condition_dim=3, dim_mults=(2,))
    calls = []

    def fake_forward(x, time, model_kwargs={}):  # noqa: B006
        calls.append(dict(model_kwargs))
        emb = model_kwargs.get("text_emb")
        return x * 0.5 + (0.0 if emb is None else emb.sum(1).reshape(-1, 1, 1, 1))

    unet.forward = fake_forward  # what cfg_forward calls for each prediction
    x = torch.randn(2, 3, 2, 2)
    emb = torch.tensor([[1.0, 2.0, 0.5], [-1.0, 0.0, 0.25]])
    kwargs = {"text_emb": emb, "cfg_scale": 2.31}
    out = unet.cfg_forward(x, torch.tensor([3, 4]), kwargs)
    cond, uncond = x * 0.5 + emb.sum(1).reshape(-1, 1, 1, 1), x * 0.5
    want = 3.31 * cond - 2.31 * uncond
    err = rel_error(out, want)
    assert err < 1e-6, f"Unet.cfg_forward: rel error {err:.1e} against (s + 1) f(x, t, c) - s f(x, t, empty)"
    assert len(calls) == 2, f"Unet.cfg_forward: {len(calls)} calls of forward, expected 2 (with and without the condition)"
    assert all("cfg_scale" not in c for c in calls), "Unet.cfg_forward: do not pass cfg_scale on to forward"
    assert sorted(c.get("text_emb") is None for c in calls) == [False, True], \
        "Unet.cfg_forward: one call with the text embedding, one with text_emb=None"
    assert "cfg_scale" in kwargs and kwargs["text_emb"] is emb, "Unet.cfg_forward: the caller's model_kwargs changed"


def test_cfg_forward_matches_stored_values_in_eval_mode():
    unet, x, t, kwargs = chk.forward_inputs(Unet)
    with torch.no_grad():
        out = unet(x, t, {**kwargs, "cfg_scale": 2.31})
    err = rel_error(out, chk.stored("eval", "cfg_forward"))
    assert err < 1e-5, f"Unet.cfg_forward: rel error {err:.1e} against the stored guided output (eval mode)"


def test_guidance_scale_zero_is_the_conditional_prediction():
    unet, x, t, kwargs = chk.forward_inputs(Unet)
    with torch.no_grad():
        guided, plain = unet(x, t, {**kwargs, "cfg_scale": 0.0}), unet(x, t, kwargs)
    assert torch.allclose(guided, plain, atol=1e-6), "Unet.cfg_forward: scale 0 must give the conditional prediction"
