#!/usr/bin/env python3
"""Pack your assignment 3 work into one zip to hand in.

    python tools/collect_submission.py        (or: make submit)

It packs exactly the files you change: the cs231n modules that hold START/END markers (where you
wrote your code) and the notebooks in assignment3/ with their outputs. Run every notebook top
to bottom and save it first: a notebook with no executed code cell is refused, by name, because
its outputs are part of what is graded. Blanks you have not filled in yet are listed as a warning.

It also writes a3_inline_submission.pdf: every notebook, with its outputs and your inline answers,
in one PDF, as the course's makepdf.py does. Upload it to its own Gradescope assignment: the course
staff grade the inline answers and the notebooks' results from it, by hand. The PDF is made with
nbconvert (installed with JupyterLab) by the first of these that works here:
  1. nbconvert's webpdf exporter, when `pip install "nbconvert[webpdf]"` and `playwright install
     chromium` have been run;
  2. nbconvert's HTML export printed by a Chrome or Chromium found on this machine
     (`apt-get install chromium`, `brew install --cask chromium`, or Google Chrome);
  3. nbconvert's LaTeX export, when xelatex is installed (`apt-get install texlive-xetex
     texlive-fonts-recommended texlive-plain-generic pandoc`).
When none works it says so, names these fixes, and exits with status 1 after writing the zip;
--no-pdf skips the PDF (then make it yourself before the deadline).
"""

import argparse
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from markers import BLANK_TEXT, END_TEXT, START_TEXT

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

# The classic six, in the order students meet them; an edition's notebooks are the tables of its
# grading/points.toml (make student EDITION=... writes only its own), see edition_notebooks.
NOTEBOOKS = [
    "RNN_Captioning.ipynb",
    "LSTM_Captioning.ipynb",
    "Transformer_Captioning.ipynb",
    "Network_Visualization.ipynb",
    "Style_Transfer.ipynb",
    "Generative_Adversarial_Networks.ipynb",
]


def edition_notebooks(root):
    """The notebooks this edition hands out: the tables of its grading/points.toml, else the classic six."""
    points = Path(root) / "grading" / "points.toml"
    if not points.exists():
        return list(NOTEBOOKS)
    with open(points, "rb") as f:
        return [f"{name}.ipynb" for name in tomllib.load(f)]
SUBMISSION_NAME = "cs231n_assignment3_submission.zip"
PDF_NAME = "a3_inline_submission.pdf"
BROWSERS = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome",
            "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
            "/Applications/Chromium.app/Contents/MacOS/Chromium"]
PDF_FIXES = ("install Chromium or Google Chrome (Debian/Ubuntu: `sudo apt-get install chromium`; macOS: `brew "
             "install --cask chromium`), or run `pip install \"nbconvert[webpdf]\"` then `playwright install "
             "chromium` in the venv, or install xelatex (`sudo apt-get install texlive-xetex "
             "texlive-fonts-recommended texlive-plain-generic pandoc`); then `make submit` again")


class SubmissionError(Exception):
    """Something the student must fix before submitting; the message says what."""


