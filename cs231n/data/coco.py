"""Put the COCO captioning data in place: the real classic zip, or the embedded sample.

    python -m cs231n.data.coco [--sample] [--force] [--url URL] [--dest DIR]

(``./setup_coco.sh`` at the repository root runs this with the right Python.)

The real path downloads the classic CS231n ``coco_captioning.zip`` (about 1 GB) next to the
destination, resuming an interrupted download; checks that it is a complete zip; refuses members
whose paths would leave the target folder; extracts it into a temporary folder beside the
destination; checks every file's keys, dtypes and shapes (:func:`verify_coco_dir`); and only then
swaps it in as ``datasets/coco_captioning/`` with a ``.verified`` stamp, deleting the zip to save
space. A failure at any step leaves existing data as it was. A second run sees the stamp and does
nothing.

When the host cannot be reached (or CS231N_OFFLINE=1), or with ``--sample``, it builds the
embedded COCO-format sample instead (:func:`cs231n.data.coco_sample.ensure_coco_sample`).

Every outcome is one line per step on stdout; a failure is one sentence on stderr and exit code 1.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import zipfile
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

import numpy as np

from cs231n.data.paths import datasets_dir, offline_forced
from cs231n.data.download import (DownloadError, OfflineError, discard_partial, download, file_sha256,
                             partial_size)

DEFAULT_URL = "https://cs231n.stanford.edu/coco_captioning.zip"
URL_ENV = "CS231N_COCO_URL"
STAMP_NAME = ".verified"

CAPTION_LENGTH = 17
SPECIAL_TOKENS = {"<NULL>": 0, "<START>": 1, "<END>": 2, "<UNK>": 3}
CAPTIONS_FILE = "coco2014_captions.h5"
VOCAB_FILE = "coco2014_vocab.json"
SPLITS = ("train", "val")
REQUIRED_FILES = (CAPTIONS_FILE, VOCAB_FILE) + tuple(
    f"{split}2014_{kind}" for split in SPLITS for kind in ("vgg16_fc7_pca.h5", "urls.txt"))
# The 4096-d features (2 GB) serve only load_coco_data(pca_features=False); users often delete them.
FULL_FEATURE_FILES = tuple(f"{split}2014_vgg16_fc7.h5" for split in SPLITS)
# Where the classic instructions (get_datasets.sh) unpack the zip: inside the package folder.
CLASSIC_DIR = Path(__file__).resolve().parents[1] / "datasets" / "coco_captioning"  # cs231n/datasets/, the classic place

_PREFIX = "COCO captioning:"
_FIX = "./setup_coco.sh"


def default_dest():
    """Where the real data goes: datasets/coco_captioning (under $CS231N_DATASETS when set)."""
    return datasets_dir() / "coco_captioning"


def real_data_ready(dest=None):
    """True when ``dest`` (default :func:`default_dest`) holds verified real data: a stamp and every
    file the PCA features need (the 4096-d files are optional)."""
    dest = Path(dest) if dest is not None else default_dest()
    return (dest / STAMP_NAME).is_file() and all((dest / name).is_file() for name in REQUIRED_FILES)


def find_real_data():
    """The folder of the real data, verified, or None when there is none.

    Looks in datasets/coco_captioning (where setup_coco.sh puts it) and then in
    cs231n/datasets/coco_captioning (where the classic instructions unpack it). A folder holding
    coco2014_captions.h5 without our stamp (copied from an earlier course, or unpacked by hand) is
    verified in place, once: the stamp is written when the folder is writable. Raises ValueError,
    one sentence naming the fix, when such a folder does not hold the classic data.
    """
    for folder in (default_dest(), CLASSIC_DIR):
        if real_data_ready(folder):
            return folder
        if not (folder / CAPTIONS_FILE).is_file():
            continue
        try:
            verify_coco_dir(folder)
        except ValueError as e:
            raise ValueError(f"{_PREFIX} {_show(folder)} does not hold the classic data ({e}); run "
                             f"{_FIX} --force to fetch it again, or move the folder away to use the "
                             f"embedded sample.") from None
        try:
            _write_stamp(folder, url=None, note="existing files verified in place")
        except OSError:
            pass  # a read-only copy: verified again next time, and used all the same
        print(f"{_PREFIX} verified the existing files in {_show(folder)}; using them in place")
        return folder
    return None


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
    import h5py  # imported here so that `--help` works before the environment is complete

    path = Path(path)
    missing = [name for name in REQUIRED_FILES if not (path / name).is_file()]
    if missing:
        raise ValueError(f"{path} lacks {', '.join(missing)}")
    vocab_size = _check_vocab(path / VOCAB_FILE)

    feature_rows = {}
    for split in SPLITS:
        rows = {}
        for kind, dim in (("vgg16_fc7_pca.h5", 512), ("vgg16_fc7.h5", 4096)):
            name = f"{split}2014_{kind}"
            if name in FULL_FEATURE_FILES and not (path / name).is_file():
                continue
            with _open_h5(h5py, path / name) as f:
                rows[name] = _check_dataset(h5py, f, name, "features", np.float32, (dim,)).shape[0]
        pca_name, pca_rows = next(iter(rows.items()))
        for full_name, full_rows in list(rows.items())[1:]:
            if pca_rows != full_rows:
                raise ValueError(f"{pca_name} has {pca_rows} feature rows but {full_name} has {full_rows}")
        urls_name = f"{split}2014_urls.txt"
        with open(path / urls_name, encoding="utf-8") as f:
            n_urls = sum(1 for line in f if line.strip())
        if n_urls != pca_rows:
            raise ValueError(f"{urls_name} has {n_urls} URLs but {pca_name} has {pca_rows} feature rows")
        feature_rows[split] = pca_rows

    with _open_h5(h5py, path / CAPTIONS_FILE) as f:
        for split in SPLITS:
            captions = _check_dataset(h5py, f, CAPTIONS_FILE, f"{split}_captions", np.int32,
                                      (CAPTION_LENGTH,))[()]
            idxs = _check_dataset(h5py, f, CAPTIONS_FILE, f"{split}_image_idxs", np.int32, ())[()]
            where = f"{CAPTIONS_FILE}:{split}_captions"
            if len(idxs) != len(captions):
                raise ValueError(f"{CAPTIONS_FILE}:{split}_image_idxs has {len(idxs)} entries but {where} "
                                 f"has {len(captions)} captions")
            if captions.min() < 0 or captions.max() >= vocab_size:
                raise ValueError(f"{where} holds word indices outside the vocabulary's 0..{vocab_size - 1}")
            bad = int(np.count_nonzero(captions[:, 0] != SPECIAL_TOKENS["<START>"]))
            if bad:
                raise ValueError(f"{where} has {bad} captions that do not start with <START>")
            if idxs.min() < 0 or idxs.max() >= feature_rows[split]:
                raise ValueError(f"{CAPTIONS_FILE}:{split}_image_idxs points outside the "
                                 f"{feature_rows[split]} rows of {split}2014_vgg16_fc7_pca.h5")


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
    for word, idx in SPECIAL_TOKENS.items():
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
        raise ValueError(f"{filename} has no dataset '{key}' (it has: {', '.join(sorted(f.keys())) or 'nothing'})")
    d = f[key]
    if d.dtype != np.dtype(dtype):
        raise ValueError(f"{filename}:{key} has dtype {d.dtype}, expected {np.dtype(dtype)}")
    if d.ndim != 1 + len(trailing) or tuple(d.shape[1:]) != tuple(trailing):
        want = "(N" + "".join(f", {n}" for n in trailing) + (",)" if not trailing else ")")
        raise ValueError(f"{filename}:{key} has shape {d.shape}, expected {want}")
    if d.shape[0] == 0:
        raise ValueError(f"{filename}:{key} is empty")
    return d


# ----------------------------------------------------------------------------------------------
# The real download


class UnsafeZipError(ValueError):
    """The zip holds a member that would land outside the folder it is extracted into."""


def check_zip(path):
    """Raise ValueError unless ``path`` is a complete zip (readable central directory) holding
    coco2014_captions.h5. Used as the download's ``verify`` callback."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except (zipfile.BadZipFile, OSError):
        raise ValueError("it is not a complete zip file (no readable central directory; an HTML page "
                         "or a truncated download looks like this)") from None
    if not any(PurePosixPath(name.replace("\\", "/")).name == CAPTIONS_FILE for name in names):
        raise ValueError(f"the zip holds no {CAPTIONS_FILE}, so it is not the COCO captioning data")


