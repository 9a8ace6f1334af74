"""How the grader calls the graded functions of the GAN notebook (runs in the sandbox; no expected values).

Architectures are compared by their parameters' shapes and by their outputs once every parameter is
set from one seeded generator, in order. discriminator_loss and generator_loss run with bce_loss
replaced by torch's own binary_cross_entropy_with_logits, so that they are graded on their own.
"""

import importlib

import numpy as np
import torch
import torch.nn.functional as F


def _gan():
    return importlib.import_module("cs231n.gan_pytorch")


def _t(a, grad=False):
    return torch.tensor(a, dtype=torch.float32, requires_grad=grad)


def sample_noise(i):
    x = _gan().sample_noise(int(i["N"]), int(i["D"]), seed=int(i["seed"]))
    v = x.detach().double().flatten()
    hist = torch.histc(v, bins=10, min=-1, max=1) / v.numel()
    return {"shape": np.asarray(tuple(x.shape)), "inside": np.asarray(bool(((v >= -1) & (v <= 1)).all())),
            "hist": hist, "mean": v.mean(), "var": v.var(), "float32": np.asarray(x.dtype == torch.float32)}


def _architecture(model, x):
    shapes = [list(p.shape) for p in model.parameters()]
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(0.05 * torch.randn(p.shape, generator=gen))
    model.train()
    out = model(_t(x))
    return {"shapes": np.asarray([d for s in shapes for d in s] + [len(shapes)]), "out": out}


def discriminator(i):
    return _architecture(_gan().discriminator(), i["x"])


def generator(i):
    return _architecture(_gan().generator(int(i["noise_dim"])), i["z"])


def build_dc_classifier(i):
    return _architecture(_gan().build_dc_classifier(int(i["N"])), i["x"])


def build_dc_generator(i):
    return _architecture(_gan().build_dc_generator(int(i["noise_dim"])), i["z"])


def bce_loss(i):
    x = _t(i["input"], True)
    loss = _gan().bce_loss(x, _t(i["target"]))
    (g,) = torch.autograd.grad(loss, x)
    return {"loss": loss, "dinput": g}


def _with_library_bce(call):
    gan = _gan()
    own = gan.bce_loss
    gan.bce_loss = lambda input, target: F.binary_cross_entropy_with_logits(input, target)
    try:
        return call(gan)
    finally:
        gan.bce_loss = own


def _loss_and_grads(loss, tensors):
    grads = torch.autograd.grad(loss, list(tensors.values()), allow_unused=True)
    return {"loss": loss, **{"d" + k: (g if g is not None else torch.zeros_like(t)) for (k, t), g in zip(tensors.items(), grads)}}


def discriminator_loss(i):
    real, fake = _t(i["real"], True), _t(i["fake"], True)
    loss = _with_library_bce(lambda gan: gan.discriminator_loss(real, fake))
    return _loss_and_grads(loss, {"real": real, "fake": fake})


def generator_loss(i):
    fake = _t(i["fake"], True)
    loss = _with_library_bce(lambda gan: gan.generator_loss(fake))
    return _loss_and_grads(loss, {"fake": fake})


def ls_discriminator_loss(i):
    real, fake = _t(i["real"], True), _t(i["fake"], True)
    return _loss_and_grads(_gan().ls_discriminator_loss(real, fake), {"real": real, "fake": fake})


def ls_generator_loss(i):
    fake = _t(i["fake"], True)
    return _loss_and_grads(_gan().ls_generator_loss(fake), {"fake": fake})


def wgan_critic_loss(i):
    real, fake = _t(i["real"], True), _t(i["fake"], True)
    return _loss_and_grads(_gan().wgan_critic_loss(real, fake), {"real": real, "fake": fake})


def wgan_generator_loss(i):
    fake = _t(i["fake"], True)
    return _loss_and_grads(_gan().wgan_generator_loss(fake), {"fake": fake})


def get_optimizer(i):
    model = torch.nn.Linear(3, 2)
    opt = _gan().get_optimizer(model)
    group = opt.param_groups[0]
    n = sum(p.numel() for g in opt.param_groups for p in g["params"])
    return {"adam": np.asarray(type(opt).__name__ == "Adam"), "lr": np.asarray(float(group["lr"])),
            "betas": np.asarray([float(b) for b in group["betas"]]), "params": np.asarray(n)}


def gradient_penalty(i):
    """A critic whose gradient does not depend on where it is taken (linear), or real == fake: the
    penalty does not depend on the random interpolation, only on how it is computed."""
    torch.manual_seed(int(i["seed"]))
    if int(i["linear"]):
        D = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(int(np.prod(i["real"].shape[1:])), 1))
    else:
        D = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(int(np.prod(i["real"].shape[1:])), 5),
                                torch.nn.Tanh(), torch.nn.Linear(5, 1))
    with torch.no_grad():
        for k, p in enumerate(D.parameters()):
            p.copy_(_t(i[f"p{k}"]))
    penalty = _gan().gradient_penalty(D, _t(i["real"]), _t(i["fake"]))
    grads = torch.autograd.grad(penalty, list(D.parameters()), allow_unused=True)
    out = {"penalty": penalty}
    for k, (p, g) in enumerate(zip(D.parameters(), grads)):
        out[f"dp{k}"] = g if g is not None else torch.zeros_like(p)
    return out
