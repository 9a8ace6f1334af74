"""cs231n.style_transfer_pytorch: each loss against hand-computed values on tiny tensors and against the
expected values stored with the package (values and the gradients each loss sends back to its input),
the classic preprocess/deprocess, the driver on a tiny image and network, and the choice of extractor,
settings and images (the classic archive itself: tests/test_classic_archive.py).

Loss values are compared as values (a 0-d tensor and a one-element tensor are both a scalar loss) with
a relative tolerance of 1e-6 on hand-computed values; against the stored values the tolerance follows
the dtype of the result (float32 rounding for a float32 result, as in a classic solution that
accumulates in a `torch.zeros(1).type(dtype)`); every mistake the hints name is far above it."""

import urllib.error

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from cs231n import style_transfer_pytorch as st
from cs231n.checks import rel_error
from cs231n.checks.gradients import input_gradients, scaled_error, tolerance_for
from cs231n.checks.style_transfer import expected_values, loss_value
from cs231n.data import style_transfer as style_data
from cs231n.data.classic_archive import Archive
from cs231n.image_utils import SQUEEZENET_MEAN, SQUEEZENET_STD, load_image
from cs231n.models.random_features import random_cnn
from cs231n.style_transfer_pytorch import (
    content_loss,
    extract_features,
    gram_matrix,
    style_loss,
    style_transfer,
    tv_loss,
)


def _randn(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


EXPECTED = expected_values()  # the fixed inputs and the course solutions' outputs (float64)


def _close_to_stored(name, value, grads, value_key, grad_keys, *also):
    """The loss value and its input gradients against the stored ones, within the tolerance of the dtypes
    of the value and of `also` (the Gram matrix a style loss is computed from)."""
    tol = tolerance_for(value, *also)
    _close(name, loss_value(value), EXPECTED[value_key], tol)
    for key, grad in zip(grad_keys, grads):
        err = scaled_error(grad, EXPECTED[key])
        assert err <= tol, (f"{name}: the gradient it sends back ({key}) differs from the stored one by {err:.1e} "
                            f"(max |difference| / max, tol {tol:.0e}); keep the autograd graph: no .detach(), "
                            ".item() or numpy inside the loss")


def _close(name, actual, expected, tol=1e-6):
    """Relative error at most tol; a scalar expected value accepts any one-element actual value."""
    actual = np.asarray(actual.detach() if torch.is_tensor(actual) else actual, dtype=np.float64)
    expected = np.asarray(expected.detach() if torch.is_tensor(expected) else expected, dtype=np.float64)
    if expected.ndim == 0 and actual.size == 1:
        actual = actual.reshape(())
    assert actual.shape == expected.shape, f"{name}: shape {actual.shape}, expected {expected.shape}"
    err = rel_error(actual, expected)
    assert err <= tol, f"{name}: rel error {err:.2e} > {tol:.0e}; got {actual}, expected {expected}"


# ---------------------------------------------------------------- content loss

def test_content_loss_matches_hand_computed_value():
    current = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]], dtype=torch.float64)  # (1, 1, 2, 2)
    original = torch.tensor([[[[0.0, 2.0], [1.0, 7.0]]]], dtype=torch.float64)
    # differences 1, 0, 2, -3: squares sum to 14, times the weight 0.5
    _close("content_loss(0.5, ...)", content_loss(0.5, current, original), 7.0)


def test_content_loss_and_its_gradient_match_stored_values():
    e = EXPECTED
    value, grads = input_gradients(lambda F, P: content_loss(e["content_weight"].item(), F, P),
                                   e["content_current"], e["content_original"])
    _close_to_stored("content_loss on (2, 3, 4, 5) features", value, grads[:1], "content_value", ["content_grad"])


def test_content_loss_gradient_is_twice_weighted_difference():
    current = _randn(1, 3, 4, 5, seed=3).requires_grad_(True)
    original = _randn(1, 3, 4, 5, seed=4)
    content_loss(0.7, current, original).backward()
    _close("content_loss gradient wrt content_current", current.grad, 2 * 0.7 * (current - original))


# ---------------------------------------------------------------- Gram matrix

