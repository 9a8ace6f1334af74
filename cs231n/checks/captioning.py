"""Numpy references for the captioning notebooks' checks of CaptioningRNN's test-time decoding.

They are written here, independently of cs231n.rnn_layers, so that a check compares the student's
code with something the student did not write. Students never need to read this module.
"""

import numpy as np


def up_to_end(captions, end):
    """Each caption (a row of word indices) as a list up to and including its first `end`.

    The classic lets CaptioningRNN.sample keep writing after <END> (stopping is optional), so
    captions are compared only up to there.
    """
    out = []
    for row in np.asarray(captions).tolist():
        out.append(row[:row.index(end) + 1] if end in row else row)
    return out


def reference_decode_step(params, cell_type, words, prev_h, prev_c):
    """One decoding step: (scores (N, V), next_h (N, H), next_c (N, H)), as _decode_step defines it."""
    x = params["W_embed"][words]  # (N, W)
    a = x @ params["Wx"] + prev_h @ params["Wh"] + params["b"]
    if cell_type == "rnn":
        next_h, next_c = np.tanh(a), prev_c
    else:
        H = prev_h.shape[1]
        gate = lambda k: 1.0 / (1.0 + np.exp(-a[:, k * H:(k + 1) * H]))
        i, f, o, g = gate(0), gate(1), gate(2), np.tanh(a[:, 3 * H:])
        next_c = f * prev_c + i * g
        next_h = o * np.tanh(next_c)
    return next_h @ params["W_vocab"] + params["b_vocab"], next_h, next_c


def reference_greedy_captions(params, cell_type, features, start, end, max_length):
    """Greedy captions of a CaptioningRNN with these params, each a list up to and including <END>."""
    h = features @ params["W_proj"] + params["b_proj"]
    c = np.zeros_like(h)
    words = np.full(features.shape[0], start)
    steps = []
    for _ in range(max_length):
        scores, h, c = reference_decode_step(params, cell_type, words, h, c)
        words = scores.argmax(axis=1)
        steps.append(words)
    return up_to_end(np.stack(steps, axis=1), end)


def random_captioning_params(model, features, max_length, seed=231):
    """Give every parameter of `model` random values, biases included, for a check of its decoding.

    Word vectors get unit scale (so that the word read in matters), weight matrices three times the
    scale of the model's own initialisation (so that captions vary from word to word instead of
    settling on one word), biases normal values of scale 0.3 (so that a decoder that drops one is
    caught). The bias of <END> is then raised until the reference decoder ends about half of the
    captions of `features` before max_length, so that the check also sees what a decoder does at
    <END>. A vocabulary of about 30 words and H of about 32 give varied captions. Returns the model.
    """
    rng = np.random.default_rng(seed)
    for k, v in model.params.items():
        scale = 0.3 if v.ndim == 1 else 1.0 if k == "W_embed" else 3.0 / np.sqrt(v.shape[0])
        model.params[k] = (scale * rng.standard_normal(v.shape)).astype(v.dtype)
    end, start = model.word_to_idx["<END>"], model.word_to_idx["<START>"]
    base = model.params["b_vocab"][end]
    for raise_by in np.arange(0.0, 20.0, 0.25):
        model.params["b_vocab"][end] = base + raise_by
        captions = reference_greedy_captions(model.params, model.cell_type, features, start, end, max_length)
        if sum(c[-1] == end for c in captions) >= len(captions) // 2:
            break
    return model
