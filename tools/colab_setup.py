#!/usr/bin/env python3
"""Set a Google Colab runtime up for one notebook of this assignment (each notebook's first cell runs it).

    python tools/colab_setup.py NOTEBOOK [--force]       e.g. RNN_Captioning

Steps, each printing one line or more:
1. torch and torchvision: Colab's own are used, never installed, upgraded or downgraded; their
   versions are compared with the range the package supports (pyproject.toml) and a version
   outside it is reported as such.
2. the package's other requirements (pyproject.toml's dependencies and its `test` extra, for
   pytest): only those the runtime lacks, or has in a version outside the range, are installed,
   with torch and torchvision held at the versions in place.
3. the cs231n package from this folder, in editable mode and without dependencies: your edits to
   it are what the notebooks import.
4. the packages a notebook's real path needs beyond the requirements (CLIP_DINO: OpenAI's clip),
   then the notebook's data, with the same scripts and modules `make data` runs (verified downloads;
   the embedded stand-in when the real source cannot be reached), into this folder's datasets/.
5. the GPU: the notebooks pick CUDA when the runtime has it (cs231n.notebook.start_notebook).
For collect_submission it installs instead what tools/collect_submission.py makes the PDF with,
when the runtime has none of it: nbconvert, and LaTeX from the system's packages (apt-get), the
course's own way in Colab.

It then leaves a stamp in this runtime's temporary folder (not in Drive: a new runtime has none of
the installs); run again in the same runtime, it says so and does nothing (--force redoes it).
Only the standard library and pip are needed before the requirements are in place.
"""

import argparse
import hashlib
import importlib.metadata as metadata
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
HELD = ("torch", "torchvision")  # Colab's own builds (CUDA): never replaced
# What `make data` runs for each notebook (Makefile, target data), with this interpreter; PY stands
# for it. CIFAR-10 (ViT, SSL) is fetched by torchvision's checked download, as the notebooks' loaders do.
PY = "{python}"
_COCO = [["bash", "setup_coco.sh"]]
_CIFAR10 = [[PY, "-c", "from cs231n.data.ssl import ssl_source; ssl_source()"]]
DATA_STEPS = {
    "RNN_Captioning": _COCO,
    "LSTM_Captioning": _COCO,
    "Transformer_Captioning": _COCO,
    "Network_Visualization": [[PY, "-m", "cs231n.data.net_visualization"]],
    "Style_Transfer": [[PY, "-m", "cs231n.data.style_transfer"]],
    "Generative_Adversarial_Networks": [["bash", "tools/setup_gan_data.sh"]],
    "Self_Supervised_Learning": _CIFAR10,
    "Vision_Transformer": _CIFAR10,
    "DDPM": [[PY, "-m", "cs231n.data.ddpm"]],
    "CLIP_DINO": [[PY, "-c", "import torch; from cs231n.data.clip_dino import load_clip, load_dino; "
                             "d = 'cuda' if torch.cuda.is_available() else 'cpu'; load_clip(d); load_dino(d)"]],
    "collect_submission": [],  # no data: the PDF's tools instead (install_pdf_tools)
}


# Packages outside the requirements that a notebook's real path uses (module: what pip installs); the
# notebook falls back to its embedded stand-in without them, so a failed install is only reported.
NOTEBOOK_PACKAGES = {"CLIP_DINO": {"clip": "git+https://github.com/openai/CLIP.git"}}
# tools/collect_submission.py's PDF: nbconvert, then a Chrome/Chromium or xelatex (LaTeX, which Colab
# lacks and apt-get brings: the official collect_submission.ipynb installs the same packages).
PDF_REQUIREMENT = "nbconvert>=7"
LATEX_PACKAGES = ["texlive-xetex", "texlive-fonts-recommended", "texlive-plain-generic", "pandoc"]
PDF_PROGRAMS = ["xelatex", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]


class SetupError(Exception):
    """A step failed; the message says what to do."""


def say(line):
    print(line, flush=True)  # before a child process writes to the same output


def _tomllib():
    try:
        import tomllib  # Python 3.11+
    except ModuleNotFoundError:
        from pip._vendor import tomli as tomllib  # pip carries it
    return tomllib


