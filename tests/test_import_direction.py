"""The package's import rules (README, "How the repository is built"), checked on the source and in
fresh interpreters: the numpy captioning path imports no torch (nor the network stack), the
machinery folders (checks/, data/, models/, metrics/) never import the assignment or the given
top-level modules, models/ imports nothing from data/ or metrics/, and no module imports a package
module inside a function."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "cs231n"
MACHINERY = ("checks", "data", "models", "metrics")
# What each machinery folder may import from the package, besides itself.
ALLOWED = {"checks": (), "models": ("checks",), "data": ("models", "checks"),
           "metrics": ("data", "models", "checks")}
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


def _package_imports(tree):
    """(node, cs231n module) for every import of the package in an AST: `from cs231n import x` counts
    as cs231n.x, `from cs231n.x import y` as cs231n.x."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == "cs231n":
            names = [f"cs231n.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        yield from ((node, name) for name in names if name.startswith("cs231n."))


def _sources():
    return sorted(p for p in PACKAGE.rglob("*.py") if "datasets" not in p.relative_to(PACKAGE).parts)


def test_machinery_imports_only_the_folders_it_may():
    wrong = []
    for folder in MACHINERY:
        for path in sorted((PACKAGE / folder).rglob("*.py")):
            for node, name in _package_imports(ast.parse(path.read_text())):
                if name.split(".")[1] not in (folder,) + ALLOWED[folder]:
                    wrong.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} imports {name}")
    assert not wrong, "cs231n/{checks,data,models,metrics} import modules they may not:\n" + "\n".join(wrong)


def test_no_module_imports_a_package_module_inside_a_function():
    lazy = []
    for path in _sources():
        tree = ast.parse(path.read_text())
        for func in ast.walk(tree):
            if isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lazy += [f"{path.relative_to(PACKAGE.parent)}:{node.lineno} ({func.name}) imports {name}"
                         for node, name in _package_imports(func)]
    assert not lazy, "imports of package modules inside functions (move them to the top):\n" + "\n".join(
        sorted(set(lazy)))


def test_no_relative_imports():
    relative = [f"{path.relative_to(PACKAGE.parent)}:{node.lineno}" for path in _sources()
                for node in ast.walk(ast.parse(path.read_text()))
                if isinstance(node, ast.ImportFrom) and node.level > 0]
    assert not relative, "relative imports (write `from cs231n.x import y`):\n" + "\n".join(relative)
