"""Colab: the set-up cell (tools/colab_cell.py), tools/colab_setup.py and collect_submission.ipynb.

Without Colab: a stand-in `google.colab` (its `drive.mount` links the mount point to a temporary
folder that plays Google Drive) is imported first, as Colab's kernel does, in an IPython shell of
its own process; the student edition (tools/build_student.py) lies in the fake Drive. There the
set-up cell and the first check cell of every notebook run (the cells between them too). By
default the shell is this virtual environment's Python, with pip replaced by a stand-in that only
records its arguments (nothing is installed); `make test-colab` runs the same tests with a fresh
virtual environment that has only what a Colab image brings, and the real pip.

Instructor-only (tools/build_student.py leaves it out): it builds the student edition.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import io
import time
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

import colab_cell  # noqa: E402  (tools/ is on sys.path: tests/conftest.py)
import colab_setup  # noqa: E402
import collect_submission  # noqa: E402
from markers import BLANK_TEXT  # noqa: E402

NOTEBOOKS = sorted(p.stem for p in (ROOT / "assignment3").glob("*.ipynb"))
# make test-colab: the fresh virtual environment's Python (real pip); unset: this one, pip stubbed.
FRESH_PYTHON = os.environ.get("CS231N_COLAB_PYTHON")
FOLDER = colab_cell.DEFAULT_FOLDER
# make test runs the stand-in Colab on one notebook per kind of data step (setup_coco.sh, a python -m
# module, tools/setup_gan_data.sh): about 20 CPU-seconds. Every notebook (about a minute more):
# CS231N_COLAB_ALL=1, or make test-colab.
IN_CI = ["RNN_Captioning", "Network_Visualization", "Generative_Adversarial_Networks"]
ALL = FRESH_PYTHON is not None or os.environ.get("CS231N_COLAB_ALL") == "1"

FAKE_DRIVE_MODULE = '''"""Stand-in for google.colab.drive: mount() links the mount point to $FAKE_DRIVE."""
import os


def mount(mountpoint, force_remount=False, timeout_ms=120000, readonly=False):
    if os.path.islink(mountpoint):
        print(f"Drive already mounted at {mountpoint}; to attempt to forcibly remount, call "
              f"drive.mount(\\"{mountpoint}\\", force_remount=True).")
        return
    os.makedirs(os.path.dirname(mountpoint), exist_ok=True)
    os.symlink(os.environ["FAKE_DRIVE"], mountpoint)
    print(f"Mounted at {mountpoint}")
'''
FAKE_PIP_MAIN = '''"""Stand-in for pip: records its arguments in $FAKE_PIP_LOG, installs nothing."""
import json
import os
import sys

with open(os.environ["FAKE_PIP_LOG"], "a") as f:
    f.write(json.dumps(sys.argv[1:]) + "\\n")
'''
# The kernel: imports google.colab as Colab's does, then runs each notebook's cells in a fresh
# namespace from /content, and writes what each cell raised (or None) as JSON.
RUNNER = '''
import contextlib, io, json, os, sys, time
fake, plan_path, out_path = sys.argv[1:4]
sys.path.insert(0, fake)
import google.colab  # noqa: F401
from IPython.core.interactiveshell import InteractiveShell

shell = InteractiveShell.instance()
shell.enable_gui = lambda gui=None: None  # %matplotlib inline: a kernel's job, which this shell is not
results = []
for item in json.load(open(plan_path)):
    os.chdir(item["start_dir"])
    shell.reset(new_session=False)
    for source in item["cells"]:
        out, started = io.StringIO(), time.monotonic()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            result = shell.run_cell(source, silent=True)
        error = result.error_before_exec or result.error_in_exec
        results.append({"notebook": item["notebook"], "output": out.getvalue(), "cwd": os.getcwd(),
                        "error": None if error is None else f"{type(error).__name__}: {error}",
                        "cs231n": getattr(sys.modules.get("cs231n"), "__file__", None),
                        "seconds": round(time.monotonic() - started, 1)})
        sys.__stdout__.write(f"--- {item['notebook']} {results[-1]['seconds']} s\\n{out.getvalue()}")
        if error is not None:
            break
json.dump(results, open(out_path, "w"))
'''
CHECK_CALL = re.compile(r"^(?!\s*(from|import)\s).*\b(check_(?!model\b)\w+|chk\.\w+)\(", re.M)


def code_cells(path):
    return ["".join(c["source"]) for c in json.loads(path.read_text(encoding="utf-8"))["cells"]
            if c["cell_type"] == "code"]


def first_check(cells):
    """Index of the first code cell after the set-up cell that calls a check."""
    return next(i for i, source in enumerate(cells) if i > 0 and CHECK_CALL.search(source))


class FakeColab:
    """A temporary Colab: /content, a fake Drive holding the student edition, google.colab, pip's log."""

    def __init__(self, base, edition):
        self.base = base
        self.content = base / "content"
        self.drive = base / "drive"  # what drive.mount links the mount point to
        self.root = self.drive / "MyDrive" / FOLDER
        self.fake = base / "fake_modules"
        self.pip_log = base / "pip_log.jsonl"
        self.tmp = base / "runtime_tmp"  # the runtime's /tmp (the set-up's stamps)
        for folder in (self.content, self.root.parent, self.fake / "google" / "colab", self.tmp):
            folder.mkdir(parents=True)
        shutil.copytree(edition, self.root, symlinks=True)
        (self.fake / "google" / "colab" / "__init__.py").write_text("")
        (self.fake / "google" / "colab" / "drive.py").write_text(FAKE_DRIVE_MODULE)
        self.pip_log.write_text("")
        if FRESH_PYTHON is None:
            (self.fake / "pip").mkdir()
            (self.fake / "pip" / "__init__.py").write_text("")
            (self.fake / "pip" / "__main__.py").write_text(FAKE_PIP_MAIN)

    def cell(self, notebook):
        """The notebook's set-up cell as the student edition has it, mounting inside this fake."""
        source = code_cells(self.root / "assignment3" / f"{notebook}.ipynb")[0]
        assert colab_cell.MOUNT_POINT in source, f"{notebook}: the set-up cell does not mount {colab_cell.MOUNT_POINT}"
        return source.replace(colab_cell.MOUNT_POINT, str(self.content / "drive"))

    def pip_calls(self):
        return [json.loads(line) for line in self.pip_log.read_text().splitlines()]

    def run(self, plan, timeout=600):
        """Run [(notebook, [cell sources])] in one kernel, each notebook from /content; returns the results."""
        plan_path, out_path = self.base / "plan.json", self.base / "results.json"
        plan_path.write_text(json.dumps([{"notebook": n, "cells": cells, "start_dir": str(self.content)}
                                         for n, cells in plan]))
        env = self.env()
        python = FRESH_PYTHON or sys.executable
        proc = subprocess.run([python, "-c", RUNNER, str(self.fake), str(plan_path), str(out_path)],
                              cwd=self.content, env=env, capture_output=True, text=True, timeout=timeout)
        assert proc.returncode == 0 and out_path.exists(), f"the kernel died:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
        return json.loads(out_path.read_text())

    def env(self):
        """The runtime's environment: the stand-ins first on the path, offline, the runtime's /tmp."""
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        env.update(FAKE_DRIVE=str(self.drive), FAKE_PIP_LOG=str(self.pip_log), TMPDIR=str(self.tmp),
                   PYTHONPATH=str(self.fake), CS231N_OFFLINE="1", CS231N_COCO="sample", MPLBACKEND="Agg",
                   OMP_NUM_THREADS="1")
        if FRESH_PYTHON is None:  # the data prepared by make test (tools/run_tests.sh): nothing to rebuild
            env["CS231N_DATASETS"] = str(ROOT / "datasets")
        return env


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    """The student edition, built once."""
    out = tmp_path_factory.mktemp("edition") / FOLDER
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "build_student.py"), "--out", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, f"build_student failed:\n{proc.stdout}{proc.stderr}"
    return out


