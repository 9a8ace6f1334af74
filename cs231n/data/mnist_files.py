"""Which files make the GAN notebook's datasets, and whether they are right: no torch, no network.

MNIST counts as in place when torchvision's four decompressed files are in ``datasets/MNIST/raw``
(torchvision checked their MD5 when it downloaded them). Fashion-MNIST, the offline stand-in, comes
from Debian's ``dataset-fashion-mnist`` package; its four gzip files must match the package's MD5
sums: dpkg's list of the installed package when it names them, else the sums of the Debian release
(DEBIAN_MD5) or of the upstream archives (UPSTREAM_MD5). :mod:`cs231n.data.mnist` loads and downloads.

``python -m cs231n.data.mnist_files`` is step 1 of ``tools/setup_gan_data.sh``, fast enough to run on
every ``make lab``: it says what is in place and exits with one of the statuses below.
"""

import argparse
import hashlib
import os
import sys
from pathlib import Path

from cs231n.data.paths import datasets_dir, offline_forced

# Where Debian's dataset-fashion-mnist package puts the original gzip files (read-only);
# $CS231N_FASHION_MNIST_DIR overrides it (the tests use that).
FASHION_MNIST_SYSTEM_DIR = "/usr/share/datasets/fashion-mnist"
SETUP_COMMAND = "bash tools/setup_gan_data.sh"
REINSTALL_COMMAND = "sudo apt-get install --reinstall dataset-fashion-mnist"
# dpkg's list of the package's files and their MD5 sums; $CS231N_FASHION_MNIST_MD5SUMS overrides it (tests).
DPKG_MD5SUMS = "/var/lib/dpkg/info/dataset-fashion-mnist.md5sums"
# The four files, with the MD5 of the upstream archives (torchvision's FashionMNIST.resources) ...
UPSTREAM_MD5 = {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}
# ... and of Debian's dataset-fashion-mnist 0.0~git20200523.55506a9-1, which recompressed them (computed
# from the package's files).
DEBIAN_MD5 = {
    "train-images-idx3-ubyte.gz": "cf8536b0aa1a6ac5fa3f23001093305c",
    "train-labels-idx1-ubyte.gz": "10bea18fdb374794d4bb42e356e600c9",
    "t10k-images-idx3-ubyte.gz": "f78720b4224f21cce2f2ccf2d7a94c9a",
    "t10k-labels-idx1-ubyte.gz": "0d30e22e447f3c33dab9ed536400ac01",
}
FILES = tuple(UPSTREAM_MD5)  # MNIST's files have the same names

# Exit statuses of `python -m cs231n.data.mnist_files` (and of cs231n.data.mnist's download):
READY = 0  # MNIST, or a verified Fashion-MNIST, is in place
NEEDS_FASHION_MNIST = 3  # neither dataset: install Debian's dataset-fashion-mnist package
NEEDS_REINSTALL = 4  # the package's files are damaged: apt-get install --reinstall
TRY_DOWNLOAD = 5  # no dataset in place yet, and the network may be used: download MNIST first


def fashion_mnist_system_dir():
    return Path(os.environ.get("CS231N_FASHION_MNIST_DIR") or FASHION_MNIST_SYSTEM_DIR)


def fashion_mnist_installed(system_dir=None):
    """True when dataset-fashion-mnist's four gzip files are in system_dir (right or not)."""
    system_dir = Path(system_dir) if system_dir is not None else fashion_mnist_system_dir()
    return all((system_dir / name).is_file() for name in FILES)


def mnist_ready(root=None):
    """True when torchvision's decompressed MNIST files are in root/MNIST/raw."""
    raw = Path(root if root is not None else datasets_dir()) / "MNIST" / "raw"
    return all((raw / name[: -len(".gz")]).is_file() for name in FILES)


def dpkg_md5sums(system_dir):
    """{file name: md5} for system_dir from dpkg's list of the package's files ({} when not there)."""
    listing = Path(os.environ.get("CS231N_FASHION_MNIST_MD5SUMS") or DPKG_MD5SUMS)
    if not listing.is_file():
        return {}
    prefix = str(system_dir).strip("/") + "/"
    sums = {}
    for line in listing.read_text().splitlines():
        digest, _, path = line.partition("  ")
        if path.startswith(prefix):
            sums[path[len(prefix):]] = digest
    return sums


def _md5(path):
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fashion_mnist_damage(system_dir=None):
    """None when dataset-fashion-mnist's four files in system_dir match their checksums, else a sentence
    fragment naming the first file that does not (or is missing)."""
    system_dir = Path(system_dir) if system_dir is not None else fashion_mnist_system_dir()
    listed = dpkg_md5sums(system_dir)
    for name in FILES:
        path = system_dir / name
        if not path.is_file():
            return f"{path} is missing"
        accepted = {listed[name]} if name in listed else {DEBIAN_MD5[name], UPSTREAM_MD5[name]}
        if _md5(path) not in accepted:
            return f"{path} does not match its package checksum (damaged or changed)"
    return None


def main(argv=None):
    """Step 1 of tools/setup_gan_data.sh: say what is in place; the exit status says what to do next."""
    parser = argparse.ArgumentParser(
        prog="python -m cs231n.data.mnist_files",
        description="Check the GAN notebook's training images (MNIST in datasets/MNIST, or Debian's "
                    f"Fashion-MNIST with its checksums). Exit status {READY}: in place; {NEEDS_FASHION_MNIST}: "
                    f"install dataset-fashion-mnist; {NEEDS_REINSTALL}: reinstall it (damaged); "
                    f"{TRY_DOWNLOAD}: download MNIST (python -m cs231n.data.mnist).")
    parser.parse_args(argv)
    root, system_dir = datasets_dir(), fashion_mnist_system_dir()
    if mnist_ready(root):
        print(f"GAN data: MNIST already in {root / 'MNIST'}; nothing to do.")
        return READY
    if fashion_mnist_installed(system_dir):
        damage = fashion_mnist_damage(system_dir)
        if damage is None:
            print(f"GAN data: Fashion-MNIST (offline stand-in) already installed in {system_dir}, checksums "
                  f"verified; nothing to do.")
            return READY
        print(f"GAN data: Fashion-MNIST (offline stand-in) is installed but {damage}.")
        if offline_forced():
            return NEEDS_REINSTALL
    elif offline_forced():
        print("GAN data: MNIST download skipped (CS231N_OFFLINE=1).")
        return NEEDS_FASHION_MNIST
    return TRY_DOWNLOAD


if __name__ == "__main__":
    sys.exit(main())
