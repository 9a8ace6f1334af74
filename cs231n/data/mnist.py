"""The GAN notebook's training images: MNIST through torchvision, or Fashion-MNIST offline.

Real source: MNIST, downloaded and MD5-checked by torchvision itself into ``datasets/MNIST``. A quick
probe of torchvision's first mirror comes first, so an unreachable network falls back in seconds.
Embedded default (offline, or when the download fails): Fashion-MNIST from Debian's
``dataset-fashion-mnist`` package, each file checked against the package's MD5 sums
(:mod:`cs231n.data.mnist_files`, which also says which files make each dataset), decompressed to a
temporary name and moved into ``datasets/FashionMNIST/raw`` only once its IDX header and length agree.
The loader prints one line naming the dataset in use; no data at all is an error naming
``bash tools/setup_gan_data.sh``.

For training, ``image_tensors`` and ``TensorBatches`` keep the images as one tensor and cut shuffled
minibatches from it: no per-image transform and no DataLoader workers, which on a CPU costs more than
the small networks' steps.
"""

import argparse
import contextlib
import gzip
import io
import os
import shutil
import sys
import urllib.parse
from pathlib import Path

import numpy as np
import torch
import torchvision.datasets as dset
import torchvision.transforms as T

from cs231n.data.download import OfflineError, check_reachable, socket_timeout
from cs231n.data.mnist_files import (NEEDS_FASHION_MNIST, NEEDS_REINSTALL, READY, REINSTALL_COMMAND, SETUP_COMMAND,
                                     fashion_mnist_damage, fashion_mnist_installed, fashion_mnist_system_dir,
                                     mnist_ready)
from cs231n.data.paths import datasets_dir, offline_forced


def load_gan_data(train=True, root=None, system_dir=None, verbose=True):
    """
    The GAN training images, as a torchvision dataset of (image (1, 28, 28) in [0, 1], label).

    Real source: MNIST through torchvision (its own download and checksums) under datasets/.
    Embedded default (offline, or when the download fails): Fashion-MNIST from Debian's
    dataset-fashion-mnist package, read by torchvision's FashionMNIST class from datasets/FashionMNIST.

    Inputs:
    - train: the 60000-image training split if True, else the 10000-image test split.
    - root: the folder datasets land in (default: datasets_dir()).
    - system_dir: where dataset-fashion-mnist put its gzip files (default: $CS231N_FASHION_MNIST_DIR,
      else FASHION_MNIST_SYSTEM_DIR).
    - verbose: print the one line naming the dataset in use.

    Returns:
    - dataset: a torchvision MNIST or FashionMNIST dataset with transform ToTensor; dataset.gan_name
      is "MNIST" or "Fashion-MNIST".
    """
    root = Path(root) if root is not None else datasets_dir()
    system_dir = Path(system_dir) if system_dir is not None else fashion_mnist_system_dir()
    note = ""
    if mnist_ready(root):
        ds = dset.MNIST(str(root), train=train, download=False, transform=T.ToTensor())
        ds.gan_name = "MNIST"
        _say(verbose, f"GAN data: MNIST (torchvision, {root / 'MNIST'})")
        return ds
    if offline_forced():
        note = "offline: CS231N_OFFLINE=1"
    else:
        reason = download_mnist(root)
        if reason is None:
            ds = dset.MNIST(str(root), train=train, download=False, transform=T.ToTensor())
            ds.gan_name = "MNIST"
            _say(verbose, f"GAN data: MNIST (downloaded by torchvision to {root / 'MNIST'})")
            return ds
        note = f"MNIST download failed: {reason}"
    problem = _prepare_fashion_mnist(root, system_dir)
    if problem is not None:
        raise RuntimeError(
            f"No GAN training data: MNIST is not in {root / 'MNIST'} ({note}) and {problem}. "
            f"Fix: run `{SETUP_COMMAND}` from the repository root "
            "(or `sudo apt-get install dataset-fashion-mnist`)."
        )
    ds = dset.FashionMNIST(str(root), train=train, download=False, transform=T.ToTensor())
    ds.gan_name = "Fashion-MNIST"
    _say(verbose, f"GAN data: Fashion-MNIST from Debian's dataset-fashion-mnist, stand-in for MNIST ({note})")
    return ds


def _say(verbose, line):
    if verbose:
        print(line)


def download_mnist(root=None, timeout=30):
    """Let torchvision download and verify MNIST into root/MNIST (default root: datasets_dir()).

    Returns None on success, else a short reason. A quick probe of torchvision's first mirror comes
    first, so that an unreachable network fails in seconds instead of timing out file by file.
    """
    root = Path(root) if root is not None else datasets_dir()
    mirror = dset.MNIST.mirrors[0]
    try:
        check_reachable(mirror, "MNIST", timeout=min(timeout, 10), connect=True)
    except OfflineError:
        return f"offline, cannot reach {urllib.parse.urlparse(mirror).hostname}"
    chatter = io.StringIO()  # torchvision prints a line per file and mirror; we print one line in all
    try:
        # socket_timeout: a stalled connection must not hang the notebook
        with socket_timeout(timeout), contextlib.redirect_stdout(chatter), contextlib.redirect_stderr(chatter):
            dset.MNIST(str(root), train=True, download=True)
            dset.MNIST(str(root), train=False, download=True)
    except Exception as e:  # any network or checksum failure means: use the embedded default
        text = str(e).strip().splitlines()
        return (text[-1] if text else e.__class__.__name__)[:120]
    return None


