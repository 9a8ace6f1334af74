"""The DDPM notebook's data (cs231n/data/ddpm.py, cs231n/emoji_dataset.py): the course's files fetched from a
server on 127.0.0.1 and verified before use, tampered files refused, and the embedded scenes offline."""

import hashlib
import io

import numpy as np
import pytest
import torch

from cs231n.data import ddpm as ddpm_data
from cs231n.data.download import DownloadError
from cs231n.emoji_dataset import EmojiDataset
from cs231n.gaussian_diffusion import GaussianDiffusion

TEXTS = ["grinning face", "face with cowboy hat", "red heart", "crying face"]


def _npz_bytes(items):
    buf = io.BytesIO()
    np.savez(buf, **{f"arr_{i}": np.array(item, dtype=object) for i, item in enumerate(items)})
    return buf.getvalue()


def _emoji_items():
    rng = np.random.default_rng(0)
    return [{"images": [rng.integers(0, 256, (40, 40, 3), dtype=np.uint8) for _ in range(2)], "texts": [t]}
            for t in TEXTS]


def _embeddings_bytes():
    g = torch.Generator().manual_seed(0)
    data = {"idx_mapping": {t: i for i, t in enumerate(TEXTS)}, "embs": torch.randn(len(TEXTS), 512, generator=g).half(),
            "pca_components": torch.eye(512), "mean": torch.zeros(512)}
    buf = io.BytesIO()
    torch.save(data, buf)
    return buf.getvalue()


def _checkpoint_bytes(state):
    buf = io.BytesIO()
    torch.save({"step": 70000, "model": state, "opt": {"state": {}, "param_groups": []}}, buf)
    return buf.getvalue()


class _Evil:
    def __reduce__(self):
        return (print, ("this ran while loading",))


def _serve_course_files(server, monkeypatch, checkpoint=None, **overrides):
    files = {"emoji_data.npz": _npz_bytes(_emoji_items()), "text_embeddings.pt": _embeddings_bytes(),
             "model-70000.pt": checkpoint or _checkpoint_bytes({"w": torch.zeros(2)})}
    files.update(overrides)
    for name, body in files.items():
        server.add(f"/a3/{name}", body)
    monkeypatch.setattr(ddpm_data, "EMOJI_BASE_URL", server.url("/a3/"))
    return files


@pytest.mark.usefixtures("local_network")
def test_course_files_are_fetched_verified_and_used(server, monkeypatch, capsys):
    _serve_course_files(server, monkeypatch)
    ds = EmojiDataset(None)
    line = capsys.readouterr().out
    assert "course's emoji" in line and "downloaded" in line, f"EmojiDataset: source line was {line!r}"
    assert ds.source == "emoji" and ds.image_size == 32 and ds.condition_dim == 512
    img, kwargs = ds[1]
    assert img.shape == (3, 32, 32) and 0 <= img.min() and img.max() <= 1, "EmojiDataset: images (3, 32, 32) in [0, 1]"
    assert kwargs["text"] == TEXTS[1] and kwargs["text_emb"].shape == (512,)
    assert kwargs["text_emb"].dtype == torch.float32, "text embeddings are stored in float16 and used in float32"
    assert ds.embed_new_text("red heart").shape == (512,)
    with pytest.raises(ValueError, match="ClipEmbed"):
        ds.embed_new_text("a prompt nobody precomputed")


@pytest.mark.usefixtures("local_network")
def test_pickled_code_in_the_emoji_data_is_refused(server, monkeypatch, local_network):
    buf = io.BytesIO()
    np.savez(buf, arr_0=np.array({"images": [], "texts": ["x"], "evil": _Evil()}, dtype=object))
    _serve_course_files(server, monkeypatch, **{"emoji_data.npz": buf.getvalue()})
    with pytest.raises(DownloadError) as err:
        ddpm_data.fetch_emoji_files(names=["emoji_data.npz"])
    assert err.value.reason == "verify" and "refusing" in str(err.value), str(err.value)
    assert not (local_network / "ddpm" / "emoji_data.npz").exists(), "a refused file must not be moved into place"