def modules_with_blanks(root):
    """The cs231n/*.py files (repository-relative) that hold START markers."""
    found = []
    for path in sorted((root / "cs231n").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if any(line.strip().startswith("#") and (START_TEXT in line or END_TEXT in line) for line in text.splitlines()):
            found.append(path.relative_to(root).as_posix())
    return found


def unfinished_blanks(text):
    """The functions whose blank still raises the student edition's NotImplementedError."""
    names = []
    for line in text.splitlines():
        if "raise NotImplementedError(" in line and BLANK_TEXT in line:
            names.append(line.split('NotImplementedError("', 1)[-1].split(" in ", 1)[0])
    return names


def notebook_state(path):
    """(code cells, executed code cells, cells with outputs, cells whose output is an error)."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise SubmissionError(f"{path.name} is not a readable notebook ({e}); open it in Jupyter and save it") from None
    code = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    executed = [c for c in code if c.get("execution_count") is not None]
    with_outputs = [c for c in code if c.get("outputs")]
    errors = [c for c in code if any(o.get("output_type") == "error" for o in c.get("outputs", []))]
    return len(code), len(executed), len(with_outputs), len(errors)


class PdfError(Exception):
    """The PDF could not be made; the message names the fix."""


def combined_notebook(paths):
    """One notebook holding every notebook's cells, each under a heading naming its file."""
    import nbformat

    combined = None
    for path in paths:
        nb = nbformat.read(str(path), as_version=4)
        heading = nbformat.v4.new_markdown_cell(f"# {path.name}")
        if combined is None:
            combined = copy.deepcopy(nb)
            combined.cells = []
        combined.cells += [heading] + nb.cells
    return combined


def _browser():
    for name in [os.environ.get("CHROME")] + BROWSERS:
        if name and (shutil.which(name) or (os.path.isabs(name) and os.access(name, os.X_OK))):
            return shutil.which(name) or name
    return None


def write_pdf(paths, out):
    """Write the PDF of the notebooks at `paths` to `out`; returns how it was made, or PdfError."""
    try:
        import nbconvert
    except ImportError:
        raise PdfError("nbconvert is not installed (it comes with JupyterLab: `make setup`), so no PDF") from None
    nb = combined_notebook(paths)
    tried = []
    try:  # 1. webpdf (playwright's Chromium)
        import playwright  # noqa: F401

        body, _ = nbconvert.WebPDFExporter().from_notebook_node(nb)
        Path(out).write_bytes(body)
        return "nbconvert webpdf"
    except ImportError:
        tried.append("webpdf: playwright is not installed")
    except Exception as e:  # noqa: BLE001  (playwright without its browser, ...)
        tried.append(f"webpdf: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
    browser = _browser()
    if browser:  # 2. HTML printed by Chrome or Chromium
        html, _ = nbconvert.HTMLExporter(template_name="lab").from_notebook_node(nb)
        with tempfile.TemporaryDirectory(prefix="a3pdf-") as tmp:
            page = Path(tmp) / "a3.html"
            page.write_text(html, encoding="utf-8")
            target = Path(tmp) / "a3.pdf"
            cmd = [browser, "--headless", "--disable-gpu", "--no-sandbox", "--no-pdf-header-footer",
                   f"--user-data-dir={Path(tmp) / 'profile'}", f"--print-to-pdf={target}", page.as_uri()]
            try:
                r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
                if target.exists() and target.stat().st_size > 0:
                    shutil.move(str(target), out)
                    return f"nbconvert HTML printed by {Path(browser).name}"
                tried.append(f"{browser}: no PDF (exit {r.returncode}: {r.stderr.strip()[-200:]})")
            except (OSError, subprocess.TimeoutExpired) as e:
                tried.append(f"{browser}: {e}")
    else:
        tried.append("no Chrome or Chromium found")
    if shutil.which("xelatex"):  # 3. LaTeX
        try:
            body, _ = nbconvert.PDFExporter().from_notebook_node(nb)
            Path(out).write_bytes(body)
            return "nbconvert LaTeX (xelatex)"
        except Exception as e:  # noqa: BLE001
            tried.append(f"LaTeX: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
    else:
        tried.append("no xelatex found")
    raise PdfError(f"could not write {Path(out).name} ({'; '.join(tried)}): {PDF_FIXES}")


def collect(root, out):
    """Check the work under `root`, write the zip to `out`, return [(path, note)] packed."""
    root = root.resolve()
    packed, warnings = [], []
    for rel in modules_with_blanks(root):
        left = unfinished_blanks((root / rel).read_text(encoding="utf-8"))
        if left:
            warnings.append(f"{rel} still has {len(left)} unfinished blank(s): {', '.join(left)}")
        packed.append((rel, f"{len(left)} blank(s) unfinished" if left else "all blanks filled in"))
    if not packed:
        raise SubmissionError(f"no module with START/END markers under {root / 'cs231n'}; "
                              "run this from the assignment's folder")

    required = edition_notebooks(root)
    extra = sorted(p.name for p in (root / "assignment3").glob("*.ipynb")
                   if p.name not in required and p.name != "collect_submission.ipynb")  # Colab's hand-in, not work
    for name in required + extra:  # the edition's notebooks, then any other one in the folder
        rel = f"assignment3/{name}"
        path = root / rel
        if not path.exists():
            raise SubmissionError(f"{rel} is missing; restore it and run it before submitting")
        code, executed, with_outputs, errors = notebook_state(path)
        if code and (executed == 0 or with_outputs == 0):
            raise SubmissionError(f"{rel} has not been run (no executed code cell with output): open it, "
                                  "run all cells (Kernel > Restart Kernel and Run All Cells), save it, and try again")
        if executed < code:
            warnings.append(f"{rel}: only {executed} of {code} code cells were run")
        if errors:
            warnings.append(f"{rel}: {errors} cell(s) ended in an error")
        packed.append((rel, f"{executed}/{code} code cells run"))
    notebooks_packed = [rel for rel, _ in packed if rel.endswith(".ipynb")]

    tmp = out.with_name(out.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for rel, _ in packed:
            zf.write(root / rel, rel)
    tmp.replace(out)
    collect.notebooks = [root / rel for rel in notebooks_packed]
    return packed, warnings


def main(argv=None):
    here = Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=here, help="the assignment folder (default: this one)")
    parser.add_argument("--out", type=Path, default=None, help=f"the zip to write (default: ROOT/{SUBMISSION_NAME})")
    parser.add_argument("--pdf", type=Path, default=None, help=f"the PDF to write (default: ROOT/{PDF_NAME})")
    parser.add_argument("--no-pdf", action="store_true", help="write the zip only (the PDF is still due)")
    args = parser.parse_args(argv)
    out = args.out or args.root / SUBMISSION_NAME
    pdf = args.pdf or args.root / PDF_NAME
    try:
        packed, warnings = collect(args.root, out)
    except SubmissionError as e:
        print(f"collect_submission: not packed: {e}", file=sys.stderr)
        return 1
    for rel, note in packed:
        print(f"packed {rel} ({note})")
    for w in warnings:
        print(f"warning: {w}")
    print(f"wrote {out.resolve()} ({len(packed)} files): submit this zip")
    if args.no_pdf:
        print(f"no PDF written (--no-pdf): the inline answers are graded from {PDF_NAME}; make it before the deadline")
        return 0
    try:
        how = write_pdf(collect.notebooks, pdf)
    except PdfError as e:
        print(f"collect_submission: {e}", file=sys.stderr)
        return 1
    print(f"wrote {pdf.resolve()} ({how}): upload it to the PDF assignment on Gradescope; "
          "your inline answers are graded from it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