def _unsafe_member(info):
    """Why a zip member may not be extracted, or None when it is safe."""
    name = info.filename.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return "has an absolute path"
    if ".." in name.split("/"):
        return "climbs out with '..'"
    if (info.external_attr >> 16) & 0o170000 == 0o120000:
        return "is a symbolic link"
    return None


def extract_zip_safely(zip_path, target):
    """Extract ``zip_path`` into the existing folder ``target``, refusing the whole zip (before
    writing anything) if any member's path would leave ``target``. A corrupt member (CRC error)
    raises ValueError; too little free space raises OSError."""
    target = Path(target).resolve()
    with zipfile.ZipFile(zip_path) as zf:
        infos = zf.infolist()
        for info in infos:
            why = _unsafe_member(info)
            if why is None and not (target / info.filename).resolve().is_relative_to(target):
                why = "would land outside the target folder"
            if why:
                raise UnsafeZipError(f"the zip member '{info.filename}' {why}")
        needed = sum(info.file_size for info in infos)
        free = shutil.disk_usage(target).free
        if needed > free:
            raise OSError(f"extracting needs {_size(needed)} but only {_size(free)} is free in {target}")
        try:
            zf.extractall(target)
        except zipfile.BadZipFile as e:
            raise ValueError(f"the zip is corrupt ({e})") from None


