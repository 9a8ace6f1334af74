"""How the grader calls the graded functions of DDPM (runs in the sandbox; no expected values).

The diffusion methods run with a stub denoiser whose output is a fixed function of its inputs, so that
each is graded on its own; the U-Net's forward runs with every parameter filled from a seeded generator
(by name, so any correct __init__ gives the same network) in evaluation mode; guidance runs with the
forward pass replaced by a fixed function. p_sample at t > 0 is graded by the mean and spread of many
draws, so that any way of drawing the standard normal noise is accepted.
"""

import importlib

import numpy as np
import torch
from torch import nn


def _gd():
    return importlib.import_module("cs231n.gaussian_diffusion")


def _unet():
    return importlib.import_module("cs231n.unet")


def _t(a):
    return torch.tensor(np.asarray(a), dtype=torch.float32)


class _Stub(nn.Module):
    def __init__(self, a, b, c):
        super().__init__()
        self.a, self.b, self.c, self.channels = a, b, c, 3
        self.scale = nn.Parameter(torch.tensor(1.0))

    def forward(self, x_t, t, model_kwargs={}):  # noqa: B006
        out = self.a * x_t + self.b * t.float().reshape(-1, 1, 1, 1)
        emb = model_kwargs.get("text_emb")
        if emb is not None:
            out = out + self.c * emb.sum(1).reshape(-1, 1, 1, 1)
        return out * self.scale


def _diffusion(i, model=None):
    return _gd().GaussianDiffusion(model, image_size=int(i["size"]), timesteps=int(i["T"]),
                                   beta_schedule=str(i["schedule"]), objective=str(i.get("objective", "pred_noise")))


def q_sample(i):
    return {"x_t": _diffusion(i).q_sample(_t(i["x_start"]), torch.tensor(i["t"]).long(), _t(i["noise"]))}


def predict_start_from_noise(i):
    return {"x_start": _diffusion(i).predict_start_from_noise(_t(i["x_t"]), torch.tensor(i["t"]).long(), _t(i["noise"]))}


def predict_noise_from_start(i):
    return {"noise": _diffusion(i).predict_noise_from_start(_t(i["x_t"]), torch.tensor(i["t"]).long(), _t(i["x_start"]))}


def p_losses(i):
    stub = _Stub(*[float(v) for v in i["abc"]])
    d = _diffusion(i, stub)
    torch.manual_seed(int(i["seed"]))
    loss = d.p_losses(_t(i["x"]), {"text_emb": _t(i["emb"])})
    (g,) = torch.autograd.grad(loss, stub.scale)
    return {"loss": loss, "dscale": g}


def p_sample(i):
    d = _diffusion(i, _Stub(*[float(v) for v in i["abc"]]))
    x = _t(i["x_t"])
    step = int(i["step"])
    torch.manual_seed(int(i["seed"]))
    if step == 0:
        return {"x_tm1": d.p_sample(x, 0, {"text_emb": _t(i["emb"])})}
    out = d.p_sample(x.expand(int(i["copies"]), *x.shape[1:]).contiguous(), step, {"text_emb": None})
    return {"mean": out.mean(0), "std": out.std(0)}


def unet_init(i):
    unet = _unet().Unet(dim=int(i["dim"]), condition_dim=int(i["cond"]), dim_mults=tuple(int(m) for m in i["mults"]))
    downs = [d for m in unet.downs for r in (m[0], m[1]) for d in (r.dim, r.dim_out, r.context_dim)]
    ups = [d for m in unet.ups for r in (m[1], m[2]) for d in (r.dim, r.dim_out, r.context_dim)]
    shapes = [s for _, p in sorted(unet.state_dict().items()) for s in p.shape]
    return {"num_params": np.asarray(sum(p.numel() for p in unet.parameters())), "downs": np.asarray(downs),
            "ups": np.asarray(ups), "shapes": np.asarray(shapes)}


def unet_forward(i):
    unet = _unet().Unet(dim=int(i["dim"]), condition_dim=int(i["cond"]), dim_mults=tuple(int(m) for m in i["mults"]))
    gen = torch.Generator().manual_seed(int(i["seed"]))
    with torch.no_grad():
        for _, p in sorted(unet.named_parameters()):
            p.copy_(0.3 * torch.randn(p.shape, generator=gen))
        unet.eval()
        return {"out": unet(_t(i["x"]), torch.tensor(i["t"]).long(), {"text_emb": _t(i["emb"])})}


def unet_cfg_forward(i):
    unet = _unet().Unet(dim=4, condition_dim=int(i["emb"].shape[1]), dim_mults=(2,))

    def fixed(x, time, model_kwargs={}):  # noqa: B006
        emb = model_kwargs.get("text_emb")
        return 0.5 * x + (0.0 if emb is None else emb.sum(1).reshape(-1, 1, 1, 1)) + 0.01 * time.float().reshape(-1, 1, 1, 1)

    unet.forward = fixed
    kwargs = {"text_emb": _t(i["emb"]), "cfg_scale": float(i["scale"])}
    return {"out": unet.cfg_forward(_t(i["x"]), torch.tensor(i["t"]).long(), kwargs)}
