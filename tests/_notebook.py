"""Run a notebook's code cells outside Jupyter, for tests that execute some of them on a path nbval
does not take (the real-data branches with seeded caches, a package variant's checks)."""

import json
from pathlib import Path


def code_cells(notebook):
    """The code cells (dicts) of the notebook at `notebook`, in order."""
    return [c for c in json.loads(Path(notebook).read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]


def exec_cell(cell, ns, filename):
    """Execute one code cell in the namespace `ns`, IPython's `%` and `!` lines left out."""
    source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
    source = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    exec(compile(source, filename, "exec"), ns)


def exec_cells(notebook, cells):
    """Execute `cells` of the notebook at `notebook` in order, in one namespace; returns the namespace."""
    ns = {"__name__": "__main__"}
    for cell in cells:
        exec_cell(cell, ns, Path(notebook).name)
    return ns
