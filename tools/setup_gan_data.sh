#!/usr/bin/env bash
# Training data for assignment3/Generative_Adversarial_Networks.ipynb.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: bash tools/setup_gan_data.sh [--help]

Makes sure the GAN notebook has training images:
  1. MNIST already in datasets/MNIST, or Fashion-MNIST installed with every file matching its
     package checksum: nothing to do.
  2. Otherwise download MNIST with torchvision into datasets/ (skipped when CS231N_OFFLINE=1).
  3. If that fails, install Debian's dataset-fashion-mnist package (the offline stand-in,
     /usr/share/datasets/fashion-mnist) with apt-get, or reinstall it when its files are
     damaged (apt-get install --reinstall), when running as root; otherwise say the command.
The notebook's loader prefers MNIST and falls back to Fashion-MNIST.

Environment: CS231N_OFFLINE=1 skips the download; CS231N_DATASETS overrides the data folder;
CS231N_FASHION_MNIST_DIR where the package puts Fashion-MNIST and CS231N_FASHION_MNIST_MD5SUMS
dpkg's list of its checksums (both for tests); PYTHON names the interpreter (default:
.venv/bin/python, else python3).
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
# Step 1 (which files make a dataset, their checksums) is cs231n/data/mnist_files.py, which imports no
# torch, so that a run with nothing to do is quick; step 2 (the download) is cs231n/data/mnist.py.
# Exit statuses: 0 in place, 3 neither dataset (install the package), 4 the package's files are
# damaged (reinstall it), 5 (step 1 only) nothing in place yet: try the download.
module() { PYTHONPATH="$repo${PYTHONPATH:+:$PYTHONPATH}" "$python" -m "$@"; }
check() { module cs231n.data.mnist_files; }

status=0
check || status=$?
if [[ $status -eq 5 ]]; then
    status=0
    module cs231n.data.mnist || status=$?
fi
if [[ $status -eq 0 ]]; then
    exit 0
elif [[ $status -ne 3 && $status -ne 4 ]]; then
    echo "setup_gan_data: checking or downloading the data failed (exit $status, see above);" \
        "fix: run 'make setup' so that .venv has the packages, then run this script again." >&2
    exit 1
fi

if [[ $status -eq 4 ]]; then
    what="reinstall"
    apt_args=(install --reinstall -y -q dataset-fashion-mnist)
else
    what="install"
    apt_args=(install -y -q dataset-fashion-mnist)
fi
if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
    if [[ $status -eq 4 ]]; then
        echo "setup_gan_data: the Fashion-MNIST files in $fmnist are damaged and cannot be repaired here" \
            "(needs root and apt-get); fix: run 'sudo apt-get install --reinstall dataset-fashion-mnist'," \
            "or rerun this script with internet access (MNIST is used instead)." >&2
    else
        echo "setup_gan_data: no GAN data and cannot install it here (needs root and apt-get);" \
            "fix: run 'sudo apt-get install dataset-fashion-mnist', or rerun this script with internet access." >&2
    fi
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
echo "GAN data: apt-get update ..."
if ! apt-get update -q >"$log" 2>&1; then
    echo "GAN data: apt-get update reported errors; trying the install anyway."
fi
echo "GAN data: apt-get ${apt_args[*]} ..."
# The check afterwards is the same as step 1: the files are there and match their checksums.
if ! apt-get "${apt_args[@]}" >"$log" 2>&1 || ! CS231N_OFFLINE=1 check >"$log.check" 2>&1; then
    reason=$(cat "$log" "$log.check" | grep -v '^\s*$' | tail -1 | cut -c1-300 || true)
    echo "setup_gan_data: ${what}ing dataset-fashion-mnist failed (${reason:-no files in $fmnist});" \
        "fix: check that a Debian mirror is reachable and run 'apt-get ${apt_args[*]}'." >&2
    rm -f "$log" "$log.check"
    exit 1
fi
rm -f "$log" "$log.check"
echo "GAN data: Fashion-MNIST (offline stand-in) ${what}ed and verified in $fmnist."