def _prepare_fashion_mnist(root, system_dir):
    """Lay Debian's Fashion-MNIST gzip files out as torchvision expects (root/FashionMNIST/raw).

    Debian recompressed the original gzip files, so torchvision's MD5 sums of the upstream archives
    do not apply: the files are checked against the package's own sums (fashion_mnist_damage), linked
    in, and decompressed to a temporary name that is moved into place only once its IDX header and
    length agree. A decompressed copy that is missing or shorter than its header says is made again.
    Returns None when ready, else a sentence fragment naming the problem.
    """
    raw = Path(root) / "FashionMNIST" / "raw"
    names = [n for n, _ in dset.FashionMNIST.resources]
    copies = {n: raw / n[: -len(".gz")] for n in names}
    missing = [n for n in names if not copies[n].is_file() or not _idx_complete(copies[n])]
    if not missing:
        return None
    if not fashion_mnist_installed(system_dir):
        return f"Fashion-MNIST is not installed in {system_dir}"
    damage = fashion_mnist_damage(system_dir)
    if damage is not None:
        return f"{damage}; repair it with `{REINSTALL_COMMAND}`"
    raw.mkdir(parents=True, exist_ok=True)
    for name in missing:
        src = system_dir / name
        link = raw / name
        if link.is_symlink() and not link.exists():  # dangling link left by an older install
            link.unlink()
        if not link.exists():
            os.symlink(src, link)
        out = raw / name[: -len(".gz")]
        tmp = out.with_name(out.name + ".part")
        try:
            with gzip.open(src, "rb") as fin, open(tmp, "wb") as fout:
                shutil.copyfileobj(fin, fout)
        except (OSError, EOFError) as e:
            tmp.unlink(missing_ok=True)
            return f"{src} cannot be decompressed ({e.__class__.__name__}; repair it with `{REINSTALL_COMMAND}`)"
        if not _idx_complete(tmp):
            tmp.unlink()
            return f"{src} is truncated (repair it with `{REINSTALL_COMMAND}`)"
        os.replace(tmp, out)
    return None


def _idx_complete(path):
    """True when an uncompressed IDX file (uint8 data) is as long as its header says."""
    with open(path, "rb") as f:
        header = f.read(4)
        if len(header) < 4 or header[2] != 0x08 or not 1 <= header[3] <= 3:
            return False
        dims = np.frombuffer(f.read(4 * header[3]), dtype=">u4")
    return len(dims) == header[3] and path.stat().st_size == 4 + 4 * header[3] + int(np.prod(dims))


def image_tensors(dataset, n=None):
    """The first n images of a torchvision MNIST-style dataset as float32 (n, 1, 28, 28) in [0, 1], and labels (n,)."""
    n = len(dataset) if n is None else n
    return dataset.data[:n].float().div(255).unsqueeze(1), dataset.targets[:n].clone()


class TensorBatches:
    """Minibatches (images (B, 1, 28, 28) in [0, 1], labels (B,)) cut from tensors, reshuffled every pass.

    Iterating once is one pass over the data (an epoch) without its last incomplete batch, like a
    DataLoader with drop_last=True; len() is the number of batches per pass. The tensors may live on
    any device; the batches come from the same one.

    Inputs:
    - images, labels: tensors (N, 1, 28, 28) and (N,), e.g. from image_tensors.
    - batch_size: images per batch.
    - shuffle: draw a new random order for every pass (from a generator seeded with seed).
    """

    def __init__(self, images, labels, batch_size=128, shuffle=True, seed=0):
        self.images, self.labels, self.batch_size, self.shuffle = images, labels, batch_size, shuffle
        self._gen = torch.Generator().manual_seed(seed)

    def __len__(self):
        return len(self.images) // self.batch_size

    def __iter__(self):
        n = len(self.images)
        order = torch.randperm(n, generator=self._gen) if self.shuffle else torch.arange(n)
        order = order.to(self.images.device)
        for i in range(len(self)):
            idx = order[i * self.batch_size: (i + 1) * self.batch_size]
            yield self.images[idx], self.labels[idx]



def main(argv=None):
    """Step 2 of tools/setup_gan_data.sh (after `python -m cs231n.data.mnist_files`): download MNIST."""
    parser = argparse.ArgumentParser(
        prog="python -m cs231n.data.mnist",
        description="Download MNIST with torchvision into datasets/MNIST. Exit status 0 when it is in place, "
                    f"{NEEDS_FASHION_MNIST} when the download failed and the dataset-fashion-mnist package is "
                    f"missing, {NEEDS_REINSTALL} when it failed and that package's files are damaged.")
    parser.parse_args(argv)
    root, system_dir = datasets_dir(), fashion_mnist_system_dir()
    print(f"GAN data: downloading MNIST with torchvision into {root / 'MNIST'} ...")
    reason = download_mnist(root)
    if reason is None:
        print(f"GAN data: MNIST ready in {root / 'MNIST'}.")
        return READY
    print(f"GAN data: MNIST download failed ({reason}).")
    if fashion_mnist_installed(system_dir) and fashion_mnist_damage(system_dir) is None:
        return READY  # the stand-in is in place after all
    return NEEDS_REINSTALL if fashion_mnist_installed(system_dir) else NEEDS_FASHION_MNIST


if __name__ == "__main__":
    sys.exit(main())
