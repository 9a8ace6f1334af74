"""The classic style-transfer files, from the official CS231n 2019 assignment-3 archive.

The course site serves the whole assignment as one static zip. We need five of its members: the
content image ``tubingen.jpg``, the style images ``composition_vii.jpg``, ``the_scream.jpg`` and
``starry_night.jpg``, and ``style-transfer-checks.npz`` (the classic notebook's expected loss values).
They land in ``datasets/styles/`` under their own names.

How the files are put in place:

- a file already in ``datasets/styles/`` is verified in place (SHA-256) and used; a file there that
  differs from the classic one is never touched: the call fails with a sentence naming it;
- the missing ones come from the archive, downloaded with :func:`cs231n.data.download.download` to a
  temporary name and checked against its size and SHA-256 before it is opened;
- only the members named in the table are read, each into a temporary file whose name comes from the
  table (never from the zip), checked against its own size and SHA-256, then moved into place;
- the archive is deleted afterwards (a partial download is kept, and resumed by the next call).
"""

import hashlib
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from cs231n.data.paths import datasets_dir
from cs231n.data.download import DownloadError, download, file_sha256

_CHUNK = 1 << 16


@dataclass(frozen=True)
class Archive:
    """A zip on a web server, and the members we take from it.

    - url, size, sha256: where the zip is, its size in bytes and its hex SHA-256
    - members: {path inside the zip: (size in bytes, hex SHA-256)}; each lands in the target folder
      under its base name
    """

    url: str
    size: int
    sha256: str
    members: dict


CLASSIC_ARCHIVE = Archive(
    url="https://cs231n.github.io/assignments/2019/spring1819_assignment3.zip",
    size=4078503,
    sha256="fff4f7d1d3a0c9caccbff92b484c7cd3eef47109a132124151a39645fad32117",
    members={
        "assignment3/styles/tubingen.jpg":
            (406531, "e67d1869f01fd805385c681a80d9ebcf0f70ea4a5fe6127f0606bb1c7f4bf506"),
        "assignment3/styles/composition_vii.jpg":
            (202426, "8f992ed4aecd6dd56972d7bc8166761de7c94e670ee6effa8fd05f3daeb33409"),
        "assignment3/styles/the_scream.jpg":
            (216723, "f3075cddeb974a9ee1d6418f7f33fd05185a7ac7dcb4288bd2805d499a9dcaee"),
        "assignment3/styles/starry_night.jpg":
            (613337, "c31741a09141c2e2d07fc7aa6bdf135c369b804f9433e43fa3ceac19386d1ee6"),
        "assignment3/style-transfer-checks.npz":
            (66274, "2f9b3cf861971f30e842281535420685ed51ed4d4f932e529fc9c27503eb9008"),
    },
)

FETCH_COMMAND = 'python -c "from cs231n.data.classic_archive import fetch_classic_files; fetch_classic_files()"'


def classic_folder(root=None):
    """The folder the classic files land in: datasets/styles/ (or root/styles)."""
    return Path(root if root is not None else datasets_dir()) / "styles"


def fetch_classic_files(archive=CLASSIC_ARCHIVE, root=None):
    """Make sure every member of `archive` is in classic_folder(root), verified; fetch what is missing.

    Inputs:
    - archive: an Archive (the official one by default; tests pass their own)
    - root: the datasets folder (default: datasets_dir())

    Returns {base name: Path} of every member, e.g. {"tubingen.jpg": .../styles/tubingen.jpg, ...}.

    Raises:
    - OfflineError: files are missing and the course site cannot be reached (or CS231N_OFFLINE=1)
    - DownloadError: a download that failed, an archive or member with the wrong size or SHA-256, or
      a file already in the folder that is not the classic one; the message is one sentence that
      names the fix. Files already in the folder are never changed by a failure.
    """
    folder = classic_folder(root)
    targets = {member: folder / PurePosixPath(member).name for member in archive.members}
    missing = []
    for member, dest in targets.items():
        if not dest.exists():
            missing.append(member)
        elif file_sha256(dest) != archive.members[member][1]:
            raise DownloadError(f"{dest} is not the classic {dest.name} (its SHA-256 differs); move it "
                                f"aside and run again to fetch the classic file.", reason="sha256",
                                url=archive.url)
    if missing:
        _fetch_members(archive, {m: targets[m] for m in missing}, folder)
    return {dest.name: dest for dest in targets.values()}


def _fetch_members(archive, targets, folder):
    """Download the archive to a temporary name, verify it, and take the members in `targets` from it."""
    zip_path = folder / PurePosixPath(archive.url).name  # download() creates the folder once it can
    download(archive.url, zip_path, desc="CS231n 2019 assignment-3 archive (classic style images)",
             expected_size=archive.size, sha256=archive.sha256)
    try:
        with zipfile.ZipFile(zip_path) as zf:
            for member, dest in targets.items():
                _extract_member(zf, member, *archive.members[member], dest, archive.url)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as e:
        raise DownloadError(f"The archive from {archive.url} could not be read ({e}); run the same "
                            f"command again to fetch it afresh.", reason="verify", url=archive.url) from e
    finally:
        zip_path.unlink(missing_ok=True)


def _extract_member(zf, member, size, sha256, dest, url):
    """Copy one member to dest through a temporary file, checking its size and SHA-256 on the way.

    The destination name comes from our table, never from the zip, so a member cannot be written
    anywhere else; at most size + 1 bytes are read, so a member that claims to be small cannot fill
    the disk."""
    try:
        info = zf.getinfo(member)
    except KeyError:
        raise DownloadError(f"The archive from {url} has no member {member}; the course site's file has "
                            f"changed, so the classic files cannot be taken from it.", reason="verify",
                            url=url) from None
    tmp = dest.with_name(dest.name + ".part")
    digest, count = hashlib.sha256(), 0
    try:
        with zf.open(info) as src, open(tmp, "wb") as out:
            while count <= size:
                chunk = src.read(min(_CHUNK, size + 1 - count))
                if not chunk:
                    break
                count += len(chunk)
                digest.update(chunk)
                out.write(chunk)
        if count != size or digest.hexdigest() != sha256:
            raise DownloadError(f"{member} in the archive from {url} is not the classic file (size or "
                                f"SHA-256 differs); nothing was changed in {dest.parent}.",
                                reason="sha256", url=url)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
