"""The CLIP and DINO notebook's model paths, without internet: the scene data and masks, the tiny
stand-ins' interfaces, and the real-model loaders (OpenAI's `clip` package faked; DINO ViT-S/8 through
torch hub from a cache the test seeds with a stand-in `hubconf.py`, so torch hub's own loading runs)."""

import types

import numpy as np
import pytest
import torch
from PIL import Image

from cs231n.data import clip_dino as data
from cs231n.models import tiny_clip
from cs231n.models.tiny_vit import TinyViT

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_scene_masks_cover_the_shape_and_not_the_corners():
    s = data.scene_set(6, seed=0)
    assert s["images"].shape == (6, 64, 64, 3) and s["masks"].shape == (6, 64, 64)
    for img, mask, colour in zip(s["images"], s["masks"], s["colours"]):
        assert not mask[0, 0] and not mask[-1, -1], "shape_mask: a corner (always background) is marked as shape"
        target = np.array(data.scenes.COLOURS[colour], dtype=float)
        inside = np.linalg.norm(img[mask].astype(float) - target, axis=-1).mean()
        assert inside < 40, f"shape_mask: the masked pixels are {inside:.0f} away from the shape's colour {colour}"
        assert 0.01 < mask.mean() < 0.5


def test_patch_masks_pool_to_the_grid():
    masks = np.zeros((1, 8, 8), dtype=bool)
    masks[0, :4, :4] = True
    masks[0, 4:, 4:6] = True  # half of the bottom-right patch: not more than half, so background
    assert data.patch_masks(masks, 2).tolist() == [[[1, 0], [0, 0]]]


def test_tiny_clip_tokenize_follows_clip_conventions():
    tokens = tiny_clip.tokenize(["a red circle", "Zebra!"])
    assert tokens.shape == (2, 77) and tokens.dtype == torch.long
    assert tokens[0, 0] == tiny_clip.SOT_TOKEN and tokens[0, 4] == tiny_clip.EOT_TOKEN and tokens[0, 5:].eq(0).all()
    assert tokens[1, 1] == tiny_clip.word_id("zebra") and tokens[1, 2] == tiny_clip.EOT_TOKEN
    words = data.scenes.caption_words()
    assert len({tiny_clip.word_id(w) for w in words}) == len(words), "word_id: two scene words share an id"
    with pytest.raises(RuntimeError):
        tiny_clip.tokenize(" ".join(["red"] * 80))
    assert tiny_clip.tokenize(" ".join(["red"] * 80), truncate=True)[0, -1] == tiny_clip.EOT_TOKEN


def test_tiny_models_have_the_real_models_interfaces():
    model, preprocess = tiny_clip.load("tiny")
    x = preprocess(Image.fromarray(np.zeros((64, 64, 3), dtype=np.uint8)))[None]
    assert model.encode_image(x).shape == (1, tiny_clip.EMBED_DIM)
    assert model.encode_text(tiny_clip.tokenize(["a blue star"])).shape == (1, tiny_clip.EMBED_DIM)
    vit = TinyViT().eval()
    images = torch.rand(2, 3, 32, 32)
    assert vit.get_intermediate_layers(images, n=1)[0].shape == (2, 65, 48)
    assert vit.get_last_selfattention(images).shape == (2, 4, 65, 65)
    assert torch.allclose(vit.get_last_selfattention(images).sum(-1), torch.ones(2, 4, 65), atol=1e-5)


def test_load_clip_uses_the_clip_package_when_online(monkeypatch, local_network, capsys):
    fake_model = torch.nn.Linear(1, 1)
    loaded = []
    fake = types.SimpleNamespace(load=lambda name, device: loaded.append(name) or (fake_model, "preprocess"))
    monkeypatch.setattr(data, "openai_clip", fake)
    model, preprocess, source = data.load_clip("cpu")
    assert (model, preprocess, source, loaded) == (fake_model, "preprocess", "ViT-B/32", ["ViT-B/32"])
    assert "OpenAI ViT-B/32" in capsys.readouterr().out


