"""How the grader calls the graded functions of Self_Supervised_Learning (runs in the sandbox; no
expected values).

The losses run with the similarity helpers they may call (sim, sim_positive_pairs, compute_sim_matrix)
replaced by torch's F.cosine_similarity, so that each function is graded on its own (the vectorised
loss may not call sim at all, as its tests say); they return the loss and its gradients. The augmentation pipeline is compared by its steps and their parameters, and
by one view of a fixed image drawn under its seed. CIFAR10Pair.__getitem__ runs with a transform that
counts its calls and records what it was given. train runs one epoch of a tiny model with the loss
replaced by a fixed function of (out_left, out_right, tau) that tells the two branches, their rows and
the temperature apart.
"""

import importlib

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def _cl():
    return importlib.import_module("cs231n.simclr.contrastive_loss")


def _t(a, grad=False):
    return torch.tensor(np.asarray(a), dtype=torch.float32, requires_grad=grad)


def _library_sim(z_i, z_j):
    return F.cosine_similarity(z_i.reshape(1, -1), z_j.reshape(1, -1), dim=1)[0]


def _library_pairs(out_left, out_right):
    return F.cosine_similarity(out_left, out_right, dim=1).unsqueeze(1)


def _library_matrix(out):
    return F.cosine_similarity(out[:, None, :], out[None, :, :], dim=-1)


def _with_library_helpers(call):
    cl = _cl()
    own = cl.sim, cl.sim_positive_pairs, cl.compute_sim_matrix
    cl.sim, cl.sim_positive_pairs, cl.compute_sim_matrix = _library_sim, _library_pairs, _library_matrix
    try:
        return call(cl)
    finally:
        cl.sim, cl.sim_positive_pairs, cl.compute_sim_matrix = own


def sim(i):
    z_i, z_j = _t(i["z_i"]), _t(i["z_j"])
    return {"sim": _cl().sim(z_i, z_j)}


def _no_loops(*args, **kwargs):
    raise RuntimeError("simclr_loss_vectorized called sim() (a loop over the pairs): no loops, use the matrices")


def _loss(i, name):
    left, right = _t(i["left"], True), _t(i["right"], True)

    def call(cl):
        if name == "simclr_loss_vectorized":  # as the tests say: no per-pair sim calls
            cl.sim = _no_loops
        return getattr(cl, name)(left, right, float(i["tau"]))

    loss = _with_library_helpers(call)
    dleft, dright = torch.autograd.grad(loss, [left, right])
    return {"loss": loss, "dleft": dleft, "dright": dright}


def simclr_loss_naive(i):
    return _loss(i, "simclr_loss_naive")


def simclr_loss_vectorized(i):
    return _loss(i, "simclr_loss_vectorized")


def sim_positive_pairs(i):
    return {"pairs": _cl().sim_positive_pairs(_t(i["left"]), _t(i["right"]))}


def compute_sim_matrix(i):
    return {"matrix": _cl().compute_sim_matrix(_t(i["out"]))}


def compute_train_transform(i):
    from PIL import Image
    from torchvision import transforms

    du = importlib.import_module("cs231n.simclr.data_utils")
    t = du.compute_train_transform(seed=int(i["seed"]))
    steps = list(getattr(t, "transforms", []))
    names = [type(s).__name__ for s in steps]
    params = []
    for s in steps:
        if isinstance(s, transforms.RandomResizedCrop):
            params += list(s.size)
        elif isinstance(s, (transforms.RandomHorizontalFlip, transforms.RandomGrayscale)):
            params.append(float(s.p))
        elif isinstance(s, transforms.RandomApply):
            params.append(float(s.p))
            for inner in s.transforms:
                names.append("inside:" + type(inner).__name__)
                if isinstance(inner, transforms.ColorJitter):
                    params += [float(v) for r in (inner.brightness, inner.contrast, inner.saturation, inner.hue)
                               for v in (r if r is not None else (0.0, 0.0))]
    view = t(Image.fromarray(np.asarray(i["image"], dtype=np.uint8)))
    return {"steps": np.asarray(names), "params": np.asarray(params, dtype=np.float64), "view": view}


class _Counting:
    """A transform whose k-th call returns the image's pixels plus 1000 k, and marks a non-PIL input."""

    def __init__(self):
        self.calls = 0

    def __call__(self, img):
        from PIL import Image

        self.calls += 1
        pixels = torch.tensor(np.asarray(img), dtype=torch.float32)
        return pixels + 1000.0 * self.calls + (0.0 if isinstance(img, Image.Image) else 0.5)


def cifar10_pair_getitem(i):
    du = importlib.import_module("cs231n.simclr.data_utils")
    ds = du.CIFAR10Pair.__new__(du.CIFAR10Pair)  # no files: the images and labels are the case's
    ds.data = np.asarray(i["data"], dtype=np.uint8)
    ds.targets = [int(v) for v in i["targets"]]
    ds.transform = _Counting()
    ds.target_transform = (lambda t: t + 100) if int(i["target_transform"]) else None
    x_i, x_j, target = ds[int(i["index"])]
    return {"x_i": x_i, "x_j": x_j, "target": np.asarray(int(target)), "calls": np.asarray(ds.transform.calls)}


class _Tiny(nn.Module):
    """(normalised feature, projection), like the course's Model, without BatchNorm."""

    def __init__(self, gen):
        super().__init__()
        self.f = nn.Linear(12, 6)
        self.g = nn.Linear(6, 4)
        with torch.no_grad():
            for _, p in sorted(self.named_parameters()):
                p.copy_(0.5 * torch.randn(p.shape, generator=gen))

    def forward(self, x):
        feature = torch.tanh(self.f(x.flatten(1)))
        return F.normalize(feature, dim=-1), self.g(feature)


def _fixed_loss(out_left, out_right, tau, device="cuda"):
    """Not SimCLR's loss: a fixed function that tells the branches, the rows and tau apart."""
    w = torch.arange(1, out_left.shape[0] + 1, dtype=out_left.dtype).unsqueeze(1)
    return (tau * (w * out_left * out_right).sum() + 0.3 * (out_left ** 2).sum() - 0.2 * out_right.sum()) / out_left.shape[0]


def train(i):
    utils = importlib.import_module("cs231n.simclr.utils")
    gen = torch.Generator().manual_seed(int(i["seed"]))
    model = _Tiny(gen)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x_i, x_j = _t(i["x_i"]), _t(i["x_j"])
    n = int(i["batch"])
    batches = [(x_i[k:k + n], x_j[k:k + n], torch.zeros(len(x_i[k:k + n]))) for k in range(0, len(x_i), n)]
    own = utils.simclr_loss_vectorized
    utils.simclr_loss_vectorized = _fixed_loss
    try:
        loss = utils.train(model, batches, opt, 1, 1, batch_size=n, temperature=float(i["tau"]), device="cpu",
                           verbose=False)
    finally:
        utils.simclr_loss_vectorized = own
    out = {"loss": np.asarray(float(loss))}
    for name, p in sorted(model.named_parameters()):
        out[name] = p
    return out
