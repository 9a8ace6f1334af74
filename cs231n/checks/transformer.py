"""Independent checks of the Transformer layers (notebook and tests); students need not read this.

Everything here treats the student's layers as black boxes: it reads only the classic attributes
(`query`, `key`, `value`, `proj`, `attn_drop`, `n_head` of MultiHeadAttention; the layers of
CaptioningTransformer) and calls `forward`. Nothing reads an attribute the classic assignment does not
define, so a solution written to the classic specification can be checked as it is. Nothing here
computes what a blank computes: the oracles are torch.nn modules holding the same weights, readings of
the student's own layer, and values stored in ``transformer_values.npz`` (written from the instructors'
solutions by tools/make_captioning_check_values.py).

- stored_positional_encoding: the sine/cosine table, stored in float64 for widths 8, 12 and 16.
- torch_reference_attention: torch.nn.MultiheadAttention holding the same weights.
- read_attention_weights: the per-head weights of a MultiHeadAttention, read off its output.
- attention_maps: those weights for every attention layer of a CaptioningTransformer on one input.
- attention_dropout_probe: many dropout draws of one set of attention weights, read off the output.
- forward_case / load_forward_case: a CaptioningTransformer's stored weights, inputs and scores.
"""

import copy
import math
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn


VALUES_FILE = Path(__file__).with_name("transformer_values.npz")


def _stored(prefix):
    """{name: array} of the stored values whose key starts with prefix (the prefix removed)."""
    with np.load(VALUES_FILE, allow_pickle=False) as stored:
        return {k[len(prefix):]: stored[k].copy() for k in stored.files if k.startswith(prefix)}


def stored_positional_encoding(max_len, embed_dim):
    """The sine/cosine encodings of positions 0 .. max_len - 1, stored in float64: (1, max_len, embed_dim).

    PE[0, i, j] = sin(i * 10000^(-j / D)) for even j and cos(i * 10000^(-(j - 1) / D)) for odd j.
    """
    tables = _stored("pe/")
    table = tables.get(str(embed_dim))
    if table is None or max_len > len(table):
        raise ValueError(f"no stored positional encodings for embed_dim={embed_dim}, max_len={max_len}: stored "
                         f"are widths {sorted(int(d) for d in tables)} up to {len(next(iter(tables.values())))} positions")
    return torch.from_numpy(table[:max_len]).unsqueeze(0)


def forward_case():
    """The stored CaptioningTransformer case: a dict with the model's arguments ("model_kwargs"), its
    parameters by name ("params", float64 tensors), "features" (N, D), "captions" (N, T) and the
    "scores" (N, T, V) a correct forward gives in eval mode (float64)."""
    values = _stored("case/")
    word_to_idx = {"<NULL>": 0, "<START>": 1, "<END>": 2, "cat": 3, "dog": 4}
    params = {k[len("param/"):]: torch.from_numpy(v) for k, v in values.items() if k.startswith("param/")}
    layers = {int(k.split(".")[2]) for k in params if k.startswith("transformer.layers.")}
    W = params["embedding.weight"].shape[1]
    ffn = next(v.shape[0] for k, v in params.items() if k.startswith("transformer.layers.0.")
               and k.endswith(("fc1.weight", "linear1.weight")))
    kwargs = {"word_to_idx": word_to_idx, "input_dim": params["visual_projection.weight"].shape[1],
              "wordvec_dim": W, "num_heads": int(values["num_heads"]), "num_layers": len(layers),
              "max_length": int(values["max_length"]), "dim_feedforward": ffn}
    return {"model_kwargs": kwargs, "params": params, "features": torch.from_numpy(values["features"]),
            "captions": torch.from_numpy(values["captions"]), "scores": torch.from_numpy(values["scores"])}


def load_forward_case(model):
    """Copy the stored case's parameters into `model` (a float64 CaptioningTransformer built with
    forward_case()["model_kwargs"]). Returns (features, captions, expected scores)."""
    case = forward_case()
    ours = dict(model.named_parameters())
    if set(ours) != set(case["params"]) or any(ours[k].shape != v.shape for k, v in case["params"].items()):
        raise ValueError("the model's parameters differ from the stored case's: build it as "
                         "CaptioningTransformer(**forward_case()['model_kwargs']).double()")
    with torch.no_grad():
        for name, value in case["params"].items():
            ours[name].copy_(value)
    return case["features"], case["captions"], case["scores"]


def _copy_attention_weights(ours, theirs):
    """Copy a MultiHeadAttention's four projections into a torch.nn.MultiheadAttention.

    PyTorch packs the query, key and value projections into one (3E, E) matrix, in that order, and
    calls the output projection out_proj.
    """
    with torch.no_grad():
        theirs.in_proj_weight.copy_(torch.cat([ours.query.weight, ours.key.weight, ours.value.weight]))
        theirs.in_proj_bias.copy_(torch.cat([ours.query.bias, ours.key.bias, ours.value.bias]))
        theirs.out_proj.weight.copy_(ours.proj.weight)
        theirs.out_proj.bias.copy_(ours.proj.bias)


def torch_reference_attention(mha):
    """A torch.nn.MultiheadAttention holding the same weights as the MultiHeadAttention `mha`.

    Call it as ``ref(q, k, v, attn_mask=(mask == 0), average_attn_weights=False)``: its boolean mask
    is True where attention is NOT allowed, the opposite of ours. It returns (output, weights).
    """
    weight = mha.query.weight
    E = weight.shape[1]
    ref = nn.MultiheadAttention(E, mha.n_head, dropout=mha.attn_drop.p, batch_first=True)
    ref = ref.to(device=weight.device, dtype=weight.dtype)
    _copy_attention_weights(mha, ref)
    return ref


