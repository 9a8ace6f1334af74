"""The comparison behind every tools/make_*_check_values.py --check (instructors only).

Stored check values (cs231n/checks/*.npz) ship instead of references of the blanks; each make_* tool
computes them from the solutions, and its --check (and its test) asks whether the committed file still
holds what the solutions give. This module is that question, asked one way for every tool.
"""

import numpy as np


def differences(path, fresh, rtol=0.0, atol=1e-12, fix="run the tool that writes it"):
    """What differs between the committed .npz at path and the fresh values {key: array}: one line per
    key only in one of them, or of another shape, kind of dtype or value (np.allclose with rtol, atol).
    Empty when they agree. `fix` says how to write the file again where it is missing."""
    if not path.exists():
        return [f"{path.name} is missing: {fix}"]
    with np.load(path, allow_pickle=False) as stored:
        keys = set(stored.files)
        out = [f"{path.name}: {k} only in the committed file" for k in sorted(keys - set(fresh))]
        out += [f"{path.name}: {k} missing from the committed file" for k in sorted(set(fresh) - keys)]
        for k in sorted(keys & set(fresh)):
            a, b = stored[k], np.asarray(fresh[k])
            if a.shape != b.shape or a.dtype.kind != b.dtype.kind or not np.allclose(a, b, rtol=rtol, atol=atol):
                out.append(f"{path.name}: {k} differs from what the solutions give")
    return out