def test_gram_matrix_matches_hand_computed_value():
    features = torch.tensor([[[[1.0, 2.0, 3.0]], [[0.0, 1.0, -1.0]]]], dtype=torch.float64)  # (1, 2, 1, 3)
    raw = np.array([[[14.0, -1.0], [-1.0, 2.0]]])  # sums of products over the 3 positions
    _close("gram_matrix(normalize=False)", gram_matrix(features, normalize=False), raw)
    _close("gram_matrix(normalize=True) divides by H*W*C = 6", gram_matrix(features), raw / 6)


@pytest.mark.parametrize("normalize, key", [(False, "gram_raw"), (True, "gram_normalized")])
def test_gram_matrix_matches_stored_values_on_non_square_batch(normalize, key):
    gram = gram_matrix(EXPECTED["gram_features"], normalize=normalize)  # (2, 3, 4, 5) features
    _close(f"gram_matrix(normalize={normalize}) on (2, 3, 4, 5) features", gram, EXPECTED[key], tolerance_for(gram))


def test_gram_matrix_keeps_the_graph():
    features = _randn(2, 3, 4, 5, seed=6).requires_grad_(True)
    gram_matrix(features).sum().backward()
    # d/dF sum_{c,d} sum_p F_cp F_dp / (HWC) = 2 * (sum_d F_dp) / (HWC)
    expected = 2 * features.sum(dim=1, keepdim=True).expand_as(features) / (4 * 5 * 3)
    err, tol = scaled_error(features.grad, expected), tolerance_for(gram_matrix(features.detach()))
    assert err <= tol, f"gram_matrix gradient wrt features: max |difference| / max = {err:.1e} > {tol:.0e}"


# ---------------------------------------------------------------- style loss

def test_style_loss_matches_hand_computed_value():
    f0 = torch.tensor([[[[1.0, 2.0, 3.0]], [[0.0, 1.0, -1.0]]]], dtype=torch.float64)  # gram [[14,-1],[-1,2]]/6
    f1 = torch.tensor([[[[2.0]]]], dtype=torch.float64)  # (1, 1, 1, 1): gram [[4]]
    feats = [f0, None, f1]  # layer 1 is not a style layer and must not be touched
    targets = [torch.zeros(1, 2, 2, dtype=torch.float64), torch.ones(1, 1, 1, dtype=torch.float64)]
    expected = 10.0 * (14 ** 2 + 1 + 1 + 2 ** 2) / 36 + 3.0 * (4 - 1) ** 2
    _close("style_loss over layers (0, 2)", style_loss(feats, [0, 2], targets, [10.0, 3.0]), expected)


def test_style_loss_and_its_gradient_match_stored_values():
    e = EXPECTED
    targets = [e["style_target0"], e["style_target2"]]
    value, grads = input_gradients(
        lambda f0, f2: style_loss([f0, e["style_feat1"], f2], [0, 2], targets, e["style_weights"].tolist()),
        e["style_feat0"], e["style_feat2"])
    _close_to_stored("style_loss over layers (0, 2) of three", value, grads, "style_value", ["style_grad0", "style_grad2"],
                     gram_matrix(e["style_feat0"]))


def test_style_loss_is_zero_at_its_own_targets():
    feats = [_randn(1, 3, 4, 5, seed=12), _randn(1, 6, 2, 3, seed=13)]
    targets = [gram_matrix(f) for f in feats]
    _close("style_loss when the Gram matrices equal the targets",
           style_loss(feats, [0, 1], targets, [1.0, 1.0]), 0.0)


# ---------------------------------------------------------------- total variation

def test_tv_loss_matches_hand_computed_value():
    img = torch.tensor([[[[1.0, 2.0, 4.0], [0.0, 2.0, 7.0]]]], dtype=torch.float64)  # (1, 1, 2, 3)
    # horizontal: (2-1)^2 + (4-2)^2 + (2-0)^2 + (7-2)^2 = 1 + 4 + 4 + 25 = 34
    # vertical:   (0-1)^2 + (2-2)^2 + (7-4)^2 = 1 + 0 + 9 = 10
    _close("tv_loss(img, 0.5)", tv_loss(img, 0.5), 0.5 * 44)


def test_tv_loss_and_its_gradient_match_stored_values():
    value, grads = input_gradients(lambda x: tv_loss(x, EXPECTED["tv_weight"].item()), EXPECTED["tv_img"])
    _close_to_stored("tv_loss on a (2, 3, 5, 7) batch", value, grads, "tv_value", ["tv_grad"])


