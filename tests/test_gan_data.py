"""The GAN notebook's data (cs231n/data/mnist.py) and tools/setup_gan_data.sh.

The real path, MNIST through torchvision, runs end to end against a server on 127.0.0.1: torchvision's
mirror list points at it, and its resources list names the MD5 of the gzipped IDX files the test
makes, so torchvision downloads and verifies them exactly as it does the real ones. Each failure
(unreachable, HTTP error, truncated or corrupted file) ends in one line naming it and the Fashion-MNIST
fallback.
"""

import gzip
import hashlib
import os
import shutil
import socket
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision.datasets as dset

import cs231n.data.mnist as mnist
import cs231n.data.mnist_files as mnist_files
from _local_server import LocalServer

REPO = Path(__file__).resolve().parent.parent
SETUP = REPO / "tools" / "setup_gan_data.sh"
NAMES = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
         "t10k-labels-idx1-ubyte.gz"]


def _idx_bytes(array):
    """A uint8 array in the IDX format of MNIST (magic 0x0000 08 ndim, big-endian sizes, data)."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def _write_idx(path, array):
    """Write a uint8 array as a gzip'd IDX file (the MNIST format)."""
    with gzip.open(path, "wb") as f:
        f.write(_idx_bytes(array))


def _fake_fashion_mnist(folder, n=6, listed_in=None):
    """Four small files in the package's format, listed with their MD5 in the dpkg list that
    $CS231N_FASHION_MNIST_MD5SUMS names (the dpkg_list fixture), as the installed package lists its own
    (under the folder listed_in, where a stand-in apt-get will put them, when given)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for split in ("train", "t10k"):
        _write_idx(folder / f"{split}-images-idx3-ubyte.gz", rng.integers(0, 256, size=(n, 28, 28)))
        _write_idx(folder / f"{split}-labels-idx1-ubyte.gz", np.arange(n) % 10)
    prefix = str(listed_in or folder).strip("/")
    with open(os.environ["CS231N_FASHION_MNIST_MD5SUMS"], "a") as listing:
        for name in NAMES:
            listing.write(f"{hashlib.md5((folder / name).read_bytes()).hexdigest()}  {prefix}/{name}\n")
    return folder


@pytest.fixture(autouse=True)
def dpkg_list(tmp_path, monkeypatch):
    """dpkg's list of the package's checksums, in tmp_path (empty until _fake_fashion_mnist adds to it)."""
    listing = tmp_path / "dataset-fashion-mnist.md5sums"
    listing.write_text("")
    monkeypatch.setenv("CS231N_FASHION_MNIST_MD5SUMS", str(listing))
    return listing


def _damage(path):
    """Flip one byte in the middle of a file: same size, another checksum."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _mnist_files(n_train=12, n_test=5):
    """{file name: gzip bytes} of a small MNIST in the real format; labels 0..9 cycling."""
    rng = np.random.default_rng(1)
    files = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        files[f"{split}-images-idx3-ubyte.gz"] = gzip.compress(_idx_bytes(rng.integers(0, 256, size=(n, 28, 28))))
        files[f"{split}-labels-idx1-ubyte.gz"] = gzip.compress(_idx_bytes(np.arange(n) % 10))
    return files


@pytest.fixture
def mnist_server(monkeypatch):
    """A 127.0.0.1 server that torchvision's MNIST downloads from; yields (server, files)."""
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "CS231N_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    files = _mnist_files()
    with LocalServer() as server:
        for name, body in files.items():
            server.add(f"/mnist/{name}", body)
        monkeypatch.setattr(dset.MNIST, "mirrors", [server.url("/mnist/")])
        monkeypatch.setattr(dset.MNIST, "resources", [(n, hashlib.md5(files[n]).hexdigest()) for n in NAMES])
        yield server, files


def test_mnist_downloads_through_torchvision_from_its_mirror(mnist_server, tmp_path, capsys):
    server, files = mnist_server
    ds = mnist.load_gan_data(train=True, root=tmp_path / "data", system_dir=tmp_path / "absent")
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and "MNIST (downloaded by torchvision" in lines[0], lines
    assert ds.gan_name == "MNIST" and type(ds).__name__ == "MNIST" and len(ds) == 12
    expected = np.frombuffer(gzip.decompress(files["train-images-idx3-ubyte.gz"])[16:], np.uint8).reshape(12, 28, 28).copy()
    x, y = ds[3]
    assert torch.allclose(x[0], torch.from_numpy(expected[3]).float() / 255) and y == 3, \
        "load_gan_data: the downloaded images differ from the served ones"
    test = mnist.load_gan_data(train=False, root=tmp_path / "data", verbose=False)
    assert len(test) == 5 and test.gan_name == "MNIST"
    served = {p for p, _ in server.requests}
    assert served == {f"/mnist/{n}" for n in NAMES}, served
    # A second call finds the data in place and asks the network for nothing.
    before = len(server.requests)
    mnist.load_gan_data(train=True, root=tmp_path / "data", verbose=False)
    assert len(server.requests) == before


