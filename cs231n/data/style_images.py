"""The images of the style-transfer notebook's runs: the classic ones, or the embedded default.

Real source: the classic files (`tubingen.jpg`, three paintings, `style-transfer-checks.npz`) in
datasets/styles/, verified, fetched from the official archive when missing
(:mod:`cs231n.data.classic_archive`). Embedded default (offline, or when the files cannot be had):
sample images that ship inside scikit-image and matplotlib.
"""

from pathlib import Path

from cs231n.data import classic_archive
from cs231n.data.download import DownloadError, OfflineError

# The classic images of each run (content, style), as in the classic notebook.
CLASSIC_IMAGES = {
    "transfer1": ("tubingen.jpg", "composition_vii.jpg"),
    "transfer2": ("tubingen.jpg", "the_scream.jpg"),
    "transfer3": ("tubingen.jpg", "starry_night.jpg"),
    "inversion": ("tubingen.jpg", "starry_night.jpg"),
    "texture": ("tubingen.jpg", "starry_night.jpg"),
}
CLASSIC_CHECKS = "style-transfer-checks.npz"


def embedded_images():
    """Paths of the sample images that ship inside scikit-image and matplotlib, for each run.

    Content: scikit-image's cat (chelsea.png) and matplotlib's portrait of Grace Hopper. Styles: an
    immunohistochemistry micrograph (ihc.png: brown stain, blue nuclei), a colour wheel (color.png)
    and a cup of coffee (coffee.png). Returns a dict run -> (content path, style path).
    """
    # Imported here, not at the top: scikit-image is slow to import and only the offline default needs it.
    import matplotlib.cbook
    import skimage.data

    sk = Path(skimage.data.data_dir)
    cat, tissue = str(sk / "chelsea.png"), str(sk / "ihc.png")
    hopper = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    return {
        "transfer1": (cat, tissue),
        "transfer2": (cat, str(sk / "color.png")),
        "transfer3": (str(hopper), str(sk / "coffee.png")),
        "inversion": (cat, tissue),
        "texture": (cat, tissue),
    }


def style_transfer_images(archive=None):
    """The images of each run, the classic check file, and a line saying which source they come from.

    Inputs:
    - archive: the `classic_archive.Archive` to fetch from (default: the official one)

    Returns (images, checks, source):
    - images: {run: (content path, style path)} for transfer1..3, inversion and texture
    - checks: Path of the verified style-transfer-checks.npz, or None on the embedded default
    - source: one line for the loader's report, with the reason for a fallback
    """
    try:
        files = classic_archive.fetch_classic_files(archive or classic_archive.CLASSIC_ARCHIVE)
    except OfflineError:
        return embedded_images(), None, ("embedded default, scikit-image and matplotlib sample images "
                                         "(offline: the classic images cannot be fetched)")
    except DownloadError as e:
        return embedded_images(), None, ("embedded default, scikit-image and matplotlib sample images "
                                         f"({str(e).rstrip('.')})")
    images = {run: (str(files[c]), str(files[s])) for run, (c, s) in CLASSIC_IMAGES.items()}
    source = f"the classic images in {classic_archive.classic_folder()} (SHA-256 verified)"
    return images, files.get(CLASSIC_CHECKS), source
