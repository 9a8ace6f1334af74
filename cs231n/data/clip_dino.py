"""The CLIP and DINO notebook's data and pretrained models: the course's with internet, generated scenes offline.

Real (with internet, as the 2025 notebook): OpenAI CLIP ViT-B/32 through OpenAI's `clip` package
(its own download and SHA-256 check, into ~/.cache/clip) and DINO ViT-S/8 through torch hub
(`facebookresearch/dino:main`, `dino_vits8`, into torch hub's cache). Embedded default (offline, when
CS231N_OFFLINE=1, or when a model cannot be had): the generated scenes of cs231n/data/scenes.py with
their captions and their exact masks, and the tiny stand-ins of cs231n/models (trained in the notebook).
Each loader prints one line naming the source it used.
"""

import numpy as np
import torch
import torch.nn.functional as F

from cs231n.data import scenes
from cs231n.data.paths import offline_forced
from cs231n.models import tiny_clip

try:
    import clip as openai_clip
except ImportError:
    openai_clip = None

SCENE_SIZE = 64  # rendered size; the tiny models read them at 32x32
SCENE_SEEDS = {"train": 2025, "test": 2026}
DINO_REPO = "facebookresearch/dino:main"
INSTALL_CLIP = "pip install git+https://github.com/openai/CLIP.git"


def scene_set(n, seed):
    """n generated scenes: a dict with
    - images: uint8 array (n, 64, 64, 3);
    - masks: bool array (n, 64, 64), True on the shape (a pixel nearer the shape's colour than the
      background's: the exact mask up to the anti-aliased edge);
    - captions: list of n lists of 5 captions;
    - colours, kinds, sizes, positions, backgrounds: lists of n strings (the scene's attributes)."""
    rng = np.random.default_rng(seed)
    images = np.empty((n, SCENE_SIZE, SCENE_SIZE, 3), dtype=np.uint8)
    masks = np.empty((n, SCENE_SIZE, SCENE_SIZE), dtype=bool)
    out = {"captions": [], "colours": [], "kinds": [], "sizes": [], "positions": [], "backgrounds": []}
    for i in range(n):
        scene = scenes.random_scene(rng)
        images[i] = np.asarray(scenes.render_scene(scene, size=SCENE_SIZE))
        masks[i] = shape_mask(images[i])
        out["captions"].append(scenes.scene_captions(scene, rng))
        for key, attr in (("colours", "colour"), ("kinds", "kind"), ("sizes", "size"),
                          ("positions", "position"), ("backgrounds", "background")):
            out[key].append(scene[attr])
    return {"images": images, "masks": masks, **out}


def shape_mask(image):
    """Bool (H, W): the pixels of a scene image nearer its shape colour than its background colour.

    Both colours are measured in the image (the corner pixel is always background; the shape's is the
    pixel farthest from it), so the renderer's colour jitter does not move the boundary."""
    img = image.astype(np.float32)
    bg = img[0, 0]
    d_bg = np.linalg.norm(img - bg, axis=-1)
    fg = img.reshape(-1, 3)[np.argmax(d_bg)]
    return d_bg > np.linalg.norm(img - fg, axis=-1)


def scene_video(kind="star", colour="orange", background="gray", seed=0):
    """A 20-frame "video" of one shape, the stand-in for the 2025 notebook's DAVIS clip: the shape
    jumps left -> top -> center -> bottom -> right, large then small, two frames at each place.
    Returns (frames uint8 (20, 64, 64, 3), masks bool (20, 64, 64))."""
    rng = np.random.default_rng(seed)
    frames, masks = [], []
    for size in ("large", "small"):
        for position in ("left", "top", "center", "bottom", "right"):
            for _ in range(2):
                scene = {"kind": kind, "colour": colour, "size": size, "position": position,
                         "background": background, "seed": int(rng.integers(2**31))}
                frames.append(np.asarray(scenes.render_scene(scene, size=SCENE_SIZE)))
                masks.append(shape_mask(frames[-1]))
    return np.stack(frames), np.stack(masks)


def patch_masks(masks, grid):
    """Per-patch labels (N, grid, grid), int64: 1 where more than half of a patch's pixels are shape."""
    m = torch.as_tensor(masks, dtype=torch.float32)[:, None]  # (N, 1, H, W)
    return (F.adaptive_avg_pool2d(m, grid)[:, 0] > 0.5).long()


def load_clip(device, verbose=True):
    """(model, preprocess, source): OpenAI CLIP ViT-B/32 when the `clip` package is installed and we are
    online; otherwise an untrained TinyCLIP (the notebook trains it) and source "embedded"."""
    if openai_clip is not None and not offline_forced():
        try:
            model, preprocess = openai_clip.load("ViT-B/32", device=device)
            _say(verbose, "CLIP: OpenAI ViT-B/32 (the clip package's weights)")
            return model.eval(), preprocess, "ViT-B/32"
        except Exception as e:  # no network, a failed checksum: the stand-in, said once
            why = f"ViT-B/32 unavailable ({e.__class__.__name__}: {e})"
    elif openai_clip is None:
        why = f"the clip package is not installed ({INSTALL_CLIP})"
    else:
        why = "offline (CS231N_OFFLINE=1)"
    model, preprocess = tiny_clip.load("tiny", device=device)
    _say(verbose, f"CLIP: embedded stand-in TinyCLIP on generated scenes; {why}")
    return model, preprocess, "embedded"


def load_dino(device, verbose=True):
    """(model, patch_size, source): DINO ViT-S/8 from torch hub, or None, 4, "embedded" offline
    (the notebook then trains a TinyViT with DINO)."""
    if offline_forced():
        why = "offline (CS231N_OFFLINE=1)"
    else:
        try:
            model = torch.hub.load(DINO_REPO, "dino_vits8", trust_repo=True, verbose=False)
            _say(verbose, "DINO: ViT-S/8 from torch hub (facebookresearch/dino)")
            return model.to(device).eval(), 8, "ViT-S/8"
        except Exception as e:  # no network, a broken cache
            why = f"ViT-S/8 unavailable ({e.__class__.__name__}: {e})"
    _say(verbose, f"DINO: embedded stand-in, a TinyViT trained here with DINO on generated scenes; {why}")
    return None, 4, "embedded"


def _say(verbose, line):
    if verbose:
        print(line)