def _packaging():
    try:
        from packaging.requirements import Requirement
        from packaging.version import Version
    except ModuleNotFoundError:
        from pip._vendor.packaging.requirements import Requirement
        from pip._vendor.packaging.version import Version
    return Requirement, Version


def requirements(root=REPO_ROOT):
    """The package's requirements (pyproject.toml: dependencies, then the test extra) as Requirement objects."""
    Requirement, _ = _packaging()
    project = _tomllib().loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    specs = [*project.get("dependencies", []), *project.get("optional-dependencies", {}).get("test", [])]
    reqs = [Requirement(s) for s in specs]
    return [r for r in reqs if r.marker is None or r.marker.evaluate()]  # e.g. tomli only before 3.11


def installed_version(name):
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def satisfied(req):
    """(installed version or None, whether it lies in the requirement's range)."""
    _, Version = _packaging()
    version = installed_version(req.name)
    return version, version is not None and req.specifier.contains(Version(version), prereleases=True)


def check_held(reqs):
    """Step 1: report torch and torchvision against the supported range; install nothing."""
    for req in reqs:
        if req.name not in HELD:
            continue
        version, ok = satisfied(req)
        if version is None:
            raise SetupError(f"this runtime has no {req.name}; Colab's runtimes bring it: start a new runtime "
                             f"(Runtime > Disconnect and delete runtime), or outside Colab run 'make setup'")
        if ok:
            say(f"{req.name} {version}: the runtime's own, within the supported range {req.specifier}")
        else:
            say(f"WARNING: {req.name} {version} is outside the range this assignment supports and was tested "
                f"on ({req.specifier}). It is kept (replacing Colab's CUDA build breaks the runtime). Most "
                f"things should still work; if a check fails that should not, say which {req.name} you had.")


def pip(args, root):
    """Run pip with this interpreter; torch and torchvision are held where they are."""
    held = [f"{name}=={installed_version(name)}" for name in HELD if installed_version(name)]
    with tempfile.NamedTemporaryFile("w", suffix=".txt", prefix="cs231n-held-", delete=False) as f:
        f.write("\n".join(held) + "\n")
    try:
        cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-c", f.name, *args]
        if subprocess.run(cmd, cwd=root).returncode != 0:
            raise SetupError(f"pip could not install {' '.join(args)} (its message is above); check the "
                             "runtime's internet connection and run this cell again")
    finally:
        os.unlink(f.name)


def install_requirements(reqs, root):
    """Step 2: install the requirements that are missing or out of range, nothing else."""
    missing = []
    for req in reqs:
        if req.name in HELD:
            continue
        version, ok = satisfied(req)
        if not ok:
            missing.append(req)
            say(f"{req.name}: {'not installed' if version is None else f'{version} is outside {req.specifier}'}")
    if not missing:
        say(f"requirements: all {sum(r.name not in HELD for r in reqs)} already in this runtime")
        return
    say(f"requirements: installing {', '.join(str(r) for r in missing)}")
    pip([str(r) for r in missing], root)


def editable_from(root):
    """True when cs231n is installed in editable mode from `root`."""
    try:
        text = metadata.distribution("cs231n").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return False
    info = json.loads(text or "{}")
    return info.get("dir_info", {}).get("editable", False) and info.get("url") == root.resolve().as_uri()


def install_package(root):
    """Step 3: the cs231n package from `root`, editable, no dependencies."""
    if editable_from(root):
        say(f"cs231n: installed in editable mode from {root}")
        return
    say(f"cs231n: installing from {root} in editable mode (pip install --no-deps -e)")
    pip(["--no-deps", "-e", str(root)], root)


def install_notebook_packages(notebook, root):
    """The packages of the notebook's real path (NOTEBOOK_PACKAGES), when missing and online."""
    for module, spec in NOTEBOOK_PACKAGES.get(notebook, {}).items():
        if importlib.util.find_spec(module) is not None:
            say(f"{module}: installed")
        elif os.environ.get("CS231N_OFFLINE") == "1":
            say(f"{module}: not installed (offline: CS231N_OFFLINE=1); the notebook uses its embedded stand-in")
        else:
            say(f"{module}: installing {spec}")
            try:
                pip([spec], root)
            except SetupError as e:
                say(f"WARNING: {e}; the notebook uses its embedded stand-in instead")


