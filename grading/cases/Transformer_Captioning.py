"""Graded cases of Transformer_Captioning. Grader side only (see grading/README.md)."""

import numpy as np

DRIVERS = "Transformer_Captioning"
# CaptioningTransformer.forward runs with a given encoding table, torch's attention and the given classic
# decoder layer; TransformerDecoderLayer.forward with torch's attention and its dropouts as fixed scalings.
NEEDS = {}
DRIVER_OF = {"PositionalEncoding.__init__": "positional_encoding_init",
             "PositionalEncoding.forward": "positional_encoding_forward",
             "MultiHeadAttention.forward": "multi_head_attention_forward",
             "TransformerDecoderLayer.forward": "transformer_decoder_layer_forward",
             "CaptioningTransformer.forward": "captioning_transformer_forward"}
BUDGET_S = 60


def cases(rng):
    n = rng.standard_normal
    f32 = {"rtol": 1e-4, "atol": 1e-5}
    out = [("PositionalEncoding.__init__", "D=6, 12 positions", {"D": np.asarray(6), "L": np.asarray(12)}, f32),
           ("PositionalEncoding.__init__", "D=16, 200 positions", {"D": np.asarray(16), "L": np.asarray(200)}, f32),
           ("PositionalEncoding.forward", "N=2 S=5", {"D": np.asarray(8), "L": np.asarray(9), "table": n((1, 9, 8)),
                                                      "x": n((2, 5, 8)), "seed": np.asarray(5)}, f32)]
    E, H = 8, 2
    out.append(("MultiHeadAttention.forward", "self-attention", {"E": np.asarray(E), "H": np.asarray(H),
                                                                  "seed": np.asarray(1), "query": n((2, 4, E)),
                                                                  "key": (x := n((2, 4, E))), "value": x}, f32))
    out.append(("MultiHeadAttention.forward", "masked cross-attention",
                {"E": np.asarray(E), "H": np.asarray(H), "seed": np.asarray(2), "query": n((2, 3, E)),
                 "key": n((2, 5, E)), "value": n((2, 5, E)), "mask": (rng.random((3, 5)) > 0.4).astype(np.int64)
                 | np.eye(3, 5, dtype=np.int64)}, f32))
    D = 8
    out.append(("TransformerDecoderLayer.forward", "causal mask, memory of 3",
                {"D": np.asarray(D), "H": np.asarray(2), "F": np.asarray(16), "seed": np.asarray(1),
                 "tgt": n((2, 5, D)), "memory": n((2, 3, D)), "mask": np.tril(np.ones((5, 5), dtype=np.int64))}, f32))
    out.append(("TransformerDecoderLayer.forward", "no mask, memory of 1",
                {"D": np.asarray(D), "H": np.asarray(4), "F": np.asarray(12), "seed": np.asarray(2),
                 "tgt": n((3, 4, D)), "memory": n((3, 1, D))}, f32))
    V, L = 9, 8
    captions = rng.integers(0, V, size=(3, 6))
    captions[:, 0] = 1
    out.append(("CaptioningTransformer.forward", "N=3 T=6", {"V": np.asarray(V), "D": np.asarray(5),
                                                              "W": np.asarray(8), "L": np.asarray(L),
                                                              "table": n((1, L, 8)), "features": n((3, 5)),
                                                              "captions": captions}, f32))
    return out
