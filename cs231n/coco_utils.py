"""Loading the COCO captioning data: the real classic files when present, else the embedded sample."""

import json
import os
import textwrap
from pathlib import Path

import numpy as np

from cs231n.data.coco_files import find_real_data, real_dir, sample_dir, sample_is_current
from cs231n.data.coco_format import (FULL_FEATURE_FILES, REAL_FILES, SAMPLE_FILES, SAMPLE_STAMP,
                                     caption_words)
from cs231n.data.paths import datasets_dir

# The default folder of the COCO data, as in the classic module. load_coco_data(base_dir=BASE_DIR)
# looks there, then at the classic location cs231n/datasets/coco_captioning, then falls back to
# the embedded sample (datasets/coco_sample).
BASE_DIR = str(real_dir())


def load_coco_data(base_dir=BASE_DIR, max_train=None, pca_features=True):
    """Load the captioning data as a dict of arrays, printing one line that names its source.

    Inputs:
    - base_dir: a folder holding either the real classic files or the embedded sample. By default
      (BASE_DIR, or None) the real data if it is in datasets/coco_captioning or at the classic
      location cs231n/datasets/coco_captioning (verified in place the first time), else the embedded
      sample in datasets/coco_sample. Set CS231N_COCO=sample (or =real) to choose explicitly.
    - max_train: if given, keep this many training captions, drawn at random with replacement (as in
      the classic assignment).
    - pca_features: the 512-dimensional PCA features (True) or the full CNN features (False; the
      real data then needs the 4096-d {train,val}2014_vgg16_fc7.h5 files).

    Returns a dict with train_captions (N, 17) int32, train_image_idxs (N,) int32, val_captions,
    val_image_idxs, train_features (M, D) float32, val_features, idx_to_word (list), word_to_idx
    (dict), train_urls and val_urls (arrays of str: URLs, or local image paths for the sample), and
    source: 'coco' or 'sample'.
    """
    # h5py here, not at the top: it imports subprocess and fcntl, which the numpy solver (it imports
    # this module for sample_coco_minibatch) does not need.
    import h5py

    base, source = _resolve_base_dir(base_dir)
    files = REAL_FILES if source == "coco" else SAMPLE_FILES
    data = {}
    with h5py.File(base / files["captions"], "r") as f:
        for k in ("train_captions", "train_image_idxs", "val_captions", "val_image_idxs"):
            data[k] = np.asarray(f[k])
    suffix = "_pca" if pca_features else ""
    if source == "coco" and not pca_features:
        missing = [name for name in FULL_FEATURE_FILES if not (base / name).is_file()]
        if missing:
            raise FileNotFoundError(
                f"load_coco_data(pca_features=False) needs the 4096-d features, but {base} lacks "
                f"{', '.join(missing)}; run `./setup_coco.sh --force --dest {base}` to fetch the full data "
                f"again (about 1 GB), or use pca_features=True.")
    for split in ("train", "val"):
        with h5py.File(base / files[f"{split}_features{suffix}"], "r") as f:
            data[f"{split}_features"] = np.asarray(f["features"])
    vocab = json.loads((base / files["vocab"]).read_text())
    data["idx_to_word"] = list(vocab["idx_to_word"])
    data["word_to_idx"] = dict(vocab["word_to_idx"])
    for split in ("train", "val"):
        lines = [ln.strip() for ln in (base / files[f"{split}_urls"]).read_text().splitlines() if ln.strip()]
        if source == "sample":  # stored relative to the sample folder; absolute paths open from anywhere
            lines = [str(base / ln) for ln in lines]
        data[f"{split}_urls"] = np.asarray(lines)
    if max_train is not None:
        mask = np.random.randint(len(data["train_captions"]), size=max_train)
        data["train_captions"] = data["train_captions"][mask]
        data["train_image_idxs"] = data["train_image_idxs"][mask]
    data["source"] = source
    n_img = len(data["train_features"]), len(data["val_features"])
    if source == "coco":
        print(f"COCO captioning: real COCO 2014 data ({n_img[0]} train / {n_img[1]} val images, {base})")
    else:
        print(f"COCO captioning: embedded sample of generated scenes, not COCO photos "
              f"({n_img[0]} train / {n_img[1]} val images, {base})")
    return data


def decode_captions(captions, idx_to_word):
    """Word ids (N, T) or (T,) -> list of N strings (or one string), stopping at <END>, skipping <NULL>."""
    singleton = np.ndim(captions) == 1
    rows = np.asarray(captions)[None] if singleton else np.asarray(captions)
    decoded = [" ".join(caption_words(row, idx_to_word)) for row in rows]
    return decoded[0] if singleton else decoded


def sample_coco_minibatch(data, batch_size=100, split="train"):
    """A random minibatch of captions with the features and image URLs of their images.

    Returns (captions (B, 17) int32, image_features (B, D) float32, urls (B,) str).
    """
    split_size = data[f"{split}_captions"].shape[0]
    mask = np.random.choice(split_size, batch_size)
    captions = data[f"{split}_captions"][mask]
    image_idxs = data[f"{split}_image_idxs"][mask]
    return captions, data[f"{split}_features"][image_idxs], data[f"{split}_urls"][image_idxs]


