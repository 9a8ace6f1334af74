"""The embedded COCO-format sample and the captioning loaders that read it."""

import json

import numpy as np
import pytest
import torch

from cs231n import coco_utils
from cs231n.data import coco_files, coco_sample, scenes
from cs231n.data.coco_format import SAMPLE_FILES, SAMPLE_STAMP, SAMPLE_VERSION
from cs231n.models import scene_net
from cs231n.image_utils import image_from_url

TINY = dict(seed=3, num_train=520, num_val=40, epochs=1, progress=False)  # PCA to 512 needs >= 512 images


@pytest.fixture(autouse=True)
def _no_classic_copy(monkeypatch, tmp_path):
    """Real data at the classic location (cs231n/datasets/coco_captioning) on this machine must not
    change what these tests load."""
    monkeypatch.setattr(coco_files, "CLASSIC_DIR", tmp_path / "no-classic-copy")


@pytest.fixture(scope="module")
def tiny_sample(tmp_path_factory):
    return coco_sample.build_coco_sample(tmp_path_factory.mktemp("sample") / "coco_sample", **TINY)


@pytest.fixture(scope="module")
def tiny_data(tiny_sample):
    return coco_utils.load_coco_data(base_dir=tiny_sample)


def test_sample_build_is_deterministic_from_its_seed_on_any_number_of_threads(tiny_sample, tmp_path):
    threads = torch.get_num_threads()
    torch.set_num_threads(3 if threads == 1 else 1)  # another thread count than tiny_sample's build
    try:
        again = coco_sample.build_coco_sample(tmp_path / "again", **TINY)
    finally:
        torch.set_num_threads(threads)
    a, b = coco_utils.load_coco_data(base_dir=tiny_sample), coco_utils.load_coco_data(base_dir=again)
    for key in ("train_captions", "train_image_idxs", "val_captions", "val_image_idxs"):
        assert np.array_equal(a[key], b[key]), f"build_coco_sample: {key} differs between two builds with seed 3"
    for key in ("train_features", "val_features"):
        assert np.array_equal(a[key], b[key]), (f"build_coco_sample: {key} differs between a build on "
                                                f"{threads} thread(s) and one on {3 if threads == 1 else 1}")
    first = (tiny_sample / "images/train/train_00000.png").read_bytes()
    assert first == (again / "images/train/train_00000.png").read_bytes(), "rendered images differ between builds"


def test_sample_has_the_classic_keys_shapes_and_dtypes(tiny_data):
    d = tiny_data
    assert d["source"] == "sample"
    for split, n_img in (("train", TINY["num_train"]), ("val", TINY["num_val"])):
        caps, idxs, feats = d[f"{split}_captions"], d[f"{split}_image_idxs"], d[f"{split}_features"]
        assert caps.dtype == np.int32 and caps.shape == (5 * n_img, 17), f"{split}_captions: {caps.dtype} {caps.shape}"
        assert idxs.dtype == np.int32 and idxs.shape == (5 * n_img,), f"{split}_image_idxs: {idxs.dtype} {idxs.shape}"
        assert feats.dtype == np.float32 and feats.shape == (n_img, 512), f"{split}_features: {feats.shape}"
        assert idxs.min() == 0 and idxs.max() == n_img - 1
        assert len(d[f"{split}_urls"]) == n_img
    assert isinstance(d["idx_to_word"], list) and isinstance(d["word_to_idx"], dict)
    assert d["idx_to_word"][:4] == ["<NULL>", "<START>", "<END>", "<UNK>"]
    assert all(d["idx_to_word"][i] == w for w, i in d["word_to_idx"].items())


def test_full_features_are_wider_than_pca_features(tiny_sample):
    d = coco_utils.load_coco_data(base_dir=tiny_sample, pca_features=False)
    assert d["train_features"].shape == (TINY["num_train"], 1024) and d["train_features"].dtype == np.float32


def test_captions_are_framed_padded_and_at_most_15_words(tiny_data):
    caps = tiny_data["train_captions"]
    assert np.all(caps[:, 0] == 1), "every caption starts with <START>=1"
    lengths = (caps != 0).sum(axis=1)
    assert np.all(caps[np.arange(len(caps)), lengths - 1] == 2), "every caption ends with <END>=2 before padding"
    assert np.all(np.cumsum(caps == 0, axis=1)[caps != 0] == 0), "<NULL>=0 appears only as trailing padding"
    assert lengths.max() - 2 <= 15


def test_each_image_has_five_differently_phrased_captions(tiny_data):
    d = tiny_data
    for img in range(10):
        texts = coco_utils.decode_captions(d["train_captions"][d["train_image_idxs"] == img], d["idx_to_word"])
        assert len(texts) >= 5 and len(set(texts)) == len(texts), f"image {img}: {texts}"


def test_captions_describe_the_rendered_scene(tiny_sample, tiny_data):
    saved = json.loads((tiny_sample / SAMPLE_FILES["train_scenes"]).read_text())
    d = tiny_data
    for img in range(20):
        scene = saved[img]
        for text in coco_utils.decode_captions(d["train_captions"][d["train_image_idxs"] == img], d["idx_to_word"]):
            assert scene["colour"] in text and scene["kind"] in text, f"{text!r} does not describe {scene}"


