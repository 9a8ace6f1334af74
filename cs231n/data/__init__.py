"""Where datasets come from: fetching, verifying and putting in place the files the notebooks use.

Every download goes through :func:`cs231n.data.download.download` (a temporary name, size and SHA-256
checks, then a move into place), so a failed or tampered download never replaces a file already
there, and every loader prints one line naming the source it used. One module per source, e.g.:

- :mod:`cs231n.data.classic_archive`: the classic style-transfer images and
  ``style-transfer-checks.npz``, taken from the official CS231n 2019 assignment-3 archive;
- :mod:`cs231n.data.style_images`: the images of each style-transfer run, classic or embedded;
- :mod:`cs231n.data.mnist`: the GAN notebook's training images.
"""