def _data_root(folder):
    """The folder holding the data: the extraction folder itself or its single top folder
    (the classic zip extracts to coco_captioning/)."""
    if (folder / CAPTIONS_FILE).is_file():
        return folder
    subdirs = [p for p in folder.iterdir() if p.is_dir() and p.name != "__MACOSX"]
    if len(subdirs) == 1 and (subdirs[0] / CAPTIONS_FILE).is_file():
        return subdirs[0]
    raise ValueError(f"the zip holds no {CAPTIONS_FILE} at its top level or in a single top folder")


def _swap_into_place(new, dest):
    """Rename ``new`` onto ``dest``; old data is renamed aside first and deleted only afterwards,
    so a failure at any point leaves either the old or the new folder at ``dest``."""
    old = None
    if dest.exists() or dest.is_symlink():
        old = dest.with_name(f".{dest.name}.old-{os.getpid()}")
        os.rename(dest, old)
    try:
        os.rename(new, dest)
    except BaseException:
        if old is not None:
            os.rename(old, dest)
        raise
    if old is not None:
        if old.is_symlink():
            old.unlink()
        else:
            shutil.rmtree(old, ignore_errors=True)


def _recover_interrupted_swap(dest):
    """If a run died between the two renames of a swap, put the old data back."""
    if dest.exists():
        return
    olds = sorted(dest.parent.glob(f".{dest.name}.old-*"), key=lambda p: p.stat().st_mtime)
    if olds:
        os.rename(olds[-1], dest)
        print(f"{_PREFIX} restored {_show(dest)} from an interrupted earlier run")


