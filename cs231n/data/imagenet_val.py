"""The classic 25 ImageNet validation images of the network-visualization notebook, or 25 generated
scenes when they cannot be had (offline). `cs231n.data_utils.load_imagenet_val` is the classic name."""

import io
import pickle
import zipfile

import numpy as np

from cs231n.data import scenes
from cs231n.data.download import DownloadError, OfflineError, download
from cs231n.data.paths import datasets_dir, offline_forced

IMAGENET_VAL_URL = "https://cs231n.stanford.edu/imagenet_val_25.npz"
IMAGENET_VAL_FILE = "imagenet_val_25.npz"
IMAGENET_VAL_COMMAND = 'python -c "from cs231n.data_utils import load_imagenet_val; load_imagenet_val()"'
_SCENE_VAL_SEED = 25  # the offline images: always the same 25 scenes


def load_imagenet_val(num=None, *, source=None, verbose=True):
    """Load a handful of validation images: the classic 25 from ImageNet, or generated scenes offline.

    The real file is datasets/imagenet_val_25.npz, downloaded from the course site (and verified)
    the first time. When it is missing and cannot be downloaded, or CS231N_OFFLINE=1, the embedded
    default is 25 scenes rendered by cs231n.data.scenes: 64x64 pictures of one coloured shape, whose
    classes are "colour kind" pairs (they are not ImageNet images, and the printed line says so).

    Inputs:
    - num: Number of images to load (max of 25)
    - source: None for the ImageNet images when they can be had and the scenes otherwise;
      "imagenet" to raise the DownloadError instead (its message names the command that fetches
      the file); "scenes" for the scenes without trying the network
    - verbose: Print one line naming the images returned

    Returns:
    - X: uint8 array of shape (N, 224, 224, 3) (ImageNet) or (N, 64, 64, 3) (scenes)
    - y: int64 array of shape (N,) giving the class of each image
    - class_names: dict from class index to class name (the 1000 ImageNet classes, or the scenes')
    """
    if source not in (None, "imagenet", "scenes"):
        raise ValueError(f"load_imagenet_val: source must be None, 'imagenet' or 'scenes', not {source!r}")
    reason = "asked for"
    if source != "scenes":
        try:
            X, y, class_names = _load_imagenet_npz(_imagenet_val_path())
            line = f"ImageNet val: {min(len(X), num or len(X))} of the classic 25 ImageNet validation images"
        except DownloadError as e:  # offline, a failed download, or a file that is not the classic one
            if source == "imagenet":
                raise
            if offline_forced():
                reason = "CS231N_OFFLINE=1"
            elif isinstance(e, OfflineError):
                reason = "offline: cs231n.stanford.edu cannot be reached"
            else:
                reason = str(e).rstrip(".")
            source = "scenes"
    if source == "scenes":
        X, y, class_names = _scene_val_images()
        line = (f"ImageNet val: embedded default, {min(len(X), num or len(X))} generated "
                f"{X.shape[1]}x{X.shape[2]} scenes, NOT ImageNet ({reason})")
    if num is not None:
        X, y = X[:num], y[:num]
    if verbose:
        print(line)
    return X, y, class_names


def _imagenet_val_path():
    """datasets/imagenet_val_25.npz, downloaded and verified first if it is not there yet."""
    path = datasets_dir() / IMAGENET_VAL_FILE
    if offline_forced():  # the embedded default, even where the real file is present (as in CI)
        raise OfflineError(f"Not using {IMAGENET_VAL_FILE} because CS231N_OFFLINE=1; unset it and "
                           f"run {IMAGENET_VAL_COMMAND} to use the real images", url=IMAGENET_VAL_URL)
    if path.is_file():
        try:
            _verify_imagenet_val(path)
        except ValueError as e:
            raise DownloadError(f"{path} is not the classic imagenet_val_25.npz ({e}); delete it and run "
                                f"{IMAGENET_VAL_COMMAND} to fetch it again", reason="verify") from None
        return path
    try:
        return download(IMAGENET_VAL_URL, path, desc="ImageNet validation images",
                        verify=_verify_imagenet_val)
    except DownloadError as e:
        e.args = (f"{str(e).rstrip('.')} (then run {IMAGENET_VAL_COMMAND}, or put {IMAGENET_VAL_FILE} "
                  f"from {IMAGENET_VAL_URL} into {path.parent})",)
        raise


