#!/usr/bin/env bash
# Gradescope runs this once when the autograder image is built (the bundle unpacks to
# /autograder/source). It installs Python 3 (Ubuntu 22.04's is 3.10: supported, with the tomli
# backport), bubblewrap (the grader's sandbox) and the assignment's requirements into
# /autograder/venv, then checks that the sandbox works. Grading itself needs no internet.
#   AUTOGRADER_ROOT   another root than /autograder (tests)
#   TORCH_INDEX_URL   where torch comes from (default: PyTorch's CPU-only wheels, ~200 MB instead of
#                     the CUDA build's ~2.5 GB; PyPI is used when that index cannot be reached)
set -euo pipefail
root=${AUTOGRADER_ROOT:-/autograder}
grader="$root/source/grader"
torch_index=${TORCH_INDEX_URL:-https://download.pytorch.org/whl/cpu}
if command -v apt-get >/dev/null; then
    echo "setup: installing Python 3, venv and bubblewrap"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq python3 python3-venv python3-pip bubblewrap >/dev/null
fi
python3 - <<'PY'
import sys
if sys.version_info < (3, 10):
    sys.exit(f"setup: Python {sys.version.split()[0]} is too old: the assignment needs 3.10 or newer")
PY
echo "setup: creating $root/venv with $(python3 --version)"
python3 -m venv "$root/venv"
pip=("$root/venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-cache-dir)
"${pip[@]}" --upgrade pip
torch_pins=$(grep -E '^(torch|torchvision)==' "$grader/requirements.txt" | tr '\n' ' ')
# shellcheck disable=SC2086
"${pip[@]}" --index-url "$torch_index" $torch_pins || {
    echo "setup: $torch_index unreachable; torch from PyPI"; "${pip[@]}" $torch_pins; }
"${pip[@]}" -r "$grader/requirements.txt"
echo "setup: checking the sandbox"
"$root/venv/bin/python" "$grader/grade.py" --kit "$grader/kit" --check-sandbox || {
    echo "setup: WARNING: no sandbox here; the grader will refuse to grade (see grader/kit/grader.toml," \
         "allow_unconfined, and the README's grading section)" >&2; }
echo "setup: done"