def test_notebook_tensors_from_downloaded_mnist(mnist_server, tmp_path):
    ds = mnist.load_gan_data(train=True, root=tmp_path / "data", verbose=False)
    x, y = mnist.image_tensors(ds)
    assert x.shape == (12, 1, 28, 28) and x.dtype == torch.float32 and 0 <= x.min() and x.max() <= 1
    batches = list(mnist.TensorBatches(x, y, batch_size=5, seed=0))
    assert [len(b[0]) for b in batches] == [5, 5], "TensorBatches: one pass, the incomplete batch dropped"


def _fallback(tmp_path, capsys, bad="train-images-idx3-ubyte.gz"):
    system = _fake_fashion_mnist(tmp_path / "system")
    ds = mnist.load_gan_data(train=True, root=tmp_path / "data", system_dir=system)
    lines = capsys.readouterr().out.strip().splitlines()
    assert ds.gan_name == "Fashion-MNIST", "load_gan_data: should fall back to Fashion-MNIST"
    assert len(lines) == 1 and "Fashion-MNIST" in lines[0] and "MNIST download failed" in lines[0], lines
    assert not (tmp_path / "data" / "MNIST" / "raw" / bad[: -len(".gz")]).exists(), \
        f"{bad}: a file that failed its check was put in place"
    return lines[0]


