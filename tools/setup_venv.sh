#!/usr/bin/env bash
# Create the virtual environment (if missing) and install requirements.txt and the cs231n package.
set -euo pipefail

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
    echo "Usage: bash tools/setup_venv.sh [VENV_DIR]   (default .venv)"
    echo "Creates VENV_DIR with python3 if missing, installs requirements.txt and cs231n in editable mode."
    echo "It installs with uv (from PyPI, into the venv; it reads pip's package sources through"
    echo "tools/uv_args.py), or with pip where uv cannot be had. Beside the installation it builds the"
    echo "embedded COCO sample that make test and the captioning notebooks use offline (setup_coco.sh"
    echo "--sample; nothing happens when it is already in place), and compiles the installed modules."
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
    # (--no-compile: tools/compile_imports.py compiles what the course imports, below)
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-compile "$@" \
        2> >(grep -v "^WARNING: Location" >&2)
}
# uv installs on every core (torch and Jupyter in seconds, where pip on one core takes minutes). It is a
# package on PyPI itself; where pip cannot get it, or it fails, pip installs instead, and says so.
uv=
uv_opts=()
if "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "uv>=0.8,<1" 2>/dev/null \
        && [[ -x "$venv/bin/uv" ]]; then
    uv="$venv/bin/uv"
    # uv does not read pip's configuration (a local mirror, a wheel folder, constraints): carry it over.
    while read -r arg; do
        if [[ "$arg" == SSL_CERT_FILE=* ]]; then export "${arg?}"; elif [[ -n "$arg" ]]; then uv_opts+=("$arg"); fi
    done < <("$venv/bin/python" tools/uv_args.py)
else
    echo "setup: pip could not install uv, so pip installs everything (on one core: a few minutes)"
fi
install() {
    if [[ -n "$uv" ]]; then
        "$uv" pip install --quiet --python "$venv/bin/python" ${uv_opts[@]+"${uv_opts[@]}"} "$@" && return 0
        echo "setup: uv could not install $* (its message is above); pip tries instead, more slowly" >&2
        uv=
    fi
    pip_install "$@"
}

log=$(mktemp)
sample=
trap 'if [[ -n "$sample" ]]; then kill "$sample" 2>/dev/null || true; fi; rm -f "$log"' EXIT

# First torch and what the embedded data is built with, as requirements.txt pins or bounds them.
core=()
while read -r line; do core+=("$line"); done < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' requirements.txt \
    | grep -iE '^(torch|torchvision|numpy|h5py|pillow|tqdm)([<>=!~ ;]|$)')
echo "setup: installing torch into $venv${uv:+ with uv} (it is large: the first time takes a few minutes)"
if (( ${#core[@]} )); then
    install "${core[@]}" \
        || { echo "setup: could not install torch; read the message above (network? disk space?)" >&2; exit 1; }
fi

# Then, beside the rest of the installation, the embedded COCO sample (setup_coco.sh --sample, with this
# venv's python: the package is not installed yet, hence PYTHONPATH; nothing to do when it is in place).
PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" "$venv/bin/python" -m cs231n.data.coco --sample >"$log" 2>&1 &
sample=$!
echo "setup: installing the rest of requirements.txt (Jupyter, pytest); beside it, building the embedded COCO sample"
install -r requirements.txt \
    || { echo "setup: could not install requirements.txt; read the message above (network? disk space?)" >&2; exit 1; }
echo "setup: installing the cs231n package in editable mode"
install --no-deps -e . || { echo "setup: could not install the cs231n package (above)" >&2; exit 1; }
# What the package, the tests and the notebooks' kernels import, compiled once: where
# PYTHONDONTWRITEBYTECODE is set, every process would otherwise compile torch again for itself.
"$venv/bin/python" tools/compile_imports.py \
    || echo "setup: compiling the imported modules failed (above); the environment works, only slower to start" >&2
status=0
wait "$sample" || status=$?
sample=
if (( status != 0 )); then
    cat "$log" >&2
    echo "setup: the embedded COCO sample could not be built (above); make test tries again, alone:" \
         "bash setup_coco.sh --sample" >&2
fi
# JupyterLab's settings for this course: no "official Jupyter news" pop-up, no update check.
"$venv/bin/python" tools/install_lab_settings.py "$venv"
touch "$venv/.cs231n-installed"
echo "setup: environment ready ($venv)"
