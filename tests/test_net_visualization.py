"""cs231n.net_visualization_pytorch: the four blanks against the expected values stored with the package
(cs231n/checks/net_visualization_expected.npz: a small CNN with stored weights, its images, and the course
solutions' outputs), and properties every correct solution has on a tiny seeded CNN; the given driver,
image helpers and loader."""

import numpy as np
import pytest
import torch
from PIL import Image
from scipy.ndimage import gaussian_filter
from torch import nn

from cs231n import net_visualization_pytorch as nv
from cs231n.checks.net_visualization import CallLimit, check_model, expected_values, update_step_geometry
from cs231n.data import net_visualization as netvis_data
from cs231n.models.normalization import IMAGENET_MEAN, IMAGENET_STD
from cs231n.net_visualization_pytorch import (
    blur_image,
    class_visualization_update_step,
    compute_saliency_maps,
    create_class_visualization,
    deprocess,
    grad_cam,
    jitter,
    make_fooling_image,
    preprocess,
    rescale,
)

C = 5  # classes of the tiny model


class TinyNet(nn.Module):
    """features (conv, ReLU, pool, conv, ReLU) then a head: the shape of SqueezeNet and SceneNet."""

    def __init__(self, num_classes=C):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(6, 8, 3, padding=1), nn.ReLU())
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(32, num_classes))

    def forward(self, x):
        return self.head(self.features(x))


@pytest.fixture
def model():
    torch.manual_seed(0)
    return TinyNet().double().eval()


@pytest.fixture
def images():
    torch.manual_seed(1)
    X = torch.randn(4, 3, 8, 8, dtype=torch.float64)
    y = torch.tensor([0, 3, 1, 4])
    return X, y


EXPECTED = expected_values()


@pytest.mark.parametrize("y_key, key", [("y", "saliency"), ("y_other", "saliency_other")])
def test_saliency_matches_stored_values(y_key, key):
    X, y = EXPECTED["X"], EXPECTED[y_key]
    saliency = compute_saliency_maps(X, y, check_model())
    assert saliency.shape == (4, 16, 16), f"compute_saliency_maps: shape {tuple(saliency.shape)}, expected (4, 16, 16)"
    err = ((saliency - EXPECTED[key]).abs().max() / EXPECTED[key].abs().max()).item()
    assert err < 1e-10, (f"compute_saliency_maps: differs from the stored maps for classes {y.tolist()} by {err:.2e} "
                         "of their peak (tol 1e-10): the correct class's score, |gradient|, max over channels")


def test_saliency_uses_the_given_class(model, images):
    X, y = images
    other = (y + 1) % C
    diff = (compute_saliency_maps(X, y, model) - compute_saliency_maps(X, other, model)).abs().max().item()
    assert diff > 1e-6, "compute_saliency_maps: the map does not depend on y (is the correct-class score used?)"


def test_saliency_of_a_batch_is_the_saliency_of_each_image(model, images):
    # In eval mode image n's score depends only on image n: one map per image, whatever the batch.
    X, y = images
    batch = compute_saliency_maps(X, y, model)
    alone = torch.cat([compute_saliency_maps(X[i:i + 1], y[i:i + 1], model) for i in range(len(X))])
    err = (batch - alone).abs().max().item()
    assert err < 1e-12, f"compute_saliency_maps: a batch of 4 differs from the images one at a time by {err:.2e}"


def _first_other_class(model, x):
    with torch.no_grad():
        predicted = model(x).argmax(1).item()
    return predicted, (predicted + 2) % C


def _limited(model):
    """The model, raising a clear error instead of letting a loop that never stops hang the run (a
    correct make_fooling_image needs under 50 steps here, each a call or two; the classic loops until
    fooled)."""
    return CallLimit(model, max_calls=300)