# ----------------------------------------------------------------------------------------------
# The cell and the tool that writes it

def test_cell_outside_colab_changes_nothing(tmp_path):
    probe = f'''
import os, sys
before = (os.getcwd(), list(sys.path), set(sys.modules), sorted(os.listdir(".")))
exec(compile({colab_cell.cell_source("RNN_Captioning")!r}, "cell", "exec"), {{}})
after = (os.getcwd(), list(sys.path), set(sys.modules), sorted(os.listdir(".")))
print("same" if before == after else f"changed: {{[b == a for b, a in zip(before, after)]}}")
'''
    proc = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "same\n", f"outside Colab the cell must print nothing and change nothing: {proc.stdout!r}"
    assert list(tmp_path.iterdir()) == []


def _copy_notebooks(tmp_path):
    folder = tmp_path / "assignment3"
    shutil.copytree(ROOT / "assignment3", folder)
    for path in folder.glob("*.ipynb"):  # as the notebooks were before the cell
        nb, style = colab_cell._load(path)
        nb["cells"] = [c for c in nb["cells"] if c.get("id") != colab_cell.CELL_ID]
        path.write_text(colab_cell._dump(nb, style), encoding="utf-8")
    return folder


def test_apply_puts_the_cell_first_and_leaves_the_rest_byte_for_byte(tmp_path):
    folder = _copy_notebooks(tmp_path)
    before = {p.name: p.read_text(encoding="utf-8") for p in folder.glob("*.ipynb")}
    assert colab_cell.main(["--check", "--dir", str(folder)]) == 1, "--check passes notebooks without the cell"
    assert colab_cell.main(["--apply", "--dir", str(folder)]) == 0
    applied = {p.name: p.read_bytes() for p in folder.glob("*.ipynb")}
    for name, text in before.items():
        nb = json.loads(applied[name])
        assert nb["cells"][0]["id"] == colab_cell.CELL_ID and nb["cells"][0]["outputs"] == []
        assert "".join(nb["cells"][0]["source"]) == colab_cell.cell_source(name[:-len(".ipynb")]).rstrip("\n")
        # Only the cell was added: the file is the old one with the cell's JSON inserted.
        old_head, old_tail = text.split('"cells": [\n', 1)
        new = applied[name].decode("utf-8")
        assert new.startswith(old_head + '"cells": [\n') and new.endswith(old_tail), name
    assert colab_cell.main(["--check", "--dir", str(folder)]) == 0
    assert colab_cell.main(["--apply", "--dir", str(folder)]) == 0
    assert {p.name: p.read_bytes() for p in folder.glob("*.ipynb")} == applied, "a second --apply changed a notebook"