def _verify_imagenet_val(path):
    """Raise ValueError unless path is an npz with X (N, 224, 224, 3) uint8, y (N,) in [0, 1000) and
    a label_map that is a dict of class names. X and y are read with pickle off, label_map by
    `_read_label_map`, which runs no code the file names."""
    if not zipfile.is_zipfile(path):  # np.load would take other bytes for a pickle or a .npy
        raise ValueError("it is not a readable .npz file (not a zip archive)")
    try:
        with np.load(path, allow_pickle=False) as f:
            missing = {"X", "y", "label_map"} - set(f.files)
            if missing:
                raise ValueError(f"it lacks the entries {sorted(missing)}")
            X, y = f["X"], f["y"]
    except (OSError, zipfile.BadZipFile, EOFError) as e:
        raise ValueError(f"it is not a readable .npz file ({e.__class__.__name__})") from None
    if X.dtype != np.uint8 or X.ndim != 4 or X.shape[1:] != (224, 224, 3) or len(X) == 0:
        raise ValueError(f"X is {X.dtype} {X.shape}, not uint8 (N, 224, 224, 3)")
    if y.shape != (len(X),) or y.dtype.kind not in "iu" or y.min() < 0 or y.max() >= 1000:
        raise ValueError(f"y is {y.dtype} {y.shape}, not integer classes in [0, 1000) of shape ({len(X)},)")
    _read_label_map(path)


def _load_imagenet_npz(path):
    with np.load(path, allow_pickle=False) as f:
        X, y = f["X"], f["y"].astype(np.int64)
    return X, y, _read_label_map(path)


def _read_label_map(path):
    """The label_map entry of an imagenet_val_25.npz, {class index: name}, read without running code.

    The classic file stores the dict as a 0-d object array, which numpy writes as a pickle of the
    whole array; np.load(allow_pickle=True) would import and call whatever globals the pickle names,
    so a tampered file could run code. Here the pickle is read by `_NoGlobalsUnpickler`, which imports
    nothing: raises ValueError (naming the global) for anything but a plain dict of names.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            f = io.BytesIO(archive.read("label_map.npy"))
        version = np.lib.format.read_magic(f)
        read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                       else np.lib.format.read_array_header_2_0)
        shape, _, dtype = read_header(f)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, EOFError) as e:
        raise ValueError(f"its label_map is unreadable ({e.__class__.__name__}: {e})") from None
    if shape != () or dtype != np.dtype(object):
        raise ValueError(f"its label_map is a {dtype} array of shape {shape}, not a pickled dict")
    try:
        array = _NoGlobalsUnpickler(f, encoding="latin1").load()
        label_map = array.state[4][0]  # ndarray state: (version, shape, dtype, fortran order, [items])
    except _RefusedGlobal as e:
        raise ValueError(str(e)) from None
    except Exception as e:  # noqa: BLE001  (a damaged pickle fails in many ways, none of them fatal)
        raise ValueError(f"its label_map is not a readable pickle ({e.__class__.__name__})") from None
    if not isinstance(label_map, dict) or not all(isinstance(k, int) and isinstance(v, str)
                                                  for k, v in label_map.items()):
        raise ValueError(f"its label_map is a {type(label_map).__name__}, not a dict of class names")
    return label_map


class _RefusedGlobal(ValueError):
    pass


class _Recorded:
    """Stands in for a numpy object the pickle would build: keeps its arguments and state, runs nothing."""

    def __init__(self, *args):
        self.args, self.state = args, None

    def __setstate__(self, state):
        self.state = state


class _NoGlobalsUnpickler(pickle.Unpickler):
    """An unpickler that refuses every global: it imports no module and calls nothing the file names.

    A numpy array's pickle names three globals (the array rebuilder, ndarray and dtype; protocols 0-2
    from Python 3 add _codecs.encode for bytes); each is answered with `_Recorded`, an inert local class
    that only records what it is given, so that the dict inside can be read. Any other global
    (os.system, builtins.eval, ...) raises _RefusedGlobal.
    """

    _ARRAY_NAMES = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
                    ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode")}

    def find_class(self, module, name):
        if (module, name) in self._ARRAY_NAMES:
            return _Recorded
        raise _RefusedGlobal(f"its label_map pickle refers to the Python global {module}.{name}, which a "
                             f"dict of class names never does, so it was not unpickled")

    def persistent_load(self, pid):
        raise _RefusedGlobal("its label_map pickle asks for a persistent object, so it was not unpickled")


def _scene_val_images(n=25):
    """The embedded default: n scenes drawn with a fixed seed, as uint8 (n, 64, 64, 3), labels, names."""
    rng = np.random.default_rng(_SCENE_VAL_SEED)
    items = [scenes.random_scene(rng) for _ in range(n)]
    X = np.stack([np.asarray(scenes.render_scene(s).convert("RGB"), dtype=np.uint8) for s in items])
    y = np.array([scenes.scene_class(s) for s in items], dtype=np.int64)
    return X, y, dict(enumerate(scenes.CLASS_NAMES))
