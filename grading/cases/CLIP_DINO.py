"""Graded cases of CLIP_DINO. Grader side only (see grading/README.md)."""

import numpy as np

DRIVERS = "CLIP_DINO"
DRIVER_OF = {"CLIPImageRetriever.__init__": "clip_image_retriever",
             "CLIPImageRetriever.retrieve": "clip_image_retriever",
             "DINOSegmentation.__init__": "dino_segmentation",
             "DINOSegmentation.train": "dino_segmentation",
             "DINOSegmentation.inference": "dino_segmentation"}
# clip_zero_shot_classifier runs with torch's cosine similarity in place of get_similarity_no_loop. The
# retriever's methods, and the segmentation head's, are graded together: what __init__ keeps and how
# the head is built are the student's choice.
NEEDS = {"CLIPImageRetriever.__init__": ["CLIPImageRetriever.retrieve"],
         "CLIPImageRetriever.retrieve": ["CLIPImageRetriever.__init__"],
         "DINOSegmentation.__init__": ["DINOSegmentation.train", "DINOSegmentation.inference"],
         "DINOSegmentation.train": ["DINOSegmentation.__init__", "DINOSegmentation.inference"],
         "DINOSegmentation.inference": ["DINOSegmentation.__init__", "DINOSegmentation.train"]}
BUDGET_S = 60

N_WORDS = 4  # the drivers' fake CLIP knows four class words


def _features(rng, n, d, lo, hi):
    """Rows of very different lengths, so that a missing normalisation changes the answer."""
    return rng.standard_normal((n, d)) * np.geomspace(lo, hi, n)[:, None]


def _clusters(rng, n_per_class, dim, classes):
    centers = 2 * rng.standard_normal((classes, dim)) + 3  # off the origin: one optimiser step is not enough
    y = np.repeat(np.arange(classes), n_per_class)
    x = centers[y] + 0.7 * rng.standard_normal((len(y), dim))
    perm = rng.permutation(len(y))
    return x[perm], y[perm]


def cases(rng):
    n = rng.standard_normal
    f32 = {"rtol": 1e-4, "atol": 1e-5}
    exact = {"rtol": 0, "atol": 0}
    out = []
    for N, D, scale in ((4, 6, 3.0), (6, 3, 14.3)):
        out.append(("clip_contrastive_loss", f"N={N} scale {scale}",
                    {"image": _features(rng, N, D, 0.3, 8), "text": _features(rng, N, D, 5, 0.2),
                     "scale": np.asarray(scale)}, f32))
    out.append(("get_similarity_no_loop", "3 texts, 5 images",
                {"text": _features(rng, 3, 4, 0.2, 9), "image": _features(rng, 5, 4, 7, 0.3)}, f32))
    for k, M in enumerate((7, 5)):
        fake = {"image": _features(rng, M, 6, 0.1, 20), "text": _features(rng, N_WORDS, 6, 30, 0.05)}
        out.append(("clip_zero_shot_classifier", f"{M} images, fake CLIP {k}", fake, exact))
        if k == 0:
            fake = {"image": _features(rng, 9, 6, 0.1, 20), "text": _features(rng, N_WORDS, 6, 30, 0.05)}
            out.append(("CLIPImageRetriever.__init__", "9 images, fake CLIP", fake, exact))
            out.append(("CLIPImageRetriever.retrieve", "9 images, fake CLIP", fake, exact))
    for ncrops, temps in ((2, (0.2, 0.07)), (4, (0.3, 0.05)), (3, None)):
        N, K = 3, 7
        case = {"student": n((ncrops * N, K)), "teacher": n((2 * N, K)), "center": n((1, K)), "ncrops": np.asarray(ncrops)}
        if temps:
            case.update(student_temp=np.asarray(temps[0]), teacher_temp=np.asarray(temps[1]))
        out.append(("dino_loss", f"ncrops={ncrops}, " + (f"temperatures {temps}" if temps else "default temperatures"),
                    case, f32))
    out.append(("update_center", "momentum 0.8", {"center": n((1, 5)), "teacher": n((8, 5)), "momentum": np.asarray(0.8)}, f32))
    out.append(("update_center", "default momentum", {"center": n((1, 5)), "teacher": n((6, 5))}, f32))
    for momentum in (0.7, None):
        case = {"seed": np.asarray(int(rng.integers(1000)))}
        if momentum is not None:
            case["momentum"] = np.asarray(momentum)
        out.append(("update_teacher", f"momentum {momentum if momentum is not None else 'default'}", case, f32))
    x, y = _clusters(rng, 60, 16, 3)
    three = {"x": x, "y": y, "n_train": np.asarray(120), "classes": np.asarray(3), "inp_dim": np.asarray(16),
             "iters": np.asarray(300), "seed": np.asarray(9)}
    x, y = _clusters(rng, 40, 384, 2)
    default = {"x": x, "y": y, "n_train": np.asarray(60), "classes": np.asarray(2), "iters": np.asarray(100),
               "seed": np.asarray(10)}
    for fn in ("DINOSegmentation.__init__", "DINOSegmentation.train", "DINOSegmentation.inference"):
        out.append((fn, "3 clusters in 16 dimensions", three, exact))
        out.append((fn, "2 clusters in 384 dimensions (default inp_dim)", default, exact))
    return out
