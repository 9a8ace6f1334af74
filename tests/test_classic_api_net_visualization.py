"""The classic API contract of network visualization (../shared/reference/classic_api.md): every name the official
CS231n assignment-3 notebooks (2019-2024) import from this package exists, with the classic signature
and return type. One file per notebook, so an edition without the notebook leaves its file out."""

import inspect

import numpy as np
import pytest


def _params(fn):
    """{name: default} of a function's parameters (inspect.Parameter.empty where there is none)."""
    return {p.name: p.default for p in inspect.signature(fn).parameters.values()}


# --------------------------------------------------------------------------------------------------
# Network visualization
# --------------------------------------------------------------------------------------------------

def _netvis_tiny_model():
    import torch
    from torch import nn

    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(4, 5)).eval()


def test_net_visualization_official_import_cells_work():
    ns = {}
    exec("import torchvision.transforms as T\n"
         "from cs231n.image_utils import SQUEEZENET_MEAN, SQUEEZENET_STD\n"
         "from cs231n.net_visualization_pytorch import *\n"
         "from cs231n.data_utils import load_imagenet_val", ns)
    for name in ("compute_saliency_maps", "make_fooling_image", "class_visualization_update_step", "preprocess",
                 "deprocess", "rescale", "blur_image", "jitter", "create_class_visualization", "load_imagenet_val"):
        assert callable(ns.get(name)), f"the official network-visualization imports lack {name}"


def test_net_visualization_star_import_exports_the_assignment_only():
    star = {}
    exec("from cs231n.net_visualization_pytorch import *", star)
    exported = set(star) - {"__builtins__"}
    expected = {"compute_saliency_maps", "make_fooling_image", "class_visualization_update_step", "grad_cam",
                "create_class_visualization", "preprocess", "deprocess", "rescale", "blur_image", "jitter"}
    assert exported == expected, (f"`from cs231n.net_visualization_pytorch import *`: missing "
                                  f"{sorted(expected - exported)}, exported by accident {sorted(exported - expected)}")


@pytest.mark.parametrize("name, params", [
    ("compute_saliency_maps", ["X", "y", "model"]),
    ("make_fooling_image", ["X", "target_y", "model"]),
    ("class_visualization_update_step", ["img", "model", "target_y", "l2_reg", "learning_rate"]),
    ("jitter", ["X", "ox", "oy"]),
    ("rescale", ["x"]),
])
def test_net_visualization_classic_signatures(name, params):
    from cs231n import net_visualization_pytorch as nv

    fn = getattr(nv, name)
    positional = [p.name for p in inspect.signature(fn).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    assert positional == params, f"{name}{tuple(positional)}: the classic signature is {name}({', '.join(params)})"
    extra = {n: d for n, d in _params(fn).items() if n not in params}
    assert all(d is not inspect.Parameter.empty for d in extra.values()), \
        f"{name}: the extensions {sorted(extra)} need defaults, so classic calls work"
    if name == "make_fooling_image":
        kinds = {p.name: p.kind for p in inspect.signature(fn).parameters.values()}
        assert kinds.get("max_iter") is inspect.Parameter.KEYWORD_ONLY, \
            "make_fooling_image: max_iter is an extension, keyword-only with a default"


def test_net_visualization_classic_defaults():
    from cs231n import net_visualization_pytorch as nv
    from cs231n.data_utils import load_imagenet_val

    assert _params(nv.preprocess) == {"img": inspect.Parameter.empty, "size": 224}, \
        f"preprocess{tuple(_params(nv.preprocess).items())}: the classic is preprocess(img, size=224)"
    assert _params(nv.deprocess) == {"img": inspect.Parameter.empty, "should_rescale": True}, \
        "deprocess: the classic is deprocess(img, should_rescale=True)"
    assert _params(nv.blur_image) == {"X": inspect.Parameter.empty, "sigma": 1}, \
        "blur_image: the classic is blur_image(X, sigma=1)"
    assert list(_params(load_imagenet_val))[:1] == ["num"] and _params(load_imagenet_val)["num"] is None, \
        "load_imagenet_val: the classic is load_imagenet_val(num=None)"
    vis = _params(nv.create_class_visualization)
    assert list(vis)[:3] == ["target_y", "model", "dtype"], \
        f"create_class_visualization{tuple(vis)}: the classic starts (target_y, model, dtype)"
    classic = {"l2_reg": 1e-3, "learning_rate": 25, "num_iterations": 100, "blur_every": 10, "max_jitter": 16,
               "show_every": 25, "generate_plots": True}
    for key, value in classic.items():
        assert vis.get(key) == value, f"create_class_visualization: {key}={vis.get(key)!r}, the classic has {value!r}"


def test_net_visualization_classic_return_types():
    import torch
    from PIL import Image

    from cs231n import net_visualization_pytorch as nv

    img = Image.fromarray(np.random.default_rng(0).integers(0, 256, (30, 40, 3), dtype=np.uint8))
    x = nv.preprocess(img)
    assert torch.is_tensor(x) and x.dtype == torch.float32 and tuple(x.shape) == (1, 3, 224, 298), \
        f"preprocess: {type(x).__name__} {getattr(x, 'shape', None)}; the classic gives a float32 (1, 3, 224, W) tensor"
    picture = nv.deprocess(x.clone())
    assert isinstance(picture, Image.Image) and picture.size == (298, 224), \
        f"deprocess: returned {picture!r}; the classic returns a PIL image"
    X = torch.randn(2, 3, 6, 6)
    assert nv.blur_image(X) is X, "blur_image: the classic blurs in place and returns X"
    assert nv.jitter(X, 2, 1).shape == X.shape, "jitter: the classic keeps the shape"
    torch.manual_seed(0)
    out = nv.create_class_visualization(1, _netvis_tiny_model(), torch.FloatTensor, num_iterations=2,
                                        generate_plots=False)  # the classic passes dtype = torch.FloatTensor
    assert isinstance(out, Image.Image) and out.size == (224, 224), \
        f"create_class_visualization: returned {out!r}; the classic returns a PIL image"


def test_net_visualization_load_imagenet_val_classic_return(monkeypatch):
    from cs231n.data_utils import load_imagenet_val

    monkeypatch.setenv("CS231N_OFFLINE", "1")
    X, y, class_names = load_imagenet_val(num=2)
    assert isinstance(X, np.ndarray) and X.dtype == np.uint8 and X.ndim == 4 and X.shape[0] == 2 and X.shape[3] == 3, \
        f"load_imagenet_val: X is {X.dtype} {X.shape}; the classic gives uint8 (num, H, W, 3)"
    assert y.shape == (2,) and isinstance(class_names, dict) and all(int(c) in class_names for c in y), \
        "load_imagenet_val: the classic returns y (num,) and class_names, a dict from class index to name"
