"""cs231n.data_utils.load_imagenet_val: the real npz through a local server, and the offline scenes."""

import io

import numpy as np
import pytest

from cs231n.data import imagenet_val
from cs231n.data import download as dl
from cs231n.data_utils import load_imagenet_val
from cs231n.data.download import DownloadError
from cs231n.data.paths import datasets_dir


def _npz_bytes(n=3, size=224, y=None, drop=()):
    """An imagenet_val_25.npz look-alike with n images (the real one has 25)."""
    rng = np.random.default_rng(0)
    arrays = {"X": rng.integers(0, 256, (n, size, size, 3), dtype=np.uint8),
              "y": np.array(y if y is not None else [7 * i for i in range(n)], dtype=np.int64),
              "label_map": np.array({i: f"class {i}" for i in range(1000)})}
    buf = io.BytesIO()
    np.savez(buf, **{k: v for k, v in arrays.items() if k not in drop})
    return buf.getvalue(), arrays


pytestmark = pytest.mark.usefixtures("local_network")


def _saved_npz():
    """Where load_imagenet_val keeps the real file (under the test's datasets folder)."""
    return datasets_dir() / "imagenet_val_25.npz"


def test_load_imagenet_val_downloads_verifies_and_reads(server, monkeypatch, tmp_path, capsys):
    payload, arrays = _npz_bytes()
    monkeypatch.setattr(imagenet_val, "IMAGENET_VAL_URL", server.add("/imagenet_val_25.npz", payload))
    X, y, class_names = load_imagenet_val(num=2)
    assert np.array_equal(X, arrays["X"][:2]) and X.dtype == np.uint8, "load_imagenet_val: X differs from the file"
    assert np.array_equal(y, arrays["y"][:2]), f"load_imagenet_val: y is {y}, expected {arrays['y'][:2]}"
    assert class_names[7] == "class 7" and len(class_names) == 1000, "load_imagenet_val: label_map not returned"
    assert _saved_npz().read_bytes() == payload, "load_imagenet_val: file not saved"
    assert "ImageNet validation images" in capsys.readouterr().out, "load_imagenet_val: no line naming the source"


def test_load_imagenet_val_uses_existing_file_without_network(monkeypatch, tmp_path):
    payload, arrays = _npz_bytes()
    _saved_npz().write_bytes(payload)

    def no_network(*args, **kwargs):
        raise AssertionError("load_imagenet_val: downloaded although the file was already there")

    monkeypatch.setattr(dl, "download", no_network)
    X, y, _ = load_imagenet_val()
    assert X.shape == (3, 224, 224, 3) and np.array_equal(y, arrays["y"]), "load_imagenet_val: wrong file content"


@pytest.mark.parametrize("bad", ["wrong_shape", "missing_label_map", "labels_out_of_range"])
def test_load_imagenet_val_rejects_wrong_file_and_falls_back(server, monkeypatch, tmp_path, capsys, bad):
    payload, _ = {"wrong_shape": lambda: _npz_bytes(size=64),
                  "missing_label_map": lambda: _npz_bytes(drop=("label_map",)),
                  "labels_out_of_range": lambda: _npz_bytes(y=[0, 1, 1000])}[bad]()
    monkeypatch.setattr(imagenet_val, "IMAGENET_VAL_URL", server.add("/imagenet_val_25.npz", payload))
    X, y, class_names = load_imagenet_val(num=4)
    line = capsys.readouterr().out
    assert X.shape == (4, 64, 64, 3), f"load_imagenet_val: a {bad} file should give the scenes, got {X.shape}"
    assert "NOT ImageNet" in line and "verification" in line, f"load_imagenet_val: printed {line!r}"
    assert not _saved_npz().exists(), "load_imagenet_val: kept a file that failed verification"


def test_load_imagenet_val_html_page_is_not_used(server, monkeypatch, tmp_path):
    url = server.add("/imagenet_val_25.npz", b"<html><body>Moved</body></html>", content_type="text/html")
    monkeypatch.setattr(imagenet_val, "IMAGENET_VAL_URL", url)
    with pytest.raises(DownloadError, match="HTML page"):
        load_imagenet_val(source="imagenet")
    assert not _saved_npz().exists(), "load_imagenet_val: saved an HTML page"


def test_load_imagenet_val_keeps_a_bad_existing_file_and_says_what_to_do(tmp_path, capsys):
    _saved_npz().write_bytes(b"not an npz")
    with pytest.raises(DownloadError, match=r"delete it and run python -c"):
        load_imagenet_val(source="imagenet")
    X, _, _ = load_imagenet_val()
    assert X.shape == (25, 64, 64, 3), "load_imagenet_val: a bad existing file should give the scenes"
    assert _saved_npz().read_bytes() == b"not an npz", \
        "load_imagenet_val: deleted or changed data it did not download"


def test_load_imagenet_val_offline_forced_gives_labelled_scenes(monkeypatch, capsys):
    monkeypatch.setenv("CS231N_OFFLINE", "1")

    def no_network(*args, **kwargs):
        raise AssertionError("load_imagenet_val: tried the network although CS231N_OFFLINE=1")

    monkeypatch.setattr(dl, "download", no_network)
    X, y, class_names = load_imagenet_val(num=5)
    line = capsys.readouterr().out
    assert X.shape == (5, 64, 64, 3) and X.dtype == np.uint8, f"load_imagenet_val: scenes are {X.shape} {X.dtype}"
    assert y.shape == (5,) and all(0 <= c < len(class_names) for c in y), "load_imagenet_val: bad scene labels"
    assert "generated" in line and "NOT ImageNet" in line and "CS231N_OFFLINE=1" in line, \
        f"load_imagenet_val: the line must say these are scenes, printed {line!r}"
    with pytest.raises(dl.OfflineError, match="CS231N_OFFLINE=1"):
        load_imagenet_val(source="imagenet")


