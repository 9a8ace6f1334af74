#!/usr/bin/env python3
"""Write the stored values the Vision Transformer checks compare with, from the solutions.

    python tools/make_vit_check_values.py [--check]

The student edition's checks may not compute what a blank computes, so VisionTransformer.forward's
expected class scores ship as data: cs231n/checks/vit_values.npz (a small model's parameters, a batch
of images and the scores a correct forward gives, for cs231n.checks.vit). This tool computes them
with this repository's solutions; run it after changing a solution or the case. --check compares the
committed file with freshly computed values instead and exits 1 on a difference
(tests/test_vit_check_values.py does the same and also checks the solution against torch.nn).

Instructor-only: it needs the solutions.
"""

import argparse
import io
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import check_values  # noqa: E402  (tools/: the comparison every make_*_check_values.py shares)

VIT_FILE = REPO / "cs231n" / "checks" / "vit_values.npz"
# Small enough to store (about 9,000 parameters), deep enough that a layer missed shows: 16 patches of 4x4.
VIT_CASE = {"img_size": 16, "patch_size": 4, "in_channels": 3, "embed_dim": 16, "num_layers": 2, "num_heads": 2,
            "dim_feedforward": 32, "num_classes": 5}
NUM_IMAGES, SEED, SPREAD = 3, 231, 0.3


def vit_values():
    """{name: array} of the stored VisionTransformer case, from the solution's forward in eval mode."""
    import torch

    from cs231n.classifiers.transformer import VisionTransformer

    torch.manual_seed(SEED)
    model = VisionTransformer(**VIT_CASE).double().eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" not in name:  # weights well away from the small initial ones: confident, distinct scores
                p.normal_(0.0, SPREAD)
    images = torch.rand(NUM_IMAGES, VIT_CASE["in_channels"], VIT_CASE["img_size"], VIT_CASE["img_size"],
                        dtype=torch.float64)
    with torch.no_grad():
        logits = model(images)
    values = {f"kwarg/{k}": np.asarray(v) for k, v in VIT_CASE.items()}
    # Parameters only: the student's model keeps its own buffers (the positional-encoding table).
    values.update({f"param/{k}": v.detach().numpy() for k, v in model.named_parameters()})
    values.update({"images": images.numpy(), "logits": logits.numpy()})
    return values


def differences(path, fresh):
    """What differs between the committed file and fresh values: a list of lines (empty when equal)."""
    return check_values.differences(path, fresh, fix="run python tools/make_vit_check_values.py")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare the committed file instead of writing it")
    args = parser.parse_args(argv)
    fresh = vit_values()
    if args.check:
        problems = differences(VIT_FILE, fresh)
        print("\n".join(problems) or "stored ViT check values match the solution")
        return 1 if problems else 0
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **fresh)
    VIT_FILE.write_bytes(buffer.getvalue())
    print(f"wrote {VIT_FILE.relative_to(REPO)} ({len(fresh)} arrays, {VIT_FILE.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
