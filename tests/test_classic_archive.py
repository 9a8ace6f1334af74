"""cs231n.data.classic_archive and the style-transfer loader that uses it, against a zip of the official
archive's layout (our own images and check file, our own checksums) served from 127.0.0.1."""

import hashlib
import io
import socket
import zipfile

import numpy as np
import pytest
from PIL import Image
from torch import nn

from cs231n import style_transfer_pytorch as st
from cs231n.data import style_transfer as style_data
from cs231n.data.classic_archive import Archive, classic_folder, fetch_classic_files
from cs231n.data.download import DownloadError, OfflineError
from cs231n.data.style_images import embedded_images

IMAGES = ("tubingen.jpg", "composition_vii.jpg", "the_scream.jpg", "starry_night.jpg")
CHECKS = {"cl_out": np.float32(1.5), "gm_out": np.ones((1, 4, 4), np.float32), "sl_out": np.float32(2.5),
          "tv_out": np.float32(3.5)}


def _sha(data):
    return hashlib.sha256(data).hexdigest()


def _jpeg(seed):
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, size=(24, 30, 3), dtype=np.uint8)).save(buf, format="JPEG")
    return buf.getvalue()


def _npz():
    buf = io.BytesIO()
    np.savez(buf, **CHECKS)
    return buf.getvalue()


MEMBERS = {f"assignment3/styles/{name}": _jpeg(i) for i, name in enumerate(IMAGES)}
MEMBERS["assignment3/style-transfer-checks.npz"] = _npz()


def _zip(members, extra=()):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in {**members, **dict(extra)}.items():
            zf.writestr(name, data)
    return buf.getvalue()


# The archive as the course site serves it: more members than we need, one a path-traversal attempt.
ZIP = _zip(MEMBERS, extra={"assignment3/styles/muse.jpg": _jpeg(9), "../../escaped.txt": b"outside",
                           "assignment3/README.md": b"# assignment 3"})


def _archive(url, zip_bytes=ZIP, members=MEMBERS):
    return Archive(url=url, size=len(zip_bytes), sha256=_sha(zip_bytes),
                   members={name: (len(data), _sha(data)) for name, data in members.items()})


# Data under tmp_path/datasets, the offline switch and proxies off, fast retries (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("local_network")


def _snapshot(folder):
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_fetch_puts_each_verified_member_in_place(server, tmp_path):
    archive = _archive(server.add("/a3.zip", ZIP))
    files = fetch_classic_files(archive)
    folder = classic_folder()
    assert folder == tmp_path / "datasets" / "styles"
    assert set(files) == set(IMAGES) | {"style-transfer-checks.npz"}
    for member, data in MEMBERS.items():
        name = member.rsplit("/", 1)[1]
        assert files[name] == folder / name and files[name].read_bytes() == data, f"{name} differs"
    assert sorted(p.name for p in folder.iterdir()) == sorted(files), (
        f"only the five members may be left in {folder} (no archive, .part or extra member): "
        f"{sorted(p.name for p in folder.iterdir())}")
    assert not any(p.name == "escaped.txt" for p in tmp_path.rglob("*")), "a zip member escaped its folder"


def test_verified_files_are_used_without_downloading_again(server):
    archive = _archive(server.add("/a3.zip", ZIP))
    fetch_classic_files(archive)
    fetch_classic_files(archive)
    assert len(server.requests_for("/a3.zip")) == 1, "the archive was downloaded although every file was there"


def test_only_missing_members_are_fetched_and_present_ones_kept(server):
    archive = _archive(server.add("/a3.zip", ZIP))
    files = fetch_classic_files(archive)
    files["the_scream.jpg"].unlink()
    before = files["tubingen.jpg"].stat().st_mtime_ns
    fetch_classic_files(archive)
    assert files["the_scream.jpg"].read_bytes() == MEMBERS["assignment3/styles/the_scream.jpg"]
    assert files["tubingen.jpg"].stat().st_mtime_ns == before, "a verified file was rewritten"


def test_archive_with_a_wrong_checksum_is_refused_and_nothing_changes(server):
    folder = classic_folder()
    folder.mkdir(parents=True)
    (folder / "tubingen.jpg").write_bytes(MEMBERS["assignment3/styles/tubingen.jpg"])  # a verified file
    (folder / "my_notes.txt").write_text("mine")
    before = _snapshot(folder)
    tampered = _zip({**MEMBERS, "assignment3/styles/the_scream.jpg": _jpeg(42)})
    # the server's archive is not the one whose checksum we hold (one member swapped)
    archive = Archive(url=server.add("/a3.zip", tampered), size=len(tampered), sha256=_sha(ZIP),
                      members=_archive("").members)
    with pytest.raises(DownloadError, match="SHA-256") as info:
        fetch_classic_files(archive)
    assert info.value.reason == "sha256" and "\n" not in str(info.value)
    assert _snapshot(folder) == before, "a refused archive changed the files already there"


def test_truncated_archive_is_refused_and_nothing_is_put_in_place(server):
    archive = Archive(url=server.add("/a3.zip", ZIP[:-500]), size=len(ZIP), sha256=_sha(ZIP),
                      members=_archive("").members)
    with pytest.raises(DownloadError) as info:
        fetch_classic_files(archive)
    assert info.value.reason == "size" and "\n" not in str(info.value)
    assert not classic_folder().exists() or not any(classic_folder().glob("*.jpg"))