def test_mnist_unreachable_falls_back(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("CS231N_OFFLINE", raising=False)
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(dset.MNIST, "mirrors", [f"http://127.0.0.1:{port}/mnist/"])
    line = _fallback(tmp_path, capsys)
    assert "cannot reach 127.0.0.1" in line, line


def test_mnist_http_error_falls_back(mnist_server, tmp_path, capsys):
    server, files = mnist_server
    server.add("/mnist/train-labels-idx1-ubyte.gz", b"<html>not here</html>", status=404, content_type="text/html")
    line = _fallback(tmp_path, capsys, bad="train-labels-idx1-ubyte.gz")
    assert "404" in line, line


def test_mnist_truncated_file_falls_back(mnist_server, tmp_path, capsys):
    server, files = mnist_server
    body = files["train-images-idx3-ubyte.gz"]
    server.add("/mnist/train-images-idx3-ubyte.gz", body[: len(body) // 2])  # complete response, half a file
    line = _fallback(tmp_path, capsys)
    assert "corrupted" in line, line


def test_mnist_connection_dropped_mid_file_falls_back(mnist_server, tmp_path, capsys):
    server, files = mnist_server
    body = files["t10k-images-idx3-ubyte.gz"]
    server.add("/mnist/t10k-images-idx3-ubyte.gz", body, drop_after=len(body) // 3, drop_times=10)
    _fallback(tmp_path, capsys, bad="t10k-images-idx3-ubyte.gz")


def test_mnist_corrupted_file_falls_back(mnist_server, tmp_path, capsys):
    server, files = mnist_server
    body = bytearray(files["train-images-idx3-ubyte.gz"])
    body[len(body) // 2] ^= 0xFF  # same length, one byte flipped: only the MD5 can tell
    server.add("/mnist/train-images-idx3-ubyte.gz", bytes(body))
    line = _fallback(tmp_path, capsys)
    assert "corrupted" in line, line


def test_mnist_failure_without_fallback_names_the_fix(mnist_server, tmp_path):
    server, _ = mnist_server
    server.add("/mnist/train-images-idx3-ubyte.gz", b"", status=500)
    with pytest.raises(RuntimeError, match="setup_gan_data.sh") as err:
        mnist.load_gan_data(root=tmp_path / "data", system_dir=tmp_path / "absent", verbose=False)
    assert "\n" not in str(err.value) and "MNIST download failed" in str(err.value), str(err.value)


# ------------------------------------------------------------------------------------------------
# The offline stand-in: Fashion-MNIST from Debian's package
# ------------------------------------------------------------------------------------------------


def test_loader_reads_fashion_mnist_package_when_offline(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CS231N_OFFLINE", "1")
    system = _fake_fashion_mnist(tmp_path / "system")
    ds = mnist.load_gan_data(train=True, root=tmp_path / "data", system_dir=system)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and "Fashion-MNIST" in lines[0], f"load_gan_data: expected one line naming it, got {lines}"
    assert ds.gan_name == "Fashion-MNIST" and len(ds) == 6, "load_gan_data: wrong dataset or size"
    x, y = ds[1]
    assert tuple(x.shape) == (1, 28, 28) and 0 <= x.min() and x.max() <= 1 and y == 1, \
        "load_gan_data: images should be (1, 28, 28) in [0, 1] with their labels"
    assert type(ds).__name__ == "FashionMNIST", "load_gan_data: should read through torchvision's FashionMNIST"


def test_loader_names_the_fix_when_no_data(tmp_path, monkeypatch):
    monkeypatch.setenv("CS231N_OFFLINE", "1")
    with pytest.raises(RuntimeError, match="setup_gan_data.sh"):
        mnist.load_gan_data(root=tmp_path / "data", system_dir=tmp_path / "absent", verbose=False)


def test_loader_refuses_truncated_package_file(tmp_path, monkeypatch):
    monkeypatch.setenv("CS231N_OFFLINE", "1")
    system = _fake_fashion_mnist(tmp_path / "system")
    data = gzip.decompress((system / "train-images-idx3-ubyte.gz").read_bytes())
    (system / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(data[:-100]))
    with pytest.raises(RuntimeError, match="does not match its package checksum") as err:
        mnist.load_gan_data(root=tmp_path / "data", system_dir=system, verbose=False)
    assert "apt-get install --reinstall dataset-fashion-mnist" in str(err.value), str(err.value)
    raw = tmp_path / "data" / "FashionMNIST" / "raw"
    assert not (raw / "train-images-idx3-ubyte").exists(), "a damaged file was moved into place"
    assert not list(raw.glob("*.part")), "a temporary file was left behind"


def test_loader_rebuilds_a_truncated_copy_in_datasets(tmp_path, monkeypatch):
    monkeypatch.setenv("CS231N_OFFLINE", "1")
    system = _fake_fashion_mnist(tmp_path / "system")
    mnist.load_gan_data(root=tmp_path / "data", system_dir=system, verbose=False)
    copy = tmp_path / "data" / "FashionMNIST" / "raw" / "t10k-images-idx3-ubyte"
    whole = copy.read_bytes()
    copy.write_bytes(whole[:-50])
    ds = mnist.load_gan_data(train=False, root=tmp_path / "data", system_dir=system, verbose=False)
    assert copy.read_bytes() == whole and len(ds) == 6, "load_gan_data: a truncated decompressed copy was used"


def test_package_files_without_a_dpkg_list_are_checked_against_the_known_sums(tmp_path):
    system = _fake_fashion_mnist(tmp_path / "system")
    assert mnist_files.fashion_mnist_damage(system) is None, "files matching the dpkg list were refused"
    os.environ["CS231N_FASHION_MNIST_MD5SUMS"] = str(tmp_path / "no-such-list")  # restored by dpkg_list
    damage = mnist_files.fashion_mnist_damage(system)
    assert damage is not None and "does not match its package checksum" in damage, \
        f"without dpkg's list, files of neither Debian's release nor upstream were accepted: {damage}"


DEB = sorted(Path("/var/cache/apt/archives").glob("dataset-fashion-mnist_*.deb"))


@pytest.mark.skipif(not DEB or shutil.which("dpkg-deb") is None, reason="Debian's package is not in apt's cache")
def test_known_debian_sums_are_those_of_the_package_files(tmp_path):
    subprocess.run(["dpkg-deb", "-x", str(DEB[-1]), str(tmp_path)], check=True)
    files = tmp_path / "usr" / "share" / "datasets" / "fashion-mnist"
    got = {name: hashlib.md5((files / name).read_bytes()).hexdigest() for name in NAMES}
    assert got == mnist_files.DEBIAN_MD5, f"{DEB[-1].name}: the package's files have other sums than DEBIAN_MD5"
    os.environ["CS231N_FASHION_MNIST_MD5SUMS"] = str(tmp_path / "no-such-list")  # restored by dpkg_list
    assert mnist_files.fashion_mnist_damage(files) is None, "the package's own files were refused"


def test_tensor_batches_reshuffle_every_pass_and_cover_the_data():
    x = torch.arange(10, dtype=torch.float32).view(10, 1, 1, 1)
    batches = mnist.TensorBatches(x, torch.arange(10), batch_size=3, seed=0)
    assert len(batches) == 3
    first, second = [torch.cat([b[1] for b in batches]) for _ in range(2)]
    assert len(first) == 9 and len(set(first.tolist())) == 9, "TensorBatches: a pass repeats or skips images"
    assert not torch.equal(first, second), "TensorBatches: the order should change between passes"
    for xb, yb in batches:
        assert torch.equal(xb.view(-1), yb.float()), "TensorBatches: images and labels out of step"


# ------------------------------------------------------------------------------------------------
# tools/setup_gan_data.sh
# ------------------------------------------------------------------------------------------------


def _run_setup(env_extra, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CS231N_")}
    env.update(CS231N_DATASETS=str(tmp_path / "data"),
               CS231N_FASHION_MNIST_MD5SUMS=os.environ["CS231N_FASHION_MNIST_MD5SUMS"], **env_extra)
    return subprocess.run(["bash", str(SETUP)], capture_output=True, text=True, env=env, timeout=60)


def test_setup_script_does_nothing_when_data_present(tmp_path):
    system = _fake_fashion_mnist(tmp_path / "system")
    r = _run_setup({"CS231N_FASHION_MNIST_DIR": str(system), "CS231N_OFFLINE": "1"}, tmp_path)
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.strip().splitlines()) == 1 and "checksums verified; nothing to do" in r.stdout, r.stdout


def _fake_apt(tmp_path, body, uid=None):
    """PATH with a stand-in apt-get running `body` (and, given uid, an `id` that reports it)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    apt = bin_dir / "apt-get"
    apt.write_text("#!/bin/sh\n" + body)
    apt.chmod(0o755)
    if uid is not None:
        (bin_dir / "id").write_text(f"#!/bin/sh\necho {uid}\n")
        (bin_dir / "id").chmod(0o755)
    return f"{bin_dir}:{os.environ['PATH']}"


def test_setup_script_repairs_damaged_files_with_a_reinstall(tmp_path):
    system = _fake_fashion_mnist(tmp_path / "system")
    good = tmp_path / "good"
    shutil.copytree(system, good)
    _damage(system / "train-images-idx3-ubyte.gz")
    # A stand-in apt-get whose reinstall puts the package's files back (a plain install would not).
    path = _fake_apt(tmp_path, f'[ "$1 $2" = "install --reinstall" ] && cp {good}/* {system}/\nexit 0\n', uid=0)
    r = _run_setup({"CS231N_FASHION_MNIST_DIR": str(system), "CS231N_OFFLINE": "1", "PATH": path}, tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "nothing to do" not in r.stdout, f"setup_gan_data.sh: damaged files passed as data in place:\n{r.stdout}"
    assert "does not match its package checksum" in r.stdout and "reinstalled and verified" in r.stdout, r.stdout
    assert (system / "train-images-idx3-ubyte.gz").read_bytes() == (good / "train-images-idx3-ubyte.gz").read_bytes()


def test_setup_script_fails_when_the_reinstall_does_not_repair(tmp_path):
    system = _fake_fashion_mnist(tmp_path / "system")
    _damage(system / "t10k-labels-idx1-ubyte.gz")
    path = _fake_apt(tmp_path, "exit 0\n", uid=0)
    r = _run_setup({"CS231N_FASHION_MNIST_DIR": str(system), "CS231N_OFFLINE": "1", "PATH": path}, tmp_path)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "reinstalling dataset-fashion-mnist failed" in r.stderr and "t10k-labels" in r.stderr, r.stderr


def test_setup_script_names_the_reinstall_when_it_cannot_run_it(tmp_path):
    system = _fake_fashion_mnist(tmp_path / "system")
    _damage(system / "train-labels-idx1-ubyte.gz")
    path = _fake_apt(tmp_path, "echo apt-get must not run >&2; exit 1\n", uid=1000)
    r = _run_setup({"CS231N_FASHION_MNIST_DIR": str(system), "CS231N_OFFLINE": "1", "PATH": path}, tmp_path)
    assert r.returncode == 1 and "apt-get must not run" not in r.stderr, r.stdout + r.stderr
    assert "fix: run 'sudo apt-get install --reinstall dataset-fashion-mnist'" in r.stderr, r.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="the script installs packages only as root")
def test_setup_script_installs_package_when_offline(tmp_path):
    system = tmp_path / "system"
    # A stand-in apt-get that "installs" the package by writing the four files.
    src = _fake_fashion_mnist(tmp_path / "src", listed_in=system)
    path = _fake_apt(tmp_path, f'[ "$1" = install ] && mkdir -p {system} && cp {src}/* {system}/\nexit 0\n')
    r = _run_setup({"CS231N_FASHION_MNIST_DIR": str(system), "CS231N_OFFLINE": "1", "PATH": path}, tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "apt-get update" in r.stdout and "installed" in r.stdout, r.stdout
    assert len(list(system.glob("*.gz"))) == 4


def test_setup_script_failure_names_the_fix(tmp_path):
    path = _fake_apt(tmp_path, "exit 100\n")
    r = _run_setup({"CS231N_FASHION_MNIST_DIR": str(tmp_path / "absent"), "CS231N_OFFLINE": "1", "PATH": path},
                   tmp_path)
    assert r.returncode != 0, "setup_gan_data.sh: should fail when nothing could be installed"
    assert "fix:" in r.stderr and "dataset-fashion-mnist" in r.stderr, r.stderr


def test_setup_script_help():
    r = subprocess.run(["bash", str(SETUP), "--help"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0 and "Usage" in r.stdout


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_setup_script_rejects_unknown_argument():
    r = subprocess.run(["bash", str(SETUP), "--bogus"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 2 and "unknown argument" in r.stderr
