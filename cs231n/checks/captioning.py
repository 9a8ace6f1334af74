"""References for the captioning notebooks' checks of CaptioningRNN's test-time decoding.

The reference runs the model's weights through torch.nn.RNNCell / torch.nn.LSTMCell (float64),
independently of cs231n.rnn_layers, so that a check compares the student's code with something the
student did not write. The numpy assignment itself never imports torch; only these checks do, and
students never need to read this module.
"""

import numpy as np
import torch


def up_to_end(captions, end):
    """Each caption (a row of word indices) as a list up to and including its first `end`.

    The classic lets CaptioningRNN.sample keep writing after <END> (stopping is optional), so
    captions are compared only up to there.
    """
    out = []
    for row in np.asarray(captions).tolist():
        out.append(row[:row.index(end) + 1] if end in row else row)
    return out


def _float64(a):
    """An array (or array-like) as a float64 tensor."""
    return torch.tensor(np.asarray(a, dtype=np.float64))


def _torch_cell(params, cell_type):
    """A torch cell holding the model's recurrent weights (torch orders the LSTM gates i, f, g, o)."""
    Wx, Wh, b = (_float64(params[k]) for k in ("Wx", "Wh", "b"))
    D, G = Wx.shape
    if cell_type == "rnn":
        cell = torch.nn.RNNCell(D, G, nonlinearity="tanh").double()
    else:
        H = G // 4
        order = np.r_[0:2 * H, 3 * H:4 * H, 2 * H:3 * H]
        Wx, Wh, b = Wx[:, order], Wh[:, order], b[order]
        cell = torch.nn.LSTMCell(D, H).double()
    with torch.no_grad():
        cell.weight_ih.copy_(Wx.T)
        cell.weight_hh.copy_(Wh.T)
        cell.bias_ih.copy_(b)
        cell.bias_hh.zero_()
    return cell


def reference_decode_step(params, cell_type, words, prev_h, prev_c):
    """One decoding step, as _decode_step defines it: numpy (scores (N, V), next_h, next_c)."""
    cell = _torch_cell(params, cell_type)
    with torch.no_grad():
        x = _float64(params["W_embed"])[torch.as_tensor(np.asarray(words), dtype=torch.long)]
        if cell_type == "rnn":
            next_h, next_c = cell(x, _float64(prev_h)), _float64(prev_c)
        else:
            next_h, next_c = cell(x, (_float64(prev_h), _float64(prev_c)))
        scores = torch.addmm(_float64(params["b_vocab"]), next_h, _float64(params["W_vocab"]))
    return scores.numpy(), next_h.numpy(), next_c.numpy()


def reference_greedy_captions(params, cell_type, features, start, end, max_length):
    """Greedy captions of a CaptioningRNN with these params, each a list up to and including <END>."""
    cell = _torch_cell(params, cell_type)
    W_embed, W_vocab, b_vocab = (_float64(params[k]) for k in ("W_embed", "W_vocab", "b_vocab"))
    with torch.no_grad():
        state = torch.addmm(_float64(params["b_proj"]), _float64(features), _float64(params["W_proj"]))
        if cell_type == "lstm":
            state = (state, torch.zeros_like(state))
        word = torch.full((len(features),), start, dtype=torch.long)
        chosen = []
        for _ in range(max_length):
            state = cell(W_embed[word], state)
            hidden = state if cell_type == "rnn" else state[0]
            word = torch.addmm(b_vocab, hidden, W_vocab).max(dim=1).indices
            chosen.append(word.numpy())
    return up_to_end(np.stack(chosen, axis=1), end)


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