def test_encode_caption_rejects_captions_longer_than_15_words():
    with pytest.raises(ValueError, match="at most 15"):
        coco_sample.encode_caption(" ".join(["a"] * 16), {"<NULL>": 0, "<START>": 1, "<END>": 2, "<UNK>": 3})


def test_decode_captions_stops_at_end_and_skips_null():
    words = ["<NULL>", "<START>", "<END>", "<UNK>", "red", "circle"]
    assert coco_utils.decode_captions(np.array([1, 4, 5, 2, 4, 0]), words) == "<START> red circle <END>"
    assert coco_utils.decode_captions(np.array([[1, 4, 0, 0], [1, 5, 2, 0]]), words) == ["<START> red",
                                                                                         "<START> circle <END>"]


def test_sample_coco_minibatch_pairs_captions_with_their_image_features(tiny_data):
    np.random.seed(0)
    caps, feats, urls = coco_utils.sample_coco_minibatch(tiny_data, batch_size=7, split="val")
    assert caps.shape == (7, 17) and feats.shape == (7, 512) and urls.shape == (7,)
    for c, f, u in zip(caps, feats, urls):
        rows = np.flatnonzero((tiny_data["val_captions"] == c).all(axis=1))
        img = tiny_data["val_image_idxs"][rows[0]]
        assert np.array_equal(f, tiny_data["val_features"][img]) and u == tiny_data["val_urls"][img]


def test_max_train_subsamples_captions(tiny_sample):
    d = coco_utils.load_coco_data(base_dir=tiny_sample, max_train=100)
    assert d["train_captions"].shape == (100, 17) and d["train_image_idxs"].shape == (100,)


def test_sample_urls_open_as_images(tiny_data):
    img = image_from_url(tiny_data["val_urls"][0])
    assert img.shape == (scenes.IMAGE_SIZE, scenes.IMAGE_SIZE, 3) and img.dtype == np.uint8


def test_missing_data_names_the_command_that_fetches_it(tmp_path, monkeypatch):
    monkeypatch.setenv("CS231N_DATASETS", str(tmp_path))
    monkeypatch.delenv("CS231N_COCO", raising=False)
    with pytest.raises(FileNotFoundError, match="setup_coco.sh"):
        coco_utils.load_coco_data()


def test_loader_uses_the_sample_when_no_real_data_and_says_so(tiny_sample, monkeypatch, capsys):
    monkeypatch.setenv("CS231N_DATASETS", str(tiny_sample.parent))
    monkeypatch.delenv("CS231N_COCO", raising=False)
    d = coco_utils.load_coco_data()
    assert d["source"] == "sample"
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "embedded sample" in out[0] and "not COCO photos" in out[0]


def test_sample_built_by_older_code_is_refused_naming_the_rebuild(tmp_path, monkeypatch):
    old = tmp_path / "coco_sample"
    old.mkdir()
    (old / SAMPLE_STAMP).write_text("ok\n")
    (old / "MANIFEST.json").write_text(json.dumps({"version": SAMPLE_VERSION - 1}))
    monkeypatch.setenv("CS231N_DATASETS", str(tmp_path))
    monkeypatch.setenv("CS231N_COCO", "sample")
    with pytest.raises(FileNotFoundError, match="older version.*setup_coco.sh --sample"):
        coco_utils.load_coco_data()


def test_scene_classifier_loads_from_the_sample_with_the_scene_classes(tiny_sample, monkeypatch, capsys):
    monkeypatch.setenv("CS231N_DATASETS", str(tiny_sample.parent))
    model, class_names = coco_sample.load_scene_classifier()
    assert class_names == scenes.CLASS_NAMES, "load_scene_classifier: class names differ from the scenes'"
    assert not model.training, "load_scene_classifier: the model should be in eval mode"
    images = np.stack([np.asarray(scenes.render_scene(s)) for s in json.loads(
        (tiny_sample / SAMPLE_FILES["val_scenes"]).read_text())[:4]])
    assert scene_net.predict(model, images).shape == (4,), "load_scene_classifier: wrong score shape"
    assert "Scene classifier: 30 classes" in capsys.readouterr().out


def test_forcing_real_data_without_it_names_the_command(tiny_sample, monkeypatch):
    monkeypatch.setenv("CS231N_DATASETS", str(tiny_sample.parent))
    monkeypatch.setenv("CS231N_COCO", "real")
    with pytest.raises(FileNotFoundError, match="setup_coco.sh"):
        coco_utils.load_coco_data()


def test_dead_url_returns_none_after_one_line(capsys):
    assert image_from_url("http://nonexistent.invalid/x.jpg", timeout=2) is None
    assert len(capsys.readouterr().out.strip().splitlines()) == 1


def test_scene_rendering_is_deterministic_and_captions_fit():
    rng = np.random.default_rng(0)
    for _ in range(50):
        s = scenes.random_scene(rng)
        assert np.array_equal(np.asarray(scenes.render_scene(s)), np.asarray(scenes.render_scene(s)))
        for text in scenes.scene_captions(s, rng):
            assert len(text.split()) <= 15
