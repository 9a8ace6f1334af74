#!/usr/bin/env bash
# Training data for assignment3/Generative_Adversarial_Networks.ipynb.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: bash tools/setup_gan_data.sh [--help]

Makes sure the GAN notebook has training images:
  1. MNIST already in datasets/MNIST, or Fashion-MNIST already installed: nothing to do.
  2. Otherwise download MNIST with torchvision into datasets/ (skipped when CS231N_OFFLINE=1).
  3. If that fails, install Debian's dataset-fashion-mnist package (the offline stand-in,
     /usr/share/datasets/fashion-mnist) with apt-get, when running as root.
The notebook's loader prefers MNIST and falls back to Fashion-MNIST.

Environment: CS231N_OFFLINE=1 skips the download; CS231N_DATASETS overrides the data folder;
CS231N_FASHION_MNIST_DIR where the package puts Fashion-MNIST (for tests); PYTHON names the
interpreter (default: .venv/bin/python, else python3).
EOF
}

case "${1:-}" in
    -h | --help) usage; exit 0 ;;
    "") ;;
    *) echo "setup_gan_data: unknown argument '$1'; see --help" >&2; exit 2 ;;
esac

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
fmnist=${CS231N_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}
python=${PYTHON:-}
if [[ -z $python ]]; then
    if [[ -x $repo/.venv/bin/python ]]; then python=$repo/.venv/bin/python; else python=python3; fi
fi
# Steps 1 and 2 (which files make a dataset, the download) live in cs231n/data/mnist.py; its exit
# status 3 means: neither dataset, install the package (step 3).
mnist() { PYTHONPATH="$repo${PYTHONPATH:+:$PYTHONPATH}" "$python" -m cs231n.data.mnist "$@"; }

status=0
mnist || status=$?
if [[ $status -eq 0 ]]; then
    exit 0
elif [[ $status -ne 3 ]]; then
    echo "setup_gan_data: 'python -m cs231n.data.mnist' failed (exit $status, see above);" \
        "fix: run 'make setup' so that .venv has the packages, then run this script again." >&2
    exit 1
fi

if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
    echo "setup_gan_data: no GAN data and cannot install it here (needs root and apt-get);" \
        "fix: run 'sudo apt-get install dataset-fashion-mnist', or rerun this script with internet access." >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
echo "GAN data: apt-get update ..."
if ! apt-get update -q >"$log" 2>&1; then
    echo "GAN data: apt-get update reported errors; trying the install anyway."
fi
echo "GAN data: apt-get install dataset-fashion-mnist ..."
if ! apt-get install -y -q dataset-fashion-mnist >"$log" 2>&1 || ! CS231N_OFFLINE=1 mnist >/dev/null; then
    reason=$(grep -v '^\s*$' "$log" | tail -1 | cut -c1-100 || true)
    echo "setup_gan_data: installing dataset-fashion-mnist failed (${reason:-no files in $fmnist});" \
        "fix: check that a Debian mirror is reachable and run 'apt-get install dataset-fashion-mnist'." >&2
    rm -f "$log"
    exit 1
fi
rm -f "$log"
echo "GAN data: Fashion-MNIST (offline stand-in) installed in $fmnist."
