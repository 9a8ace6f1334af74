"""Where every dataset comes from: fetched and verified, or generated offline (the embedded defaults).

One module, one job:

- :mod:`cs231n.data.paths`: the datasets folder ($CS231N_DATASETS) and the offline switch (CS231N_OFFLINE=1).
- :mod:`cs231n.data.download`: verified, resumable downloads and the one reachability probe.
- :mod:`cs231n.data.folder_lock`: one lock per data folder, so two processes never build it at once.
- :mod:`cs231n.data.coco_format`: the COCO captioning format: caption length, special tokens, file names.
- :mod:`cs231n.data.coco_files`: finds and verifies the real COCO folder and the sample (what loading needs).
- :mod:`cs231n.data.coco`: fetches and installs the real ``coco_captioning.zip`` (``./setup_coco.sh``).
- :mod:`cs231n.data.scenes`: the generated scenes (one coloured shape) and their captions.
- :mod:`cs231n.data.coco_sample`: builds the embedded COCO-format sample; loads the scene classifier.
- :mod:`cs231n.data.imagenet_val`: the classic 25 ImageNet validation images, or 25 scenes offline.
- :mod:`cs231n.data.pretrained`: SqueezeNet's ImageNet weights through torchvision, failures in one line.
- :mod:`cs231n.data.net_visualization`: the network-visualization notebook's classifier and images.
- :mod:`cs231n.data.classic_archive`: the classic style images and checks from the official 2019 archive.
- :mod:`cs231n.data.style_images`: the images of each style-transfer run, classic or embedded.
- :mod:`cs231n.data.style_transfer`: the style-transfer notebook's extractor, run settings and images.
- :mod:`cs231n.data.mnist`: the GAN notebook's training images (MNIST, or Fashion-MNIST offline).
- :mod:`cs231n.data.mnist_files`: which files make those datasets and their checksums (no torch).

Every download goes through :func:`cs231n.data.download.download`, so a failed or tampered download never
replaces a file already there, and every loader prints one line naming the source it used.

Imports point one way: modules here may import ``cs231n.data``, ``cs231n.models`` and ``cs231n.checks``;
never the assignment's modules nor the given top-level ones (``coco_utils``, ``data_utils``, ...), which
import from here. The numpy captioning path reads through ``coco_format``, ``coco_files`` and ``paths``
only, which import neither torch nor the network. This file imports nothing.
"""