def test_apply_refreshes_an_outdated_cell_without_duplicating_it(tmp_path):
    folder = _copy_notebooks(tmp_path)
    path = folder / "RNN_Captioning.ipynb"
    colab_cell.apply(path)
    current = path.read_bytes()
    nb, style = colab_cell._load(path)
    nb["cells"][0]["source"] = ["# an older version of the cell"]
    nb["cells"].insert(1, nb["cells"].pop(0))  # and not first any more
    path.write_text(colab_cell._dump(nb, style), encoding="utf-8")
    assert colab_cell.main(["--check", "--dir", str(folder)]) == 1
    assert colab_cell.apply(path) is True
    assert path.read_bytes() == current


def test_apply_refuses_a_notebook_it_cannot_rewrite_exactly(tmp_path):
    folder = tmp_path / "nbs"
    folder.mkdir()
    path = folder / "Odd.ipynb"
    path.write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=2))
    before = path.read_bytes()
    assert colab_cell.main(["--apply", "--dir", str(folder)]) == 1
    assert path.read_bytes() == before


def test_every_notebook_starts_with_the_current_cell():
    assert colab_cell.main(["--check"]) == 0, "run: python tools/colab_cell.py --apply"


# ----------------------------------------------------------------------------------------------
# tools/colab_setup.py: what it installs, what it fetches

def test_every_notebook_has_its_data_steps():
    missing = set(NOTEBOOKS) - set(colab_setup.DATA_STEPS)
    assert not missing, f"tools/colab_setup.py DATA_STEPS has no entry for {sorted(missing)}"


