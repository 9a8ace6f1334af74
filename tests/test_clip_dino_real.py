"""The CLIP and DINO notebook's real-data path, end to end without internet.

With internet the notebook uses OpenAI CLIP ViT-B/32 (the `clip` package), DINO ViT-S/8 (torch hub),
ten COCO val2017 images (downloaded by cs231n/data/download.py) and the DAVIS video "soapbox" (through
tensorflow_datasets). Here:
- the COCO images are JPEGs made by the test, served from 127.0.0.1 (tests/_local_server.py);
- neither `clip` nor `tensorflow_datasets` is installed in this environment, so the test writes a
  minimal stand-in module for each into a folder it puts on sys.path: `clip.load` reads a state dict
  from the clip cache (~/.cache/clip/ViT-B-32.pt, HOME moved under tmp_path, loaded with
  weights_only=True) and `tensorflow_datasets.load("davis/480p", ...)` returns a generated video;
- torch hub's cache holds a stand-in `facebookresearch_dino_main/hubconf.py` whose `dino_vits8` loads
  its weights from hub/checkpoints, so torch hub's own loading runs.
The stand-in CLIP knows the test's images by their colour and its texts by their words, so the
notebook's checks pass only when its real branch feeds the right images, labels and captions through
the student's functions in the right order.
"""

import io
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from cs231n import clip_dino
from cs231n.data import clip_dino as data
from cs231n.data.download import DownloadError, OfflineError
from cs231n.models import tiny_clip
from _notebook import code_cells, exec_cells

pytestmark = pytest.mark.usefixtures("local_network", "one_torch_thread")

ROOT = Path(__file__).resolve().parent.parent
PALETTE = np.array([(230, 30, 30), (30, 200, 30), (30, 30, 230), (230, 230, 30), (230, 30, 230),
                    (30, 230, 230), (140, 70, 20), (250, 250, 250), (10, 10, 10), (120, 120, 120)])

STAND_IN_CLIP = '''"""Stand-in for OpenAI's clip package (not installed in the test environment): load() reads the
model's state dict from the clip cache; the model recognises the test's images by their mean colour
and its texts by their words."""
import os

import torch
import torch.nn as nn

from cs231n.models.tiny_clip import VOCAB_SIZE, preprocess, tokenize  # noqa: F401  (clip.tokenize)

_FILES = {"ViT-B/32": "ViT-B-32.pt"}


class StandInCLIP(nn.Module):
    def __init__(self, n=10):
        super().__init__()
        self.register_buffer("palette", torch.zeros(n, 3))  # each image's mean input colour
        self.words = nn.Embedding(VOCAB_SIZE, n)

    def encode_image(self, image):
        d = (image.mean(dim=(2, 3))[:, None] - self.palette[None]).square().sum(-1)
        return torch.softmax(-d / 1e-3, dim=-1)

    def encode_text(self, text):
        return self.words(text).sum(1) + 1e-6


def load(name, device="cpu", jit=False, download_root=None):
    root = download_root or os.path.expanduser("~/.cache/clip")
    path = os.path.join(root, _FILES[name])
    if not os.path.isfile(path):
        raise RuntimeError(f"stand-in clip: no {path} (the test seeds it)")
    model = StandInCLIP()
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model.to(device).eval(), preprocess
'''

STAND_IN_TFDS = '''"""Stand-in for tensorflow_datasets (not installed in the test environment): davis/480p's validation
split as two generated videos of 480x854 frames, "soapbox" among them."""
import numpy as np

calls = []


def _video(name, n, shift):
    frames = np.zeros((n, 480, 854, 3), dtype=np.uint8)
    frames[...] = (90, 110, 90)
    seg = np.zeros((n, 480, 854, 1), dtype=np.uint8)
    for t in range(n):
        x = 120 + shift * t
        frames[t, 160:400, x:x + 260] = (200, 40, 40)
        seg[t, 160:400, x:x + 260] = 1
        frames[t, 40:140, 600:760] = (40, 40, 200)
        seg[t, 40:140, 600:760] = 2
    return {"metadata": {"video_name": name.encode(), "num_frames": n},
            "video": {"frames": frames, "segmentations": seg}}


def load(name, split, data_dir=None):
    calls.append((name, split, data_dir))
    assert (name, split) == ("davis/480p", "validation"), (name, split)
    return [_video("bike-packing", 2, 0), _video("soapbox", 6, 40)]


def as_numpy(dataset):
    return iter(dataset)
'''

