"""tools/collect_submission.py (`make submit`): the zip of the student's files and the PDF of every
executed notebook (a3_inline_submission.pdf), graded by hand as the course grades inline answers."""

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
import collect_submission  # noqa: E402  (tools/ is on sys.path: tests/conftest.py)
from markers import END_MARKER, START_MARKER  # noqa: E402

ANSWER = "**Your Answer:** the gradient vanishes through many tanh steps"


def _assignment(root, ran=True):
    (root / "cs231n").mkdir(parents=True)
    (root / "cs231n" / "mod.py").write_text(f"def f(x):\n    {START_MARKER}\n    return x\n    {END_MARKER}\n")
    (root / "assignment3").mkdir()
    for name in collect_submission.NOTEBOOKS:
        stem = name.rsplit(".", 1)[0]  # cell ids, as nbformat 4.5 asks (JupyterLab writes them)
        code = {"id": f"{stem}-code", "cell_type": "code", "metadata": {}, "source": ["print('hello from " + name + "')"],
                "execution_count": 1 if ran else None,
                "outputs": [{"output_type": "stream", "name": "stdout", "text": [f"hello from {name}\n"]}] if ran else []}
        md = {"id": f"{stem}-answer", "cell_type": "markdown", "metadata": {}, "source": [ANSWER]}
        nb = {"cells": [code, md], "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                               "language": "python"}},
              "nbformat": 4, "nbformat_minor": 5}
        (root / "assignment3" / name).write_text(json.dumps(nb))
    return root


def _run(root, *args, path=None):
    env = {**os.environ, "PYTHONPATH": str(REPO / "tools")}
    if path is not None:
        env["PATH"] = path
    env.pop("CHROME", None)
    return subprocess.run([sys.executable, str(REPO / "tools" / "collect_submission.py"), "--root", str(root), *args],
                          capture_output=True, text=True, env=env, timeout=300)


def test_a_notebook_that_was_not_run_is_refused(tmp_path):
    proc = _run(_assignment(tmp_path / "a", ran=False), "--no-pdf")
    assert proc.returncode == 1 and "has not been run" in proc.stderr


def test_without_any_pdf_tool_the_zip_is_written_and_the_fix_is_named(tmp_path):
    root = _assignment(tmp_path / "a")
    bare = tmp_path / "bin"
    bare.mkdir()
    proc = _run(root, path=str(bare))  # no chromium, no xelatex on PATH
    if "nbconvert webpdf" in proc.stdout:
        pytest.skip("playwright's Chromium is installed here: the webpdf route needs no PATH")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert (root / collect_submission.SUBMISSION_NAME).exists()
    assert "apt-get install chromium" in proc.stderr and "xelatex" in proc.stderr and "webpdf" in proc.stderr


@pytest.mark.skipif(collect_submission._browser() is None, reason="no Chrome or Chromium here (apt-get install chromium)")
def test_the_pdf_holds_every_notebook_in_one_file(tmp_path):
    root = _assignment(tmp_path / "a")
    proc = _run(root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    pdf = root / collect_submission.PDF_NAME
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 5000
    with zipfile.ZipFile(root / collect_submission.SUBMISSION_NAME) as zf:
        assert sorted(n for n in zf.namelist() if n.endswith(".ipynb")) == sorted(
            f"assignment3/{n}" for n in collect_submission.NOTEBOOKS)
    # one document: every notebook's heading, output and answer in the HTML that was printed
    nb = collect_submission.combined_notebook(sorted((root / "assignment3").glob("*.ipynb")))
    headings = [c.source for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("# ")]
    assert len(headings) == len(collect_submission.NOTEBOOKS)
