"""The stored values of the captioning checks are what the solutions give, and the solutions agree with
torch.nn references.

Instructor-only (INSTRUCTOR_ONLY in tools/build_student.py): the references below write out what
the blanks compute (the greedy decoder, CaptioningTransformer.forward's glue, the encoding formula),
so they never ship. The shipped checks compare with cs231n/checks/captioning_values.npz and
transformer_values.npz, which tools/make_captioning_check_values.py writes from the solutions.
"""

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn as nn

from cs231n.checks.captioning import decoding_case, log_softmax, up_to_end
from cs231n.checks.transformer import _copy_attention_weights, _decoder_parts, forward_case, stored_positional_encoding

TOOL = Path(__file__).resolve().parent.parent / "tools" / "make_captioning_check_values.py"


def _tool():
    spec = importlib.util.spec_from_file_location("make_captioning_check_values", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_check_values_are_what_the_solutions_give():
    tool = _tool()
    problems = [line for path, fresh in tool.all_values().items() for line in tool._differences(path, fresh)]
    assert not problems, ("stored check values are stale; run `python tools/make_captioning_check_values.py`:\n"
                          + "\n".join(problems))


# ---------------------------------------------------------------------------------------------
# CaptioningRNN decoding: torch.nn.RNNCell / LSTMCell holding the case's weights


def _float64(a):
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


def _torch_step(cell, params, cell_type, words, state):
    x = _float64(params["W_embed"])[torch.as_tensor(np.asarray(words), dtype=torch.long)]
    state = cell(x, state)
    hidden = state if cell_type == "rnn" else state[0]
    return torch.addmm(_float64(params["b_vocab"]), hidden, _float64(params["W_vocab"])), state


@pytest.mark.parametrize("cell_type", ["rnn", "lstm"])
def test_stored_decoding_step_matches_torch_cells(cell_type):
    case = decoding_case(cell_type)
    cell = _torch_cell(case.params, cell_type)
    state = _float64(case.prev_h) if cell_type == "rnn" else (_float64(case.prev_h), _float64(case.prev_c))
    with torch.no_grad():
        scores, state = _torch_step(cell, case.params, cell_type, case.words, state)
    next_h, next_c = (state, _float64(case.prev_c)) if cell_type == "rnn" else state
    assert np.abs(log_softmax(scores.numpy()) - case.log_probs).max() < 1e-10
    assert np.abs(next_h.numpy() - case.next_h).max() < 1e-10
    assert np.abs(next_c.numpy() - case.next_c).max() < 1e-10


@pytest.mark.parametrize("cell_type", ["rnn", "lstm"])
def test_stored_greedy_captions_match_torch_cells(cell_type):
    case = decoding_case(cell_type)
    end = case.word_to_idx["<END>"]
    cell = _torch_cell(case.params, cell_type)
    with torch.no_grad():
        state = torch.addmm(_float64(case.params["b_proj"]), _float64(case.features), _float64(case.params["W_proj"]))
        if cell_type == "lstm":
            state = (state, torch.zeros_like(state))
        word = torch.full((len(case.features),), case.word_to_idx["<START>"], dtype=torch.long)
        chosen = []
        for _ in range(case.max_length):
            scores, state = _torch_step(cell, case.params, cell_type, word, state)
            word = scores.max(dim=1).indices
            chosen.append(word.numpy())
    assert up_to_end(np.stack(chosen, axis=1), end) == case.captions
    ended = sum(c[-1] == end for c in case.captions)
    assert 2 <= ended <= len(case.captions) - 2, f"{ended} of {len(case.captions)} captions end: the case sees too little"


# ---------------------------------------------------------------------------------------------
# Transformer: the encoding formula one dimension at a time; torch.nn.TransformerDecoder


def test_stored_positional_encodings_match_the_formula():
    for D in (8, 12, 16):
        table = stored_positional_encoding(200, D)[0]
        for i in (0, 1, 7, 199):
            for j in range(D):
                rate = 10000.0 ** (-(j - j % 2) / D)
                expected = math.sin(i * rate) if j % 2 == 0 else math.cos(i * rate)
                assert abs(table[i, j].item() - expected) < 1e-12, (D, i, j)


def _torch_reference_scores(model, features, captions):
    """CaptioningTransformer's scores recomputed with torch.nn.TransformerDecoder and the same weights."""
    layers = model.transformer.layers
    W = model.embedding.embedding_dim
    parts, activation = _decoder_parts(layers[0])
    ref_layer = nn.TransformerDecoderLayer(W, layers[0].self_attn.n_head, parts["linear1"].out_features,
                                           dropout=0.0, activation=activation, batch_first=True)
    ref = nn.TransformerDecoder(ref_layer, num_layers=len(layers)).double().eval()
    for ours, theirs in zip(layers, ref.layers):
        ours = _decoder_parts(ours)[0]
        _copy_attention_weights(ours["self_attn"], theirs.self_attn)
        _copy_attention_weights(ours["multihead_attn"], theirs.multihead_attn)
        for name in ("linear1", "linear2", "norm1", "norm2", "norm3"):
            getattr(theirs, name).load_state_dict(ours[name].state_dict())
    with torch.no_grad():
        T = captions.shape[1]
        tgt = model.embedding(captions) + stored_positional_encoding(T, W)
        memory = model.visual_projection(features).unsqueeze(1)
        causal = nn.Transformer.generate_square_subsequent_mask(T, dtype=tgt.dtype)
        return model.output(ref(tgt, memory, tgt_mask=causal))


def test_stored_transformer_scores_match_torch_transformer_decoder():
    from cs231n.checks.transformer import load_forward_case
    from cs231n.classifiers.transformer import CaptioningTransformer

    model = CaptioningTransformer(**forward_case()["model_kwargs"]).double().eval()
    features, captions, scores = load_forward_case(model)
    err = (_torch_reference_scores(model, features, captions) - scores).abs().max().item()
    # The reference's encodings are float64; the solution's table is float32 (given code).
    assert err < 1e-6, f"stored CaptioningTransformer scores differ from torch.nn.TransformerDecoder by {err:.1e}"