@pytest.mark.usefixtures("local_network")
def test_checkpoint_with_code_is_refused_by_weights_only(server, monkeypatch, local_network):
    evil = io.BytesIO()
    torch.save({"model": {}, "step": 1, "x": _Evil()}, evil)
    _serve_course_files(server, monkeypatch, checkpoint=evil.getvalue())
    with pytest.raises(DownloadError) as err:
        ddpm_data.fetch_emoji_files(names=["model-70000.pt"])
    assert err.value.reason == "verify", str(err.value)
    assert not (local_network / "ddpm" / "model-70000.pt").exists()


@pytest.mark.usefixtures("local_network")
def test_html_page_and_wrong_digest_are_refused(server, monkeypatch):
    files = _serve_course_files(server, monkeypatch, **{"text_embeddings.pt": b"<!DOCTYPE html><html>moved</html>"})
    with pytest.raises(DownloadError) as err:
        ddpm_data.fetch_emoji_files(names=["text_embeddings.pt"])
    assert err.value.reason in ("html", "verify"), str(err.value)
    digest = hashlib.sha256(files["emoji_data.npz"]).hexdigest()
    monkeypatch.setitem(ddpm_data.EMOJI_FILES, "emoji_data.npz", (None, "0" * 64))
    with pytest.raises(DownloadError) as err:
        ddpm_data.fetch_emoji_files(names=["emoji_data.npz"])
    assert err.value.reason == "sha256", str(err.value)
    monkeypatch.setitem(ddpm_data.EMOJI_FILES, "emoji_data.npz", (len(files["emoji_data.npz"]), digest))
    assert (ddpm_data.fetch_emoji_files(names=["emoji_data.npz"]) / "emoji_data.npz").is_file()


@pytest.mark.usefixtures("local_network")
def test_course_checkpoint_loads_into_the_diffusion(server, monkeypatch):
    class Tiny(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.channels = 3
            self.conv = torch.nn.Conv2d(3, 3, 1)

    torch.manual_seed(0)
    source = GaussianDiffusion(Tiny(), image_size=4, timesteps=10)
    _serve_course_files(server, monkeypatch, checkpoint=_checkpoint_bytes(source.state_dict()))
    ddpm_data.fetch_emoji_files()
    target = GaussianDiffusion(Tiny(), image_size=4, timesteps=10)
    ddpm_data.load_pretrained(target, "emoji")
    assert torch.equal(target.model.conv.weight, source.model.conv.weight), "load_pretrained: weights not loaded"


def test_offline_uses_the_embedded_scenes(monkeypatch, capsys):
    monkeypatch.setenv("CS231N_OFFLINE", "1")
    ds = EmojiDataset(None)
    line = capsys.readouterr().out
    assert "embedded scenes" in line and "CS231N_OFFLINE=1" in line, f"source line: {line!r}"
    assert ds.source == "scenes" and len(ds) == 1200 and len(ds.prompts) == 30
    img, kwargs = ds[45]  # class 1: red square
    assert img.shape == (3, 16, 16) and img.dtype == torch.float32
    assert "red" in kwargs["text"] and "square" in kwargs["text"], kwargs["text"]
    assert torch.equal(kwargs["text_emb"], ds.embed_new_text(kwargs["text"]))


def test_word_embedding_codes_the_words():
    emb = ddpm_data.WordEmbed()
    a, b = emb.embed("a red star"), emb.embed("a blue star")
    assert torch.equal(a, emb.embed("a red star")), "WordEmbed: not deterministic"
    assert torch.equal(emb.embed("A RED STAR"), a), "WordEmbed: should ignore case"
    assert not torch.allclose(a, b), "WordEmbed: different colours embed alike"
    assert torch.equal(emb.embed("zebra unicorn"), torch.zeros(emb.dim)), "unknown words embed to zeros (no condition)"
    assert torch.allclose(emb.embed("a red star zebra"), a), "unknown words must be ignored"


def test_scene_images_cover_every_class_and_are_reproducible():
    images, labels = ddpm_data.scene_images(num_per_class=2, seed=3)
    again, _ = ddpm_data.scene_images(num_per_class=2, seed=3)
    assert images.shape == (60, 16, 16, 3) and images.dtype == np.uint8
    assert np.array_equal(np.bincount(labels), np.full(30, 2)), "two images per class"
    assert np.array_equal(images, again), "the same seed must render the same images"
