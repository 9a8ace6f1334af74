"""Where data lives, and whether to try the network at all. Imports nothing from the package."""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def datasets_dir():
    """The folder data lands in: $CS231N_DATASETS if set, else datasets/ at the repository root."""
    return Path(os.environ.get("CS231N_DATASETS", REPO_ROOT / "datasets"))


def offline_forced():
    """True when CS231N_OFFLINE=1: every loader then uses its embedded default without a network try."""
    return os.environ.get("CS231N_OFFLINE", "") not in ("", "0")


def display_path(path):
    """A path relative to the current folder when it lies below it (shorter lines), else absolute."""
    path = Path(path)
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