def test_fooling_image_is_classified_as_target(model, images):
    x = images[0][:1]
    predicted, target = _first_other_class(model, x)
    X_fooling = make_fooling_image(x, target, _limited(model), learning_rate=0.2)
    with torch.no_grad():
        now = model(X_fooling).argmax(1).item()
    assert now == target, f"make_fooling_image: the model predicts {now}, not the target {target}"
    assert torch.equal(x, images[0][:1]), "make_fooling_image: the input image was modified in place"


def test_fooling_image_stops_as_soon_as_fooled():
    # The stored result: normalised steps of 0.2 from image 0 of the check model, stopping at the first
    # step the model predicts the target (29 steps here).
    e = EXPECTED
    target, steps = int(e["fool_target"]), int(e["fool_steps"])
    X_fooling = make_fooling_image(e["X"][:1], target, CallLimit(check_model(), 10 * steps),
                                   learning_rate=float(e["fool_learning_rate"]))
    err = (X_fooling - e["fool_result"]).abs().max().item()
    assert err < 1e-10, (f"make_fooling_image: differs by {err:.2e} from normalised gradient ascent that stops at "
                         f"the first fooled step ({steps} steps here; too many steps, or unnormalised ones?)")


def test_fooling_image_returns_input_when_already_fooled(model, images):
    x = images[0][:1]
    predicted, _ = _first_other_class(model, x)
    X_fooling = make_fooling_image(x, predicted, _limited(model))
    assert torch.equal(X_fooling, x), "make_fooling_image: changed an image the model already assigns to the target"


def test_call_limit_turns_a_loop_that_never_stops_into_an_error(model, images):
    limited = CallLimit(model, max_calls=3)
    for _ in range(3):
        limited(images[0][:1])
    with pytest.raises(RuntimeError, match="called the model 3 times without stopping"):
        limited(images[0][:1])


@pytest.mark.parametrize("learning_rate", [0.1, 3.0])
def test_update_step_is_ascent_along_the_regularised_gradient(learning_rate):
    """The classic asks for "a gradient step": plain (learning_rate * g) or normalised
    (learning_rate * g / ||g||) are both correct; the step must be parallel to g with one of those lengths
    (g stored: the gradient of s_y - l2_reg * ||I||^2 on the check model's image 0)."""
    geometry = update_step_geometry(class_visualization_update_step, learning_rate)
    assert abs(geometry.plain / learning_rate - 1) > 0.5, "test set-up: ||g|| near 1 cannot tell the lengths apart"
    assert geometry.cosine > 1 - 1e-9, (f"class_visualization_update_step: the step makes cosine {geometry.cosine:.6f} "
                                        "with the gradient of s_y - l2_reg * ||I||^2 (a sign, or the L2 term with "
                                        "its factor 2?)")
    assert geometry.length_ok, (
        f"class_visualization_update_step: step length {geometry.length:.6g}; expected learning_rate * ||g|| = "
        f"{geometry.plain:.6g} (plain step) or learning_rate = {geometry.normalised:.6g} (normalised step)")


def test_update_step_raises_target_score(model, images):
    img = images[0][:1].clone().requires_grad_(True)
    with torch.no_grad():
        before = model(img)[0, 2].item()
    class_visualization_update_step(img, model, 2, l2_reg=0.0, learning_rate=0.01)
    with torch.no_grad():
        after = model(img)[0, 2].item()
    assert after > before, f"class_visualization_update_step: target score went from {before:.4f} to {after:.4f}"


def test_grad_cam_shape_range_and_nonnegative(model, images):
    X, y = images
    cam = grad_cam(X, y, model, model.features[-1])
    assert cam.shape == (4, 8, 8), f"grad_cam: shape {tuple(cam.shape)}, expected (4, 8, 8)"
    assert cam.min().item() >= 0, f"grad_cam: negative value {cam.min().item():.3g} (missing ReLU?)"
    assert cam.max().item() <= 1 + 1e-12, f"grad_cam: value {cam.max().item():.3g} above 1"


