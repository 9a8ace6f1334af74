"""The numpy captioning path, imported in a fresh interpreter, loads no torch (nor the network stack).
tests/test_hygiene.py checks the import graph on the source; this checks what an import really loads,
third-party imports included."""

import subprocess
import sys

import pytest

TORCH = ("torch",)
# urllib.parse comes with Python's own start-up, so the network stack is named by its other parts.
TORCH_AND_NETWORK = ("torch", "urllib.request", "http.client", "socket", "ssl", "fcntl")
NUMPY_PATH = {
    "cs231n.captioning_solver": TORCH_AND_NETWORK,
    "cs231n.coco_utils": TORCH_AND_NETWORK,
    "cs231n.optim": TORCH_AND_NETWORK,
    "cs231n.gradient_check": TORCH_AND_NETWORK,
    "cs231n.rnn_layers": TORCH,
    "cs231n.classifiers.rnn": TORCH,
    "cs231n.image_utils": TORCH,
    "cs231n.metrics.bleu": TORCH,
}


@pytest.mark.parametrize("module", sorted(NUMPY_PATH))
def test_numpy_captioning_module_imports_neither_torch_nor_the_network(module):
    code = f"import sys, {module}; print(' '.join(m for m in {NUMPY_PATH[module]!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, f"import {module} failed: {out.stderr.strip().splitlines()[-1:]}"
    assert out.stdout.strip() == "", f"import {module} also imports {out.stdout.strip()}"
