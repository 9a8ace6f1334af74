"""The DDPM notebook's data: the course's emoji images, text embeddings and pretrained U-Net, or offline
the generated scenes, a text embedding built here and a U-Net trained by this repository.

Real source (with internet): the three files of the 2025 course, fetched from ``EMOJI_URLS`` into
``datasets/ddpm/`` with :func:`cs231n.data.download.download` (size and SHA-256 checked when the
constants below pin them, the format always) and read without running code: the checkpoint and the
embeddings with ``torch.load(weights_only=True)``, the images' ``.npz`` (numpy object arrays, that is
pickles) with an unpickler that builds nothing but numpy arrays, dicts, lists and strings.

Embedded default (offline, CS231N_OFFLINE=1, or a failed download): one coloured shape, large and
roughly centred on a light background, from :mod:`cs231n.data.scenes` (five kinds, six colours), each with captions in
six phrasings ("a red star", "a star colored red", ...). Captions become vectors through
:class:`WordEmbed`, a bag of words: every caption word has a fixed random vector, and a text is the
scaled sum of its words' vectors. The model it conditions must learn what the words mean. The offline
"pretrained" U-Net ships in the package (``SCENES_CHECKPOINT``): the repository trained it itself
(``python tools/build_ddpm_scenes_model.py``), on the data below.
"""

import io
import os
import pickle
import zipfile
from pathlib import Path

import numpy as np
import torch

from cs231n.data import scenes
from cs231n.data.download import DownloadError, OfflineError, download
from cs231n.data.paths import datasets_dir, display_path, offline_forced

# ---- the real source: the 2025 course files. The sizes and digests were not published with the
# assignment; set them (e.g. from `sha256sum`) to pin the exact files. None: checked by format only.
EMOJI_BASE_URL = os.environ.get("CS231N_DDPM_BASE_URL", "https://cs231n.stanford.edu/2025/storage/a3/")
EMOJI_FILES = {  # name: (expected size in bytes or None, sha256 hex or None)
    "emoji_data.npz": (None, None),
    "text_embeddings.pt": (None, None),
    "model-70000.pt": (None, None),
}
EMOJI_CONDITION_DIM = 512  # CLIP ViT-B/32 text embeddings
EMOJI_CHECKPOINT_STEP = 70000
SETUP_COMMAND = ".venv/bin/python -m cs231n.data.ddpm"

# ---- the embedded default
SCENE_IMAGE_SIZE = 16
SCENE_CONDITION_DIM = 32
SCENES_CHECKPOINT = Path(__file__).with_name("ddpm_scenes_unet.pt")
# The U-Net and schedule the embedded checkpoint was trained with (tools/build_ddpm_scenes_model.py).
SCENE_MODEL = {"dim": 16, "dim_mults": (1, 2), "condition_dim": SCENE_CONDITION_DIM, "timesteps": 50,
               "objective": "pred_noise", "beta_schedule": "sigmoid"}
_PHRASES = ("a {colour} {kind}", "a {kind} colored {colour}", "{colour} {kind}", "the {colour} {kind}",
            "a {colour} {kind} emoji", "a {kind} in {colour}")


def emoji_dir():
    """Where the course's DDPM files land: datasets/ddpm."""
    return datasets_dir() / "ddpm"


def scene_prompts():
    """The 30 canonical prompts of the embedded data, "a red circle", ..., in class order (colour-major)."""
    return [f"a {c} {k}" for c in scenes.COLOURS for k in scenes.KINDS]


def scene_captions(colour, kind):
    """Every phrasing of one scene class: its captions, the first being the canonical prompt."""
    return [p.format(colour=colour, kind=kind) for p in _PHRASES]


class WordEmbed:
    """A text embedding built without training: a fixed random vector per known word, summed.

    embed(text) = (sum of the vectors of the text's known words) / sqrt(number of known words); unknown
    words are ignored, so a text with none embeds to zeros (the "no condition" input of the U-Net).
    Vectors are N(0, I / dim) with a fixed seed, so different words are nearly orthogonal and the
    embedding of a caption is a linear code of its bag of words.
    """

    def __init__(self, words=None, dim=SCENE_CONDITION_DIM, seed=0):
        words = sorted(set(words if words is not None else _scene_words()))
        g = torch.Generator().manual_seed(seed)
        vectors = torch.randn(len(words), dim, generator=g) / dim ** 0.5
        self.vectors = dict(zip(words, vectors))
        self.dim = dim

    def embed(self, text):
        """Embedding (dim,) float32 of a string."""
        known = [self.vectors[w] for w in text.lower().split() if w in self.vectors]
        if not known:
            return torch.zeros(self.dim)
        return torch.stack(known).sum(0) / len(known) ** 0.5


