#!/usr/bin/env python3
"""Write cs231n/checks/clip_dino_values.npz, the CLIP loss values the shipped tests compare with.

    python tools/make_clip_dino_check_values.py [--check]

The values come from the instructor's solution of `clip_contrastive_loss` (cs231n/clip_dino.py) on
fixed inputs, which are stored too: the student edition ships the numbers, never the loss written out.
--check compares the committed file with freshly computed values and exits 1 when they differ.
Instructor-only (tools/build_student.py INSTRUCTOR_ONLY); tests/test_clip_dino_check_values.py
checks the file against an independent cross-entropy form.
"""

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

from cs231n.clip_dino import clip_contrastive_loss

import check_values  # tools/: the comparison every make_*_check_values.py shares

OUT = Path(__file__).resolve().parent.parent / "cs231n" / "checks" / "clip_dino_values.npz"


def compute():
    """{name: array}: the inputs of the contrastive-loss case and the solution's loss and gradients."""
    rng = np.random.default_rng(231)
    img = rng.standard_normal((6, 4)).astype(np.float32)
    txt = rng.standard_normal((6, 4)).astype(np.float32)
    scale = np.float32(2.5)
    i, t, s = (torch.tensor(a, requires_grad=True) for a in (img, txt, np.asarray(scale)))
    loss = clip_contrastive_loss(i, t, s)
    grads = torch.autograd.grad(loss, (i, t, s))
    return {"contrastive/image_features": img, "contrastive/text_features": txt,
            "contrastive/logit_scale": np.asarray(scale), "contrastive/loss": loss.detach().numpy(),
            **{f"contrastive/d_{name}": g.numpy() for name, g in
               zip(("image_features", "text_features", "logit_scale"), grads)}}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed file instead of writing")
    args = parser.parse_args(argv)
    values = compute()
    if args.check:
        bad = check_values.differences(OUT, values, rtol=1e-6, atol=1e-7,
                                       fix="run python tools/make_clip_dino_check_values.py")
        if bad:
            print(f"{OUT.name} is out of date ({'; '.join(bad)}): run python tools/make_clip_dino_check_values.py")
            return 1
        print(f"{OUT.name} matches the solution")
        return 0
    np.savez(OUT, **values)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
