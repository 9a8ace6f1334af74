#!/usr/bin/env bash
# Create the virtual environment (if missing) and install requirements.txt and the cs231n package.
set -euo pipefail

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
    echo "Usage: bash tools/setup_venv.sh [VENV_DIR]   (default .venv)"
    echo "Creates VENV_DIR with python3 if missing, installs requirements.txt and cs231n in editable mode."
    echo "While pip installs the notebook tools (Jupyter, pytest: on one core), the other core compiles"
    echo "the installed modules and builds the embedded COCO sample that make test and the captioning"
    echo "notebooks use offline (setup_coco.sh --sample; nothing happens when it is already in place)."
    exit 0
fi
cd "$(dirname "${BASH_SOURCE[0]}")/.."
venv=${1:-.venv}
python=${PYTHON:-python3}

if [[ ! -x "$venv/bin/python" ]]; then
    echo "setup: creating the virtual environment $venv with $($python --version 2>&1)"
    "$python" -m venv "$venv" || { echo "setup: could not create $venv; install python3-venv (Debian: apt-get install python3-venv)" >&2; exit 1; }
fi

pip_install() {
    # pip compiles every installed module on one core; compileall (below) does the same on every core.
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-compile "$@" \
        2> >(grep -v "^WARNING: Location" >&2)
}
compile_site() {
    # Some packages ship files that are not meant to compile (templates, old test data), as with pip: not an error.
    "$venv/bin/python" -m compileall -q -j "$1" "$site" >/dev/null 2>&1 || true
}

# First torch and what the embedded data is built with, as requirements.txt pins or bounds them.
core=()
while read -r line; do core+=("$line"); done < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' requirements.txt \
    | grep -iE '^(torch|torchvision|numpy|h5py|pillow|tqdm)([<>=!~ ;]|$)')
echo "setup: installing torch into $venv (it is large: the first time takes a few minutes)"
if (( ${#core[@]} )); then
    pip_install "${core[@]}" \
        || { echo "setup: pip could not install torch; read pip's message above (network? disk space?)" >&2; exit 1; }
fi
site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')

# Then the rest of requirements.txt. pip works on one core, so the other compiles torch and builds the
# embedded COCO sample meanwhile (its own log; nothing to do when the sample is in place).
log=$(mktemp)
# (setup_coco.sh --sample, with this venv's python: the package is not installed yet, hence PYTHONPATH.)
{ compile_site 1; PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" "$venv/bin/python" -m cs231n.data.coco --sample; } >"$log" 2>&1 &
beside=$!
trap 'kill "$beside" 2>/dev/null || true; rm -f "$log"' EXIT
echo "setup: installing the rest of requirements.txt (Jupyter, pytest); beside it, compiling and building the embedded COCO sample"
status=0
pip_install -r requirements.txt || status=$?
if (( status != 0 )); then
    echo "setup: pip could not install requirements.txt; read pip's message above (network? disk space?)" >&2
    exit 1
fi
compile_site 0
sample=0
wait "$beside" || sample=$?
if (( sample != 0 )); then
    cat "$log" >&2
    echo "setup: the embedded COCO sample could not be built (above); make test tries again, alone:" \
         "bash setup_coco.sh --sample" >&2
fi
echo "setup: installing the cs231n package in editable mode"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -e . 2> >(grep -v "^WARNING: Location" >&2)
# JupyterLab's settings for this course: no "official Jupyter news" pop-up, no update check.
"$venv/bin/python" tools/install_lab_settings.py "$venv"
touch "$venv/.cs231n-installed"
echo "setup: environment ready ($venv)"
