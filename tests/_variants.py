"""Run tests and notebook checks against a copy of the package in which some functions are replaced.

Used by tests/test_classic_variants.py: a solution written the classic way (loops, in-place updates,
float64 temporaries, no early stop) replaces ours in a temporary copy of ``cs231n/``, then the tests
and the notebook check cells that cover it run against that copy,
each in a process forked from a server that has already imported torch, torchvision, scipy, pytest and
the other libraries the runs use (PRELOAD; never cs231n), which saves those imports on every run.

Notebook check cells are the code cells tagged ``check`` in the cell metadata; the cells they need
(imports, data, small models) are tagged ``setup``. Only those run, in order, so a notebook's checks
cost seconds, not a training run. Other tags select other slices of a notebook (the Transformer
notebook tags its model comparison ``comparison``, run by a test with CaptioningRNN still blank), or
leave cells out (the Vision Transformer notebook tags its full training run and the cell that reads
the trained model ``training``: a variant's checks stop at overfitting one batch).
"""

import ast
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from _notebook import exec_cell

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


def _env(root, extra=None):
    env = dict(os.environ)
    env.update(PYTHONPATH=str(root), CS231N_DATASETS=os.environ.get("CS231N_DATASETS", str(REPO / "datasets")),
               CS231N_OFFLINE="1", CS231N_COCO="sample", MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1")
    env.update(extra or {})
    return env


def run_pytest(root, targets, timeout=600, first_failure=False, env=None):
    """Run pytest on repository test files (paths relative to the repository) against the copy in root.

    first_failure: stop at the first failing test (-x), for a variant that must fail: one failure
    is the verdict. env: more environment variables for the run (CS231N_PROGRESS_JSON, to keep the
    progress report's record). Returns (passed, output)."""
    args = [*[str(REPO / t) for t in targets], "-q", "--tb=short", "--no-progress", "-p", "no:cacheprovider",
            "-p", "no:nbval", "-p", "no:xdist", "-m", "not notebook", *(["-x"] if first_failure else [])]
    code, output = pytest_main(root, args, timeout=timeout, env=env)
    return code == 0, output[-9000:]


def pytest_main(root, args, cwd=None, timeout=600, env=None):
    """pytest.main(args) in a process forked from the warm server, `import cs231n` finding the copy in
    root; cwd: the working directory (default root). Nothing is added to args, so the run is what
    `python -m pytest ARGS` would be, without the imports. Returns (exit code, stdout and stderr)."""
    what = f"pytest {' '.join(map(str, args))}"
    return _run_forked(_pytest_child, (list(args),), root, cwd or root, what, timeout, env)


def _run_cells(notebook, tags, skip=()):
    """Execute the notebook's code cells tagged with any of `tags` and none of `skip`, in order, in one namespace."""
    nb = json.loads(Path(notebook).read_text(encoding="utf-8"))
    ns = {"__name__": "__main__"}
    ran = 0
    for i, cell in enumerate(nb["cells"]):
        cell_tags = set(cell.get("metadata", {}).get("tags", []))
        if cell["cell_type"] != "code" or not set(tags) & cell_tags or set(skip) & cell_tags:
            continue
        print(f"--- cell {i}", flush=True)
        exec_cell(cell, ns, f"{notebook}[cell {i}]")
        ran += 1
    print(f"ran {ran} cells", flush=True)


def _become_a_run_against(root, cwd, env, out_path):
    """In a process forked from the warm server: a fresh run against the copy of the package in root."""
    fd = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.environ.clear()
    os.environ.update(env)
    import matplotlib  # the server imported it (preloaded); the backend the run asks for applies from here

    matplotlib.use(env.get("MPLBACKEND", "Agg"))
    os.chdir(cwd)
    sys.path.insert(0, str(root))  # before the editable install's finder: `import cs231n` finds the copy
    sys.dont_write_bytecode = True
    # The server preloaded this file and tests/_notebook.py: a run of another tests/ folder (a student
    # edition's) imports its own.
    helpers = [n for n, m in sys.modules.items()
               if Path(getattr(m, "__file__", None) or "/").parent == REPO / "tests"]
    for name in helpers:
        del sys.modules[name]


def _pytest_child(root, cwd, env, out_path, args):
    _become_a_run_against(root, cwd, env, out_path)
    import pytest  # preloaded by the server

    try:
        code = pytest.main(args)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    sys.exit(int(code))


def _checks_child(root, cwd, env, out_path, notebook, tags, skip):
    _become_a_run_against(root, cwd, env, out_path)
    try:
        _run_cells(notebook, tags, skip)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()


def _run_forked(target, args, root, cwd, what, timeout, env=None):
    """Run target(root, cwd, env, log, *args) in a process forked from the warm server.

    Returns (exit code, output); raises subprocess.TimeoutExpired after timeout seconds."""
    out_path = Path(root) / "_run.log"
    child = _warm_server().Process(target=target, args=(str(root), str(cwd), _env(root, env), str(out_path), *args))
    child.start()
    child.join(timeout)
    if child.exitcode is None:
        child.kill()
        child.join()
        raise subprocess.TimeoutExpired(what, timeout)
    output = out_path.read_text(errors="replace") if out_path.exists() else ""
    return child.exitcode, output


_server = None
# What the runs import, bar the package: each would otherwise pay for it again (torchvision alone takes
# a second and a quarter after torch, scipy half a second), and there are about a hundred runs in make test.
PRELOAD = ["numpy", "torch", "torchvision", "scipy.linalg", "scipy.ndimage", "scipy.stats", "nltk", "PIL.Image",
           "h5py", "skimage", "matplotlib.pyplot", "pytest", "_variants"]


def _warm_server():
    """A multiprocessing fork server that has imported PRELOAD (torch, pytest and the like; not cs231n):
    each run forks from it instead of paying those imports in a new interpreter. A script that calls
    run_pytest or run_notebook_checks keeps its own work under `if __name__ == "__main__":`, as
    multiprocessing asks."""
    global _server
    if _server is None:
        import multiprocessing  # here: started on the first run, in the process that asks for it

        _server = multiprocessing.get_context("forkserver")
        _server.set_forkserver_preload(PRELOAD)
    return _server


def run_notebook_checks(root, notebook, tags=("setup", "check"), skip=(), timeout=600):
    """Execute the notebook's code cells tagged with any of `tags` and none of `skip`, in order, in one process.

    The notebook's own folder is the working directory, as in JupyterLab. Returns (passed, output)."""
    nb_path = REPO / "assignment3" / notebook
    code, output = _run_forked(_checks_child, (str(nb_path), tuple(tags), tuple(skip)), root, nb_path.parent,
                               f"notebook checks of {notebook}", timeout)
    return code == 0, output[-9000:]