HUBCONF = '''dependencies = ["torch"]
import torch
import torch.nn as nn

WEIGHTS = "https://dl.fbaipublicfiles.com/dino/dino_deitsmall8_pretrain/dino_deitsmall8_pretrain.pth"


class StandInViTS8(nn.Module):
    """ViT-S/8's interface: 8x8 patches, 384 features, a [CLS] token; one linear patch embedding."""

    def __init__(self):
        super().__init__()
        self.patch_embed = nn.Conv2d(3, 384, 8, stride=8)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, 384))

    def get_intermediate_layers(self, x, n=1):
        patches = self.patch_embed(x).flatten(2).transpose(1, 2)
        return [torch.cat([self.cls_token.expand(len(x), -1, -1), patches], dim=1)]

    def get_last_selfattention(self, x):
        p = 1 + (x.shape[2] // 8) * (x.shape[3] // 8)
        return torch.full((len(x), 1, p, p), 1.0 / p)


def dino_vits8(pretrained=True, **kwargs):
    model = StandInViTS8()
    if pretrained:
        model.load_state_dict(torch.hub.load_state_dict_from_url(WEIGHTS, map_location="cpu", weights_only=True))
    return model
'''


def _jpeg(colour, size=(64, 48)):
    buf = io.BytesIO()
    Image.new("RGB", size, tuple(int(c) for c in colour)).save(buf, format="JPEG", quality=95)
    return buf.getvalue()


@pytest.fixture
def coco_server(server, monkeypatch):
    """The ten COCO images, image i a plain JPEG of PALETTE[i], served from 127.0.0.1."""
    for (image_id, _, _), colour in zip(data.COCO_IMAGES, PALETTE):
        server.add(f"/val2017/{image_id:012d}.jpg", _jpeg(colour), content_type="image/jpeg")
    monkeypatch.setattr(data, "COCO_IMAGE_URL", server.url("/val2017/{:012d}.jpg"))
    return server


