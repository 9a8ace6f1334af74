"""Repository hygiene that CI enforces: lint-clean code and notebooks committed without outputs."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "assignment3").glob("*.ipynb"))


def _ruff():
    exe = Path(sys.executable).with_name("ruff")
    return str(exe) if exe.exists() else shutil.which("ruff")


def test_ruff_passes_on_package_tests_tools_and_notebooks():
    ruff = _ruff()
    assert ruff, "ruff is not installed: run `make setup`"
    paths = [p for p in ("cs231n", "tests", "tools", "bench", "assignment3") if (ROOT / p).exists()]
    result = subprocess.run([ruff, "check", "--no-cache", *paths], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, f"ruff found problems:\n{result.stdout}{result.stderr}"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_committed_without_outputs(nb):
    cells = json.loads(nb.read_text())["cells"]
    dirty = [i for i, c in enumerate(cells) if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))]
    assert not dirty, (f"{nb.name}: code cells {dirty} carry outputs or execution counts; clear them "
                       f"(jupyter nbconvert --clear-output --inplace {nb.name}) before committing")


def test_every_notebook_of_the_assignment_exists():
    expected = {"RNN_Captioning.ipynb", "LSTM_Captioning.ipynb", "Transformer_Captioning.ipynb",
                "Network_Visualization.ipynb", "Style_Transfer.ipynb", "Generative_Adversarial_Networks.ipynb"}
    missing = expected - {p.name for p in NOTEBOOKS}
    assert not missing, f"assignment3/ lacks {sorted(missing)}"
