"""The classic API contract of style transfer (../shared/reference/classic_api.md): every name the official
CS231n assignment-3 notebooks (2019-2024) import from this package exists, with the classic signature
and return type. One file per notebook, so an edition without the notebook leaves its file out."""

import inspect

import numpy as np
import pytest


def _params(fn):
    """{name: default} of a function's parameters (inspect.Parameter.empty where there is none)."""
    return {p.name: p.default for p in inspect.signature(fn).parameters.values()}


# --------------------------------------------------------------------------------------------------
# Style transfer
# --------------------------------------------------------------------------------------------------

def test_style_transfer_official_import_cell_works():
    import torch

    ns = {}
    exec("from cs231n.style_transfer_pytorch import rel_error, content_loss, gram_matrix, style_loss, "
         "tv_loss, extract_features, features_from_img, preprocess, deprocess, rescale, dtype", ns)
    assert ns["dtype"] is torch.FloatTensor, f"style_transfer_pytorch.dtype is {ns['dtype']}, not torch.FloatTensor"
    star = {}
    exec("from cs231n.style_transfer_pytorch import *", star)
    missing = sorted(set(ns) - set(star))
    assert not missing, f"`from cs231n.style_transfer_pytorch import *` lacks the official cell's {missing}"
    leaked = sorted((set(star) - set(ns) - {"style_transfer"}))
    assert not leaked, f"`from cs231n.style_transfer_pytorch import *` exports {leaked} by accident"


@pytest.mark.parametrize("name, params", [
    ("content_loss", ["content_weight", "content_current", "content_original"]),
    ("gram_matrix", ["features", "normalize"]),
    ("style_loss", ["feats", "style_layers", "style_targets", "style_weights"]),
    ("tv_loss", ["img", "tv_weight"]),
    ("extract_features", ["x", "cnn"]),
    ("features_from_img", ["imgpath", "imgsize", "cnn"]),
    ("preprocess", ["img", "size"]),
    ("deprocess", ["img"]),
    ("rescale", ["x"]),
    ("rel_error", ["x", "y"]),
])
def test_style_transfer_classic_signatures(name, params):
    from cs231n import style_transfer_pytorch as st

    got = _params(getattr(st, name))
    assert list(got) == params, f"style_transfer_pytorch.{name}{tuple(got)}, classic {tuple(params)}"
    defaults = {"gram_matrix": ("normalize", True), "preprocess": ("size", 512)}
    if name in defaults:
        key, value = defaults[name]
        assert got[key] == value, f"style_transfer_pytorch.{name}: default {key}={got[key]!r}, classic {value!r}"


def test_style_transfer_rel_error_is_the_classic_formula():
    from cs231n.style_transfer_pytorch import rel_error

    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.2])) == pytest.approx(0.2 / 4.2)
    assert rel_error(np.array(0.0), np.array(1e-10)) == pytest.approx(1e-2), "the 1e-8 floor is missing"


def test_style_transfer_preprocess_deprocess_rescale_behave_as_classic():
    import torch
    from PIL import Image

    from cs231n.style_transfer_pytorch import deprocess, preprocess, rescale

    img = Image.fromarray(np.random.default_rng(0).integers(0, 256, (30, 50, 3), dtype=np.uint8))
    x = preprocess(img, size=12)
    assert isinstance(x, torch.Tensor) and x.dtype == torch.float32 and tuple(x.shape) == (1, 3, 12, 20), (
        f"preprocess: {type(x).__name__} {getattr(x, 'dtype', '')} {tuple(getattr(x, 'shape', ()))}, "
        "classic: float32 (1, 3, 12, 20) for a 50x30 image at size 12")
    assert tuple(preprocess(img).shape) == (1, 3, 512, 853), "preprocess default size is 512 (shorter side)"
    out = deprocess(x)
    assert isinstance(out, Image.Image) and out.size == (20, 12), f"deprocess returned {type(out).__name__}"
    values = np.asarray(out)
    assert values.min() == 0 and values.max() == 255, "deprocess rescales onto [0, 1] before the PIL image"
    r = rescale(torch.tensor([2.0, 4.0, 3.0]))
    assert torch.allclose(r, torch.tensor([0.0, 1.0, 0.5])), f"rescale([2, 4, 3]) = {r}"


def test_style_transfer_features_from_img_returns_features_and_image(tmp_path):
    import torch
    from PIL import Image

    from cs231n.style_transfer_pytorch import extract_features, features_from_img

    path = tmp_path / "img.png"
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (16, 24, 3), dtype=np.uint8)).save(path)
    cnn = torch.nn.Sequential(torch.nn.Conv2d(3, 2, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2)).eval()
    out = features_from_img(str(path), 8, cnn)
    assert isinstance(out, tuple) and len(out) == 2, "features_from_img returns (features_list, img_var)"
    feats, img = out
    assert tuple(img.shape) == (1, 3, 8, 12) and isinstance(feats, list) and len(feats) == 3
    with torch.no_grad():
        assert all(torch.equal(a, b) for a, b in zip(feats, extract_features(img, cnn)))
