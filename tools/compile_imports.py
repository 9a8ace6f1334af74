#!/usr/bin/env python3
"""Compile to bytecode the installed modules that the course's processes import, by importing them.

    python tools/compile_imports.py      (tools/setup_venv.sh runs it with the venv's python)

Python caches each module it compiles in a __pycache__ folder beside it, unless told not to
(PYTHONDONTWRITEBYTECODE, set on some CI machines and containers): there every process that imports
torch compiles about a thousand of its files again, seconds each time. Compiling the whole of
site-packages (python -m compileall) fixes that too, but compiles four times more than is ever
imported (all of sympy, networkx, torch's compiler stack, Jupyter's server), which costs CI half a
minute. This script imports what the package, its tests and the notebooks' kernels import, with
bytecode writing on, so exactly those modules are compiled once. Anything it misses still works; a
process only compiles it for itself.
"""

import importlib
import pkgutil
import sys
import time
from pathlib import Path

sys.dont_write_bytecode = False  # the point of this script, whatever PYTHONDONTWRITEBYTECODE says

# What the tests and the notebooks' kernels import beyond the package (pytest, xdist and nbval; the
# IPython kernel and its inline plots; the progress bars and widgets of tqdm.auto).
OUTSIDE_THE_PACKAGE = [
    "torch", "torchvision", "numpy", "scipy", "matplotlib.pyplot", "matplotlib.backends.backend_agg",
    "PIL.Image", "h5py", "tqdm.auto", "threadpoolctl", "skimage", "nltk",
    "pytest", "xdist.plugin", "xdist.remote", "execnet", "pytest_timeout", "nbval.plugin",
    "nbformat", "jupyter_client", "ipykernel.kernelapp", "ipykernel.ipkernel", "IPython",
    "matplotlib_inline.backend_inline", "ipywidgets",
]


def main():
    t0 = time.time()
    failed = []
    for name in OUTSIDE_THE_PACKAGE:
        try:
            importlib.import_module(name)
        except Exception as e:  # noqa: BLE001 - a module that does not import is only not compiled
            failed.append(f"{name} ({type(e).__name__})")
    repo = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(repo))
    import cs231n

    for info in pkgutil.walk_packages(cs231n.__path__, "cs231n."):
        try:
            importlib.import_module(info.name)
        except Exception as e:  # noqa: BLE001 - as above (a blank module in a student's edition, say)
            failed.append(f"{info.name} ({type(e).__name__})")
    print(f"compile_imports: {len(sys.modules)} modules imported and compiled in {time.time() - t0:.0f} s"
          + (f"; not importable: {', '.join(failed)}" if failed else ""))


if __name__ == "__main__":
    main()
