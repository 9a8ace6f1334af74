"""Put the COCO captioning data in place: the real classic zip, or the embedded sample.

    python -m cs231n.data.coco [--sample] [--force] [--url URL] [--dest DIR]

(``./setup_coco.sh`` at the repository root runs this with the right Python.)

The real path downloads the classic CS231n ``coco_captioning.zip`` (about 1 GB) next to the
destination, resuming an interrupted download; checks that it is a complete zip; refuses members
whose paths would leave the target folder; extracts it into a temporary folder beside the
destination; checks every file's keys, dtypes and shapes (:mod:`cs231n.data.coco_files`); and only
then swaps it in as ``datasets/coco_captioning/`` with a ``.verified`` stamp, deleting the zip to
save space. A failure at any step leaves existing data as it was. A second run sees the stamp and
does nothing.

When the course site cannot be reached (or CS231N_OFFLINE=1), or with ``--sample``, it builds the
embedded COCO-format sample instead (``python -m cs231n.data.coco_sample``, in a child process: only
building the sample needs torch, so a run with nothing to do takes well under a second). A URL the
user named (``--url`` or $CS231N_COCO_URL) that cannot be reached is a failure, not a fallback, and
a fetch that fails while real data is in place says that the real data stays in use.

Every outcome is one line per step on stdout; a failure is one sentence on stderr and exit code 1.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import zipfile
from pathlib import Path, PurePosixPath

from cs231n.data import coco_files
from cs231n.data.coco_files import (PREFIX, SETUP_COMMAND, real_data_ready, real_dir, sample_dir,
                                    sample_is_current, verify_coco_dir, write_stamp)
from cs231n.data.coco_format import REAL_FILES
from cs231n.data.download import (DownloadError, OfflineError, check_reachable, discard_partial, download,
                                  file_sha256, partial_size)
from cs231n.data.folder_lock import folder_lock
from cs231n.data.paths import display_path, offline_forced

DEFAULT_URL = "https://cs231n.stanford.edu/coco_captioning.zip"
URL_ENV = "CS231N_COCO_URL"
TIMEOUT_S = 30  # seconds the server may stay silent before an attempt counts as stalled
_CAPTIONS = REAL_FILES["captions"]


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
    if not any(PurePosixPath(name.replace("\\", "/")).name == _CAPTIONS for name in names):
        raise ValueError(f"the zip holds no {_CAPTIONS}, so it is not the COCO captioning data")


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
    if (folder / _CAPTIONS).is_file():
        return folder
    subdirs = [p for p in folder.iterdir() if p.is_dir() and p.name != "__MACOSX"]
    if len(subdirs) == 1 and (subdirs[0] / _CAPTIONS).is_file():
        return subdirs[0]
    raise ValueError(f"the zip holds no {_CAPTIONS} at its top level or in a single top folder")


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
        print(f"{PREFIX} restored {display_path(dest)} from an interrupted earlier run")


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
        print(f"{PREFIX} reusing the zip downloaded earlier ({display_path(zip_path)})")
        check_zip(zip_path)
    else:
        if offline_forced():
            raise OfflineError("CS231N_OFFLINE=1", url=url)
        check_reachable(url, "coco_captioning.zip")  # before saying that a 1 GB download starts
        done = partial_size(url, zip_path)
        resuming = f"; resuming after the {_size(done)} fetched earlier" if done else ""
        print(f"{PREFIX} downloading {url} to {display_path(zip_path)} (about 1 GB{resuming})")
        download(url, zip_path, desc="coco_captioning.zip", verify=check_zip, timeout=TIMEOUT_S)
    zip_bytes = zip_path.stat().st_size
    print(f"{PREFIX} extracting and checking {display_path(zip_path)} ({_size(zip_bytes)})")
    work = Path(tempfile.mkdtemp(prefix=f".{dest.name}.extract-", dir=dest.parent))
    try:
        try:
            extract_zip_safely(zip_path, work)
            root = _data_root(work)
            verify_coco_dir(root)
        except ValueError:
            zip_path.unlink(missing_ok=True)  # the wrong file: do not reuse it next time
            raise
        write_stamp(root, url=url, zip_sha256=file_sha256(zip_path), zip_bytes=zip_bytes)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(root, 0o777 & ~umask)  # mkdtemp made it private
        _swap_into_place(root, dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    zip_path.unlink()
    print(f"{PREFIX} real data in place ({display_path(dest)}); deleted the {_size(zip_bytes)} zip to save space")


def _classic_copy_verified():
    """True when the classic location (cs231n/datasets/coco_captioning) holds the data, verified in
    place: load_coco_data finds it there, so there is nothing to download."""
    classic = coco_files.CLASSIC_DIR
    if real_data_ready(classic):
        print(f"{PREFIX} real data already in place at the classic location ({display_path(classic)})")
        return True
    if not (classic / _CAPTIONS).is_file():
        return False
    try:
        verify_coco_dir(classic)
    except ValueError as e:
        print(f"{PREFIX} the files at the classic location {display_path(classic)} are incomplete ({e}); "
              f"fetching the data again")
        return False
    try:
        write_stamp(classic, url=None, note="existing files verified in place")
    except OSError:
        pass
    print(f"{PREFIX} real data already in place at the classic location ({display_path(classic)}; checked "
          f"the existing files), nothing to download")
    return True


def _use_sample(force, why=None):
    if why:
        print(f"{PREFIX} {why}, using the embedded sample instead")
    if not force and sample_is_current():
        print(f"{PREFIX} embedded sample already built ({display_path(sample_dir())})")
        return 0
    if _build_sample(force) != 0:
        return 1  # the builder has said why, in one sentence
    print(f"{PREFIX} embedded sample ready ({display_path(sample_dir())})")
    return 0


def _build_sample(force):
    """Build the sample with ``python -m cs231n.data.coco_sample`` and return its exit status.

    A child process, because building is the only step that needs torch (seconds to import): every
    other run of this module, above all the one that finds the data in place, stays fast."""
    root = str(Path(__file__).resolve().parents[2])  # the repository, for a run before the package is installed
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p))
    command = [sys.executable, "-m", "cs231n.data.coco_sample"] + (["--force"] if force else [])
    return subprocess.run(command, env=env).returncode


def _offline(error, url, dest, *, named, custom_dest):
    """What to do when ``url`` cannot be reached (or CS231N_OFFLINE=1): the sample, unless the user
    named the URL (a failure) or real data is in place (it stays in use; no sample is built)."""
    host = urllib.parse.urlparse(url).hostname or url
    if offline_forced():
        why = "offline (CS231N_OFFLINE=1)"
    else:
        detail = str(error).rstrip(".")
        if named:
            return _failure(f"cannot reach the URL you named, {url} ({detail}); check the URL, or run "
                            f"{SETUP_COMMAND} --sample for the embedded sample.")
        why = detail
    in_place = [d for d in (dest, None if custom_dest else coco_files.CLASSIC_DIR)
                if d is not None and real_data_ready(d)]
    if in_place:
        kept = f"{why}: nothing fetched; the real data already in {display_path(in_place[0])} stays in use"
        if offline_forced():
            print(f"{PREFIX} {kept}")
            return 0
        return _failure(f"{kept}; run {SETUP_COMMAND} --force again when {host} can be reached.")
    return _use_sample(force=False, why=why)


def _failure(message):
    print(f"{PREFIX} {message}", file=sys.stderr)
    return 1


def _explain(e, url, dest):
    """One sentence for a failed real download, saying what to do."""
    alternatives = f"pass --url URL or use the embedded sample ({SETUP_COMMAND} --sample)"
    if isinstance(e, DownloadError):
        if e.reason == "html":
            return f"the download from {url} was an HTML page, not a zip: the course URL may have moved; {alternatives}."
        if e.reason == "http" and e.status is not None and e.status >= 500:
            return f"{url} answered HTTP {e.status} repeatedly: try again later, or {alternatives}."
        if e.reason == "http":
            return f"{url} answered HTTP {e.status}: the course URL may have moved; {alternatives}."
        if e.reason == "stalled":
            return (f"{url} accepted the connection but sent nothing within {TIMEOUT_S} s, on every attempt: the "
                    f"server is busy or the URL is wrong; try again later, or {alternatives}.")
        if e.reason == "truncated":
            return (f"the download from {url} kept breaking off; run {SETUP_COMMAND} again to resume it "
                    f"(the partial file is kept), or {alternatives}.")
        if e.reason == "verify":
            detail = str(e.__cause__).rstrip(".") if e.__cause__ else str(e)
            return f"the download from {url} is not the COCO captioning zip ({detail}) and was deleted; {alternatives}."
        return f"{str(e).rstrip('.')}; or {alternatives}."
    if isinstance(e, UnsafeZipError):
        return (f"refusing to extract the zip from {url}: {e}; nothing was written to {display_path(dest)}; "
                f"{alternatives}.")
    if isinstance(e, ValueError):
        return (f"the zip from {url} does not hold the expected data ({e}); nothing was changed in "
                f"{display_path(dest)}; {alternatives}.")
    if isinstance(e, OSError):
        detail = e.strerror or str(e)
        where = f" ({e.filename})" if e.filename else ""
        return (f"could not write the data: {detail}{where}; free some disk space (about 4 GB are "
                f"needed) or fix the permissions, then run {SETUP_COMMAND} again.")
    return f"{e}; run {SETUP_COMMAND} again."


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m cs231n.data.coco",
        description="Fetch the classic COCO captioning data into datasets/coco_captioning/, or build the "
                    "embedded COCO-format sample when offline or with --sample.")
    parser.add_argument("--sample", action="store_true", help="build the embedded sample; no network")
    parser.add_argument("--force", action="store_true",
                        help="fetch again even if the data is in place (existing data stays until the "
                             "new data is verified); with --sample, rebuild the sample")
    parser.add_argument("--url", help=f"where to fetch coco_captioning.zip (default: ${URL_ENV} or {DEFAULT_URL}); "
                                      "a URL you name must work: unreachable, it fails instead of using the sample")
    parser.add_argument("--dest", type=Path,
                        help="folder for the real data (default: datasets/coco_captioning)")
    args = parser.parse_args(argv)

    if args.sample:
        return _use_sample(force=args.force)
    dest = (args.dest if args.dest is not None else real_dir()).expanduser().absolute()
    named = args.url or os.environ.get(URL_ENV)  # a URL the user chose must work: no quiet fallback
    url = named or DEFAULT_URL
    try:
        with folder_lock(dest):
            _recover_interrupted_swap(dest)
            if not args.force and real_data_ready(dest):
                print(f"{PREFIX} real data already in place ({display_path(dest)})")
                return 0
            if not args.force and dest.is_dir():
                try:
                    verify_coco_dir(dest)
                except ValueError as e:
                    print(f"{PREFIX} the files in {display_path(dest)} are incomplete ({e}); fetching them again")
                else:
                    write_stamp(dest, url=None, note="existing files verified in place")
                    print(f"{PREFIX} real data already in place ({display_path(dest)}; checked the existing files)")
                    return 0
            if not args.force and args.dest is None and _classic_copy_verified():
                return 0
            fetch_real(url, dest, force=args.force)
            return 0
    except OfflineError as e:
        return _offline(e, url, dest, named=named is not None, custom_dest=args.dest is not None)
    except KeyboardInterrupt:
        _failure(f"interrupted; run {SETUP_COMMAND} again to resume the download.")
        return 130
    except (DownloadError, ValueError, OSError) as e:
        return _failure(_explain(e, url, dest))


def _size(n):
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024


if __name__ == "__main__":
    sys.exit(main())
