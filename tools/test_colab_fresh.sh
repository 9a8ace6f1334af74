#!/usr/bin/env bash
# The Colab test in a fresh virtual environment with only what a Colab image brings, on the oldest
# torch and torchvision the package supports; then the unit tests on that torch.
set -euo pipefail

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
    cat <<'EOF'
Usage: bash tools/test_colab_fresh.sh      (make test-colab)

1. Creates build/colab-venv afresh with only what a Colab image brings: torch and torchvision (the
   oldest pair pyproject.toml supports, by default 2.13.0 and 0.28.0, not requirements.txt's pins),
   numpy, matplotlib and IPython. No .venv, no cs231n.
2. Runs tests/test_colab.py with that interpreter as the Colab kernel and the real pip: the set-up
   cell installs the missing requirements and the package from the fake Drive, fetches each
   notebook's data into it (offline: the embedded stand-ins) and the first check cell of each
   notebook runs.
3. Installs requirements.txt's test tools (not its torch pins) and this checkout's package
   (editable, no dependencies) into it, and runs the unit tests (tests/, offline) on that torch:
   the oldest-supported check.

Not part of make test: PyPI's x86_64 torch wheels are CUDA builds (torch 2.5.1: 906.5 MB, plus
the CUDA libraries it pulls in), and PyPI's torchvision only loads beside those (not beside a
local +cpu torch wheel); pip uses a local wheel where its configuration finds one.
Environment: COLAB_TORCH, COLAB_TORCHVISION (the pair), PYTHON (the base interpreter, default
python3), COLAB_VENV (default build/colab-venv).
EOF
    exit 0
fi
cd "$(dirname "${BASH_SOURCE[0]}")/.."
venv=${COLAB_VENV:-build/colab-venv}
torch_version=${COLAB_TORCH:-2.13.0}
vision_version=${COLAB_TORCHVISION:-0.28.0}
python=${PYTHON:-python3}
start=$SECONDS

echo "test-colab: creating $venv with torch $torch_version, torchvision $vision_version, numpy, matplotlib, IPython"
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "torch==$torch_version" "torchvision==$vision_version" numpy matplotlib ipython
"$venv/bin/python" -c 'import torch, torchvision; print(f"test-colab: the Colab kernel has torch {torch.__version__}, torchvision {torchvision.__version__}")' \
    || { echo "test-colab: torchvision $vision_version does not load beside torch $torch_version (PyPI's torchvision" \
              "is built against PyPI's CUDA torch: a local +cpu torch wheel cannot host it); fix: let pip fetch" \
              "PyPI's torch (no local wheel), or name another pair with COLAB_TORCH and COLAB_TORCHVISION" >&2; exit 1; }
echo "test-colab: $((SECONDS - start)) s; the stand-in Colab (tests/test_colab.py) with that kernel and the real pip"
CS231N_COLAB_PYTHON="$PWD/$venv/bin/python" .venv/bin/python -m pytest tests/test_colab.py -q -p no:cacheprovider \
    --no-progress -s -k "in_colab"
echo "test-colab: $((SECONDS - start)) s; the unit tests on torch $torch_version"
# The test tools of requirements.txt, its torch pins left out (this venv keeps its own torch).
dev=$(mktemp)
trap 'rm -f "$dev"' EXIT
grep -v -E '^(torch|torchvision)==' requirements.txt >"$dev"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$dev" \
    "torch==$torch_version" "torchvision==$vision_version"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -e .
# Hygiene needs ruff, and the Colab test ran above; everything else runs as in make test, offline.
CS231N_OFFLINE=1 CS231N_COCO=sample MPLBACKEND=Agg OMP_NUM_THREADS=1 "$venv/bin/python" -m pytest tests -q \
    -p no:cacheprovider --ignore=tests/test_hygiene.py --ignore=tests/test_colab.py
echo "test-colab: passed in $((SECONDS - start)) s"