def _scene_words():
    words = set()
    for colour in scenes.COLOURS:
        for kind in scenes.KINDS:
            for caption in scene_captions(colour, kind):
                words.update(caption.split())
    return words


def scene_images(num_per_class=40, image_size=SCENE_IMAGE_SIZE, seed=0):
    """The embedded images: num_per_class renderings of each of the 30 (colour, kind) classes.

    Returns (images, labels): uint8 (N, image_size, image_size, 3) and int64 (N,) indices into
    scene_prompts(), class-major order. Each rendering jitters the colours, position, size and angle.
    """
    rng = np.random.default_rng(seed)
    images, labels = [], []
    for label, (colour, kind) in enumerate((c, k) for c in scenes.COLOURS for k in scenes.KINDS):
        for _ in range(num_per_class):
            scene = {"kind": kind, "colour": colour, "size": "large", "position": "center",
                     "background": "white", "seed": int(rng.integers(2 ** 31))}
            images.append(np.asarray(scenes.render_scene(scene, image_size)))
            labels.append(label)
    return np.stack(images), np.asarray(labels, dtype=np.int64)


# ---------------------------------------------------------------------------------------------
# The course's files


def fetch_emoji_files(root=None, names=None, timeout=30):
    """Download the course's DDPM files that are missing into root (default emoji_dir()), verified.

    Returns the folder. Raises OfflineError when the host cannot be reached (or CS231N_OFFLINE=1) and
    DownloadError for any other failure; a file already there is never replaced by a failed download.
    """
    root = Path(root) if root is not None else emoji_dir()
    for name in names or EMOJI_FILES:
        dest = root / name
        if dest.is_file():
            continue
        size, sha256 = EMOJI_FILES[name]
        download(EMOJI_BASE_URL + name, dest, expected_size=size, sha256=sha256, timeout=timeout,
                 verify=_VERIFY[name])
    return root


def load_text_embeddings(path):
    """The course's text_embeddings.pt, read with weights_only=True and checked.

    Returns a dict: "idx_mapping" {text: row}, "embs" (num_texts, 512), "pca_components" (512, 512) and
    "mean" (512,) as float32 tensors.
    """
    data = torch.load(path, map_location="cpu", weights_only=True)
    missing = {"idx_mapping", "embs"} - set(data) if isinstance(data, dict) else {"a dict"}
    if missing:
        raise ValueError(f"{path}: not the course's text embeddings (lacks {sorted(missing)})")
    embs = data["embs"]
    if embs.ndim != 2 or embs.shape[1] != EMOJI_CONDITION_DIM or len(data["idx_mapping"]) > embs.shape[0]:
        raise ValueError(f"{path}: embeddings of shape {tuple(embs.shape)} for {len(data['idx_mapping'])} "
                         f"texts; expected (num_texts, {EMOJI_CONDITION_DIM})")
    out = {k: (v.float() if torch.is_tensor(v) else v) for k, v in data.items()}
    return out


def load_emoji_images(path):
    """The course's emoji_data.npz: a list of {"images": [uint8 (H, W, 3) arrays], "texts": [str]}.

    The file holds pickled numpy object arrays; they are read with an unpickler that can build only
    numpy arrays and plain containers, so a tampered file cannot run code.
    """
    items = []
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            with zf.open(name) as f:
                raw = f.read()
            item = _read_object_npy(raw, f"{path}:{name}")
            if not (isinstance(item, dict) and "images" in item and "texts" in item):
                raise ValueError(f"{path}:{name}: expected a dict with 'images' and 'texts'")
            items.append(item)
    if not items:
        raise ValueError(f"{path}: no entries")
    return items


def load_emoji_checkpoint(path):
    """The course's pretrained DDPM checkpoint (weights_only=True): a dict with "model" and "step"."""
    data = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(data, dict) or "model" not in data:
        raise ValueError(f"{path}: not a DDPM checkpoint (no 'model' state dict)")
    return data


def load_scenes_checkpoint():
    """The U-Net state dict this repository trained on the embedded scenes (weights_only=True)."""
    if not SCENES_CHECKPOINT.is_file():
        raise FileNotFoundError(f"{display_path(SCENES_CHECKPOINT)} is missing; rebuild it with "
                                "`python tools/build_ddpm_scenes_model.py`")
    data = torch.load(SCENES_CHECKPOINT, map_location="cpu", weights_only=True)
    return {k: v.float() for k, v in data["model"].items()}, data.get("meta", {})


