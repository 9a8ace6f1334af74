"""Graded cases of Vision_Transformer. Grader side only (see grading/README.md)."""

import numpy as np

DRIVERS = "Vision_Transformer"
DRIVER_OF = {"PatchEmbedding.forward": "patch_embedding_forward",
             "TransformerEncoderLayer.forward": "transformer_encoder_layer_forward",
             "VisionTransformer.forward": "vision_transformer_forward"}
# The encoder layer runs with torch's attention in place of MultiHeadAttention.forward; VisionTransformer.forward
# with a convolution for the patches, a given table of encodings and torch's encoder layers. (The 2025 decoder
# layer, TransformerDecoderLayer.forward, is graded with Transformer_Captioning, where points.toml puts it.)
NEEDS = {}
BUDGET_S = 60


def cases(rng):
    n = rng.standard_normal
    f32 = {"rtol": 1e-4, "atol": 1e-5}
    out = []
    D, H = 8, 2
    for C, size, p in ((3, 8, 4), (2, 12, 3), (1, 6, 2)):
        out.append(("PatchEmbedding.forward", f"C={C} size={size} p={p}",
                    {"C": np.asarray(C), "size": np.asarray(size), "p": np.asarray(p), "D": np.asarray(5),
                     "seed": np.asarray(int(rng.integers(1000))), "x": n((2, C, size, size))}, f32))
    out.append(("TransformerEncoderLayer.forward", "no mask",
                {"D": np.asarray(D), "H": np.asarray(H), "F": np.asarray(16), "seed": np.asarray(3),
                 "src": n((2, 6, D))}, f32))
    mask = (rng.random((5, 5)) > 0.4).astype(np.int64) | np.eye(5, dtype=np.int64)
    out.append(("TransformerEncoderLayer.forward", "a random mask",
                {"D": np.asarray(D), "H": np.asarray(4), "F": np.asarray(12), "seed": np.asarray(4),
                 "src": n((3, 5, D)), "mask": mask}, f32))
    for size, p, L in ((8, 4, 2), (12, 3, 1)):
        P = (size // p) ** 2
        out.append(("VisionTransformer.forward", f"{P} patches, {L} layer(s)",
                    {"size": np.asarray(size), "p": np.asarray(p), "C": np.asarray(3), "D": np.asarray(8),
                     "H": np.asarray(2), "F": np.asarray(16), "L": np.asarray(L), "K": np.asarray(5),
                     "seed": np.asarray(int(rng.integers(1000))), "table": n((1, P + 3, 8)),
                     "x": n((3, 3, size, size))}, {"rtol": 1e-4, "atol": 1e-4}))
    return out