def _resolve_base_dir(base_dir):
    if base_dir is not None and str(base_dir) != BASE_DIR:
        base = Path(base_dir)
        if (base / REAL_FILES["captions"]).is_file():
            return base, "coco"
        if (base / SAMPLE_FILES["captions"]).is_file():
            return base, "sample"
        raise FileNotFoundError(f"{base} holds neither the real COCO captioning files nor the embedded "
                                f"sample; run `bash setup_coco.sh` (or `bash setup_coco.sh --sample`).")
    choice = os.environ.get("CS231N_COCO", "").lower()
    if choice not in ("", "sample", "real"):
        raise ValueError(f"CS231N_COCO={choice!r}: use 'real', 'sample', or leave it unset.")
    real = find_real_data() if choice != "sample" else None  # verifies data found in place
    sample = sample_dir()
    sample_ok = (sample / SAMPLE_STAMP).is_file()
    if real is None and sample_ok and not sample_is_current(sample):
        raise FileNotFoundError(f"The embedded sample in {sample} was built by an older version of the code; "
                                f"run `bash setup_coco.sh --sample` to rebuild it (about a minute).")
    if choice == "real" and real is None:
        raise FileNotFoundError(f"CS231N_COCO=real but {real_dir()} has no data; run "
                                f"`bash setup_coco.sh` (about 1 GB), or unset CS231N_COCO to use the "
                                f"embedded sample.")
    if real is not None:
        return real, "coco"
    if sample_ok:
        return sample, "sample"
    raise FileNotFoundError(f"No COCO captioning data in {datasets_dir()}: run `bash setup_coco.sh` (real "
                            f"data, about 1 GB) or `bash setup_coco.sh --sample` (the embedded sample).")


def show_captioned(images, titles, suptitle):
    """Plot a row of images, each titled with its captions; a missing image (a dead URL) stays blank.

    images: list of uint8 arrays (H, W, 3) or None; titles: one string per image (lines split on
    newlines, <START>/<END> dropped); suptitle: the figure's title, which should name the data source.
    """
    # matplotlib only when plotting: it takes a second to import, and training needs none of it.
    import matplotlib.pyplot as plt

    wrapped = []
    for title in titles:
        lines = title.replace("<START> ", "").replace(" <END>", "").split("\n")
        wrapped.append("\n".join(textwrap.fill(line, 34) for line in lines))
    # The figure grows with the longest title (about 0.16 inch a line at font size 9), and the
    # constrained layout places the titles and the figure's title without overlap.
    title_lines = max(w.count("\n") + 1 for w in wrapped)
    fig, axes = plt.subplots(1, len(images), figsize=(3.6 * len(images), 4.2 + 0.16 * title_lines),
                             squeeze=False, layout="constrained")
    for ax, img, title in zip(axes[0], images, wrapped):
        if img is not None:
            ax.imshow(img)
        else:
            ax.text(0.5, 0.5, "image unavailable", ha="center", va="center")
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    fig.suptitle(suptitle)
    plt.show()


# The words by which the embedded sample's captions name each attribute of a scene (see the
# phrasings in cs231n/data/scenes.py): the shape's kind and colour, its size and its position.
_SCENE_ATTRIBUTE_WORDS = {
    "shape": {k: k for k in ("circle", "square", "triangle", "star", "cross")},
    "colour": {c: c for c in ("red", "green", "blue", "yellow", "purple", "orange")},
    "size": {"small": "small", "little": "small", "large": "large", "big": "large"},
    "position": {"center": "center", "middle": "center", "left": "left", "right": "right", "top": "top",
                 "bottom": "bottom"},
}


def _scene_attributes(words):
    """{attribute: value} named by a caption's words; None where it names none or several."""
    found = {}
    for attribute, values in _SCENE_ATTRIBUTE_WORDS.items():
        named = {values[w] for w in words if w in values}
        found[attribute] = named.pop() if len(named) == 1 else None
    return found


def scene_attribute_accuracy(data, captions, split="val"):
    """On the embedded sample: how often generated captions name the image's shape, colour, size and position.

    captions: integer array (num_images, T), one generated caption per image of the split, in image
    order (e.g. model.sample(data[f"{split}_features"])). Each image's attributes are read from its
    first reference caption (every template names all four). Returns {"shape": fraction, "colour": ...,
    "size": ..., "position": ..., "all four": ...} over the images of the split.
    """
    if data.get("source") != "sample":
        raise ValueError("scene_attribute_accuracy needs the embedded sample (data['source'] == 'sample'): "
                         "COCO captions name no fixed attributes")
    idx_to_word = data["idx_to_word"]
    truth = {}
    for caption, image in zip(data[f"{split}_captions"], data[f"{split}_image_idxs"]):
        truth.setdefault(int(image), _scene_attributes(decode_captions(caption, idx_to_word).split()))
    captions = np.asarray(captions)
    if len(captions) != len(truth):
        raise ValueError(f"{len(captions)} captions for the {len(truth)} images of the {split} split")
    right = {attribute: 0 for attribute in [*_SCENE_ATTRIBUTE_WORDS, "all four"]}
    for image, caption in enumerate(captions):
        named = _scene_attributes(decode_captions(caption, idx_to_word).split())  # up to <END>
        hits = [named[a] == truth[image][a] and named[a] is not None for a in _SCENE_ATTRIBUTE_WORDS]
        for attribute, hit in zip(_SCENE_ATTRIBUTE_WORDS, hits):
            right[attribute] += hit
        right["all four"] += all(hits)
    return {attribute: count / len(captions) for attribute, count in right.items()}