def _graph_size(tensor):
    seen, stack = set(), [tensor.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        stack.extend(next_fn for next_fn, _ in node.next_functions)
    return len(seen)


def test_tv_loss_has_no_python_loops_over_pixels():
    # A vectorised loss builds the same few autograd nodes whatever the image size; a loop over rows,
    # columns or pixels adds nodes with every one of them.
    small = _graph_size(tv_loss(_randn(1, 3, 4, 4, seed=15).requires_grad_(True), 1.0))
    large = _graph_size(tv_loss(_randn(1, 3, 32, 24, seed=16).requires_grad_(True), 1.0))
    assert large == small, (
        f"tv_loss: its autograd graph has {small} nodes for a 4x4 image and {large} for 32x24; "
        "compute the differences of whole shifted slices of the image at once, not loops over pixels")


def test_loss_value_takes_a_0d_or_one_element_loss_as_a_scalar():
    for loss in (torch.tensor(2.5), torch.tensor([2.5]), torch.tensor([2.5], requires_grad=True) * 1, 2.5):
        value = loss_value(loss)
        assert value.shape == () and value.dtype == np.float64 and value == 2.5, f"loss_value({loss!r}) = {value!r}"
    assert loss_value(torch.ones(2, 3)).shape == (2, 3), "loss_value: a larger loss must keep its shape"


# ---------------------------------------------------------------- features and the driver

def _tiny_cnn():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(4, 6, 3, padding=1), nn.ReLU()).eval().requires_grad_(False)


def test_extract_features_returns_every_module_output():
    cnn, x = _tiny_cnn(), torch.randn(2, 3, 8, 6)
    feats = extract_features(x, cnn)
    assert [tuple(f.shape) for f in feats] == [(2, 4, 8, 6), (2, 4, 8, 6), (2, 4, 4, 3), (2, 6, 4, 3),
                                               (2, 6, 4, 3)], "extract_features: wrong number or shapes"
    _close("extract_features last output", feats[-1], cnn(x), tol=1e-6)


@pytest.fixture
def image_files(tmp_path):
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:20, 0:24]
    content = np.stack([xx * 10, yy * 12, (xx + yy) * 5], axis=-1).clip(0, 255).astype(np.uint8)
    style = rng.integers(0, 256, size=(16, 16, 3), dtype=np.uint8)
    Image.fromarray(content).save(tmp_path / "content.png")
    Image.fromarray(style).save(tmp_path / "style.png")
    return str(tmp_path / "content.png"), str(tmp_path / "style.png")


@pytest.mark.parametrize("optimizer", ["adam", "lbfgs"])
def test_style_transfer_lowers_the_total_loss(image_files, optimizer):
    content, style = image_files
    result = style_transfer(content, style, image_size=16, style_size=16, content_layer=3, content_weight=1.0,
                            style_layers=(1, 4), style_weights=(100.0, 100.0), tv_weight=1e-3,
                            init_random=True, cnn=_tiny_cnn(), optimizer=optimizer, num_iters=15,
                            learning_rate=0.05, decay_lr_at=100)
    total = result["losses"].sum(axis=1)
    assert total[-1] < 0.5 * total[0], (
        f"style_transfer ({optimizer}): total loss {total[0]:.4g} -> {total[-1]:.4g} in {len(total)} steps; "
        "check content_loss, style_loss and tv_loss keep the autograd graph")
    assert result["image"].dtype == np.uint8 and result["image"].shape == (16, 19, 3), (
        f"style_transfer: result image {result['image'].dtype} {result['image'].shape}")


def test_style_transfer_names_a_missing_image(image_files, tmp_path):
    with pytest.raises(FileNotFoundError, match="no_such_style.jpg"):
        style_transfer(image_files[0], str(tmp_path / "no_such_style.jpg"), 16, 16, 3, 1.0, (1,), (1.0,),
                       0.0, cnn=_tiny_cnn(), num_iters=1)


def test_style_transfer_rejects_a_file_that_is_not_an_image(image_files, tmp_path):
    bogus = tmp_path / "notes.jpg"
    bogus.write_text("not a picture")
    with pytest.raises(ValueError, match="notes.jpg"):
        style_transfer(str(bogus), image_files[1], 16, 16, 3, 1.0, (1,), (1.0,), 0.0, cnn=_tiny_cnn(),
                       num_iters=1)


