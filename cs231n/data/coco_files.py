"""Where the COCO captioning files are, and whether they are complete: the real folder (found, and
verified in place the first time) and the embedded sample (built by this version of the code or not).

What loading needs (cs231n.coco_utils) and nothing more: no network, no torch. Fetching the real data
is cs231n.data.coco; building the sample is cs231n.data.coco_sample.
"""

import json
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from cs231n.data.coco_format import (CAPTION_LENGTH, FULL_FEATURE_FILES, REAL_DIRNAME, REAL_FILES,
                                     REAL_STAMP, REQUIRED_FILES, SAMPLE_DIRNAME, SAMPLE_STAMP,
                                     SAMPLE_VERSION, SPECIAL_TOKENS, SPLITS, START_IDX)
from cs231n.data.paths import datasets_dir, display_path

# Where the classic instructions (get_datasets.sh) unpack the zip: inside the package folder.
CLASSIC_DIR = Path(__file__).resolve().parents[1] / "datasets" / REAL_DIRNAME
PREFIX = "COCO captioning:"
SETUP_COMMAND = "./setup_coco.sh"
_CAPTIONS = REAL_FILES["captions"]


def real_dir():
    """Where the real data goes: datasets/coco_captioning (under $CS231N_DATASETS when set)."""
    return datasets_dir() / REAL_DIRNAME


def sample_dir():
    """Where the embedded sample goes: datasets/coco_sample (under $CS231N_DATASETS when set)."""
    return datasets_dir() / SAMPLE_DIRNAME


def sample_is_current(out=None):
    """True when the sample in `out` (default: sample_dir()) is complete and was built by this
    version of the code."""
    out = Path(out) if out is not None else sample_dir()
    if not (out / SAMPLE_STAMP).is_file():
        return False
    try:
        return json.loads((out / "MANIFEST.json").read_text()).get("version") == SAMPLE_VERSION
    except (OSError, ValueError):
        return False


def real_data_ready(dest=None):
    """True when ``dest`` (default :func:`real_dir`) holds verified real data: a stamp and every
    file the PCA features need (the 4096-d files are optional)."""
    dest = Path(dest) if dest is not None else real_dir()
    return (dest / REAL_STAMP).is_file() and all((dest / name).is_file() for name in REQUIRED_FILES)


def find_real_data():
    """The folder of the real data, verified, or None when there is none.

    Looks in datasets/coco_captioning (where setup_coco.sh puts it) and then in
    cs231n/datasets/coco_captioning (where the classic instructions unpack it). A folder holding
    coco2014_captions.h5 without our stamp (copied from an earlier course, or unpacked by hand) is
    verified in place, once: the stamp is written when the folder is writable. Raises ValueError,
    one sentence naming the fix, when such a folder does not hold the classic data.
    """
    for folder in (real_dir(), CLASSIC_DIR):
        if real_data_ready(folder):
            return folder
        if not (folder / _CAPTIONS).is_file():
            continue
        try:
            verify_coco_dir(folder)
        except ValueError as e:
            raise ValueError(f"{PREFIX} {display_path(folder)} does not hold the classic data ({e}); run "
                             f"{SETUP_COMMAND} --force to fetch it again, or move the folder away to use "
                             f"the embedded sample.") from None
        try:
            write_stamp(folder, url=None, note="existing files verified in place")
        except OSError:
            pass  # a read-only copy: verified again next time, and used all the same
        print(f"{PREFIX} verified the existing files in {display_path(folder)}; using them in place")
        return folder
    return None


def write_stamp(folder, **info):
    """Mark ``folder`` as verified real data, recording ``info`` and the time."""
    info["verified_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    (folder / REAL_STAMP).write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")


