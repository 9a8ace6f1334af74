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
data=${CS231N_DATASETS:-$repo/datasets}
fmnist=${CS231N_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}
files=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
python=${PYTHON:-}
if [[ -z $python ]]; then
    if [[ -x $repo/.venv/bin/python ]]; then python=$repo/.venv/bin/python; else python=python3; fi
fi

have_mnist() {
    local f
    for f in "${files[@]}"; do [[ -s $data/MNIST/raw/$f ]] || return 1; done
}
have_fashion_mnist() {
    local f
    for f in "${files[@]}"; do [[ -s $fmnist/$f.gz ]] || return 1; done
}

if have_mnist; then
    echo "GAN data: MNIST already in $data/MNIST; nothing to do."
    exit 0
fi
if have_fashion_mnist; then
    echo "GAN data: Fashion-MNIST (offline stand-in) already installed in $fmnist; nothing to do."
    exit 0
fi

if [[ ${CS231N_OFFLINE:-} != "" && ${CS231N_OFFLINE:-} != 0 ]]; then
    echo "GAN data: MNIST download skipped (CS231N_OFFLINE=1)."
else
    echo "GAN data: downloading MNIST with torchvision into $data/MNIST ..."
    log=$(mktemp)
    # torchvision verifies each file's MD5; download_mnist probes the network first and uses timeouts.
    if PYTHONPATH="$repo${PYTHONPATH:+:$PYTHONPATH}" "$python" -c '
import sys
from cs231n.data.mnist import download_mnist
reason = download_mnist(sys.argv[1])
if reason:
    sys.exit(reason)
' "$data" >"$log" 2>&1; then
        rm -f "$log"
        echo "GAN data: MNIST ready in $data/MNIST."
        exit 0
    fi
    echo "GAN data: MNIST download failed ($(grep -v '^\s*$' "$log" | tail -1 | cut -c1-100))."
    rm -f "$log"
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
if ! apt-get install -y -q dataset-fashion-mnist >"$log" 2>&1 || ! have_fashion_mnist; then
    reason=$(grep -v '^\s*$' "$log" | tail -1 | cut -c1-100 || true)
    echo "setup_gan_data: installing dataset-fashion-mnist failed (${reason:-no files in $fmnist});" \
        "fix: check that a Debian mirror is reachable and run 'apt-get install dataset-fashion-mnist'." >&2
    rm -f "$log"
    exit 1
fi
rm -f "$log"
echo "GAN data: Fashion-MNIST (offline stand-in) installed in $fmnist."