def test_load_clip_falls_back_when_the_download_fails(monkeypatch, local_network, capsys):
    def fail(name, device):
        raise RuntimeError("Model has been downloaded but the SHA256 checksum does not not match")
    monkeypatch.setattr(data, "openai_clip", types.SimpleNamespace(load=fail))
    model, _, source = data.load_clip("cpu")
    assert source == "embedded" and isinstance(model, tiny_clip.TinyCLIP)
    out = capsys.readouterr().out
    assert "embedded stand-in" in out and "SHA256" in out


def test_load_clip_offline_uses_the_stand_in(monkeypatch, capsys):
    monkeypatch.setenv("CS231N_OFFLINE", "1")
    monkeypatch.setattr(data, "openai_clip", types.SimpleNamespace(load=lambda *a, **k: pytest.fail("went online")))
    assert data.load_clip("cpu")[2] == "embedded"
    assert "offline" in capsys.readouterr().out


HUBCONF = '''
dependencies = ["torch"]


def dino_vits8(pretrained=True, **kwargs):
    from cs231n.models.tiny_vit import TinyViT
    return TinyViT(img_size=32, patch_size=8, embed_dim=48)
'''


def test_load_dino_through_a_seeded_torch_hub_cache(monkeypatch, tmp_path, local_network, capsys):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    repo = tmp_path / "torch" / "hub" / "facebookresearch_dino_main"
    repo.mkdir(parents=True)
    (repo / "hubconf.py").write_text(HUBCONF)
    model, patch, source = data.load_dino("cpu")
    assert (patch, source) == (8, "ViT-S/8"), f"load_dino took the {source} branch: {capsys.readouterr().out}"
    assert model.get_intermediate_layers(torch.rand(1, 3, 32, 32), n=1)[0].shape == (1, 17, 48)
    assert "torch hub" in capsys.readouterr().out


def test_load_dino_falls_back_without_a_cache_or_network(monkeypatch, tmp_path, local_network, capsys):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))

    def unreachable(*args, **kwargs):
        raise OSError("network unreachable")
    monkeypatch.setattr(torch.hub, "load", unreachable)
    model, patch, source = data.load_dino("cpu")
    assert (model, patch, source) == (None, 4, "embedded")
    assert "network unreachable" in capsys.readouterr().out


def test_train_clip_draws_groups_of_hard_negatives(monkeypatch):
    """With groups, the first hard_fraction of each batch is groups of group_size images sharing a key."""
    from cs231n import clip_dino_training as training

    seen = []
    real_tokenize = training.clip.tokenize
    monkeypatch.setattr(training.clip, "tokenize", lambda texts: seen.append(list(texts)) or real_tokenize(texts))
    n = 40
    images = np.zeros((n, 8, 8, 3), dtype=np.uint8)
    captions = [[f"image {i}"] for i in range(n)]
    groups = [i % 5 for i in range(n)]  # 8 images per key
    torch.manual_seed(0)
    training.train_clip(tiny_clip.TinyCLIP(), images, captions, steps=2, batch_size=16, groups=groups,
                        hard_fraction=0.5, group_size=4)
    for texts in seen:
        idx = [int(t.split()[1]) for t in texts]
        assert len(idx) == 16 and len(set(idx)) == 16, f"train_clip: a batch repeats an image {idx}"
        keys = [groups[i] for i in idx[:8]]
        assert keys[:4] == [keys[0]] * 4 and keys[4:] == [keys[4]] * 4 and keys[0] != keys[4], \
            f"train_clip: the hard half of the batch is not two groups of four sharing a key: {keys}"


def test_train_dino_with_local_crops_runs():
    from cs231n.clip_dino_training import train_dino

    images = np.random.default_rng(0).integers(0, 256, (8, 32, 32, 3), dtype=np.uint8)
    model, losses = train_dino(images, steps=2, batch_size=4, n_local=2)
    assert len(losses) == 2 and all(np.isfinite(losses))
    assert model.get_intermediate_layers(torch.rand(1, 3, 32, 32))[0].shape == (1, 65, 48)
