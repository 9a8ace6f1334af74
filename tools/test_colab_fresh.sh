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

Not part of make test: PyPI's x86_64 torch wheels are CUDA builds (torch 2.13.0: 0.5 GB; 2.6 GB
with the CUDA libraries it pulls in, 5 GB installed), and PyPI's torchvision only loads beside
those, not beside a local +cpu torch wheel, which pip prefers wherever its configuration
(find-links, PIP_FIND_LINKS) offers one: 2.13.0+cpu counts as newer than 2.13.0. On such a machine, download
PyPI's pair once, with the machine's pip configuration switched off:
    PIP_CONFIG_FILE=/dev/null PIP_FIND_LINKS= pip download -d DIR torch==2.13.0 torchvision==0.28.0
and run COLAB_WHEELS=DIR make test-colab: torch and torchvision (and their dependencies) are then
installed from DIR alone (pip --no-index --find-links DIR, no configuration file, no
PIP_FIND_LINKS); everything else comes from the configured indexes as usual.

Environment: COLAB_TORCH, COLAB_TORCHVISION (the pair), COLAB_WHEELS (a folder holding the pair's
wheels and their dependencies; unset: pip's configured indexes), PYTHON (the base interpreter,
default python3), COLAB_VENV (default build/colab-venv).

Last run of the oldest pair: 2026-12-07, torch 2.13.0+cu130 and torchvision 0.28.0+cu130 (PyPI's,
COLAB_WHEELS), numpy 2.4.6, matplotlib 3.11.2, IPython 9.19.1, Python 3.11.7, on a CPU-only machine:
the stand-in Colab passed (the set-up cell and first check cell of all 10 notebooks), then the unit
tests: 789 passed, 1 skipped (tests/test_gan.py's CUDA-only test), 0 failed. 19 to 25 min wall
clock on two shared cores (venv 2-3 min, Colab test 3-6 min, unit tests 11-15 min); 420-490
CPU-seconds. A rerun an hour later: 796 passed, 1 skipped, 1 failed (test_edition_leaks.py on the
then new tests/test_clip_dino_real.py, alike on torch 2.14.1; after its fix, 10 of 10 pass on 2.13).
EOF
    exit 0
fi
cd "$(dirname "${BASH_SOURCE[0]}")/.."
venv=${COLAB_VENV:-build/colab-venv}
torch_version=${COLAB_TORCH:-2.13.0}
vision_version=${COLAB_TORCHVISION:-0.28.0}
python=${PYTHON:-python3}
wheels=${COLAB_WHEELS:-}
start=$SECONDS

echo "test-colab: creating $venv with torch $torch_version, torchvision $vision_version, numpy, matplotlib, IPython"
rm -rf "$venv"
"$python" -m venv "$venv"
if [[ -n "$wheels" ]]; then
    # The pair from $wheels only: no index, no configuration file (its find-links may offer a local
    # +cpu torch, which pip would prefer), no PIP_FIND_LINKS or PIP_CONSTRAINT from the environment.
    [[ -d "$wheels" ]] || { echo "test-colab: COLAB_WHEELS=$wheels is not a folder" >&2; exit 1; }
    echo "test-colab: torch and torchvision from $wheels (pip --no-index, without this machine's pip configuration)"
    env -u PIP_FIND_LINKS -u PIP_CONSTRAINT -u PIP_NO_INDEX -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL \
        PIP_CONFIG_FILE=/dev/null "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        --no-index --find-links "$wheels" "torch==$torch_version" "torchvision==$vision_version" \
        || { echo "test-colab: $wheels lacks torch $torch_version, torchvision $vision_version or one of their" \
                  "dependencies; fill it with: PIP_CONFIG_FILE=/dev/null PIP_FIND_LINKS= pip download -d $wheels" \
                  "torch==$torch_version torchvision==$vision_version" >&2; exit 1; }
fi
# Where the pair is installed already (COLAB_WHEELS), pip keeps it: the requirement is satisfied.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "torch==$torch_version" "torchvision==$vision_version" numpy matplotlib ipython
"$venv/bin/python" -c 'import torch, torchvision; print(f"test-colab: the Colab kernel has torch {torch.__version__}, torchvision {torchvision.__version__}")' \
    || { installed=$("$venv/bin/python" -c 'import torch; print(torch.__version__)' 2>/dev/null || echo "?")
         echo "test-colab: torchvision $vision_version does not load beside torch $installed (PyPI's torchvision" \
              "is built against PyPI's CUDA torch: a local +cpu torch wheel cannot host it); fix: download PyPI's" \
              "pair (PIP_CONFIG_FILE=/dev/null PIP_FIND_LINKS= pip download -d DIR torch==$torch_version" \
              "torchvision==$vision_version) and run again with COLAB_WHEELS=DIR, or name another pair with" \
              "COLAB_TORCH and COLAB_TORCHVISION (see --help)" >&2; exit 1; }
echo "test-colab: $((SECONDS - start)) s; the stand-in Colab (tests/test_colab.py) with that kernel and the real pip"
kernel_versions() { "$venv/bin/python" -c 'import torch, torchvision; print(torch.__version__, torchvision.__version__)'; }
before=$(kernel_versions)
CS231N_COLAB_PYTHON="$PWD/$venv/bin/python" .venv/bin/python -m pytest tests/test_colab.py -q -p no:cacheprovider \
    --no-progress -s -k "in_colab"
# The set-up cell ran the real pip in this venv: it must have kept Colab's torch and torchvision.
after=$(kernel_versions)
[[ "$after" == "$before" ]] || { echo "test-colab: the set-up cell replaced the kernel's torch, torchvision ($before ->" \
                                      "$after); tools/colab_setup.py must never reinstall them" >&2; exit 1; }
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
