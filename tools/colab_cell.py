#!/usr/bin/env python3
"""The Colab set-up cell at the top of every notebook in assignment3/, written in one place.

    python tools/colab_cell.py --apply     insert the cell, or bring it up to date, in every notebook
    python tools/colab_cell.py --check     exit 1 naming each notebook whose first cell is not the current one
    python tools/colab_cell.py --show NAME print the cell as NAME.ipynb gets it

The cell does nothing outside Google Colab. In Colab it mounts Google Drive, changes into the
assignment folder the student names in FOLDERNAME (its assignment3/ folder, as locally), puts the
folder on sys.path and runs tools/colab_setup.py for its notebook (requirements, the package, the
notebook's data, the GPU; a second run does nothing). Only the notebook's name differs from one
notebook to the next.

--apply is idempotent and leaves the rest of each notebook byte for byte: the notebook is read,
the cell with id "colab-setup" is replaced (or a new one put first), and the file is written in
the format it was read in (a notebook in any other format is refused, naming it).
"""

import argparse
import json
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = REPO_ROOT / "assignment3"
CELL_ID = "colab-setup"
# The student edition's folder (tools/build_student.py EDITION_NAME): uploaded to the top of My Drive
# as it comes out of the zip, it needs no change of FOLDERNAME.
DEFAULT_FOLDER = "cs231n_assignment3_student"
MOUNT_POINT = "/content/drive"  # where Colab mounts Google Drive

TEMPLATE = '''\
# Google Colab only: this cell sets the notebook up there, and does nothing anywhere else.
# In Colab: upload the unzipped assignment folder to your Google Drive, write its path inside
# "My Drive" below, choose a GPU (Runtime > Change runtime type), then run this cell first
# (README.md, "Working in Colab"). Run again, it says so and installs nothing.
FOLDERNAME = "{folder}"

import sys

if "google.colab" in sys.modules:
    import os
    import subprocess

    from google.colab import drive

    drive.mount("{mount}")
    ROOT = os.path.join("{mount}", "MyDrive", FOLDERNAME)
    if not os.path.isfile(os.path.join(ROOT, "tools", "colab_setup.py")):
        raise FileNotFoundError(f"no assignment folder at {{ROOT}}: set FOLDERNAME to the path of the "
                                "folder (the one holding assignment3/ and tools/) inside My Drive")
    os.chdir(os.path.join(ROOT, "assignment3"))
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    # Installs what Colab lacks, fetches this notebook's data and looks for the GPU (tools/colab_setup.py).
    with subprocess.Popen([sys.executable, os.path.join(ROOT, "tools", "colab_setup.py"), "{notebook}"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as setup_run:
        for line in setup_run.stdout:
            print(line, end="")
    if setup_run.returncode != 0:
        raise RuntimeError("the Colab set-up failed: its last lines above say why")
'''


def cell_source(notebook):
    """The cell's text for assignment3/<notebook>.ipynb (notebook: the name without .ipynb)."""
    return TEMPLATE.format(folder=DEFAULT_FOLDER, mount=MOUNT_POINT, notebook=notebook)


def _cell(notebook):
    lines = cell_source(notebook).splitlines(keepends=True)
    lines[-1] = lines[-1].rstrip("\n")  # as Jupyter saves a cell: no newline after the last line
    return {"cell_type": "code", "execution_count": None, "id": CELL_ID, "metadata": {}, "outputs": [],
            "source": lines}


class NotebookFormatError(Exception):
    """A notebook this tool cannot rewrite without changing more than its own cell."""


def _dump(nb, style):
    ensure_ascii, end = style
    return json.dumps(nb, indent=1, ensure_ascii=ensure_ascii) + end


def _load(path):
    """(notebook, the style that writes it back byte for byte: (ensure_ascii, final newline or ''))."""
    raw = path.read_text(encoding="utf-8")
    nb = json.loads(raw)
    for style in ((False, "\n"), (True, "\n"), (False, ""), (True, "")):
        if _dump(nb, style) == raw:
            return nb, style
    raise NotebookFormatError(f"{path}: not in Jupyter's own format (json, indent 1), so rewriting it would "
                              "change more than the set-up cell; open it in Jupyter, save it, and run this again")


def is_current(nb, notebook):
    """True when the notebook's first cell is the current set-up cell for `notebook`."""
    cells = nb.get("cells", [])
    return bool(cells) and cells[0].get("id") == CELL_ID and "".join(cells[0]["source"]) == "".join(_cell(notebook)["source"])


def apply(path):
    """Put the current cell first in the notebook at `path`; return True when the file changed."""
    nb, style = _load(path)
    if is_current(nb, path.stem):
        return False
    cells = [c for c in nb["cells"] if c.get("id") != CELL_ID]  # an outdated cell, wherever it is
    nb["cells"] = [_cell(path.stem), *cells]
    text = _dump(nb, style)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return True


def notebooks(folder=NOTEBOOK_DIR):
    return sorted(p for p in Path(folder).glob("*.ipynb") if not p.name.startswith("."))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--apply", action="store_true", help="insert or refresh the cell in every notebook")
    what.add_argument("--check", action="store_true", help="fail if a notebook lacks the current cell")
    what.add_argument("--show", metavar="NAME", help="print the cell of NAME.ipynb")
    parser.add_argument("--dir", type=Path, default=NOTEBOOK_DIR, help="the notebooks' folder (default assignment3/)")
    args = parser.parse_args(argv)
    if args.show:
        print(cell_source(args.show.removesuffix(".ipynb")), end="")
        return 0
    paths = notebooks(args.dir)
    if not paths:
        print(f"colab_cell: no notebook in {args.dir}", file=sys.stderr)
        return 1
    stale = []
    for path in paths:
        try:
            if args.apply:
                print(f"{path.name}: {'set-up cell written' if apply(path) else 'up to date'}")
            elif not is_current(_load(path)[0], path.stem):
                stale.append(path.name)
        except NotebookFormatError as e:
            print(f"colab_cell: {e}", file=sys.stderr)
            return 1
    if stale:
        print(f"colab_cell: {len(stale)} notebook(s) lack the current Colab set-up cell as their first cell: "
              f"{', '.join(stale)}; fix: python tools/colab_cell.py --apply", file=sys.stderr)
        return 1
    if args.check:
        print(f"colab_cell: all {len(paths)} notebooks start with the current Colab set-up cell")
    return 0


if __name__ == "__main__":
    sys.exit(main())
