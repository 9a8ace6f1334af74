"""The real model path of network visualization, end to end without internet.

SqueezeNet 1.1 comes through torchvision's weights API from its own cache, which the test seeds under a
temporary TORCH_HOME with a state dict of the right shapes (random values) under the file name
torchvision expects (`squeezenet1_1-b8a52dc0.pth`: torchvision checks that hash prefix against the
bytes only when it downloads, never for a file already cached). The 25 ImageNet images come from a
local HTTP server. So load_model_and_images takes its real branch, and every notebook function runs on
SqueezeNet at 224 px, one test per function (a failure names the function it is about). Their values
are checked by tests/test_net_visualization.py; here, properties any correct solution has at that size.
Then each way the weights can fail (unreachable, HTTP error, a download that fails torchvision's hash
check, a corrupted cache file), with its one-line message and the fallback.
"""

import io
import socket
import urllib.parse
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn
from torchvision.models import SqueezeNet1_1_Weights, squeezenet1_1

from cs231n import net_visualization_pytorch as nv
from cs231n.data import imagenet_val
from cs231n.data import net_visualization as netvis_data
from cs231n.checks.net_visualization import CallLimit
from cs231n.data.download import DownloadError, OfflineError
from cs231n.data.pretrained import load_squeezenet
from _notebook import code_cells, exec_cells

WEIGHTS = SqueezeNet1_1_Weights.IMAGENET1K_V1
WEIGHTS_FILE = Path(urllib.parse.urlparse(WEIGHTS.url).path).name


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path, local_network, one_torch_thread):
    """local_network (tests/conftest.py), and torchvision's cache under tmp_path/torch."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))


@pytest.fixture
def checkpoints(tmp_path):
    """Where torchvision caches downloaded weights: $TORCH_HOME/hub/checkpoints."""
    path = tmp_path / "torch" / "hub" / "checkpoints"
    assert Path(torch.hub.get_dir()) / "checkpoints" == path, "test set-up: TORCH_HOME not honoured"
    return path


def _random_state():
    torch.manual_seed(0)
    return squeezenet1_1(weights=None).state_dict()


def _state_bytes(state):
    buf = io.BytesIO()
    torch.save(state, buf)
    return buf.getvalue()


@pytest.fixture
def imagenet_file(server, monkeypatch):
    """imagenet_val_25.npz of the real format (3 images here), served from 127.0.0.1."""
    rng = np.random.default_rng(0)
    arrays = {"X": rng.integers(0, 256, (3, 224, 224, 3), dtype=np.uint8), "y": np.array([1, 500, 999]),
              "label_map": np.array({i: f"class {i}" for i in range(1000)})}
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    monkeypatch.setattr(imagenet_val, "IMAGENET_VAL_URL", server.add("/imagenet_val_25.npz", buf.getvalue()))
    return arrays


@pytest.fixture
def scene_stand_in(monkeypatch):
    """The embedded default's classifier without training it: a tiny CNN with 30 classes."""
    def load_scene_classifier(verbose=True):
        torch.manual_seed(0)
        model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                              nn.Linear(4, 30))
        return model, [f"scene class {i}" for i in range(30)]

    monkeypatch.setattr(netvis_data, "load_scene_classifier", load_scene_classifier)


@pytest.fixture
def real_path(checkpoints, imagenet_file, capsys):
    """load_model_and_images on its real branch: (model, X (2, 3, 224, 224), ranked classes (2, 1000)),
    after checking what it loaded and printed."""
    state = _random_state()
    checkpoints.mkdir(parents=True)
    (checkpoints / WEIGHTS_FILE).write_bytes(_state_bytes(state))

    model, X_raw, y_raw, names, source = netvis_data.load_model_and_images(num=2, device="cpu")
    line = capsys.readouterr().out
    assert source == "imagenet" and X_raw.shape == (2, 224, 224, 3), f"load_model_and_images: {source} {X_raw.shape}"
    assert "SqueezeNet 1.1" in line and "ImageNet validation images" in line and "NOT" not in line, line
    assert list(y_raw) == [1, 500] and names[0] == "tench" and len(names) == 1000, "wrong labels or class names"
    assert torch.equal(model.features[0].weight, state["features.0.weight"]), \
        "load_model_and_images: SqueezeNet did not get the weights in torchvision's cache"
    X = torch.cat([nv.preprocess(x, size=224) for x in X_raw])  # (2, 3, 224, 224)
    with torch.no_grad():
        ranked = model(X).argsort(dim=1, descending=True)  # random weights: explain classes with a gradient
    return model, X, ranked


