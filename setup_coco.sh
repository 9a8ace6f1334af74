#!/usr/bin/env bash
# COCO captioning data for the captioning notebooks: the real classic zip, or the embedded sample.
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: ./setup_coco.sh [--sample] [--force] [--url URL] [--dest DIR]

Puts the COCO captioning data in place for the captioning notebooks.

  (no option)  download the classic CS231n coco_captioning.zip (about 1 GB; an interrupted
               download resumes), check it, and move it into datasets/coco_captioning/ once
               verified; the zip is deleted afterwards. When the course site cannot be reached,
               or CS231N_OFFLINE=1, builds the embedded sample instead (unless real data is in
               place: it stays in use). A second run does nothing, in under a second.
               Data you already have in datasets/coco_captioning/ or at the classic location
               cs231n/datasets/coco_captioning/ is checked in place and used: nothing is downloaded.
               The 4096-d *_vgg16_fc7.h5 files are optional (only pca_features=False needs them).
  --sample     build the embedded COCO-format sample (datasets/coco_sample/); no network
  --force      fetch again even if the data is in place (with --sample: rebuild the sample);
               existing data stays until the new data is verified
  --url URL    fetch the zip from URL (default: $CS231N_COCO_URL, else the course site); a URL
               you name must work: unreachable or stalled, it fails instead of using the sample
  --dest DIR   put the real data in DIR instead of datasets/coco_captioning
  -h, --help   show this help

Data lands under $CS231N_DATASETS when it is set. Exit status 0 on success (including the
offline fallback), 1 with a one-sentence reason on failure.
USAGE
}

for arg in "$@"; do
    case "$arg" in
        -h|--help) usage; exit 0 ;;
    esac
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ -x "$root/.venv/bin/python" ]]; then
    py="$root/.venv/bin/python"
else
    py="$(command -v python3 || true)"
fi
# find_spec looks for the packages without importing them (torch alone takes seconds to import).
need='import importlib.util as u, sys; sys.exit(any(u.find_spec(m) is None for m in sys.argv[1:]))'
if [[ -z "$py" ]] || ! "$py" -c "$need" h5py numpy torch tqdm 2>/dev/null; then
    echo "setup_coco.sh: no Python with h5py, numpy, torch and tqdm found; run 'make setup' first (it creates .venv)." >&2
    exit 1
fi
# PYTHONPATH lets this run before the package is installed; paths given by the user stay
# relative to the folder they ran it from.
PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}" exec "$py" -m cs231n.data.coco "$@"
