"""How the grader calls each graded function of RNN_Captioning (and LSTM_Captioning) in the sandbox.

One function per driver: it receives one case's inputs (numpy arrays) and returns the outputs to
compare (arrays). No expected value and no reference code lives here: this file runs beside the
submission. Backward drivers run the student's own forward pass first, for its cache.
"""

import importlib

import numpy as np


def _layers():
    return importlib.import_module("cs231n.rnn_layers")


def rnn_step_forward(i):
    next_h, _ = _layers().rnn_step_forward(i["x"], i["prev_h"], i["Wx"], i["Wh"], i["b"])
    return {"next_h": next_h}


def rnn_step_backward(i):
    m = _layers()
    _, cache = m.rnn_step_forward(i["x"], i["prev_h"], i["Wx"], i["Wh"], i["b"])
    dx, dprev_h, dWx, dWh, db = m.rnn_step_backward(i["dnext_h"], cache)
    return {"dx": dx, "dprev_h": dprev_h, "dWx": dWx, "dWh": dWh, "db": db}


def rnn_forward(i):
    h, _ = _layers().rnn_forward(i["x"], i["h0"], i["Wx"], i["Wh"], i["b"])
    return {"h": h}


def rnn_backward(i):
    m = _layers()
    _, cache = m.rnn_forward(i["x"], i["h0"], i["Wx"], i["Wh"], i["b"])
    dx, dh0, dWx, dWh, db = m.rnn_backward(i["dh"], cache)
    return {"dx": dx, "dh0": dh0, "dWx": dWx, "dWh": dWh, "db": db}


def word_embedding_forward(i):
    out, _ = _layers().word_embedding_forward(i["x"], i["W"])
    return {"out": out}


def word_embedding_backward(i):
    m = _layers()
    _, cache = m.word_embedding_forward(i["x"], i["W"])
    return {"dW": m.word_embedding_backward(i["dout"], cache)}


def lstm_step_forward(i):
    next_h, next_c, _ = _layers().lstm_step_forward(i["x"], i["prev_h"], i["prev_c"], i["Wx"], i["Wh"], i["b"])
    return {"next_h": next_h, "next_c": next_c}


def lstm_step_backward(i):
    m = _layers()
    _, _, cache = m.lstm_step_forward(i["x"], i["prev_h"], i["prev_c"], i["Wx"], i["Wh"], i["b"])
    dx, dh, dc, dWx, dWh, db = m.lstm_step_backward(i["dnext_h"], i["dnext_c"], cache)
    return {"dx": dx, "dprev_h": dh, "dprev_c": dc, "dWx": dWx, "dWh": dWh, "db": db}


def lstm_forward(i):
    h, _ = _layers().lstm_forward(i["x"], i["h0"], i["Wx"], i["Wh"], i["b"])
    return {"h": h}


def lstm_backward(i):
    m = _layers()
    _, cache = m.lstm_forward(i["x"], i["h0"], i["Wx"], i["Wh"], i["b"])
    dx, dh0, dWx, dWh, db = m.lstm_backward(i["dh"], cache)
    return {"dx": dx, "dh0": dh0, "dWx": dWx, "dWh": dWh, "db": db}


PARAMS = ("W_embed", "W_proj", "b_proj", "Wx", "Wh", "b", "W_vocab", "b_vocab")


def _model(i):
    from cs231n.classifiers.rnn import CaptioningRNN

    V = int(i["V"])
    words = ["<NULL>", "<START>", "<END>"] + [f"w{k}" for k in range(3, V)]
    cell = "lstm" if int(i["lstm"]) else "rnn"
    model = CaptioningRNN({w: k for k, w in enumerate(words)}, input_dim=int(i["D"]), wordvec_dim=int(i["W"]),
                          hidden_dim=int(i["H"]), cell_type=cell, dtype=np.float64)
    for name in PARAMS:
        model.params[name] = i["p_" + name].copy()
    return model


def captioning_loss(i):
    loss, grads = _model(i).loss(i["features"], i["captions"])
    return {"loss": np.asarray(loss, dtype=np.float64), **{"d" + k: grads[k] for k in PARAMS}}


def captioning_sample(i):
    captions = np.asarray(_model(i).sample(i["features"], max_length=int(i["T"])))
    end = 2
    # Positions after a caption's first <END> are free (the docstring): compare up to it.
    keep = np.cumsum(captions == end, axis=1) - (captions == end) == 0
    return {"captions": np.where(keep, captions, -1)}


def captioning_decode_step(i):
    """The scores up to a constant per row (what sampling and beam search rank by is their
    log-softmax, which the tests and the notebook's checks compare): their log-softmax is returned."""
    scores, next_h, next_c = _model(i)._decode_step(i["words"], i["prev_h"], i["prev_c"])
    scores = np.asarray(scores, dtype=np.float64)
    shifted = scores - scores.max(axis=-1, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return {"log_softmax": log_softmax, "next_h": next_h, "next_c": next_c}