@contextmanager
def _lock(dest):
    """Serialise concurrent runs (say `make lab` and `make test` started together): the second
    waits, then finds the data in place."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        yield
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(dest.with_name(f".{dest.name}.lock"), "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _write_stamp(folder, **info):
    info["verified_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    (folder / STAMP_NAME).write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")


def fetch_real(url, dest, *, force=False):
    """Download, check, extract, verify and swap in the real data at ``dest``.

    Raises OfflineError, DownloadError, ValueError (wrong content; UnsafeZipError for a bad
    member path) or OSError (disk). Existing data at ``dest`` is left as it was on any failure.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    zip_path = dest.with_name(dest.name + ".zip")
    if force:
        zip_path.unlink(missing_ok=True)
        discard_partial(zip_path)
    if zip_path.is_file():
        print(f"{_PREFIX} reusing the zip downloaded earlier ({_show(zip_path)})")
        check_zip(zip_path)
    else:
        done = partial_size(url, zip_path)
        resuming = f"; resuming after the {_size(done)} fetched earlier" if done else ""
        print(f"{_PREFIX} downloading {url} to {_show(zip_path)} (about 1 GB{resuming})")
        download(url, zip_path, desc="coco_captioning.zip", verify=check_zip)
    zip_bytes = zip_path.stat().st_size
    print(f"{_PREFIX} extracting and checking {_show(zip_path)} ({_size(zip_bytes)})")
    work = Path(tempfile.mkdtemp(prefix=f".{dest.name}.extract-", dir=dest.parent))
    try:
        try:
            extract_zip_safely(zip_path, work)
            root = _data_root(work)
            verify_coco_dir(root)
        except ValueError:
            zip_path.unlink(missing_ok=True)  # the wrong file: do not reuse it next time
            raise
        _write_stamp(root, url=url, zip_sha256=file_sha256(zip_path), zip_bytes=zip_bytes)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(root, 0o777 & ~umask)  # mkdtemp made it private
        _swap_into_place(root, dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    zip_path.unlink()
    print(f"{_PREFIX} real data in place ({_show(dest)}); deleted the {_size(zip_bytes)} zip to save space")


def _classic_copy_verified():
    """True when the classic location (cs231n/datasets/coco_captioning) holds the data, verified in
    place: load_coco_data finds it there, so there is nothing to download."""
    if real_data_ready(CLASSIC_DIR):
        print(f"{_PREFIX} real data already in place at the classic location ({_show(CLASSIC_DIR)})")
        return True
    if not (CLASSIC_DIR / CAPTIONS_FILE).is_file():
        return False
    try:
        verify_coco_dir(CLASSIC_DIR)
    except ValueError as e:
        print(f"{_PREFIX} the files at the classic location {_show(CLASSIC_DIR)} are incomplete ({e}); "
              f"fetching the data again")
        return False
    try:
        _write_stamp(CLASSIC_DIR, url=None, note="existing files verified in place")
    except OSError:
        pass
    print(f"{_PREFIX} real data already in place at the classic location ({_show(CLASSIC_DIR)}; checked "
          f"the existing files), nothing to download")
    return True


def _use_sample(force, why=None):
    if why:
        print(f"{_PREFIX} {why}, using the embedded sample instead")
    from cs231n.data.coco_sample import ensure_coco_sample

    try:
        path = ensure_coco_sample(force=force)
    except Exception as e:  # whatever went wrong, the student gets one sentence, not a traceback
        return _failure(f"building the embedded sample failed ({e.__class__.__name__}: {e}); fix that and "
                        f"run {_FIX} --sample again.")
    print(f"{_PREFIX} embedded sample ready ({_show(path)})")
    return 0


def _failure(message):
    print(f"{_PREFIX} {message}", file=sys.stderr)
    return 1


def _explain(e, url, dest):
    """One sentence for a failed real download, saying what to do."""
    alternatives = f"pass --url URL or use the embedded sample ({_FIX} --sample)"
    if isinstance(e, DownloadError):
        if e.reason == "html":
            return f"the download from {url} was an HTML page, not a zip: the course URL may have moved; {alternatives}."
        if e.reason == "http" and e.status is not None and e.status >= 500:
            return f"{url} answered HTTP {e.status} repeatedly: try again later, or {alternatives}."
        if e.reason == "http":
            return f"{url} answered HTTP {e.status}: the course URL may have moved; {alternatives}."
        if e.reason == "truncated":
            return (f"the download from {url} kept breaking off; run {_FIX} again to resume it "
                    f"(the partial file is kept), or {alternatives}.")
        if e.reason == "verify":
            detail = str(e.__cause__).rstrip(".") if e.__cause__ else str(e)
            return f"the download from {url} is not the COCO captioning zip ({detail}) and was deleted; {alternatives}."
        return f"{str(e).rstrip('.')}; or {alternatives}."
    if isinstance(e, UnsafeZipError):
        return (f"refusing to extract the zip from {url}: {e}; nothing was written to {_show(dest)}; "
                f"{alternatives}.")
    if isinstance(e, ValueError):
        return (f"the zip from {url} does not hold the expected data ({e}); nothing was changed in "
                f"{_show(dest)}; {alternatives}.")
    if isinstance(e, OSError):
        detail = e.strerror or str(e)
        where = f" ({e.filename})" if e.filename else ""
        return (f"could not write the data: {detail}{where}; free some disk space (about 4 GB are "
                f"needed) or fix the permissions, then run {_FIX} again.")
    return f"{e}; run {_FIX} again."


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m cs231n.data.coco",
        description="Fetch the classic COCO captioning data into datasets/coco_captioning/, or build the "
                    "embedded COCO-format sample when offline or with --sample.")
    parser.add_argument("--sample", action="store_true", help="build the embedded sample; no network")
    parser.add_argument("--force", action="store_true",
                        help="fetch again even if the data is in place (existing data stays until the "
                             "new data is verified); with --sample, rebuild the sample")
    parser.add_argument("--url", help=f"where to fetch coco_captioning.zip (default: ${URL_ENV} or {DEFAULT_URL})")
    parser.add_argument("--dest", type=Path,
                        help="folder for the real data (default: datasets/coco_captioning)")
    args = parser.parse_args(argv)

    if args.sample:
        return _use_sample(force=args.force)
    dest = (args.dest if args.dest is not None else default_dest()).expanduser().absolute()
    url = args.url or os.environ.get(URL_ENV) or DEFAULT_URL
    try:
        with _lock(dest):
            _recover_interrupted_swap(dest)
            if not args.force and real_data_ready(dest):
                print(f"{_PREFIX} real data already in place ({_show(dest)})")
                return 0
            if not args.force and dest.is_dir():
                try:
                    verify_coco_dir(dest)
                except ValueError as e:
                    print(f"{_PREFIX} the files in {_show(dest)} are incomplete ({e}); fetching them again")
                else:
                    _write_stamp(dest, url=None, note="existing files verified in place")
                    print(f"{_PREFIX} real data already in place ({_show(dest)}; checked the existing files)")
                    return 0
            if not args.force and args.dest is None and _classic_copy_verified():
                return 0
            fetch_real(url, dest, force=args.force)
            return 0
    except OfflineError:
        why = "offline (CS231N_OFFLINE=1)" if offline_forced() else "host unreachable"
        return _use_sample(force=False, why=why)
    except KeyboardInterrupt:
        _failure(f"interrupted; run {_FIX} again to resume the download.")
        return 130
    except (DownloadError, ValueError, OSError) as e:
        return _failure(_explain(e, url, dest))


def _show(path):
    """A path relative to the current folder when it lies below it (shorter lines), else absolute."""
    path = Path(path)
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _size(n):
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024


if __name__ == "__main__":
    sys.exit(main())
