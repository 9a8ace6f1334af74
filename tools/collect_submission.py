#!/usr/bin/env python3
"""Pack your assignment 3 work into one zip to hand in.

    python tools/collect_submission.py        (or: make submit)

It packs exactly the files you change: the cs231n modules that hold START/END markers (where you
wrote your code) and the six notebooks in assignment3/ with their outputs. Run every notebook top
to bottom and save it first: a notebook with no executed code cell is refused, by name, because
its outputs are part of what is graded. Blanks you have not filled in yet are listed as a warning.
"""

import argparse
import json
import sys
import zipfile
from pathlib import Path

from markers import BLANK_TEXT, END_TEXT, START_TEXT

NOTEBOOKS = [
    "RNN_Captioning.ipynb",
    "LSTM_Captioning.ipynb",
    "Transformer_Captioning.ipynb",
    "Network_Visualization.ipynb",
    "Style_Transfer.ipynb",
    "Generative_Adversarial_Networks.ipynb",
]
SUBMISSION_NAME = "cs231n_assignment3_submission.zip"


class SubmissionError(Exception):
    """Something the student must fix before submitting; the message says what."""


def modules_with_blanks(root):
    """The cs231n/*.py files (repository-relative) that hold START markers."""
    found = []
    for path in sorted((root / "cs231n").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if any(line.strip().startswith("#") and (START_TEXT in line or END_TEXT in line) for line in text.splitlines()):
            found.append(path.relative_to(root).as_posix())
    return found


def unfinished_blanks(text):
    """The functions whose blank still raises the student edition's NotImplementedError."""
    names = []
    for line in text.splitlines():
        if "raise NotImplementedError(" in line and BLANK_TEXT in line:
            names.append(line.split('NotImplementedError("', 1)[-1].split(" in ", 1)[0])
    return names


def notebook_state(path):
    """(code cells, executed code cells, cells with outputs, cells whose output is an error)."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise SubmissionError(f"{path.name} is not a readable notebook ({e}); open it in Jupyter and save it") from None
    code = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    executed = [c for c in code if c.get("execution_count") is not None]
    with_outputs = [c for c in code if c.get("outputs")]
    errors = [c for c in code if any(o.get("output_type") == "error" for o in c.get("outputs", []))]
    return len(code), len(executed), len(with_outputs), len(errors)


def collect(root, out):
    """Check the work under `root`, write the zip to `out`, return [(path, note)] packed."""
    root = root.resolve()
    packed, warnings = [], []
    for rel in modules_with_blanks(root):
        left = unfinished_blanks((root / rel).read_text(encoding="utf-8"))
        if left:
            warnings.append(f"{rel} still has {len(left)} unfinished blank(s): {', '.join(left)}")
        packed.append((rel, f"{len(left)} blank(s) unfinished" if left else "all blanks filled in"))
    if not packed:
        raise SubmissionError(f"no module with START/END markers under {root / 'cs231n'}; "
                              "run this from the assignment's folder")

    for name in NOTEBOOKS:
        rel = f"assignment3/{name}"
        path = root / rel
        if not path.exists():
            raise SubmissionError(f"{rel} is missing; restore it and run it before submitting")
        code, executed, with_outputs, errors = notebook_state(path)
        if code and (executed == 0 or with_outputs == 0):
            raise SubmissionError(f"{rel} has not been run (no executed code cell with output): open it, "
                                  "run all cells (Kernel > Restart Kernel and Run All Cells), save it, and try again")
        if executed < code:
            warnings.append(f"{rel}: only {executed} of {code} code cells were run")
        if errors:
            warnings.append(f"{rel}: {errors} cell(s) ended in an error")
        packed.append((rel, f"{executed}/{code} code cells run"))

    tmp = out.with_name(out.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for rel, _ in packed:
            zf.write(root / rel, rel)
    tmp.replace(out)
    return packed, warnings


def main(argv=None):
    here = Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=here, help="the assignment folder (default: this one)")
    parser.add_argument("--out", type=Path, default=None, help=f"the zip to write (default: ROOT/{SUBMISSION_NAME})")
    args = parser.parse_args(argv)
    out = args.out or args.root / SUBMISSION_NAME
    try:
        packed, warnings = collect(args.root, out)
    except SubmissionError as e:
        print(f"collect_submission: not packed: {e}", file=sys.stderr)
        return 1
    for rel, note in packed:
        print(f"packed {rel} ({note})")
    for w in warnings:
        print(f"warning: {w}")
    print(f"wrote {out.resolve()} ({len(packed)} files): submit this zip")
    return 0


if __name__ == "__main__":
    sys.exit(main())