def test_load_imagenet_val_scenes_are_deterministic_and_match_their_labels():
    from cs231n.data import scenes

    X1, y1, names = load_imagenet_val(source="scenes", verbose=False)
    X2, y2, _ = load_imagenet_val(source="scenes", verbose=False)
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2), "load_imagenet_val: scenes differ between calls"
    assert names == dict(enumerate(scenes.CLASS_NAMES)), "load_imagenet_val: scene class names are not CLASS_NAMES"
    assert len(set(y1.tolist())) >= 10, f"load_imagenet_val: only {len(set(y1.tolist()))} classes in 25 scenes"


# --- failures of the real download, and a tampered label_map ---------------------------------------


def _free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("failure, words", [
    ("unreachable", "offline: cs231n.stanford.edu cannot be reached"),
    ("http_error", "answered HTTP 503"),
    ("truncated", "kept failing"),
    ("corrupted", "failed verification: it is not a readable .npz file"),
])
def test_load_imagenet_val_failure_gives_one_line_and_the_scenes(server, monkeypatch, tmp_path, capsys, failure,
                                                                 words):
    payload, _ = _npz_bytes()
    if failure == "unreachable":
        url = f"http://127.0.0.1:{_free_port()}/imagenet_val_25.npz"
    elif failure == "http_error":
        url = server.add("/imagenet_val_25.npz", b"busy", status=503, content_type="text/plain")
    elif failure == "truncated":
        url = server.add("/imagenet_val_25.npz", payload, drop_after=1000, drop_times=100, ranges=False)
    else:  # every byte arrives, but they are not an npz
        url = server.add("/imagenet_val_25.npz", bytes(len(payload)))
    monkeypatch.setattr(imagenet_val, "IMAGENET_VAL_URL", url)
    with pytest.raises(DownloadError) as caught:
        load_imagenet_val(source="imagenet")
    assert "\n" not in str(caught.value) and "run python -c" in str(caught.value), \
        f"load_imagenet_val ({failure}): the error must be one line naming the command, got {caught.value}"
    capsys.readouterr()
    X, y, class_names = load_imagenet_val(num=3)
    line = capsys.readouterr().out.strip()
    assert X.shape == (3, 64, 64, 3) and len(class_names) == 30, f"load_imagenet_val ({failure}): got {X.shape}"
    assert "NOT ImageNet" in line and words in line and "\n" not in line, f"load_imagenet_val ({failure}): {line!r}"
    assert not _saved_npz().exists(), f"load_imagenet_val ({failure}): kept a bad file"


class _RunsCode:
    """Unpickling this calls os.system: what a tampered label_map would do."""

    def __reduce__(self):
        import os

        return (os.system, ("echo tampered > tampered.txt",))


def _tampered_npz_bytes():
    rng = np.random.default_rng(0)
    buf = io.BytesIO()
    np.savez(buf, X=rng.integers(0, 256, (2, 224, 224, 3), dtype=np.uint8), y=np.array([1, 2]),
             label_map=np.array({0: "tench", 1: _RunsCode()}))
    return buf.getvalue()


def test_tampered_label_map_is_refused_never_run(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    _saved_npz().write_bytes(_tampered_npz_bytes())
    with pytest.raises(DownloadError, match=r"refers to the Python global (posix|os|nt)\.system.*delete it and run"):
        load_imagenet_val(source="imagenet")
    X, _, _ = load_imagenet_val(num=2)
    line = capsys.readouterr().out
    assert X.shape == (2, 64, 64, 3) and "NOT ImageNet" in line, f"load_imagenet_val: tampered file gave {line!r}"
    assert not (tmp_path / "tampered.txt").exists(), "load_imagenet_val: unpickling the label_map ran code"
    assert _saved_npz().read_bytes() == _tampered_npz_bytes(), \
        "load_imagenet_val: changed a file it did not download"


def test_tampered_download_is_refused_and_not_kept(server, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(imagenet_val, "IMAGENET_VAL_URL", server.add("/imagenet_val_25.npz", _tampered_npz_bytes()))
    with pytest.raises(DownloadError, match=r"failed verification: its label_map pickle refers to the Python global"):
        load_imagenet_val(source="imagenet")
    assert not (tmp_path / "tampered.txt").exists(), "load_imagenet_val: unpickling the label_map ran code"
    assert not _saved_npz().exists(), "load_imagenet_val: kept a tampered download"


def test_label_map_of_the_classic_layout_is_read_without_pickle_globals(tmp_path):
    """np.savez writes the dict as a pickled 0-d object array; protocols 2-5 all read back."""

    import pickle
    import zipfile

    for protocol in (2, 3, 4, 5):
        npy = io.BytesIO()
        np.lib.format.write_array_header_1_0(npy, {"descr": "|O", "fortran_order": False, "shape": ()})
        pickle.dump(np.array({0: "tench", 999: "toilet tissue"}), npy, protocol=protocol)
        path = tmp_path / f"p{protocol}.npz"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("label_map.npy", npy.getvalue())
        assert imagenet_val._read_label_map(path) == {0: "tench", 999: "toilet tissue"}, \
            f"label_map written with pickle protocol {protocol} not read back"