def model_config(source):
    """The U-Net and diffusion settings of the pretrained model of a source ("scenes" or "emoji"):
    a dict with dim, dim_mults, condition_dim, timesteps, objective and beta_schedule."""
    if source == "scenes":
        return dict(SCENE_MODEL)
    return {"dim": 48, "dim_mults": (1, 2, 4, 8), "condition_dim": EMOJI_CONDITION_DIM, "timesteps": 100,
            "objective": "pred_noise", "beta_schedule": "sigmoid"}


def load_pretrained(diffusion, source, verbose=True):
    """Load the pretrained weights of a source into a GaussianDiffusion built with model_config(source):
    the course's 70,000-step checkpoint for "emoji", this repository's for "scenes". Prints one line."""
    if source == "scenes":
        state, meta = load_scenes_checkpoint()
        diffusion.model.load_state_dict(state)
        _say(verbose, f"pretrained U-Net: trained by this repository on the embedded scenes ({meta.get('steps')} "
                      f"steps of batch {meta.get('batch_size')}, {meta.get('cpu_seconds')} CPU s; "
                      f"{display_path(SCENES_CHECKPOINT)})")
    else:
        path = emoji_dir() / f"model-{EMOJI_CHECKPOINT_STEP}.pt"
        data = load_emoji_checkpoint(path)
        diffusion.load_state_dict(data["model"])
        _say(verbose, f"pretrained U-Net: the course's checkpoint after {data.get('step')} steps ({display_path(path)})")
    return diffusion.eval()


def held_out_images(dataset, n, seed=1):
    """n real images (n, 3, S, S) in [0, 1] not used in training (scenes: freshly rendered; emoji: random
    items), and their class labels (scenes) or None, for scoring samples."""
    if dataset.source == "scenes":
        per_class = max(1, n // len(scene_prompts()))
        images, labels = scene_images(num_per_class=per_class, image_size=dataset.image_size, seed=seed)
        return torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255, torch.from_numpy(labels)
    rng = np.random.default_rng(seed)
    return torch.stack([dataset[int(i)][0] for i in rng.choice(len(dataset), n)]), None


class _NumpyOnly(pickle.Unpickler):
    """Builds numpy arrays and dtypes, nothing else (the globals an object .npy pickle needs)."""

    _ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
                ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "scalar"),
                ("numpy._core.multiarray", "scalar"), ("builtins", "slice")}

    def find_class(self, module, name):
        if (module, name) in self._ALLOWED or (module == "numpy.dtypes" and name.endswith("DType")):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}: the emoji data holds only arrays")


def _read_object_npy(raw, where):
    """The value of a .npy file's bytes: a plain array, or the one object of a 0-d object array."""
    f = io.BytesIO(raw)
    version = np.lib.format.read_magic(f)
    read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    _, _, dtype = read_header(f)
    if dtype.hasobject:
        value = _NumpyOnly(f).load()
        return value.item() if isinstance(value, np.ndarray) and value.shape == () else value
    f.seek(0)
    return np.lib.format.read_array(f, allow_pickle=False)


def _verify_npz(path):
    load_emoji_images(path)


def _verify_embeddings(path):
    load_text_embeddings(path)


def _verify_checkpoint(path):
    load_emoji_checkpoint(path)


_VERIFY = {"emoji_data.npz": _verify_npz, "text_embeddings.pt": _verify_embeddings,
           "model-70000.pt": _verify_checkpoint}


def emoji_source(root=None, verbose=True):
    """The folder of the course's files when they are there (downloaded now if need be), else None.

    Prints one line naming the source used: the course's emoji data, or the embedded scenes and why.
    """
    root = Path(root) if root is not None else emoji_dir()
    if all((root / n).is_file() for n in EMOJI_FILES):
        _say(verbose, f"DDPM data: the course's emoji images and CLIP text embeddings ({display_path(root)})")
        return root
    if offline_forced():
        why = "offline: CS231N_OFFLINE=1"
    else:
        try:
            fetch_emoji_files(root)
            _say(verbose, f"DDPM data: the course's emoji images and CLIP text embeddings (downloaded to "
                          f"{display_path(root)})")
            return root
        except OfflineError:
            why = "offline: the course site cannot be reached"
        except DownloadError as e:
            why = f"download failed: {str(e).rstrip('.')}"
    _say(verbose, f"DDPM data: embedded scenes, 30 shape-and-colour prompts at {SCENE_IMAGE_SIZE}x"
                  f"{SCENE_IMAGE_SIZE}, bag-of-words text embedding (stand-in for the course's emoji; {why})")
    return None


def _say(verbose, line):
    if verbose:
        print(line)


def main(argv=None):
    """`python -m cs231n.data.ddpm`: fetch the course's files (or say why the embedded data will be used)."""
    emoji_source()


if __name__ == "__main__":
    main()
