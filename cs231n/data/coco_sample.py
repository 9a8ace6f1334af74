"""The embedded COCO-format sample: generated scenes, their captions, and CNN features reduced by PCA.

It mirrors the real pipeline of the classic `coco_captioning.zip` step by step:

    real COCO                                   embedded sample
    photos (Flickr URLs)                        64x64 scenes rendered by cs231n.data.scenes (PNG files)
    5 human captions per photo                  5 generated captions per scene, from 7 templates
    VGG16 trained on ImageNet labels            SceneNet trained on the scenes' labels (cs231n.models.scene_net)
    fc7 activations (4096) -> PCA to 512        fc activations (1024) -> PCA to 512

and writes the same keys, dtypes and shapes (up to the number of images), under file names that say
what they hold. Everything is deterministic given the seed. `python -m cs231n.data.coco_sample` builds it.
"""

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np
import torch
from tqdm.auto import tqdm

from cs231n.data import scenes
from cs231n.data.coco_files import SETUP_COMMAND, sample_dir, sample_is_current
from cs231n.data.coco_format import (CAPTION_LENGTH, MAX_WORDS, SAMPLE_FILES, SAMPLE_STAMP, SAMPLE_VERSION,
                                     SPECIAL_TOKENS)
from cs231n.data.folder_lock import folder_lock
from cs231n.models import scene_net

PCA_DIM = 512
SCENE_NET_FILE = "scene_net.pt"
# SceneNet trains and embeds on this many threads on every machine (below: why a fixed number; why
# two: the build is part of `make setup`, and takes 26 s on two threads where one takes 42 s).
BUILD_THREADS = 2
# What the scene classifier learns to tell apart (its heads, in this order: the order fixes the
# initial weights, so changing it changes the sample).
HEAD_SIZES = {"class": len(scenes.CLASS_NAMES), "size": len(scenes.SIZES),
              "position": len(scenes.POSITIONS), "background": len(scenes.BACKGROUNDS)}


def ensure_coco_sample(force=False, verbose=True):
    """Return the sample's folder, building it first if it is missing, outdated, or if force is true.

    A lock file serialises concurrent callers (a notebook and `make data`, say): the second waits
    and then finds the sample built.
    """
    out = sample_dir()
    if sample_is_current(out) and not force:
        return out
    with folder_lock(out):
        if sample_is_current(out) and not force:
            return out
        if verbose:
            why = "outdated, rebuilding" if (out / SAMPLE_STAMP).is_file() else "about a minute, once"
            print(f"COCO captioning: building the embedded sample in {out} ({why})")
        build_coco_sample(out, progress=verbose)
    return out


def load_scene_classifier(verbose=True):
    """The trained scene classifier in eval mode and its class names; builds the sample if needed.

    Returns (model, class_names). The model takes (N, 3, 64, 64) images normalised with
    IMAGENET_MEAN/STD (cs231n.models.normalization) and returns class scores (N, 30). It is trained
    once, with the embedded COCO sample, and cached at datasets/coco_sample/scene_net.pt.
    """
    path = ensure_coco_sample(verbose=verbose) / SCENE_NET_FILE
    model, class_names, val_accuracy = scene_net.load_scene_net(path)
    if verbose:
        print(f"Scene classifier: {len(class_names)} classes, validation accuracy {100 * val_accuracy:.1f}% "
              f"(trained by cs231n on the generated scenes, cached at {path})")
    return model, class_names


