#!/usr/bin/env bash
# Gradescope runs this once when the autograder image is built (the bundle unpacks to /autograder/source).
# It installs Python, the assignment's requirements and the cs231n package of the grading base, and
# builds the embedded data the tests read, so that grading itself needs no internet.
set -euo pipefail
root=${AUTOGRADER_ROOT:-/autograder}
base="$root/source/base"
echo "setup: installing Python 3 and venv"
if command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq python3 python3-venv python3-pip >/dev/null
fi
echo "setup: creating $root/venv and installing requirements.txt (torch is large: a few minutes)"
python3 -m venv "$root/venv"
"$root/venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$base/requirements.txt"
"$root/venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -e "$base"
echo "setup: building the embedded data the tests read"
cd "$base"
CS231N_OFFLINE=1 CS231N_DATASETS="$base/datasets" bash setup_coco.sh --sample
CS231N_OFFLINE=1 CS231N_DATASETS="$base/datasets" "$root/venv/bin/python" -m cs231n.data.net_visualization
echo "setup: done"