def test_random_cnn_is_fixed_by_its_seed():
    x = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    a, b, c = random_cnn(0)(x), random_cnn(0)(x), random_cnn(1)(x)
    assert torch.equal(a, b), "random_cnn(0) differs between two calls"
    assert not torch.allclose(a, c), "random_cnn(0) and random_cnn(1) agree"
    assert all(not p.requires_grad for p in random_cnn(0).parameters()), "random_cnn parameters not frozen"


# ---------------------------------------------------------------- classic preprocess and deprocess

def _odd_image(seed=0, size=(37, 23)):
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, size=(size[1], size[0], 3), dtype=np.uint8))


@pytest.mark.parametrize("size", [512, 16, 100])
def test_preprocess_is_the_classic_torchvision_pipeline(size):
    from torchvision import transforms as T

    img = _odd_image()
    classic = T.Compose([T.Resize(size), T.ToTensor(),
                         T.Normalize(mean=SQUEEZENET_MEAN.tolist(), std=SQUEEZENET_STD.tolist()),
                         T.Lambda(lambda x: x[None])])(img)
    ours = st.preprocess(img, size=size) if size != 512 else st.preprocess(img)
    assert ours.shape == classic.shape and ours.dtype == torch.float32, (ours.shape, ours.dtype)
    assert float((ours - classic).abs().max()) <= 1e-5, "preprocess differs from the classic pipeline"
    from_array = st.preprocess(np.asarray(img), size=size)
    assert float((from_array - classic).abs().max()) <= 1e-5, "preprocess of a uint8 array differs"


@pytest.mark.parametrize("size", [9, 30])
def test_load_image_resizes_the_shorter_side_as_torchvision_does(tmp_path, size):
    from torchvision import transforms as T

    img = _odd_image(seed=2)  # 37 x 23
    img.save(tmp_path / "odd.png")
    expected = np.asarray(T.Resize(size)(img))
    got = load_image(tmp_path / "odd.png", size)
    assert got.shape == expected.shape and np.array_equal(got, expected), (
        f"load_image(size={size}): {got.shape}, torchvision's Resize gives {expected.shape} "
        f"(max difference {np.abs(got.astype(int) - expected).max() if got.shape == expected.shape else '-'})")


def test_deprocess_returns_the_rescaled_pil_image():
    x = st.preprocess(_odd_image(seed=1), size=20)  # (1, 3, 20, W)
    out = st.deprocess(x)
    assert isinstance(out, Image.Image) and out.mode == "RGB" and out.size == (x.shape[3], x.shape[2])
    pixels = np.asarray(out).astype(np.float64)
    raw = x[0].double() * torch.tensor(SQUEEZENET_STD).view(3, 1, 1) + torch.tensor(SQUEEZENET_MEAN).view(3, 1, 1)
    stretched = ((raw - raw.min()) / (raw.max() - raw.min())).permute(1, 2, 0).numpy() * 255
    assert pixels.min() == 0 and pixels.max() == 255, "deprocess must stretch the values onto [0, 1]"
    assert np.abs(pixels - stretched).max() <= 1.0, "deprocess: wrong values after undoing the normalisation"


def test_features_from_img_returns_features_and_the_preprocessed_image(image_files):
    cnn = _tiny_cnn()
    feats, img = st.features_from_img(image_files[0], 10, cnn)
    assert torch.equal(img, st.preprocess(load_image(image_files[0]), size=10))
    assert len(feats) == len(cnn) and torch.equal(feats[-1], cnn(img))


# ---------------------------------------------------------------- choosing extractor, settings and images