def fetch_data(notebook, root):
    """Step 4: the notebook's data, as `make data` fetches it."""
    steps = DATA_STEPS[notebook]
    if not steps:
        say(f"data: {notebook} needs none")
        return
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(root), *filter(None, [env.get("PYTHONPATH")])])
    env["PYTHON"] = sys.executable  # tools/setup_gan_data.sh's interpreter
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])  # setup_coco.sh's python3
    for step in steps:
        cmd = [sys.executable if part == PY else part for part in step]
        say(f"data: {' '.join(step).replace(PY, 'python')}")
        if subprocess.run(cmd, cwd=root, env=env).returncode != 0:
            raise SetupError(f"fetching the data failed ({' '.join(cmd)}; its message is above)")


def install_pdf_tools(root):
    """For collect_submission: nbconvert, and LaTeX when no program that can print the PDF is here."""
    Requirement, _ = _packaging()
    req = Requirement(PDF_REQUIREMENT)
    if not satisfied(req)[1]:
        say(f"PDF: installing {req}")
        pip([str(req)], root)
    found = next((p for p in PDF_PROGRAMS if shutil.which(p)), None)
    if found:
        say(f"PDF: {found} is here to make it with")
        return
    cmd = ["apt-get", "install", "-y", "-qq", *LATEX_PACKAGES]
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        say(f"PDF: no LaTeX nor Chromium here; install them yourself ({' '.join(cmd)})")
        return
    say(f"PDF: installing LaTeX for it ({' '.join(LATEX_PACKAGES)}; a minute or two)")
    if subprocess.run(cmd, stdout=subprocess.DEVNULL).returncode != 0:
        raise SetupError(f"apt-get could not install LaTeX ({' '.join(cmd)}; its message is above); run this "
                         "cell again, or make the PDF on your own computer with make submit")


def report_gpu():
    """Step 5: say which device the notebooks will use."""
    import torch  # only now: importing it takes seconds

    if torch.cuda.is_available():
        say(f"GPU: {torch.cuda.get_device_name(0)}; the notebooks run on it (device cuda)")
    else:
        say("GPU: none in this runtime, so the notebooks run on the CPU (slower). For a GPU: Runtime > "
            "Change runtime type > a GPU, then run this cell again (a new runtime starts from scratch)")


def stamp_path(notebook, root):
    key = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / "cs231n-colab-setup" / f"{notebook}-{key}.done"


def setup(notebook, root=REPO_ROOT, force=False):
    root = Path(root).resolve()
    stamp = stamp_path(notebook, root)
    if stamp.exists() and not force:
        say(f"Colab set-up: {notebook} was set up in this runtime already ({stamp.read_text().strip()}); "
            f"nothing to do (to redo it: !python {root / 'tools' / 'colab_setup.py'} {notebook} --force)")
        return
    started = time.monotonic()
    say(f"Colab set-up for {notebook}: assignment folder {root}, Python {sys.version.split()[0]}")
    reqs = requirements(root)
    check_held(reqs)
    install_requirements(reqs, root)
    install_package(root)
    if notebook == "collect_submission":
        install_pdf_tools(root)
    else:
        install_notebook_packages(notebook, root)
        fetch_data(notebook, root)
        report_gpu()
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(f"set up on {time.strftime('%Y-%m-%d %H:%M')}\n")
    say(f"Colab set-up: done in {time.monotonic() - started:.0f} s; run the next cells")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebook", help="the notebook's name without .ipynb, e.g. RNN_Captioning")
    parser.add_argument("--force", action="store_true", help="redo every step even if the stamp says done")
    args = parser.parse_args(argv)
    notebook = args.notebook.removesuffix(".ipynb")
    if notebook not in DATA_STEPS:
        print(f"colab_setup: unknown notebook {notebook!r}; known: {', '.join(DATA_STEPS)}", file=sys.stderr)
        return 2
    try:
        setup(notebook, force=args.force)
    except SetupError as e:
        print(f"colab_setup: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
