#!/usr/bin/env bash
# Create the virtual environment (if missing) and install requirements.txt and the cs231n package.
set -euo pipefail

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
    echo "Usage: bash tools/setup_venv.sh [VENV_DIR]   (default .venv)"
    echo "Creates VENV_DIR with python3 if missing, installs requirements.txt and cs231n in editable mode."
    exit 0
fi
cd "$(dirname "${BASH_SOURCE[0]}")/.."
venv=${1:-.venv}
python=${PYTHON:-python3}

if [[ ! -x "$venv/bin/python" ]]; then
    echo "setup: creating the virtual environment $venv with $($python --version 2>&1)"
    "$python" -m venv "$venv" || { echo "setup: could not create $venv; install python3-venv (Debian: apt-get install python3-venv)" >&2; exit 1; }
fi
echo "setup: installing requirements.txt into $venv (torch is large: the first time takes a few minutes)"
# pip compiles every installed module on one core; compileall does the same on every core.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-compile -r requirements.txt \
    2> >(grep -v "^WARNING: Location" >&2) \
    || { echo "setup: pip could not install requirements.txt; read pip's message above (network? disk space?)" >&2; exit 1; }
site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
# Some packages ship files that are not meant to compile (templates, old test data), as with pip: not an error.
"$venv/bin/python" -m compileall -q -j 0 "$site" >/dev/null 2>&1 || true
echo "setup: installing the cs231n package in editable mode"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -e . 2> >(grep -v "^WARNING: Location" >&2)
# JupyterLab's settings for this course: no "official Jupyter news" pop-up, no update check.
"$venv/bin/python" tools/install_lab_settings.py "$venv"
touch "$venv/.cs231n-installed"
echo "setup: environment ready ($venv)"