def _no_archive(tmp_path):
    """An Archive nobody serves (a closed port on 127.0.0.1): fetching it is 'offline' at once."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return Archive(url=f"http://127.0.0.1:{port}/a3.zip", size=1, sha256="0" * 64,
                   members={"assignment3/styles/tubingen.jpg": (1, "0" * 64)})


def test_setup_uses_the_embedded_default_when_offline(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("CS231N_OFFLINE", "1")
    monkeypatch.setenv("CS231N_DATASETS", str(tmp_path))
    monkeypatch.setattr(style_data, "load_squeezenet",
                        lambda: pytest.fail("tried to fetch SqueezeNet although CS231N_OFFLINE=1"))
    setup = style_data.load_style_transfer_setup(device="cpu")
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2, lines
    assert "embedded default" in lines[0] and "CS231N_OFFLINE=1" in lines[0], lines[0]
    assert "embedded default" in lines[1] and "offline" in lines[1], lines[1]
    assert setup.params == style_data.PARAMS["random"] and len(setup.cnn) == len(random_cnn())
    assert setup.answers is None and setup.label == "random-weight features, embedded images"
    assert not (tmp_path / "styles").exists(), "an offline setup must not create folders"
    for name, (content, style) in setup.images.items():
        for path in (content, style):
            assert load_image(path).ndim == 3, f"{name}: {path} is not an RGB image"


def test_setup_falls_back_when_the_weights_cannot_be_downloaded(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("CS231N_OFFLINE", raising=False)
    monkeypatch.setenv("CS231N_DATASETS", str(tmp_path))
    monkeypatch.setenv("no_proxy", "*")

    def unreachable():
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(style_data, "load_squeezenet", unreachable)
    setup = style_data.load_style_transfer_setup(device="cpu", archive=_no_archive(tmp_path))
    features_line, images_line = capsys.readouterr().out.strip().splitlines()
    assert "offline" in features_line and "random-weight" in features_line, features_line
    assert "offline" in images_line, images_line
    assert all(p["optimizer"] == "lbfgs" for p in setup.params.values())


def _fake_squeezenet():
    """Stands in for load_squeezenet: a model whose .features is the tiny CNN, and 1000 class names."""
    model = nn.Module()
    model.features = _tiny_cnn()
    return model, [f"class {i}" for i in range(1000)]


def test_classic_settings_of_each_run_with_squeezenet(monkeypatch, tmp_path):
    monkeypatch.delenv("CS231N_OFFLINE", raising=False)
    monkeypatch.setenv("CS231N_DATASETS", str(tmp_path))
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setattr(style_data, "load_squeezenet", _fake_squeezenet)
    params = style_data.load_style_transfer_setup(device="cpu", archive=_no_archive(tmp_path)).params
    # The classic notebook's params1, params2, params3 and its inversion (params3, no style, noise).
    expected = {
        "transfer1": (512, 5e-2, (20000, 500, 12, 1), 5e-2, False),
        "transfer2": (224, 3e-2, (200000, 800, 12, 1), 2e-2, False),
        "transfer3": (192, 6e-2, (300000, 1000, 15, 3), 2e-2, False),
        "inversion": (192, 6e-2, (0, 0, 0, 0), 2e-2, True),
    }
    for run, (style_size, cw, sw, tv, init_random) in expected.items():
        p = params[run]
        got = (p["style_size"], p["content_weight"], tuple(p["style_weights"]), p["tv_weight"],
               p.get("init_random", False))
        assert got == (style_size, cw, sw, tv, init_random), f"{run}: {got}"
        assert (p["image_size"], p["content_layer"], tuple(p["style_layers"])) == (192, 3, (1, 4, 6, 7)), run
        assert (p["optimizer"], p["num_iters"]) == ("adam", 200), run
        assert p.get("learning_rate", 3.0) == 3.0 and p.get("decayed_lr", 0.1) == 0.1, run
        assert p.get("decay_lr_at", 180) == 180, run
    assert params["texture"]["content_weight"] == 0 and params["texture"]["init_random"]


def test_adam_loop_is_the_classic_schedule(monkeypatch, image_files):
    """lr 3.0 for steps 0..180 (the optimiser is replaced after step 180's gradient), 0.1 after; the
    image clamped to [-1.5, 1.5] before each of the first num_iters - 10 steps."""
    made = []
    real_adam = torch.optim.Adam

    def recording_adam(params, lr):
        made.append(lr)
        return real_adam(params, lr=lr)

    monkeypatch.setattr(torch.optim, "Adam", recording_adam)
    content, style = image_files
    style_transfer(content, style, 16, 16, 3, 1.0, (1,), (1.0,), 0.0, cnn=_tiny_cnn(), num_iters=3,
                   decay_lr_at=1)
    assert made == [3.0, 0.1], f"Adam learning rates {made}, expected [3.0, 0.1]"
