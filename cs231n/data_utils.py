"""Where data lives, and the loaders that are not about COCO."""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def datasets_dir():
    """The folder data lands in: $CS231N_DATASETS if set, else datasets/ at the repository root."""
    return Path(os.environ.get("CS231N_DATASETS", REPO_ROOT / "datasets"))


def offline_forced():
    """True when CS231N_OFFLINE=1: every loader then uses its embedded default without a network try."""
    return os.environ.get("CS231N_OFFLINE", "") not in ("", "0")
