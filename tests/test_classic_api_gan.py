"""The classic API contract of GANs (../shared/reference/classic_api.md): every name the official
CS231n assignment-3 notebooks (2019-2024) import from this package exists, with the classic signature
and return type. One file per notebook, so an edition without the notebook leaves its file out."""

import inspect

import numpy as np
import pytest
import torch as _torch_gan

import cs231n.gan_pytorch as _gan


def _params(fn):
    """{name: default} of a function's parameters (inspect.Parameter.empty where there is none)."""
    return {p.name: p.default for p in inspect.signature(fn).parameters.values()}


# --------------------------------------------------------------------------------------------------
# GANs
# --------------------------------------------------------------------------------------------------


_GAN_SIGNATURES = {
    # name: the classic parameters, in order, with their defaults (later keyword-only extensions allowed)
    "sample_noise": {"batch_size": inspect.Parameter.empty, "dim": inspect.Parameter.empty, "seed": None},
    "discriminator": {"seed": None},
    "generator": {"noise_dim": 96, "seed": None},
    "bce_loss": {"input": inspect.Parameter.empty, "target": inspect.Parameter.empty},
    "discriminator_loss": {"logits_real": inspect.Parameter.empty, "logits_fake": inspect.Parameter.empty},
    "generator_loss": {"logits_fake": inspect.Parameter.empty},
    "ls_discriminator_loss": {"scores_real": inspect.Parameter.empty, "scores_fake": inspect.Parameter.empty},
    "ls_generator_loss": {"scores_fake": inspect.Parameter.empty},
    "build_dc_classifier": {"batch_size": inspect.Parameter.empty},
    "build_dc_generator": {"noise_dim": 96},
    "get_optimizer": {"model": inspect.Parameter.empty},
    "run_a_gan": {"D": inspect.Parameter.empty, "G": inspect.Parameter.empty, "D_solver": inspect.Parameter.empty,
                  "G_solver": inspect.Parameter.empty, "discriminator_loss": inspect.Parameter.empty,
                  "generator_loss": inspect.Parameter.empty, "loader_train": inspect.Parameter.empty,
                  "show_every": 250, "batch_size": 128, "noise_size": 96, "num_epochs": 10},
    "initialize_weights": {"m": inspect.Parameter.empty},
    "preprocess_img": {"x": inspect.Parameter.empty},
    "deprocess_img": {"x": inspect.Parameter.empty},
    "rel_error": {"x": inspect.Parameter.empty, "y": inspect.Parameter.empty},
    "count_params": {"model": inspect.Parameter.empty},
}


@pytest.mark.parametrize("name", sorted(_GAN_SIGNATURES))
def test_gan_classic_signature(name):
    fn = getattr(_gan, name, None)
    assert callable(fn), f"cs231n.gan_pytorch.{name} is missing"
    params = inspect.signature(fn).parameters.values()
    positional = {p.name: p.default for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)}
    extra_required = [p.name for p in params if p.kind == p.KEYWORD_ONLY and p.default is p.empty]
    expected = _GAN_SIGNATURES[name]
    assert positional == expected, f"gan_pytorch.{name}{inspect.signature(fn)}: classic parameters are {expected}"
    assert not extra_required, f"gan_pytorch.{name}: extra keyword-only parameters need defaults: {extra_required}"


def test_gan_classic_constants_and_classes():
    assert _gan.NOISE_DIM == 96
    expected = _torch_gan.cuda.FloatTensor if _torch_gan.cuda.is_available() else _torch_gan.FloatTensor
    assert _gan.dtype is expected, f"gan_pytorch.dtype is {_gan.dtype}, the classic is {expected}"
    assert issubclass(_gan.Flatten, _torch_gan.nn.Module) and issubclass(_gan.Unflatten, _torch_gan.nn.Module)
    assert _params(_gan.Unflatten.__init__) == {"self": inspect.Parameter.empty, "N": -1, "C": 128, "H": 7, "W": 7}
    assert issubclass(_gan.ChunkSampler, _torch_gan.utils.data.sampler.Sampler)
    assert _params(_gan.ChunkSampler.__init__) == {"self": inspect.Parameter.empty, "num_samples": inspect.Parameter.empty,
                                                   "start": 0}
    assert list(_gan.ChunkSampler(4, 2)) == [2, 3, 4, 5]
    assert tuple(_gan.Flatten()(_torch_gan.zeros(3, 1, 28, 28)).shape) == (3, 784)
    assert tuple(_gan.Unflatten(3, 1, 28, 28)(_torch_gan.zeros(3, 784)).shape) == (3, 1, 28, 28)