@pytest.fixture
def stand_ins(tmp_path, monkeypatch):
    """The stand-in `clip` and `tensorflow_datasets` modules on sys.path, the clip cache and torch hub's
    cache seeded; returns the imported stand-in modules."""
    folder = tmp_path / "stand_in"
    (folder / "clip").mkdir(parents=True)
    (folder / "clip" / "__init__.py").write_text(STAND_IN_CLIP)
    (folder / "tensorflow_datasets").mkdir()
    (folder / "tensorflow_datasets" / "__init__.py").write_text(STAND_IN_TFDS)
    monkeypatch.syspath_prepend(str(folder))
    for name in ("clip", "tensorflow_datasets"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    import clip as stand_in_clip
    import tensorflow_datasets as stand_in_tfds

    # the clip cache: the stand-in's weights, which know the ten images and their texts
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    cache = tmp_path / "home" / ".cache" / "clip"
    cache.mkdir(parents=True)
    model = stand_in_clip.StandInCLIP()
    with torch.no_grad():
        for i, colour in enumerate(PALETTE):
            pixels = tiny_clip.preprocess(Image.open(io.BytesIO(_jpeg(colour))))
            model.palette[i] = pixels.mean(dim=(1, 2))
        model.words.weight.zero_()
        texts = [(f"a photo of a {label} {caption}").split() for _, label, caption in data.COCO_IMAGES]
        for i, words in enumerate(texts):
            for w in set(words):
                owners = sum(w in other for other in texts)
                model.words.weight[tiny_clip.word_id(w), i] += 1.0 / owners ** 2
    torch.save(model.state_dict(), cache / "ViT-B-32.pt")

    # torch hub's cache: the repository and its checkpoint
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    repo = tmp_path / "torch" / "hub" / "facebookresearch_dino_main"
    repo.mkdir(parents=True)
    (repo / "hubconf.py").write_text(HUBCONF)
    (tmp_path / "torch" / "hub" / "checkpoints").mkdir()
    torch.manual_seed(0)
    vit = torch.nn.Module()
    vit.patch_embed = torch.nn.Conv2d(3, 384, 8, stride=8)
    vit.cls_token = torch.nn.Parameter(torch.zeros(1, 1, 384))
    torch.save(vit.state_dict(), tmp_path / "torch" / "hub" / "checkpoints" / "dino_deitsmall8_pretrain.pth")

    monkeypatch.setattr(data, "openai_clip", stand_in_clip)  # both modules bound `clip` when imported
    monkeypatch.setattr(clip_dino, "clip", stand_in_clip)
    return stand_in_clip, stand_in_tfds


def test_coco_images_are_downloaded_verified_and_cached(coco_server, local_network, capsys):
    coco = data.load_coco_images()
    assert len(coco["images"]) == 10 and coco["images"][0].shape == (48, 64, 3) and coco["images"][0].dtype == np.uint8
    assert coco["labels"][0] == "cat" and coco["class_texts"][0] == "a photo of a cat" and len(set(coco["class_texts"])) == 10
    assert np.abs(coco["images"][3].reshape(-1, 3).mean(0) - PALETTE[3]).max() < 3, "images out of order"
    folder = local_network / "coco_clip"
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{i:012d}.jpg" for i, _, _ in data.COCO_IMAGES)
    assert "10 COCO val2017 images" in capsys.readouterr().out
    asked = len(coco_server.requests)
    data.load_coco_images(verbose=False)
    assert len(coco_server.requests) == asked, "load_coco_images downloaded again what it had"


def test_a_download_that_is_not_a_jpeg_is_refused(coco_server, local_network):
    image_id = data.COCO_IMAGES[4][0]
    buf = io.BytesIO()
    Image.new("RGB", (64, 48)).save(buf, format="PNG")
    coco_server.add(f"/val2017/{image_id:012d}.jpg", buf.getvalue(), content_type="image/jpeg")
    with pytest.raises(DownloadError) as caught:
        data.load_coco_images(verbose=False)
    assert "JPEG" in str(caught.value)
    assert not (local_network / "coco_clip" / f"{image_id:012d}.jpg").exists(), "a refused download was kept"


def test_offline_the_real_data_is_not_touched(coco_server, stand_ins, monkeypatch, capsys):
    monkeypatch.setenv("CS231N_OFFLINE", "1")
    with pytest.raises(OfflineError):
        data.load_coco_images()
    with pytest.raises(OfflineError):
        data.load_davis_video()
    assert not coco_server.requests and not stand_ins[1].calls
    assert data.load_clip("cpu")[2] == "embedded" and data.load_dino("cpu")[2] == "embedded"


def test_davis_soapbox_through_tensorflow_datasets(stand_ins, local_network, capsys):
    frames, masks, num_classes = data.load_davis_video()
    assert frames.shape == (6, 480, 480, 3) and frames.dtype == np.uint8
    assert masks.shape == (6, 60, 60) and masks.dtype == torch.int64 and num_classes == 3
    # the red box (label 1) starts at x = 120..380 of 854 and moves right by 40 pixels a frame
    cols = torch.nonzero(masks[0] == 1)[:, 1]
    assert abs(cols.min().item() - 120 * 60 / 854) <= 1 and abs(cols.max().item() - 379 * 60 / 854) <= 1
    assert (masks[5] == 1).nonzero()[:, 1].min() > cols.min()
    assert stand_ins[1].calls == [("davis/480p", "validation", str(local_network / "tensorflow_datasets"))]
    assert "soapbox" in capsys.readouterr().out


def test_davis_without_tensorflow_datasets_names_the_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow_datasets", None)
    with pytest.raises(ImportError, match="pip install tensorflow tensorflow-datasets"):
        data.load_davis_video()


@pytest.mark.slow
def test_notebook_real_path(coco_server, stand_ins, monkeypatch, capsys):
    """The notebook's code cells (not the Colab cell) on the real branch: ViT-B/32 and ViT-S/8 from their
    seeded caches, the COCO images from 127.0.0.1, DAVIS through the stand-in tensorflow_datasets."""
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = ROOT / "assignment3" / "CLIP_DINO.ipynb"
    ns = exec_cells(notebook, code_cells(notebook)[1:])
    out = capsys.readouterr().out
    assert (ns["CLIP_SOURCE"], ns["DINO_SOURCE"]) == ("ViT-B/32", "ViT-S/8"), f"the notebook took:\n{out}"
    for check in ("zero-shot labels of the COCO images: 10 of 10 right", "retrieval of each COCO image by its caption: 10 of 10",
                  "segmentation IoU, first frame", "segmentation IoU, last frame", "segmentation IoU, all frames"):
        assert check in out, f"the notebook's check '{check}' did not run on the real path:\n{out}"
    assert "FAIL" not in out and "PASS" in out, f"a notebook check failed on the real path:\n{out}"
    assert ns["X"].shape == (6, 3600, 384) and ns["num_classes"] == 3