def build_coco_sample(out_dir, seed=0, num_train=4000, num_val=1000, captions_per_image=5, epochs=3,
                      progress=True):
    """Generate the sample into out_dir. It is written to a temporary folder and moved into place
    only once complete, so an interrupted build never leaves a half-written sample behind."""
    t0 = time.time()
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=out_dir.name + ".building-", dir=out_dir.parent))
    rng = np.random.default_rng(seed)

    vocab = list(SPECIAL_TOKENS) + scenes.caption_words()
    word_to_idx = {w: i for i, w in enumerate(vocab)}
    splits = {}
    for split, n in (("train", num_train), ("val", num_val)):
        (tmp / "images" / split).mkdir(parents=True)
        items = [scenes.random_scene(rng) for _ in range(n)]
        images = np.empty((n, scenes.IMAGE_SIZE, scenes.IMAGE_SIZE, 3), np.uint8)
        paths = []
        for i, scene in enumerate(tqdm(items, desc=f"Rendering {split} scenes", disable=None if progress else True,
                                       leave=False)):
            img = scenes.render_scene(scene)
            images[i] = np.asarray(img)
            rel = f"images/{split}/{split}_{i:05d}.png"
            img.save(tmp / rel)
            paths.append(rel)
        captions, image_idxs = [], []
        for i, scene in enumerate(items):
            for text in scenes.scene_captions(scene, rng, captions_per_image):
                captions.append(encode_caption(text, word_to_idx))
                image_idxs.append(i)
        splits[split] = dict(scenes=items, images=images, paths=paths,
                             captions=np.array(captions, dtype=np.int32),
                             image_idxs=np.array(image_idxs, dtype=np.int32))

    labels = {s: _labels(splits[s]["scenes"]) for s in splits}
    # Always BUILD_THREADS threads: torch's sums depend on how many threads share them (not on how
    # many cores run those threads), and three epochs of training turn those last-bit differences
    # into another network, so a build on the machine's own thread count would give another sample
    # (and other numbers in the captioning notebooks) on a machine with more or fewer cores.
    threads = torch.get_num_threads()
    torch.set_num_threads(BUILD_THREADS)
    try:
        model, val_acc = scene_net.train_scene_net(splits["train"]["images"], labels["train"],
                                                   splits["val"]["images"], labels["val"], HEAD_SIZES,
                                                   epochs=epochs, seed=seed, progress=progress)
        feats = {s: scene_net.embed_images(model, splits[s]["images"]) for s in splits}
    finally:
        torch.set_num_threads(threads)
    scene_net.save_scene_net(model, tmp / SCENE_NET_FILE, scenes.CLASS_NAMES, val_acc)
    mean, components = fit_pca(feats["train"], PCA_DIM)
    with h5py.File(tmp / SAMPLE_FILES["captions"], "w") as f:
        for s in splits:
            f.create_dataset(f"{s}_captions", data=splits[s]["captions"])
            f.create_dataset(f"{s}_image_idxs", data=splits[s]["image_idxs"])
    for s in splits:
        with h5py.File(tmp / SAMPLE_FILES[f"{s}_features"], "w") as f:
            f.create_dataset("features", data=feats[s])
        with h5py.File(tmp / SAMPLE_FILES[f"{s}_features_pca"], "w") as f:
            f.create_dataset("features", data=((feats[s] - mean) @ components.T).astype(np.float32))
        (tmp / SAMPLE_FILES[f"{s}_urls"]).write_text("\n".join(splits[s]["paths"]) + "\n")
        (tmp / SAMPLE_FILES[f"{s}_scenes"]).write_text(json.dumps(splits[s]["scenes"]))
    (tmp / SAMPLE_FILES["vocab"]).write_text(json.dumps({"idx_to_word": vocab, "word_to_idx": word_to_idx}))
    manifest = {"what": "embedded COCO-format sample of generated scenes (not COCO photos)",
                "version": SAMPLE_VERSION,
                "seed": seed, "num_train": num_train, "num_val": num_val,
                "captions_per_image": captions_per_image, "feature_extractor": "SceneNet conv features averaged on a 4x4 grid (1024)",
                "pca_dim": PCA_DIM, "scene_classifier_val_accuracy": val_acc,
                "build_seconds": round(time.time() - t0, 1)}
    (tmp / "MANIFEST.json").write_text(json.dumps(manifest, indent=1))
    (tmp / SAMPLE_STAMP).write_text("ok\n")

    old = out_dir.with_name(out_dir.name + ".old")
    if out_dir.exists():
        shutil.rmtree(old, ignore_errors=True)
        out_dir.rename(old)
    tmp.rename(out_dir)
    shutil.rmtree(old, ignore_errors=True)
    if progress:
        print(f"COCO captioning: embedded sample built in {time.time() - t0:.0f} s "
              f"({num_train} train / {num_val} val scenes, scene classifier val accuracy {100 * val_acc:.1f}%)")
    return out_dir


def encode_caption(text, word_to_idx):
    """'a red circle' -> int32 (17,) [<START>, a, red, circle, <END>, <NULL>, ...]; unknown words -> <UNK>."""
    words = text.split()
    if len(words) > MAX_WORDS:
        raise ValueError(f"caption has {len(words)} words, at most {MAX_WORDS} fit: {text!r}")
    unk = word_to_idx["<UNK>"]
    ids = [word_to_idx["<START>"]] + [word_to_idx.get(w, unk) for w in words] + [word_to_idx["<END>"]]
    return np.array(ids + [word_to_idx["<NULL>"]] * (CAPTION_LENGTH - len(ids)), dtype=np.int32)


def fit_pca(x, dim):
    """Mean (D,) and the top `dim` principal directions (dim, D) of the rows of x, via the SVD."""
    from threadpoolctl import threadpool_limits

    mean = x.mean(axis=0)
    with threadpool_limits(1):  # as the training above: the same directions on any machine
        _, _, vt = np.linalg.svd((x - mean).astype(np.float64), full_matrices=False)
    if vt.shape[0] < dim:
        raise ValueError(f"PCA to {dim} dimensions needs at least {dim} samples and features, got {x.shape}")
    return mean, vt[:dim].astype(np.float32)


def _labels(items):
    return {
        "class": [scenes.scene_class(s) for s in items],
        "size": [list(scenes.SIZES).index(s["size"]) for s in items],
        "position": [list(scenes.POSITIONS).index(s["position"]) for s in items],
        "background": [list(scenes.BACKGROUNDS).index(s["background"]) for s in items],
    }


def main(argv=None):
    """Build the sample unless it is current; exit status 1 with one sentence on stderr on failure."""
    parser = argparse.ArgumentParser(description="Build the embedded COCO-format sample of generated scenes.")
    parser.add_argument("--force", action="store_true", help="rebuild even if the sample is complete")
    args = parser.parse_args(argv)
    if sample_is_current() and not args.force:
        print(f"COCO captioning: embedded sample already built ({sample_dir()})")
        return 0
    try:
        ensure_coco_sample(force=args.force)
    except Exception as e:  # whatever went wrong, the student gets one sentence, not a traceback
        print(f"COCO captioning: building the embedded sample failed ({e.__class__.__name__}: {e}); fix that and "
              f"run {SETUP_COMMAND} --sample again.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