def test_gan_classic_return_types():
    z = _gan.sample_noise(3, 4)
    assert isinstance(z, _torch_gan.Tensor) and tuple(z.shape) == (3, 4) and z.dtype == _torch_gan.float32
    for model in (_gan.discriminator(), _gan.generator(4), _gan.build_dc_classifier(2), _gan.build_dc_generator(4)):
        assert isinstance(model, _torch_gan.nn.Sequential), f"{type(model).__name__}: the classic returns nn.Sequential"
    assert [_gan.count_params(m) for m in (_gan.discriminator(), _gan.generator(4), _gan.build_dc_classifier(128),
                                           _gan.build_dc_generator(4))] == [267009, 1858320, 1102721, 6580801]
    logits = _torch_gan.zeros(10)  # the classic shape (N,): the official 2022-2024 bce_loss squeezes its input
    for loss in (_gan.bce_loss(logits, _torch_gan.ones(10)), _gan.discriminator_loss(logits, logits),
                 _gan.generator_loss(logits), _gan.ls_discriminator_loss(logits, logits), _gan.ls_generator_loss(logits)):
        assert isinstance(loss, _torch_gan.Tensor) and loss.numel() == 1
    assert isinstance(_gan.get_optimizer(_torch_gan.nn.Linear(2, 1)), _torch_gan.optim.Adam)
    assert isinstance(_gan.rel_error(np.ones(2), np.ones(2)), (float, np.floating))
    assert isinstance(_gan.count_params(_torch_gan.nn.Linear(2, 1)), int)
    x = _torch_gan.rand(5)
    assert _torch_gan.allclose(_gan.deprocess_img(_gan.preprocess_img(x)), x)


def test_gan_classic_run_a_gan_keeps_a_snapshot_at_0_and_every_show_every():
    # classic_api.md: six iterations with show_every=4 keep two (iterations 0 and 4), as (16, 784) numpy batches.
    _torch_gan.manual_seed(0)
    D, G = _gan.discriminator(), _gan.generator(8)
    batches = [(_torch_gan.rand(16, 1, 28, 28), _torch_gan.zeros(16)) for _ in range(6)]
    images = _gan.run_a_gan(D, G, _gan.get_optimizer(D), _gan.get_optimizer(G), _gan.discriminator_loss,
                            _gan.generator_loss, batches, show_every=4, batch_size=16, noise_size=8, num_epochs=1)
    assert isinstance(images, list) and len(images) == 2, f"run_a_gan: kept {len(images)} snapshots, the classic keeps 2"
    assert all(isinstance(im, np.ndarray) and im.shape == (16, 784) for im in images)
    one = _gan.run_a_gan(D, G, _gan.get_optimizer(D), _gan.get_optimizer(G), _gan.discriminator_loss,
                         _gan.generator_loss, batches[:1], batch_size=16, noise_size=8, num_epochs=1)
    assert len(one) == 1, "run_a_gan: a one-iteration run keeps the snapshot of iteration 0"


def test_gan_official_import_cells_work():
    # The official GAN notebook imports each name from cs231n.gan_pytorch; a star import (ours) gives the
    # same names and none of the module's own imports.
    ns = {}
    exec("from cs231n.gan_pytorch import build_dc_generator, build_dc_classifier\n"
         "from cs231n.gan_pytorch import ls_discriminator_loss, ls_generator_loss\n"
         "from cs231n.gan_pytorch import get_optimizer, run_a_gan\n"
         "from cs231n.gan_pytorch import bce_loss, discriminator_loss, generator_loss\n"
         "from cs231n.gan_pytorch import generator, discriminator\n"
         "from cs231n.gan_pytorch import Flatten, Unflatten, initialize_weights\n"
         "from cs231n.gan_pytorch import sample_noise\n"
         "from cs231n.gan_pytorch import preprocess_img, deprocess_img, rel_error, count_params, ChunkSampler", ns)
    star = {}
    exec("from cs231n.gan_pytorch import *", star)
    missing = sorted(set(ns) - set(star) - {"__builtins__"})
    assert not missing, f"`from cs231n.gan_pytorch import *` lacks the official notebook's {missing}"
    for name in ("show_images", "NOISE_DIM", "dtype", "wgan_critic_loss", "wgan_generator_loss", "gradient_penalty"):
        assert name in star, f"`from cs231n.gan_pytorch import *` lacks {name}"
    leaked = sorted({"np", "nn", "torch", "sys"} & set(star))
    assert not leaked, f"`from cs231n.gan_pytorch import *` exports the module's imports {leaked}"