def _make_value_and_proj_identity(mha):
    """Value and output projections become the identity: the output is then the heads' A_h V_h side by side."""
    E = mha.proj.weight.shape[0]
    with torch.no_grad():
        for layer in (mha.value, mha.proj):
            layer.weight.copy_(torch.eye(E, dtype=layer.weight.dtype, device=layer.weight.device))
            layer.bias.zero_()


def read_attention_weights(mha, query, key, attn_mask=None):
    """The per-head attention weights of `mha` for these inputs, read off its output in eval mode.

    A copy of `mha` gets identity value and output projections. Head h then outputs A_h V_h in
    columns h*Dh ... (h+1)*Dh - 1, so with value vectors that are one-hot (key t written in column
    t of every head) the output holds the weights A_h[s, t] themselves, exactly (products with 1 and
    0). Keys are read Dh at a time. Only the student's forward computes the weights.

    Inputs: query (N, S, E), key (N, T, E), attn_mask (S, T) or None, as for forward.
    Returns: weights of shape (N, H, S, T), detached.
    """
    probe = copy.deepcopy(mha).eval()
    _make_value_and_proj_identity(probe)
    H = probe.n_head
    N, S, E = query.shape
    T = key.shape[1]
    Dh = E // H
    weights = query.new_zeros(N, H, S, T)
    with torch.no_grad():
        for start in range(0, T, Dh):
            stop = min(start + Dh, T)
            values = key.new_zeros(N, T, E)
            for c, t in enumerate(range(start, stop)):
                values[:, t, c::Dh] = 1.0  # column h * Dh + c of every head h
            out = probe(query, key, values, attn_mask=attn_mask).view(N, S, H, Dh)
            weights[..., start:stop] = out[..., : stop - start].permute(0, 2, 1, 3)
    return weights


def attention_maps(model, features, captions):
    """The attention weights of every decoder layer of a CaptioningTransformer on one input.

    Runs model(features, captions) once in eval mode, recording what each layer's self_attn and
    multihead_attn receive, then reads their weights with read_attention_weights.
    Returns a list with one dict per layer: {"self": (N, H, T, T), "cross": (N, H, T, 1)}.
    """
    calls = {}

    def recorder(name):
        def hook(module, args, kwargs):
            names = ("query", "key", "value", "attn_mask")
            given = dict(zip(names, args))
            given.update(kwargs)
            calls[name] = (module, given)
        return hook

    handles = []
    for i, layer in enumerate(model.transformer.layers):
        for kind, module in (("self", layer.self_attn), ("cross", _decoder_parts(layer)[0]["multihead_attn"])):
            handles.append(module.register_forward_pre_hook(recorder((i, kind)), with_kwargs=True))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(features, captions)
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    maps = []
    for i in range(len(model.transformer.layers)):
        maps.append({})
        for kind in ("self", "cross"):
            module, given = calls[(i, kind)]
            maps[i][kind] = read_attention_weights(module, given["query"], given["key"], given.get("attn_mask"))
    return maps


def attention_dropout_probe(attention_class, p, num_heads=2, seq_len=4, num_draws=8000, seed=0):
    """Many training-mode dropout draws of one set of attention weights, read off the output.

    Builds attention_class(E, num_heads, dropout=p) (the student's MultiHeadAttention) with identity
    value and output projections and one-hot values in which key t is written twice per head (at
    offsets t and seq_len + t), so that the output holds every head's weights twice. One random
    input is repeated num_draws times: in training mode each copy is an independent dropout draw.

    Returns (dropped, copy, clean), each of shape (num_draws, num_heads, seq_len, seq_len): the
    weights read in training mode from the first and the second offset, and in eval mode. Dropout on
    the attention weights makes the two training-mode readings identical; dropout on the values or
    the output would drop them independently.
    """
    g = torch.Generator().manual_seed(seed)
    T, H = seq_len, num_heads
    E = H * 2 * T
    mha = attention_class(E, H, dropout=p)
    with torch.no_grad():
        for layer in (mha.key, mha.query):
            layer.weight.copy_(torch.randn(E, E, generator=g) / math.sqrt(E))
    _make_value_and_proj_identity(mha)
    one_hot = torch.eye(T).repeat(1, 2)  # (T, 2T): key t -> [e_t, e_t]
    values = one_hot.repeat(1, H).expand(num_draws, T, E)  # (num_draws, T, E)
    x = torch.randn(1, T, E, generator=g).expand(num_draws, T, E)
    with torch.no_grad():
        clean = mha.eval()(x, x, values).view(num_draws, T, H, 2, T)
        dropped = mha.train()(x, x, values).view(num_draws, T, H, 2, T)
    # (num_draws, S, H, 2, T) -> (num_draws, H, S, T) for each reading
    return (dropped[:, :, :, 0].transpose(1, 2), dropped[:, :, :, 1].transpose(1, 2),
            clean[:, :, :, 0].transpose(1, 2))


def _decoder_parts(layer):
    """A decoder layer's parts under torch.nn.TransformerDecoderLayer's names, and its activation: the
    2025 layer (cross_attn, ffn.fc1/fc2, norm_self/norm_cross/norm_ffn, GELU) or the classic one
    (multihead_attn, linear1/linear2, norm1-norm3, ReLU)."""
    if hasattr(layer, "cross_attn"):
        return ({"self_attn": layer.self_attn, "multihead_attn": layer.cross_attn, "linear1": layer.ffn.fc1,
                 "linear2": layer.ffn.fc2, "norm1": layer.norm_self, "norm2": layer.norm_cross,
                 "norm3": layer.norm_ffn}, "gelu")
    names = ("self_attn", "multihead_attn", "linear1", "linear2", "norm1", "norm2", "norm3")
    return {name: getattr(layer, name) for name in names}, "relu"
