"""The CLIP and DINO notebook's data and pretrained models: the course's with internet, generated scenes offline.

Real (with internet, as the 2025 notebook): OpenAI CLIP ViT-B/32 through OpenAI's `clip` package
(its own download and SHA-256 check, into ~/.cache/clip) and DINO ViT-S/8 through torch hub
(`facebookresearch/dino:main`, `dino_vits8`, into torch hub's cache); their data: ten COCO val2017
images (`load_coco_images`, from images.cocodataset.org through cs231n/data/download.py into
datasets/coco_clip/, each checked to decode as an RGB JPEG) and the DAVIS 2017 480p video "soapbox"
(`load_davis_video`, through tensorflow_datasets, `davis/480p`, which downloads and checks it into
datasets/tensorflow_datasets/). Embedded default (offline, when CS231N_OFFLINE=1, or when a model
cannot be had): the generated scenes of cs231n/data/scenes.py with their captions and their exact
masks, and the tiny stand-ins of cs231n/models (trained in the notebook). Each loader prints one line
naming the source it used.
"""

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from cs231n.data import scenes
from cs231n.data.download import DownloadError, OfflineError, download
from cs231n.data.paths import datasets_dir, display_path, offline_forced
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


COCO_IMAGE_URL = "http://images.cocodataset.org/val2017/{:012d}.jpg"
# Ten COCO val2017 images: (image id, the COCO category of its main object, a caption written here
# for it). The zero-shot classes are "a photo of a <category>"; the captions are the retrieval queries.
COCO_IMAGES = (
    (39769, "cat", "two cats lying on a pink couch next to two remote controls"),
    (285, "bear", "a big brown bear sitting in the grass"),
    (724, "stop sign", "a stop sign at a street corner"),
    (776, "teddy bear", "three teddy bears sitting next to each other"),
    (785, "skis", "a woman skiing down a snowy slope"),
    (632, "bed", "a bedroom with a bed and a bookshelf"),
    (802, "refrigerator", "a kitchen with a white refrigerator and an oven"),
    (872, "baseball glove", "baseball players on a baseball field"),
    (885, "tennis racket", "a tennis player swinging a racket on a court"),
    (139, "tv", "a living room with a television, chairs and a table"),
)
DAVIS_VIDEO = "soapbox"
DAVIS_SIZE, DAVIS_GRID = 480, 60  # frames resized to 480x480, masks to ViT-S/8's 60x60 patch grid
INSTALL_TFDS = "pip install tensorflow tensorflow-datasets"


def load_coco_images(verbose=True):
    """The ten COCO val2017 images of the 2025 notebook's CLIP part, downloaded once into
    datasets/coco_clip/ (each checked to decode as an RGB JPEG before it is kept).

    Returns a dict: images (list of uint8 arrays (H, W, 3)), ids, labels (COCO categories),
    class_texts ("a photo of a <category>", one per image, in the same order) and captions.
    Raises OfflineError offline (CS231N_OFFLINE=1 included) and DownloadError when a download fails."""
    if offline_forced():
        raise OfflineError("Not using the COCO images because CS231N_OFFLINE=1; unset it to use them")
    folder = datasets_dir() / "coco_clip"
    images = []
    for image_id, _, _ in COCO_IMAGES:
        path = folder / f"{image_id:012d}.jpg"
        if not path.is_file():
            download(COCO_IMAGE_URL.format(image_id), path, desc=path.name, verify=_verify_jpeg)
        try:
            images.append(_read_rgb(path))
        except (OSError, ValueError) as e:
            raise DownloadError(f"{display_path(path)} is not a readable JPEG ({e}); delete it and run the "
                                "cell again to download it again", reason="verify") from None
    _say(verbose, f"CLIP data: {len(images)} COCO val2017 images (images.cocodataset.org) in {display_path(folder)}")
    return {"images": images, "ids": [i for i, _, _ in COCO_IMAGES], "labels": [c for _, c, _ in COCO_IMAGES],
            "class_texts": [f"a photo of a {c}" for _, c, _ in COCO_IMAGES],
            "captions": [t for _, _, t in COCO_IMAGES]}


def _read_rgb(path):
    with Image.open(path) as img:
        if img.format != "JPEG":
            raise ValueError(f"it is a {img.format} file, not a JPEG")
        return np.asarray(img.convert("RGB"))


def _verify_jpeg(path):
    """Raise unless path is a complete JPEG of a plausible size (what download() keeps)."""
    with Image.open(path) as img:
        if img.format != "JPEG":
            raise ValueError(f"not a JPEG but {img.format}")
        img.load()  # decodes every byte: a truncated file fails here
        if min(img.size) < 32:
            raise ValueError(f"an image of {img.size[0]}x{img.size[1]} pixels is not a COCO photo")


def load_davis_video(name=DAVIS_VIDEO, verbose=True):
    """The DAVIS 2017 480p validation video `name` through tensorflow_datasets (`davis/480p`, which
    downloads and checks it into datasets/tensorflow_datasets/ on first use), as the 2025 notebook.

    Returns (frames uint8 (T, 480, 480, 3), masks int64 (T, 60, 60), num_classes): the frames resized
    to 480x480, the masks (0 background, 1.. the objects) resized to the 60x60 patch grid of ViT-S/8
    (nearest neighbour). Raises OfflineError offline and ImportError naming the install command."""
    if offline_forced():
        raise OfflineError("Not loading DAVIS because CS231N_OFFLINE=1; unset it to use the real video")
    try:
        import tensorflow_datasets as tfds
    except ImportError:
        raise ImportError(f"DAVIS comes through tensorflow_datasets, which is not installed: {INSTALL_TFDS}") from None
    data_dir = datasets_dir() / "tensorflow_datasets"
    for video in tfds.as_numpy(tfds.load("davis/480p", split="validation", data_dir=str(data_dir))):
        video_name = video["metadata"]["video_name"]
        if (video_name.decode() if isinstance(video_name, bytes) else str(video_name)) != name:
            continue
        frames = torch.from_numpy(np.asarray(video["video"]["frames"])).permute(0, 3, 1, 2).float()
        seg = torch.from_numpy(np.asarray(video["video"]["segmentations"])).reshape(frames.shape[0], 1, *frames.shape[2:])
        frames = F.interpolate(frames, size=(DAVIS_SIZE, DAVIS_SIZE), mode="bilinear", antialias=True,
                               align_corners=False).round().clamp(0, 255).byte().permute(0, 2, 3, 1).numpy()
        masks = F.interpolate(seg.float(), size=(DAVIS_GRID, DAVIS_GRID), mode="nearest")[:, 0].long()
        num_classes = int(masks.max()) + 1
        _say(verbose, f"DINO data: DAVIS 2017 480p video {name!r} ({len(frames)} frames, {num_classes - 1} "
                      f"objects; tensorflow_datasets in {display_path(data_dir)})")
        return frames, masks, num_classes
    raise ValueError(f"DAVIS 480p validation has no video named {name!r}")


def _say(verbose, line):
    if verbose:
        print(line)