@pytest.mark.parametrize("y_key, key", [("y", "grad_cam"), ("y_other", "grad_cam_other")])
def test_grad_cam_matches_stored_values(y_key, key):
    model = check_model()
    cam = grad_cam(EXPECTED["X"], EXPECTED[y_key], model, model.features[-1])
    assert cam.shape == (4, 16, 16), f"grad_cam: shape {tuple(cam.shape)}, expected (4, 16, 16)"
    err = (cam - EXPECTED[key]).abs().max().item()
    assert err < 1e-10, (f"grad_cam: differs from the stored maps for classes {EXPECTED[y_key].tolist()} by {err:.2e} "
                         "(tol 1e-10): alpha = gradient averaged over (h, w), ReLU after the weighted sum, bilinear "
                         "upsampling with align_corners=False")


def test_grad_cam_works_with_frozen_parameters(model, images):
    X, y = images
    frozen = TinyNet().double().eval()
    frozen.load_state_dict(model.state_dict())
    frozen.requires_grad_(False)
    err = (grad_cam(X, y, frozen, frozen.features[-1]) - grad_cam(X, y, model, model.features[-1])).abs().max()
    assert err.item() < 1e-12, "grad_cam: result changes when the model's parameters are frozen"


def test_no_function_changes_the_model(model, images):
    X, y = images
    before = {k: v.clone() for k, v in model.state_dict().items()}
    compute_saliency_maps(X, y, model)
    _, target = _first_other_class(model, X[:1])
    make_fooling_image(X[:1], target, _limited(model), learning_rate=0.2)
    class_visualization_update_step(X[:1].clone().requires_grad_(True), model, 1, 1e-3, 1.0)
    grad_cam(X, y, model, model.features[-1])
    torch.manual_seed(0)
    create_class_visualization(1, model, torch.float64, size=8, num_iterations=3, max_jitter=2,
                               generate_plots=False)
    for name, value in model.state_dict().items():
        assert torch.equal(value, before[name]), f"net visualization: parameter {name} was changed"
    assert not model.training, "net visualization: the model was switched to training mode"


def test_create_class_visualization_raises_target_score(model):
    torch.manual_seed(0)
    start = torch.randn(1, 3, 16, 16, dtype=torch.float64)  # the noise it starts from (same seed)
    torch.manual_seed(0)
    result = create_class_visualization(3, model, torch.float64, size=16, num_iterations=30,
                                        learning_rate=2.0, max_jitter=2, generate_plots=False)
    assert isinstance(result, Image.Image) and result.size == (16, 16), \
        f"create_class_visualization: expected a 16x16 PIL image, got {result!r}"
    with torch.no_grad():
        before = model(start)[0, 3].item()
        after = model(preprocess(result, size=None).double())[0, 3].item()
    assert after > before, f"create_class_visualization: target score {before:.3f} -> {after:.3f}, not higher"


def _longer_step(img, model, target_y, l2_reg, learning_rate):
    """The student's step, made 7.3 times as long: a plain gradient step differs from a normalised one
    only by its length, which the driver rescales."""
    before = img.detach().clone()
    class_visualization_update_step(img, model, target_y, l2_reg, learning_rate)
    with torch.no_grad():
        img.copy_(before + 7.3 * (img - before))


def test_create_class_visualization_same_picture_whatever_the_step_length(model, monkeypatch):
    settings = dict(size=16, num_iterations=12, learning_rate=2.0, max_jitter=2, generate_plots=False)
    torch.manual_seed(0)
    normal = np.asarray(create_class_visualization(3, model, torch.float64, **settings), dtype=int)
    monkeypatch.setattr(nv, "class_visualization_update_step", _longer_step)
    torch.manual_seed(0)
    longer = np.asarray(create_class_visualization(3, model, torch.float64, **settings), dtype=int)
    diff = np.abs(longer - normal).max()
    assert diff <= 1, f"create_class_visualization: a longer step gives another picture ({diff} grey levels)"


