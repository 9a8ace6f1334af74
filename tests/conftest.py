"""Fixtures shared by several test files, and the progress report and time limits (tools/progress.py)."""

import sys
from pathlib import Path

import pytest
import torch
from _local_server import LocalServer

from cs231n.data import download

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import progress  # noqa: E402  (tools/ is not a package)

try:  # instructors' make test: the longest work first on every core (absent from the student edition)
    import xdist_order  # noqa: E402
except ImportError:
    xdist_order = None

# Tests that need more than the default time limit (`timeout` in pyproject.toml) get it from their marker.
LONGER_LIMITS = {"notebook": 1800, "slow": 900}


def pytest_addoption(parser):
    progress.addoption(parser)


def pytest_configure(config):
    progress.register(config)
    if xdist_order is not None:
        config.pluginmanager.register(xdist_order, "xdist_order")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("timeout") is not None:
            continue
        limits = [s for name, s in LONGER_LIMITS.items() if item.get_closest_marker(name) is not None]
        if type(item).__name__ == "IPyNbCell":  # nbval's notebook cells: nbval has its own cell timeout
            limits.append(LONGER_LIMITS["notebook"])
        if limits:
            item.add_marker(pytest.mark.timeout(max(limits)))


@pytest.fixture(scope="module")
def one_torch_thread():
    """Tiny tensors: one thread avoids thread start-up and contention on shared cores."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def server():
    """A LocalServer on 127.0.0.1 (tests/_local_server.py), stopped after the test."""
    with LocalServer() as s:
        yield s


@pytest.fixture
def local_network(monkeypatch, tmp_path):
    """For tests of the download paths: data lands in tmp_path/datasets (created, returned),
    CS231N_OFFLINE and CS231N_COCO_URL are unset, no proxy stands between the test and its local
    server, and retries wait 10 ms. Opt in per file with
    `pytestmark = pytest.mark.usefixtures("local_network")`."""
    datasets = tmp_path / "datasets"
    datasets.mkdir()
    monkeypatch.setenv("CS231N_DATASETS", str(datasets))
    monkeypatch.delenv("CS231N_OFFLINE", raising=False)
    monkeypatch.delenv("CS231N_COCO_URL", raising=False)
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setattr(download, "_BACKOFF_S", (0.01,))
    return datasets