def test_data_steps_are_those_of_make_data():
    """Every command of the Makefile's data target is one that colab_setup runs, for some notebook."""
    recipe = re.search(r"^data:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M).group(1)
    commands = [line.strip().replace("$(PY)", colab_setup.PY).split() for line in recipe.splitlines()]
    ours = [step for steps in colab_setup.DATA_STEPS.values() for step in steps]
    assert commands and all(c in ours for c in commands), f"make data runs {commands}; colab_setup runs {ours}"


def test_requirements_pins_lie_in_the_supported_ranges():
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.-]+)\s*([=<>!~].*?)\s*(#.*)?$", line)
        if m:
            pins[m.group(1).lower()] = m.group(2)
    for req in colab_setup.requirements(ROOT):
        assert req.name.lower() in pins, f"requirements.txt does not name {req.name} (pyproject.toml does)"
        spec = pins[req.name.lower()]
        if spec.startswith("=="):
            assert req.specifier.contains(spec[2:]), f"requirements.txt pins {req.name}{spec}, outside {req.specifier}"
    torch_req = next(r for r in colab_setup.requirements(ROOT) if r.name == "torch")
    assert not torch_req.specifier.contains("2.12.0") and torch_req.specifier.contains("2.13.0")


def _fake_runtime(monkeypatch, versions):
    """colab_setup in-process, with installed versions `versions` and pip recorded (args, held pins)."""
    calls = []
    monkeypatch.setattr(colab_setup, "installed_version", versions.get)

    def fake_run(cmd, cwd=None, env=None):
        assert cmd[:4] == [sys.executable, "-m", "pip", "install"], cmd
        held = Path(cmd[cmd.index("-c") + 1]).read_text().split()
        calls.append(([a for a in cmd[4:] if a not in ("--quiet", "--disable-pip-version-check")], held))
        return subprocess.CompletedProcess(cmd, 0)

    monkeypatch.setattr(colab_setup.subprocess, "run", fake_run)
    return calls


COLAB_LIKE = {"torch": "2.14.0", "torchvision": "0.29.0", "numpy": "2.0.2", "scipy": "1.14.1",
              "matplotlib": "3.10.0", "h5py": "3.12.1", "Pillow": "11.1.0", "tqdm": "4.67.1",
              "threadpoolctl": "3.5.0", "scikit-image": "0.25.0", "nltk": "3.9.1", "pytest": "8.3.4"}


def test_setup_installs_only_what_is_missing_and_holds_torch(monkeypatch, capsys):
    versions = dict(COLAB_LIKE, **{"h5py": "3.9.0"})  # too old
    calls = _fake_runtime(monkeypatch, versions)
    colab_setup.install_requirements(colab_setup.requirements(ROOT), ROOT)
    assert len(calls) == 1, calls
    args, held = calls[0]
    assert sorted(a.split(">")[0] for a in args[2:]) == ["h5py", "pytest-timeout"], args
    assert held == ["torch==2.14.0", "torchvision==0.29.0"], "pip must hold torch and torchvision where they are"
    out = capsys.readouterr().out
    assert "h5py: 3.9.0 is outside >=3.10" in out and "pytest-timeout: not installed" in out


def test_setup_keeps_torch_outside_the_range_and_says_so(monkeypatch, capsys):
    calls = _fake_runtime(monkeypatch, dict(COLAB_LIKE, torch="2.16.1", torchvision="0.31.0"))
    reqs = colab_setup.requirements(ROOT)
    colab_setup.check_held(reqs)
    colab_setup.install_requirements(reqs, ROOT)
    out = capsys.readouterr().out
    assert "WARNING: torch 2.16.1 is outside" in out and "WARNING: torchvision 0.31.0 is outside" in out
    assert all("torch" not in a.split("=")[0].split(">")[0] for args, _ in calls for a in args if "torch" in a
               and "timeout" not in a), calls


def test_setup_refuses_a_runtime_without_torch(monkeypatch):
    _fake_runtime(monkeypatch, {k: v for k, v in COLAB_LIKE.items() if k != "torch"})
    with pytest.raises(colab_setup.SetupError, match="has no torch"):
        colab_setup.check_held(colab_setup.requirements(ROOT))


# ----------------------------------------------------------------------------------------------
# The student edition in a stand-in Colab

@pytest.mark.slow
def test_setup_cell_and_first_check_of_every_notebook_run_in_colab(tmp_path, edition):
    colab = FakeColab(tmp_path, edition)
    shipped = sorted(p.stem for p in (colab.root / "assignment3").glob("*.ipynb"))
    plan = []
    for name in shipped:
        if name == "collect_submission" or not (ALL or name in IN_CI):  # the hand-in: the next test
            continue
        cells = code_cells(colab.root / "assignment3" / f"{name}.ipynb")
        plan.append((name, [colab.cell(name), *cells[1:first_check(cells) + 1]]))
    started = time.monotonic()
    results = colab.run(plan)
    elapsed = time.monotonic() - started
    by_notebook = {}
    for r in results:
        by_notebook.setdefault(r["notebook"], []).append(r)
    for name, cells in plan:
        ran = by_notebook[name]
        setup = ran[0]
        assert setup["error"] is None, f"{name}: the set-up cell failed: {setup['error']}\n{setup['output']}"
        assert "Mounted at" in setup["output"] or "already mounted" in setup["output"]
        assert "Colab set-up: done" in setup["output"], setup["output"]
        assert Path(setup["cwd"]) == (colab.content / "drive" / "MyDrive" / FOLDER / "assignment3").resolve()
        # The edition's blanks raise their NotImplementedError (a notebook whose data cell calls a blank,
        # as Self_Supervised_Learning's does, stops there); anything else is the environment's fault.
        *before, last = ran[1:]
        for r in before:
            assert r["error"] is None, f"{name}: a cell before the first check failed: {r['error']}\n{r['output']}"
        assert last["error"] is None or ("NotImplementedError" in last["error"] and BLANK_TEXT in last["error"]), \
            f"{name}: cell {len(ran)} failed for another reason than a blank: {last['error']}\n{last['output']}"
        assert len(ran) == len(cells) or last["error"], f"{name}: stopped after {len(ran)} of {len(cells)} cells"
        assert Path(last["cs231n"]).is_relative_to(colab.content / "drive"), f"{name} imported {last['cs231n']}"
    if FRESH_PYTHON is None:
        root = str(colab.root.resolve())  # as the set-up script sees its folder (Colab's Drive has no links)
        editable = [c for c in colab.pip_calls() if "-e" in c]
        assert editable and all(c[c.index("-e") + 1] == root and "--no-deps" in c for c in editable), colab.pip_calls()
        assert not any(a.split("=")[0] in ("torch", "torchvision") for c in colab.pip_calls() for a in c)
    print(f"{len(plan)} notebooks, set-up and first check cells: {elapsed:.1f} s")

    # A second run in the same runtime does nothing and says so.
    calls = len(colab.pip_calls())
    again = colab.run([(plan[0][0], [colab.cell(plan[0][0])])])
    assert again[0]["error"] is None and "nothing to do" in again[0]["output"], again[0]["output"]
    assert "already mounted" in again[0]["output"]
    assert len(colab.pip_calls()) == calls, "the second run called pip"
    assert shipped == NOTEBOOKS, "the student edition lacks notebooks of assignment3/ (not tracked by git?)"
    assert len(plan) == (len(NOTEBOOKS) - 1 if ALL else len(IN_CI))


def _save_as_run(folder):
    """Give every notebook in `folder` but the hand-in outputs, as if run top to bottom and saved."""
    for path in folder.glob("*.ipynb"):
        if path.stem == "collect_submission":
            continue
        nb = json.loads(path.read_text(encoding="utf-8"))
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        for i, cell in enumerate(code, 1):
            cell["execution_count"] = i
            cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": [f"cell {i} ran\n"]}]
        path.write_text(json.dumps(nb, indent=1), encoding="utf-8")


@pytest.mark.slow
def test_collect_submission_notebook_writes_what_make_submit_writes(tmp_path, edition):
    colab = FakeColab(tmp_path, edition)
    cells = [colab.cell("collect_submission"), *code_cells(colab.root / "assignment3" / "collect_submission.ipynb")[1:]]
    zip_path = colab.root / collect_submission.SUBMISSION_NAME
    pdf_path = colab.root / collect_submission.PDF_NAME

    refused = colab.run([("collect_submission", cells)])
    assert refused[0]["error"] is None, refused[0]["output"]
    assert refused[-1]["error"] and refused[-1]["error"].startswith("RuntimeError"), refused[-1]
    assert "has not been run" in refused[-1]["output"] and ".ipynb" in refused[-1]["output"], refused[-1]["output"]
    assert not zip_path.exists() and not pdf_path.exists()

    _save_as_run(colab.root / "assignment3")
    handed_in = colab.run([("collect_submission", cells)])[-1]
    notebook_files = {p: p.read_bytes() for p in (zip_path, pdf_path) if p.exists()}
    for p in notebook_files:
        p.unlink()
    # What make submit runs, in the same folder.
    make_submit = subprocess.run([FRESH_PYTHON or sys.executable, "tools/collect_submission.py"], cwd=colab.root,
                                 env=colab.env(), capture_output=True, text=True, timeout=600)
    assert (handed_in["error"] is None) == (make_submit.returncode == 0), \
        f"the notebook:\n{handed_in['output']}\nmake submit:\n{make_submit.stdout}{make_submit.stderr}"
    assert zip_path in notebook_files and zip_path.exists(), handed_in["output"]
    with zipfile.ZipFile(zip_path) as ours, zipfile.ZipFile(io.BytesIO(notebook_files[zip_path])) as nb_zip:
        assert ours.namelist() == nb_zip.namelist()
        assert all(ours.read(n) == nb_zip.read(n) for n in ours.namelist())
        assert "assignment3/collect_submission.ipynb" not in ours.namelist()
        work = {f"assignment3/{p.name}" for p in (colab.root / "assignment3").glob("*.ipynb")}
        assert work - {"assignment3/collect_submission.ipynb"} <= set(ours.namelist())
    assert (pdf_path in notebook_files) == pdf_path.exists(), "one wrote the PDF and the other did not"
    if pdf_path.exists():
        assert notebook_files[pdf_path][:5] == pdf_path.read_bytes()[:5] == b"%PDF-"