@pytest.mark.parametrize("size", [(37, 53), (64, 31), (301, 225)])
def test_preprocess_is_the_classic_torchvision_pipeline(size):
    from torchvision import transforms as T

    rng = np.random.default_rng(sum(size))
    img = Image.fromarray(rng.integers(0, 256, (*size, 3), dtype=np.uint8))
    for target in (224, 19):
        classic = T.Compose([T.Resize(target), T.ToTensor(),
                             T.Normalize(mean=IMAGENET_MEAN.tolist(), std=IMAGENET_STD.tolist()),
                             T.Lambda(lambda x: x[None])])(img)
        ours = preprocess(img, size=target)
        assert ours.shape == classic.shape, f"preprocess: shape {tuple(ours.shape)}, classic {tuple(classic.shape)}"
        err = (ours - classic).abs().max().item()
        assert err < 1e-5, f"preprocess: differs from Resize({target}), ToTensor, Normalize by {err:.2e} on {size}"
        assert torch.equal(preprocess(np.asarray(img), size=target), ours), "preprocess: array and PIL input differ"


def test_deprocess_returns_a_pil_image_rescaled_by_default():
    x = torch.linspace(-1, 1, 3 * 5 * 7).reshape(1, 3, 5, 7)
    picture = deprocess(x)
    assert isinstance(picture, Image.Image) and picture.size == (7, 5), f"deprocess: returned {picture!r}"
    values = np.asarray(picture)
    assert values.min() == 0 and values.max() == 255, \
        f"deprocess: the classic default rescales to [0, 1], got {values.min()}..{values.max()}"


def test_preprocess_deprocess_round_trip():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (12, 16, 3), dtype=np.uint8)
    x = preprocess(img, size=None)
    assert x.shape == (1, 3, 12, 16) and x.dtype == torch.float32, f"preprocess: got {tuple(x.shape)} {x.dtype}"
    back = np.asarray(deprocess(x, should_rescale=False))
    err = np.abs(back.astype(int) - img).max()
    assert err <= 1, f"deprocess(preprocess(img)): differs from img by {err} grey levels"


def test_preprocess_normalises_and_resizes_shorter_side():
    img = np.full((12, 16, 3), 255, dtype=np.uint8)
    x = preprocess(Image.fromarray(img), size=6)
    assert x.shape == (1, 3, 6, 8), f"preprocess: shape {tuple(x.shape)}, expected (1, 3, 6, 8)"
    expected = (1 - IMAGENET_MEAN) / IMAGENET_STD
    err = np.abs(x[0, :, 0, 0].numpy() - expected).max()
    assert err < 1e-5, f"preprocess: white pixel normalised wrongly by {err:.2e}"


def test_rescale_maps_onto_unit_interval():
    out = rescale(torch.tensor([-2.0, 0.0, 6.0]))
    assert torch.allclose(out, torch.tensor([0.0, 0.25, 1.0])), f"rescale: got {out.tolist()}"


def test_jitter_is_a_circular_shift_and_inverts():
    X = torch.arange(2 * 3 * 4 * 5, dtype=torch.float32).reshape(2, 3, 4, 5)
    shifted = jitter(X, 2, 1)
    expected = np.roll(X.numpy(), shift=(1, 2), axis=(2, 3))
    assert np.array_equal(shifted.numpy(), expected), "jitter: not a shift right by ox and down by oy"
    assert torch.equal(jitter(shifted, -2, -1), X), "jitter: shifting back by (-ox, -oy) does not restore X"


