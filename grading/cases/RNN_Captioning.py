"""Graded cases of RNN_Captioning: hidden inputs, tolerances, and which other functions a case needs.

Grader side only (never inside the sandbox, never shipped to students): tools/grade.py turns
cases() into the inputs the sandbox sees; the expected outputs come from running the same drivers
(grading/drivers/RNN_Captioning.py) on the instructor's solutions. See grading/README.md.
"""

import numpy as np

DRIVERS = "RNN_Captioning"
# A function whose case runs the student's own code of another function (its forward pass for the
# cache, or a layer the model calls) depends on it: that is said in its verdict when it fails.
NEEDS = {
    "rnn_step_backward": ["rnn_step_forward"],
    "rnn_backward": ["rnn_forward"],
    "word_embedding_backward": ["word_embedding_forward"],
    "CaptioningRNN.loss": ["rnn_forward", "rnn_backward", "word_embedding_forward", "word_embedding_backward"],
    "CaptioningRNN.sample": ["CaptioningRNN._decode_step"],
    "CaptioningRNN._decode_step": ["rnn_step_forward", "word_embedding_forward"],
}
DRIVER_OF = {"CaptioningRNN.loss": "captioning_loss", "CaptioningRNN.sample": "captioning_sample",
             "CaptioningRNN._decode_step": "captioning_decode_step"}
BUDGET_S = 30  # CPU-bound seconds one function's cases may take
PRELOAD = ["numpy"]  # numpy layers: no torch to import in the sandbox


def _n(rng, *shape, scale=1.0):
    return scale * rng.standard_normal(shape)


def step(rng, N, D, H):
    return {"x": _n(rng, N, D), "prev_h": _n(rng, N, H), "Wx": _n(rng, D, H, scale=0.3),
            "Wh": _n(rng, H, H, scale=0.3), "b": _n(rng, H), "dnext_h": _n(rng, N, H)}


def sequence(rng, N, T, D, H):
    return {"x": _n(rng, N, T, D), "h0": _n(rng, N, H), "Wx": _n(rng, D, H, scale=0.3),
            "Wh": _n(rng, H, H, scale=0.3), "b": _n(rng, H), "dh": _n(rng, N, T, H)}


def model(rng, N, T, D, W, H, V, lstm=False):
    G = 4 * H if lstm else H
    p = {"W_embed": _n(rng, V, W, scale=0.5), "W_proj": _n(rng, D, H, scale=0.3), "b_proj": _n(rng, H),
         "Wx": _n(rng, W, G, scale=0.3), "Wh": _n(rng, H, G, scale=0.3), "b": _n(rng, G),
         "W_vocab": _n(rng, H, V, scale=0.5), "b_vocab": _n(rng, V)}
    captions = rng.integers(0, V, size=(N, T + 1))
    captions[:, 0] = 1  # <START>
    captions[0, -2:] = 0  # <NULL> padding
    return {"V": np.asarray(V), "D": np.asarray(D), "W": np.asarray(W), "H": np.asarray(H), "T": np.asarray(T),
            "lstm": np.asarray(int(lstm)), "features": _n(rng, N, D), "captions": captions,
            "words": rng.integers(0, V, size=N), "prev_h": _n(rng, N, H), "prev_c": _n(rng, N, H),
            **{"p_" + k: v for k, v in p.items()}}


def cases(rng):
    """[(function, case name, inputs, tolerances)] where tolerances = {"rtol": .., "atol": ..}."""
    close = {"rtol": 1e-6, "atol": 1e-8}
    out = []
    for name, args in (("batch of 3", (3, 5, 4)), ("batch of one, wide state", (1, 3, 7))):
        s = step(rng, *args)
        out += [("rnn_step_forward", name, s, close), ("rnn_step_backward", name, s, close)]
    for name, args in (("N=2 T=4", (2, 4, 3, 5)), ("one step", (3, 1, 4, 2))):
        s = sequence(rng, *args)
        out += [("rnn_forward", name, s, close), ("rnn_backward", name, s, close)]
    V, W = 7, 3
    emb = {"x": rng.integers(0, V, size=(2, 4)), "W": _n(rng, V, W), "dout": _n(rng, 2, 4, W)}
    emb["x"][0, :2] = 5  # a repeated word: its gradient rows add up
    out += [("word_embedding_forward", "repeated words", emb, {"rtol": 0, "atol": 0}),
            ("word_embedding_backward", "repeated words", emb, close)]
    m = model(rng, N=3, T=5, D=6, W=4, H=5, V=9)
    out += [("CaptioningRNN.loss", "small model", m, close),
            ("CaptioningRNN._decode_step", "small model", m, close),
            ("CaptioningRNN.sample", "small model", m, {"rtol": 0, "atol": 0})]
    return out