def test_real_path_saliency_on_squeezenet_at_224(real_path):
    model, X, ranked = real_path
    saliency = nv.compute_saliency_maps(X, ranked[:, 0], model)
    assert saliency.shape == (2, 224, 224), f"compute_saliency_maps on SqueezeNet: shape {tuple(saliency.shape)}"
    alone = torch.cat([nv.compute_saliency_maps(X[i:i + 1], ranked[i:i + 1, 0], model) for i in range(2)])
    err = ((saliency - alone).abs().max() / alone.abs().max()).item()
    assert saliency.min() >= 0 and err < 1e-4, \
        f"compute_saliency_maps on SqueezeNet: min {saliency.min():.2e}; batch vs one image at a time {err:.1e}"


def test_real_path_grad_cam_on_squeezenet_at_224(real_path):
    model, X, ranked = real_path
    cam = nv.grad_cam(X, ranked[:, 0], model, model.features[-1])
    assert cam.shape == (2, 224, 224), f"grad_cam on SqueezeNet: shape {tuple(cam.shape)}"
    alone = torch.cat([nv.grad_cam(X[i:i + 1], ranked[i:i + 1, 0], model, model.features[-1]) for i in range(2)])
    err = (cam - alone).abs().max().item()
    assert cam.min() >= 0 and cam.max() <= 1 + 1e-6 and err < 1e-4, \
        f"grad_cam on SqueezeNet: values {cam.min():.2e}..{cam.max():.4f}; batch vs one image at a time {err:.1e}"


def test_real_path_update_step_on_squeezenet_at_224(real_path):
    model, X, ranked = real_path
    target, l2_reg = int(ranked[0, 0]), 1e-3

    def objective(img):
        with torch.no_grad():
            return (model(img)[0, target] - l2_reg * img.square().sum()).item()

    img = X[:1].clone().requires_grad_(True)
    nv.class_visualization_update_step(img, model, target, l2_reg, 1e-3)
    step = img.detach() - X[:1]
    assert step.norm() > 0, "class_visualization_update_step on SqueezeNet: the image did not change"
    unit = step / step.norm()  # the regularised score must rise along the step (its first-order change)
    rise = objective(X[:1] + 1e-2 * unit) - objective(X[:1] - 1e-2 * unit)
    assert rise > 0, f"class_visualization_update_step on SqueezeNet: the regularised score falls along the step ({rise:.2e})"


class _Foolable(nn.Module):
    """model's scores, with a linear read-out of the image added to the target's: random SqueezeNet weights
    cannot be fooled (ascending one class's score raises the others' as much), this can, in a few steps
    of length 1, so a loop that runs until the model is fooled (the classic's) ends."""

    def __init__(self, model, x, target):
        super().__init__()
        self.model, self.target = model, target
        direction = torch.randn(x[0].numel(), generator=torch.Generator().manual_seed(0))
        self.register_buffer("direction", direction / direction.norm())
        with torch.no_grad():
            scores = model(x)[0]
        self.weight = float(scores.max() - scores[target]) / 2.5 + 1e-3  # about three steps

    def forward(self, x):
        scores = self.model(x).clone()
        scores[:, self.target] += self.weight * (x.flatten(1) @ self.direction)
        return scores


def test_real_path_fooling_on_squeezenet_at_224(real_path):
    model, X, ranked = real_path
    target = int(ranked[0, 1])
    foolable = _Foolable(model, X[:1], target)
    X_fooling = nv.make_fooling_image(X[:1], target, CallLimit(foolable, 50))
    with torch.no_grad():
        now = foolable(X_fooling).argmax(1).item()
    assert X_fooling.shape == (1, 3, 224, 224) and now == target, \
        f"make_fooling_image on SqueezeNet: the model predicts {now}, not the target {target}"


