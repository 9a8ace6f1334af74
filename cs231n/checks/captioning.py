"""Stored cases for the captioning notebooks' checks of CaptioningRNN's test-time decoding.

A case is a small model with random weights (biases included), inputs for one decoding step and for
greedy sampling, and the outputs a correct CaptioningRNN gives on them: values stored in
``captioning_values.npz`` beside this module, not code that computes them. The instructors
regenerate the file from their solutions (``tools/make_captioning_check_values.py``), and their
tests check it against torch.nn.RNNCell / LSTMCell. Only numpy is needed here.
"""

from pathlib import Path
from types import SimpleNamespace

import numpy as np

VALUES_FILE = Path(__file__).with_name("captioning_values.npz")


def up_to_end(captions, end):
    """Each caption (a row of word indices) as a list up to and including its first `end`.

    The classic lets CaptioningRNN.sample keep writing after <END> (stopping is optional), so
    captions are compared only up to there.
    """
    out = []
    for row in np.asarray(captions).tolist():
        out.append(row[:row.index(end) + 1] if end in row else row)
    return out


def log_softmax(scores):
    """Log-probabilities from scores, along the last axis (what beam search ranks captions by)."""
    scores = np.asarray(scores, dtype=np.float64)
    shifted = scores - scores.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def decoding_case(cell_type):
    """The stored decoding case of one cell type ("rnn" or "lstm"), as a namespace.

    Build the model as ``CaptioningRNN(case.word_to_idx, input_dim=case.input_dim,
    wordvec_dim=case.wordvec_dim, hidden_dim=case.hidden_dim, cell_type=cell_type,
    dtype=np.float64)`` and give it ``case.params`` (fresh copies on every call). Then:

    - ``_decode_step(case.words, case.prev_h, case.prev_c)`` must give scores whose log-softmax is
      ``case.log_probs`` (N, V) (scores are defined up to a constant per row), and
      ``case.next_h``, ``case.next_c`` (N, H);
    - ``sample(case.features, max_length=case.max_length)`` must give ``case.captions`` up to
      <END> (a list of lists, see up_to_end). The weights are large enough that the captions vary
      from word to word, and the bias of <END> ends about half of them before max_length.
    """
    if cell_type not in ("rnn", "lstm"):
        raise ValueError(f'cell_type "{cell_type}": use "rnn" or "lstm"')
    with np.load(VALUES_FILE, allow_pickle=False) as stored:
        values = {k[len(cell_type) + 1:]: stored[k].copy() for k in stored.files if k.startswith(cell_type + "/")}
    V = len(values["b_vocab"])
    word_to_idx = {"<NULL>": 0, "<START>": 1, "<END>": 2, **{f"w{i}": i + 3 for i in range(V - 3)}}
    param_names = ("W_embed", "W_proj", "b_proj", "Wx", "Wh", "b", "W_vocab", "b_vocab")
    end = word_to_idx["<END>"]
    return SimpleNamespace(
        word_to_idx=word_to_idx,
        input_dim=values["W_proj"].shape[0],
        wordvec_dim=values["W_embed"].shape[1],
        hidden_dim=values["W_proj"].shape[1],
        params={k: values[k] for k in param_names},
        words=values["words"], prev_h=values["prev_h"], prev_c=values["prev_c"],
        log_probs=values["log_probs"], next_h=values["next_h"], next_c=values["next_c"],
        features=values["features"], max_length=int(values["captions"].shape[1]),
        captions=up_to_end(values["captions"], end),
    )