def verify_coco_dir(path):
    """Check that a folder holds the COCO captioning files in the classic format.

    Checks the file names, the HDF5 keys, dtypes and trailing dimensions, the vocabulary's special
    tokens, and that the files agree with each other (as many image indices as captions, indices
    below the number of feature rows, one URL per feature row, every caption starting with
    <START> and using only vocabulary indices). It does not check the number of rows, so a small
    file in the same format passes.

    Inputs:
    - path: folder holding coco2014_captions.h5, coco2014_vocab.json, {train,val}2014_vgg16_fc7_pca.h5
      and {train,val}2014_urls.txt; the 4096-d {train,val}2014_vgg16_fc7.h5 are checked when present
      (they serve only pca_features=False, and users often delete them to save 2 GB).

    Returns nothing; raises ValueError naming the file, the key and what is wrong.
    """
    # h5py here, not at the top: it imports subprocess and fcntl, which the numpy captioning path
    # (captioning_solver -> coco_utils -> this module) must not pull in just by being imported.
    import h5py

    path = Path(path)
    missing = [name for name in REQUIRED_FILES if not (path / name).is_file()]
    if missing:
        raise ValueError(f"{path} lacks {', '.join(missing)}")
    vocab_size = _check_vocab(path / REAL_FILES["vocab"])

    feature_rows = {}
    for split in SPLITS:
        rows = {}
        for key, dim in ((f"{split}_features_pca", 512), (f"{split}_features", 4096)):
            name = REAL_FILES[key]
            if name in FULL_FEATURE_FILES and not (path / name).is_file():
                continue
            with _open_h5(h5py, path / name) as f:
                rows[name] = _check_dataset(h5py, f, name, "features", np.float32, (dim,)).shape[0]
        pca_name, pca_rows = next(iter(rows.items()))
        for full_name, full_rows in list(rows.items())[1:]:
            if pca_rows != full_rows:
                raise ValueError(f"{pca_name} has {pca_rows} feature rows but {full_name} has {full_rows}")
        urls_name = REAL_FILES[f"{split}_urls"]
        with open(path / urls_name, encoding="utf-8") as f:
            n_urls = sum(1 for line in f if line.strip())
        if n_urls != pca_rows:
            raise ValueError(f"{urls_name} has {n_urls} URLs but {pca_name} has {pca_rows} feature rows")
        feature_rows[split] = pca_rows

    with _open_h5(h5py, path / _CAPTIONS) as f:
        for split in SPLITS:
            captions = _check_dataset(h5py, f, _CAPTIONS, f"{split}_captions", np.int32,
                                      (CAPTION_LENGTH,))[()]
            idxs = _check_dataset(h5py, f, _CAPTIONS, f"{split}_image_idxs", np.int32, ())[()]
            where = f"{_CAPTIONS}:{split}_captions"
            if len(idxs) != len(captions):
                raise ValueError(f"{_CAPTIONS}:{split}_image_idxs has {len(idxs)} entries but {where} "
                                 f"has {len(captions)} captions")
            if captions.min() < 0 or captions.max() >= vocab_size:
                raise ValueError(f"{where} holds word indices outside the vocabulary's 0..{vocab_size - 1}")
            bad = int(np.count_nonzero(captions[:, 0] != START_IDX))
            if bad:
                raise ValueError(f"{where} has {bad} captions that do not start with <START>")
            if idxs.min() < 0 or idxs.max() >= feature_rows[split]:
                raise ValueError(f"{_CAPTIONS}:{split}_image_idxs points outside the "
                                 f"{feature_rows[split]} rows of {REAL_FILES[f'{split}_features_pca']}")


def _check_vocab(file):
    try:
        vocab = json.loads(file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise ValueError(f"{file.name} is not valid JSON ({e})") from None
    if not isinstance(vocab, dict):
        raise ValueError(f"{file.name} holds a {type(vocab).__name__}, expected an object")
    idx_to_word, word_to_idx = vocab.get("idx_to_word"), vocab.get("word_to_idx")
    if not isinstance(idx_to_word, list) or not isinstance(word_to_idx, dict):
        raise ValueError(f"{file.name} needs 'idx_to_word' (a list) and 'word_to_idx' (a dict)")
    if len(idx_to_word) != len(word_to_idx):
        raise ValueError(f"{file.name}: idx_to_word has {len(idx_to_word)} words but word_to_idx "
                         f"has {len(word_to_idx)}")
    for idx, word in enumerate(SPECIAL_TOKENS):
        if word_to_idx.get(word) != idx or len(idx_to_word) <= idx or idx_to_word[idx] != word:
            raise ValueError(f"{file.name}: {word} must have index {idx}")
    return len(idx_to_word)


@contextmanager
def _open_h5(h5py, file):
    try:
        f = h5py.File(file, "r")
    except OSError as e:
        raise ValueError(f"{file.name} is not a readable HDF5 file ({e})") from None
    with f:
        yield f


def _check_dataset(h5py, f, filename, key, dtype, trailing):
    if key not in f or not isinstance(f[key], h5py.Dataset):
        present = ", ".join(sorted(f.keys())) or "nothing"
        raise ValueError(f"{filename} has no dataset '{key}' (it has: {present})")
    d = f[key]
    if d.dtype != np.dtype(dtype):
        raise ValueError(f"{filename}:{key} has dtype {d.dtype}, expected {np.dtype(dtype)}")
    if d.ndim != 1 + len(trailing) or tuple(d.shape[1:]) != tuple(trailing):
        want = "(N" + "".join(f", {n}" for n in trailing) + (",)" if not trailing else ")")
        raise ValueError(f"{filename}:{key} has shape {d.shape}, expected {want}")
    if d.shape[0] == 0:
        raise ValueError(f"{filename}:{key} is empty")
    return d
