"""The SimCLR notebook's data (cs231n/data/ssl.py, load_ssl_data): the generated scenes and the choice of
source, offline (a CIFAR-10 folder in torchvision's format is faked where one is needed)."""

import pickle

import numpy as np
import pytest
import torch

from cs231n.data import ssl
from cs231n.data.ssl import ShapeScenes, cifar10_ready, ssl_source
from cs231n.simclr.data_utils import ScenesPair, load_ssl_data


def test_scenes_are_deterministic_cifar_shaped_and_labelled_by_shape():
    a, b = ShapeScenes(40, train=True), ShapeScenes(40, train=True)
    assert a.data.shape == (40, 32, 32, 3) and a.data.dtype == np.uint8
    assert np.array_equal(a.data, b.data) and a.targets == b.targets, "the same split must draw the same scenes"
    assert not np.array_equal(a.data, ShapeScenes(40, train=False).data), "train and test scenes must differ"
    assert a.classes == ["circle", "square", "triangle", "star", "cross"] and set(a.targets) <= set(range(5))
    img, label = a[0]
    assert img.size == (32, 32) and label == a.targets[0]


def test_scenes_vary_colour_and_position_independently_of_the_shape():
    d = ShapeScenes(600)
    targets, colours = np.asarray(d.targets), np.asarray(d.colours)
    for shape in range(5):  # every shape appears in every colour
        assert set(colours[targets == shape]) == set(range(len(d.colour_names)))
    background = d.data[:, 0, 0].astype(int)  # the corner pixel is background
    centre = np.array([np.argwhere(np.abs(img.astype(int) - bg).sum(-1) > 60).mean(0) for img, bg in
                       zip(d.data[:100], background[:100])])
    assert centre.std(axis=0).min() > 2, f"shape positions barely vary: std {centre.std(axis=0)} pixels"


def test_offline_source_is_the_scenes_and_says_so(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("CS231N_OFFLINE", "1")
    assert ssl_source(tmp_path) == ("scenes", None)
    line = capsys.readouterr().out.strip()
    assert line.startswith("SSL data: generated shape scenes") and "CS231N_OFFLINE=1" in line, line


def test_a_cifar10_folder_is_used_when_present(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    assert not cifar10_ready(tmp_path)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        (folder / name).write_bytes(pickle.dumps({"data": np.zeros((2, 3072), np.uint8), "labels": [0, 1]}))
    assert cifar10_ready(tmp_path)
    monkeypatch.setenv("CS231N_OFFLINE", "1")
    assert ssl_source(tmp_path)[0] == "cifar10"
    assert "SSL data: CIFAR-10" in capsys.readouterr().out


def test_a_failed_download_falls_back_to_the_scenes(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("CS231N_OFFLINE", raising=False)
    monkeypatch.setattr(ssl, "download_cifar10", lambda root: "offline, cannot reach www.cs.toronto.edu")
    assert ssl_source(tmp_path) == ("scenes", None)
    assert "CIFAR-10 download failed: offline" in capsys.readouterr().out


def test_load_ssl_data_offline_gives_every_dataset_the_notebook_uses(monkeypatch):
    monkeypatch.setenv("CS231N_OFFLINE", "1")
    data = load_ssl_data(n_train=50, n_test=20, label_fraction=0.2, verbose=False)
    assert data.source == "generated shape scenes" and len(data.classes) == 5
    assert isinstance(data.pretrain, ScenesPair) and len(data.pretrain) == 50 and len(data.test) == 20
    assert len(data.probe_train) == 10, "label_fraction 0.2 of 50 images"
    x_i, x_j, label = data.pretrain[0]
    x, label_plain = data.train_plain[0]
    assert x_i.shape == x.shape == (3, 32, 32) and label == label_plain
    assert np.array_equal(data.memory.data, data.pretrain.data), "the views share the drawn images"


def _weights_bytes(tmp_path, state):
    path = tmp_path / "w.pth"
    torch.save(state, path)
    return path.read_bytes()


SMALL = {"f.0.weight": (4, 3, 3, 3), "g.0.weight": (5, 4)}


def test_pretrained_weights_are_downloaded_verified_and_loaded_weights_only(tmp_path, monkeypatch):
    from _local_server import LocalServer

    monkeypatch.delenv("CS231N_OFFLINE", raising=False)
    state = {k: torch.zeros(s) for k, s in SMALL.items()}
    with LocalServer() as server:
        server.add("/w.pth", _weights_bytes(tmp_path, state))
        got = ssl.fetch_pretrained_simclr(tmp_path / "data", url=server.url("/w.pth"), expected_shapes=SMALL)
    assert set(got) == set(SMALL) and (tmp_path / "data/pretrained_model/pretrained_simclr_model.pth").is_file()


@pytest.mark.parametrize("kind", ["html", "wrong shape", "code in the pickle"])
def test_bad_pretrained_weights_are_refused_and_never_take_the_final_name(tmp_path, monkeypatch, kind):
    from _local_server import LocalServer

    from cs231n.data.download import DownloadError

    monkeypatch.delenv("CS231N_OFFLINE", raising=False)
    if kind == "html":
        body = b"<!DOCTYPE html><html><body>Moved</body></html>"
    elif kind == "wrong shape":
        body = _weights_bytes(tmp_path, {"f.0.weight": torch.zeros(4, 3, 7, 7), "g.0.weight": torch.zeros(5, 4)})
    else:
        body = _weights_bytes(tmp_path, {"f.0.weight": torch.zeros(4, 3, 3, 3), "g.0.weight": _Evil()})
    with LocalServer() as server:
        server.add("/w.pth", body, content_type="text/html" if kind == "html" else "application/octet-stream")
        with pytest.raises(DownloadError):
            ssl.fetch_pretrained_simclr(tmp_path / "data", url=server.url("/w.pth"), expected_shapes=SMALL)
    assert not (tmp_path / "data/pretrained_model/pretrained_simclr_model.pth").exists()


class _Evil:
    def __reduce__(self):  # what weights_only=True refuses to run
        return (print, ("unpickled code ran",))