def test_real_path_class_visualization_on_squeezenet_at_224(real_path):
    model, X, ranked = real_path
    torch.manual_seed(0)
    picture = nv.create_class_visualization(int(ranked[0, 0]), model, size=224, num_iterations=2, generate_plots=False)
    assert isinstance(picture, Image.Image) and picture.size == (224, 224), f"class visualization: {picture!r}"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve_weights(monkeypatch, server, failure):
    """Point torchvision's SqueezeNet URL at 127.0.0.1 (same file name, so the same cache path and
    hash prefix), misbehaving as asked."""
    path = f"/models/{WEIGHTS_FILE}"
    if failure == "unreachable":
        url = f"http://127.0.0.1:{_free_port()}{path}"
    elif failure == "http_error":
        url = server.add(path, b"no such file", status=404, content_type="text/plain")
    else:  # truncated: the connection drops half-way (and no bytes but the real ones pass the hash check)
        body = _state_bytes(_random_state())
        url = server.add(path, body, drop_after=len(body) // 2, drop_times=100)
    monkeypatch.setattr(WEIGHTS.value, "url", url)


@pytest.mark.parametrize("failure, error, words, line_words", [
    ("unreachable", OfflineError, "you seem to be offline", "offline"),
    ("http_error", DownloadError, "answered HTTP 404", "answered HTTP 404"),
    ("truncated", DownloadError, "failed torchvision's hash check", "run the same command again"),
    ("corrupted_cache", DownloadError, "delete that file", "delete that file"),
    ("wrong_shapes_cache", DownloadError, "delete that file", "delete that file"),
])
def test_weights_failure_gives_one_line_and_the_embedded_default(failure, error, words, line_words, checkpoints,
                                                                 server, monkeypatch, scene_stand_in, capsys):
    cached = checkpoints / WEIGHTS_FILE
    if failure.endswith("_cache"):
        checkpoints.mkdir(parents=True)
        bad = (_random_state() | {"classifier.1.weight": torch.zeros(10, 512, 1, 1)}
               if failure == "wrong_shapes_cache" else None)
        cached.write_bytes(_state_bytes(bad) if bad is not None else b"PK\x03\x04 half a checkpoint")
        before = cached.read_bytes()
    else:
        _serve_weights(monkeypatch, server, failure)

    with pytest.raises(error) as caught:
        load_squeezenet()
    message = str(caught.value)
    assert words in message and "\n" not in message, f"load_squeezenet ({failure}): message {message!r}"

    model, X, y, names, source = netvis_data.load_model_and_images(num=2, device="cpu")
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert source == "scenes" and X.shape == (2, 64, 64, 3) and len(names) == 30, \
        f"load_model_and_images ({failure}): expected the embedded default, got {source} {X.shape}"
    assert "NOT ImageNet" in line and line_words in line, f"load_model_and_images ({failure}): printed {line!r}"
    if failure.endswith("_cache"):
        assert cached.read_bytes() == before, "a corrupted cache file must be left for the user to delete"
    else:
        left = list(checkpoints.glob("*")) if checkpoints.exists() else []
        assert not left, f"a failed download left files in torchvision's cache: {left}"


@pytest.mark.slow
def test_notebook_real_path_check_cells_run_on_squeezenet(checkpoints, tmp_path, monkeypatch, capsys):
    """The notebook's set-up cells, its checks that hold for any weights (saliency, the update step,
    Grad-CAM) and their plots on the real path; fooling and class visualization need trained weights."""

    monkeypatch.setenv("MPLBACKEND", "Agg")
    import matplotlib

    matplotlib.use("Agg")
    checkpoints.mkdir(parents=True)
    (checkpoints / WEIGHTS_FILE).write_bytes(_state_bytes(_random_state()))
    rng = np.random.default_rng(1)
    np.savez(tmp_path / "datasets" / "imagenet_val_25.npz", X=rng.integers(0, 256, (5, 224, 224, 3), dtype=np.uint8),
             y=np.array([1, 2, 3, 4, 5]), label_map=np.array({i: f"class {i}" for i in range(1000)}))

    notebook = Path(__file__).resolve().parent.parent / "assignment3" / "Network_Visualization.ipynb"
    wanted = ("load_model_and_images(", "IMG_SIZE = ", "compute_saliency_maps(X", "update_step_geometry(", "grad_cam(X")
    chosen = [c for c in code_cells(notebook) if any(w in "".join(c["source"]) for w in wanted)]
    assert len(chosen) == 5, f"test set-up: expected 5 cells of the notebook, found {len(chosen)}"
    ns = exec_cells(notebook, chosen)
    out = capsys.readouterr().out
    assert ns["source"] == "imagenet" and ns["IMG_SIZE"] == 224, f"the notebook took the {ns['source']} path:\n{out}"
    for check in ("compute_saliency_maps vs stored maps", "class_visualization_update_step direction",
                  "grad_cam vs stored maps"):
        assert check in out, f"the notebook's check '{check}' did not run on the real path:\n{out}"
    assert "FAIL" not in out, f"a notebook check failed on the real path:\n{out}"