def test_blur_image_is_gaussian_over_space_in_place():
    X = torch.zeros(1, 3, 9, 9, dtype=torch.float64)
    X[0, 1, 4, 4] = 1.0
    out = blur_image(X, sigma=1.0)
    assert out is X, "blur_image: should blur X in place and return it"
    expected = gaussian_filter(np.eye(9)[4][:, None] * np.eye(9)[4][None, :], 1.0)
    assert np.allclose(X[0, 1].numpy(), expected), "blur_image: not a Gaussian blur over height and width"
    assert X[0, 0].abs().max() == 0, "blur_image: blurred across channels"



# --- load_model_and_images: which model and images, and never a mix of the two ----------------------


@pytest.fixture
def fake_models(monkeypatch):
    """Stand-ins for SqueezeNet and the scene classifier, so no test downloads or trains anything."""
    calls = {"squeezenet": 0}

    def fake_squeezenet():
        calls["squeezenet"] += 1
        return TinyNet(num_classes=1000), [f"imagenet class {i}" for i in range(1000)]

    def fake_scene_classifier(verbose=True):
        return TinyNet(num_classes=30), [f"scene class {i}" for i in range(30)]

    monkeypatch.setattr(netvis_data, "load_squeezenet", fake_squeezenet)
    monkeypatch.setattr(netvis_data, "load_scene_classifier", fake_scene_classifier)
    return calls


def test_loader_offline_forced_uses_scenes_without_network(fake_models, monkeypatch, capsys):
    monkeypatch.setenv("CS231N_OFFLINE", "1")
    model, X, y, names, source = netvis_data.load_model_and_images(num=5, device="cpu")
    line = capsys.readouterr().out
    assert fake_models["squeezenet"] == 0, "load_model_and_images: tried SqueezeNet although CS231N_OFFLINE=1"
    assert source == "scenes" and X.shape == (5, 64, 64, 3) and X.dtype == np.uint8, \
        f"load_model_and_images: offline gave {source} {X.shape} {X.dtype}"
    assert len(names) == 30 and y.max() < 30, "load_model_and_images: scene labels out of the model's classes"
    assert "NOT ImageNet" in line and "scene classifier" in line, f"load_model_and_images: printed {line!r}"
    assert not any(p.requires_grad for p in model.parameters()), "load_model_and_images: parameters not frozen"


def test_loader_real_path_pairs_squeezenet_with_imagenet_images(fake_models, monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("CS231N_OFFLINE", raising=False)
    monkeypatch.setenv("CS231N_DATASETS", str(tmp_path))
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "imagenet_val_25.npz", X=rng.integers(0, 256, (3, 224, 224, 3), dtype=np.uint8),
             y=np.array([1, 500, 999]), label_map=np.array({i: f"name {i}" for i in range(1000)}))
    model, X, y, names, source = netvis_data.load_model_and_images(num=2, device="cpu")
    line = capsys.readouterr().out
    assert source == "imagenet" and X.shape == (2, 224, 224, 3), f"load_model_and_images: got {source} {X.shape}"
    assert list(y) == [1, 500] and len(names) == 1000, "load_model_and_images: wrong labels or class names"
    assert "SqueezeNet 1.1" in line and "ImageNet validation images" in line, f"printed {line!r}"


def test_loader_never_pairs_squeezenet_with_scenes(fake_models, monkeypatch, tmp_path, capsys):
    from cs231n.data import download as dl

    def offline(*args, **kwargs):
        raise dl.OfflineError("Cannot reach cs231n.stanford.edu (DNS lookup failed)")

    monkeypatch.delenv("CS231N_OFFLINE", raising=False)
    monkeypatch.setenv("CS231N_DATASETS", str(tmp_path))
    monkeypatch.setattr(dl, "download", offline)
    model, X, y, names, source = netvis_data.load_model_and_images(num=3, device="cpu")
    line = capsys.readouterr().out
    assert source == "scenes" and len(names) == 30 and X.shape[1:] == (64, 64, 3), \
        "load_model_and_images: without ImageNet images it must use the scene classifier too"
    assert "offline" in line and "NOT ImageNet" in line, f"load_model_and_images: printed {line!r}"
