"""Run tests and notebook checks against a copy of the package in which some functions are replaced.

Used by tests/test_classic_variants.py: a solution written the classic way (loops, in-place updates,
float64 temporaries, no early stop) replaces ours in a temporary copy of ``cs231n/``, then the tests
and the notebook check cells that cover it run in a fresh process against that copy.

Notebook check cells are the code cells tagged ``check`` in the cell metadata; the cells they need
(imports, data, small models) are tagged ``setup``. Only those run, in order, so a notebook's checks
cost seconds, not a training run. Other tags select other slices of a notebook (the Transformer
notebook tags its model comparison ``comparison``, run by a test with CaptioningRNN still blank).
"""

import ast
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _function_span(tree, qualname):
    """(first line incl. decorators, last line, indent) of a top-level function or Class.method."""
    *classes, name = qualname.split(".")
    body = tree.body
    for cls in classes:
        body = next(n for n in body if isinstance(n, ast.ClassDef) and n.name == cls).body
    node = next((n for n in body if isinstance(n, ast.FunctionDef) and n.name == name), None)
    if node is None:
        raise KeyError(f"{qualname} not found")
    first = min([node.lineno] + [d.lineno for d in node.decorator_list])
    return first, node.end_lineno, " " * node.col_offset


def replace_functions(text, replacements):
    """Source text with each function (or Class.method) in `replacements` replaced by new source."""
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    spans = sorted(((*_function_span(tree, q), src) for q, src in replacements.items()), reverse=True)
    for first, last, indent, src in spans:  # bottom up keeps earlier line numbers valid
        new = textwrap.indent(textwrap.dedent(src).strip("\n") + "\n", indent)
        lines[first - 1 : last] = [new]
    out = "".join(lines)
    ast.parse(out)
    return out


def package_with(replacements, dest):
    """Copy cs231n/ into dest with functions replaced: {"rnn_layers.py": {"name": "def name(...): ..."}}.

    Returns dest, to be put first on sys.path of the process that runs the checks."""
    dest = Path(dest)
    shutil.copytree(REPO / "cs231n", dest / "cs231n", ignore=shutil.ignore_patterns("__pycache__", "datasets"))
    for rel, funcs in replacements.items():
        path = dest / "cs231n" / rel
        path.write_text(replace_functions(path.read_text(), funcs))
    return dest


def _env(root):
    env = dict(os.environ)
    env.update(PYTHONPATH=str(root), CS231N_DATASETS=os.environ.get("CS231N_DATASETS", str(REPO / "datasets")),
               CS231N_OFFLINE="1", CS231N_COCO="sample", MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1")
    return env


def run_pytest(root, targets, timeout=600):
    """Run pytest on repository test files (paths relative to the repository) against the copy in root.

    Returns (passed, output)."""
    cmd = [sys.executable, "-m", "pytest", *[str(REPO / t) for t in targets], "-q", "--tb=short",
           "-p", "no:cacheprovider", "-p", "no:nbval", "-m", "not notebook"]
    proc = subprocess.run(cmd, cwd=root, env=_env(root), capture_output=True, text=True, timeout=timeout)
    return proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]


_CELL_RUNNER = r"""
import json, sys
nb = json.load(open(sys.argv[1]))
tags = set(sys.argv[2].split(","))
ns = {"__name__": "__main__"}
ran = 0
for i, cell in enumerate(nb["cells"]):
    if cell["cell_type"] != "code" or not tags & set(cell.get("metadata", {}).get("tags", [])):
        continue
    src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
    src = "\n".join(l for l in src.splitlines() if not l.lstrip().startswith(("%", "!")))
    print(f"--- cell {i}", flush=True)
    exec(compile(src, f"{sys.argv[1]}[cell {i}]", "exec"), ns)
    ran += 1
print(f"ran {ran} cells")
"""


def run_notebook_checks(root, notebook, tags=("setup", "check"), timeout=600):
    """Execute the notebook's code cells tagged with any of `tags`, in order, in one process.

    The notebook's own folder is the working directory, as in JupyterLab. Returns (passed, output)."""
    nb_path = REPO / "assignment3" / notebook
    runner = Path(root) / "_run_cells.py"
    runner.write_text(_CELL_RUNNER)
    env = _env(root)
    env["PYTHONPATH"] = str(root)
    # the runner's folder (root) comes first on sys.path, so `import cs231n` finds the copy
    proc = subprocess.run([sys.executable, str(runner), str(nb_path), ",".join(tags)], cwd=nb_path.parent,
                          env=env, capture_output=True, text=True, timeout=timeout)
    return proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