def test_member_with_a_wrong_checksum_is_refused_and_not_put_in_place(server):
    members = _archive("").members
    members["assignment3/styles/starry_night.jpg"] = (members["assignment3/styles/starry_night.jpg"][0], "0" * 64)
    archive = Archive(url=server.add("/a3.zip", ZIP), size=len(ZIP), sha256=_sha(ZIP), members=members)
    with pytest.raises(DownloadError, match="starry_night.jpg") as info:
        fetch_classic_files(archive)
    assert info.value.reason == "sha256" and "\n" not in str(info.value)
    assert not (classic_folder() / "starry_night.jpg").exists()
    assert not list(classic_folder().glob("*.part")) and not list(classic_folder().glob("*.zip"))


def test_a_different_file_already_there_is_named_and_kept(server):
    archive = _archive(server.add("/a3.zip", ZIP))
    folder = classic_folder()
    folder.mkdir(parents=True)
    (folder / "tubingen.jpg").write_bytes(b"my own picture")
    with pytest.raises(DownloadError, match="tubingen.jpg.*move it aside"):
        fetch_classic_files(archive)
    assert (folder / "tubingen.jpg").read_bytes() == b"my own picture"
    assert server.requests_for("/a3.zip") == []


def test_offline_switch_and_unreachable_host_raise_offline_error(server, monkeypatch):
    archive = _archive(server.add("/a3.zip", ZIP))
    monkeypatch.setenv("CS231N_OFFLINE", "1")
    with pytest.raises(OfflineError):
        fetch_classic_files(archive)
    assert server.requests_for("/a3.zip") == []
    monkeypatch.delenv("CS231N_OFFLINE")
    with socket.socket() as probe:  # a port nobody listens on once the probe is closed: refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(OfflineError):
        fetch_classic_files(_archive(f"http://127.0.0.1:{port}/a3.zip"))


def test_http_error_is_one_line_and_names_the_url(server):
    archive = _archive(server.add("/a3.zip", b"gone", status=404))
    with pytest.raises(DownloadError, match="HTTP 404") as info:
        fetch_classic_files(archive)
    assert "\n" not in str(info.value) and archive.url in str(info.value)


# ---------------------------------------------------------------- through the notebook's loader

def _fake_squeezenet():
    """Stands in for load_squeezenet: a model whose .features is a tiny CNN, and 1000 class names."""
    model = nn.Module()
    model.features = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU())
    return model, [f"class {i}" for i in range(1000)]


def test_setup_fetches_and_uses_the_classic_files_and_answers(server, monkeypatch, capsys):
    monkeypatch.setattr(style_data, "load_squeezenet", _fake_squeezenet)
    setup = style_data.load_style_transfer_setup(device="cpu", archive=_archive(server.add("/a3.zip", ZIP)))
    _, images_line = capsys.readouterr().out.strip().splitlines()
    assert "classic images" in images_line and "verified" in images_line, images_line
    folder = classic_folder()
    assert setup.images["transfer2"] == (str(folder / "tubingen.jpg"), str(folder / "the_scream.jpg"))
    assert setup.label == "SqueezeNet features, classic images"
    assert set(setup.answers) == set(CHECKS) and float(setup.answers["tv_out"]) == 3.5
    assert setup.params == style_data.PARAMS["squeezenet"]


def test_setup_falls_back_to_embedded_images_when_the_archive_is_refused(server, monkeypatch, capsys):
    monkeypatch.setattr(style_data, "load_squeezenet", _fake_squeezenet)
    archive = _archive(server.add("/a3.zip", ZIP))
    archive = Archive(url=archive.url, size=archive.size, sha256="f" * 64, members=archive.members)
    setup = style_data.load_style_transfer_setup(device="cpu", archive=archive)
    _, images_line = capsys.readouterr().out.strip().splitlines()
    assert "embedded default" in images_line and "SHA-256" in images_line, images_line
    assert setup.images == embedded_images() and setup.answers is None
    assert setup.label == "SqueezeNet features, embedded images"


def test_setup_offline_uses_the_embedded_images_with_one_line(server, monkeypatch, capsys):
    monkeypatch.setenv("CS231N_OFFLINE", "1")
    setup = style_data.load_style_transfer_setup(device="cpu", archive=_archive(server.add("/a3.zip", ZIP)))
    _, images_line = capsys.readouterr().out.strip().splitlines()
    assert "embedded default" in images_line and "offline" in images_line, images_line
    assert setup.images == embedded_images() and server.requests_for("/a3.zip") == []


@pytest.mark.slow
def test_real_path_end_to_end_with_seeded_squeezenet_weights(server, monkeypatch, tmp_path, capsys):
    """The notebook's real path through its own loader: torchvision's SqueezeNet weights API finds a
    state dict of the right shapes (random values) in its cache under TORCH_HOME, the archive comes from
    127.0.0.1, and a short classic run goes through."""
    import torch
    from torchvision.models import SqueezeNet1_1_Weights, squeezenet1_1

    checkpoints = tmp_path / "torch" / "hub" / "checkpoints"
    checkpoints.mkdir(parents=True)
    torch.manual_seed(0)
    torch.save(squeezenet1_1().state_dict(), checkpoints / SqueezeNet1_1_Weights.IMAGENET1K_V1.url.rsplit("/", 1)[1])
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    setup = style_data.load_style_transfer_setup(device="cpu", archive=_archive(server.add("/a3.zip", ZIP)))
    features_line, _ = capsys.readouterr().out.strip().splitlines()
    assert "SqueezeNet" in features_line and "NOT ImageNet" not in features_line, features_line
    assert setup.label == "SqueezeNet features, classic images" and setup.answers is not None
    assert setup.params == style_data.PARAMS["squeezenet"]
    short = dict(setup.params["transfer2"], image_size=48, style_size=48, num_iters=3)
    result = st.style_transfer(*setup.images["transfer2"], cnn=setup.cnn, **short)
    assert result["losses"].shape == (3, 3) and np.isfinite(result["losses"]).all()
    assert result["image"].shape[0] == 48, result["image"].shape
