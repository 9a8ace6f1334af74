#!/usr/bin/env python3
"""Merge this course's JupyterLab settings (tools/jupyter/overrides.json) into an environment.

    python tools/install_lab_settings.py VENV_DIR

JupyterLab reads VENV_DIR/share/jupyter/lab/settings/overrides.json at start and uses it as the
default of each setting (a student's own choices in the Settings editor still win). Ours turn off
the "official Jupyter news" question and the update check, which would otherwise greet every
student on the first start. Settings already in the file are kept; ours replace only their own keys.
tools/setup_venv.sh runs this.
"""

import json
import sys
from pathlib import Path

OURS = Path(__file__).resolve().parent / "jupyter" / "overrides.json"


def install(venv, ours=OURS):
    """Merge `ours` into venv's overrides.json and return its path."""
    target = Path(venv) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    try:
        settings = json.loads(target.read_text(encoding="utf-8")) if target.is_file() else {}
    except ValueError:
        settings = {}  # a broken file would stop JupyterLab from reading any override: start afresh
    for plugin, values in json.loads(Path(ours).read_text(encoding="utf-8")).items():
        settings.setdefault(plugin, {}).update(values)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
    return target


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        sys.exit(0 if len(sys.argv) == 2 else 2)
    install(sys.argv[1])
