"""The classic API contract of Transformer captioning (../shared/reference/classic_api.md): every name the official
CS231n assignment-3 notebooks (2019-2024) import from this package exists, with the classic signature
and return type. One file per notebook, so an edition without the notebook leaves its file out."""

import inspect

import numpy as np
import pytest


def _params(fn):
    """{name: default} of a function's parameters (inspect.Parameter.empty where there is none)."""
    return {p.name: p.default for p in inspect.signature(fn).parameters.values()}


# --------------------------------------------------------------------------------------------------
# Transformer
# --------------------------------------------------------------------------------------------------

def test_transformer_official_import_cell_works():
    ns = {}
    exec("from cs231n.transformer_layers import *\n"
         "from cs231n.classifiers.transformer import CaptioningTransformer\n"
         "from cs231n.captioning_solver_transformer import CaptioningSolverTransformer", ns)
    # torch too: the official notebook calls torch.manual_seed and torch.randn without importing torch.
    for name in ("PositionalEncoding", "MultiHeadAttention", "CaptioningTransformer", "CaptioningSolverTransformer",
                 "torch"):
        assert name in ns, f"the official Transformer notebook's imports do not give {name}"


def _classic_prefix(fn, params, defaults):
    """Assert that fn's parameters start with the classic ones, in order, with the classic defaults;
    any parameter after them (an extension) must have a default, so classic calls keep working."""
    got = _params(fn)
    names = [n for n in got if n != "self"]
    assert names[:len(params)] == params, f"{fn.__qualname__}{tuple(names)}, classic starts {tuple(params)}"
    for key, value in defaults.items():
        assert got[key] == value, f"{fn.__qualname__}: default {key}={got[key]!r}, classic {value!r}"
    extra = [n for n in names[len(params):] if got[n] is inspect.Parameter.empty
             and n not in ("args", "kwargs")]
    assert not extra, f"{fn.__qualname__}: parameters {extra} beyond the classic ones need defaults"


@pytest.mark.parametrize("qualname, params, defaults", [
    ("transformer_layers.PositionalEncoding.__init__", ["embed_dim", "dropout", "max_len"],
     {"dropout": 0.1, "max_len": 5000}),
    ("transformer_layers.PositionalEncoding.forward", ["x"], {}),
    ("transformer_layers.MultiHeadAttention.__init__", ["embed_dim", "num_heads", "dropout"], {"dropout": 0.1}),
    ("transformer_layers.MultiHeadAttention.forward", ["query", "key", "value", "attn_mask"], {"attn_mask": None}),
    ("classifiers.transformer.CaptioningTransformer.__init__",
     ["word_to_idx", "input_dim", "wordvec_dim", "num_heads", "num_layers", "max_length"],
     {"num_heads": 4, "num_layers": 2, "max_length": 50}),
    ("classifiers.transformer.CaptioningTransformer.forward", ["features", "captions"], {}),
    ("classifiers.transformer.CaptioningTransformer.sample", ["features", "max_length"], {"max_length": 30}),
    ("classifiers.transformer.TransformerDecoderLayer.__init__", ["input_dim", "num_heads", "dim_feedforward", "dropout"],
     {"dim_feedforward": 2048, "dropout": 0.1}),
    ("classifiers.transformer.TransformerDecoderLayer.forward", ["tgt", "memory", "tgt_mask"], {"tgt_mask": None}),
    ("classifiers.transformer.TransformerDecoder.__init__", ["decoder_layer", "num_layers"], {}),
    ("classifiers.transformer.TransformerDecoder.forward", ["tgt", "memory", "tgt_mask"], {"tgt_mask": None}),
    ("captioning_solver_transformer.CaptioningSolverTransformer.__init__", ["model", "data", "idx_to_word"], {}),
    ("captioning_solver_transformer.CaptioningSolverTransformer.train", [], {}),
    ("captioning_solver_transformer.CaptioningSolverTransformer.transformer_temporal_softmax_loss",
     ["x", "y", "mask"], {}),
])
def test_transformer_classic_signatures(qualname, params, defaults):
    import importlib

    module, *attrs = qualname.split(".")
    if module == "classifiers":
        module, attrs = f"classifiers.{attrs[0]}", attrs[1:]
    obj = importlib.import_module(f"cs231n.{module}")
    for attr in attrs:
        obj = getattr(obj, attr)
    _classic_prefix(obj, params, defaults)


def test_transformer_layers_have_the_classic_attributes():
    import torch.nn as nn

    from cs231n.transformer_layers import MultiHeadAttention, PositionalEncoding

    attn = MultiHeadAttention(8, 2, dropout=0.2)
    for name in ("key", "query", "value", "proj"):
        layer = getattr(attn, name)
        assert isinstance(layer, nn.Linear) and tuple(layer.weight.shape) == (8, 8), \
            f"MultiHeadAttention.{name} should be nn.Linear(embed_dim, embed_dim)"
    assert isinstance(attn.attn_drop, nn.Dropout) and attn.attn_drop.p == 0.2, "MultiHeadAttention.attn_drop"
    assert (attn.n_head, attn.emd_dim, attn.head_dim) == (2, 8, 4), \
        "MultiHeadAttention: classic solutions read self.n_head, self.emd_dim (sic) and self.head_dim"
    pe = PositionalEncoding(6, dropout=0.3, max_len=11)
    assert isinstance(pe.dropout, nn.Dropout) and pe.dropout.p == 0.3, "PositionalEncoding.dropout"
    assert "pe" in dict(pe.named_buffers()) and tuple(pe.pe.shape) == (1, 11, 6), \
        "PositionalEncoding registers its (1, max_len, embed_dim) table as the buffer 'pe', as the classic does"


def test_transformer_official_attention_and_encoding_cells_run():
    """The official MultiHeadAttention cell (self-attention, a random boolean mask, cross-attention on
    another sequence, keyword arguments) and PositionalEncoding cell (default max_len), training mode."""
    import torch

    from cs231n.transformer_layers import MultiHeadAttention, PositionalEncoding

    torch.manual_seed(231)
    batch_size, sequence_length, embed_dim = 1, 3, 8
    attn = MultiHeadAttention(embed_dim, num_heads=2)
    data = torch.randn(batch_size, sequence_length, embed_dim)
    mask = torch.randn(sequence_length, sequence_length) < 0.5
    other_data = torch.randn(batch_size, sequence_length, embed_dim)
    outputs = {"self-attention": attn(query=data, key=data, value=data),
               "masked self-attention": attn(query=data, key=data, value=data, attn_mask=mask),
               "attention over two inputs": attn(query=data, key=other_data, value=other_data)}
    for name, out in outputs.items():
        assert tuple(out.shape) == (1, 3, 8) and torch.isfinite(out).all(), \
            f"MultiHeadAttention, official cell, {name}: {tuple(out.shape)}, expected finite (1, 3, 8)"

    pe = PositionalEncoding(6)
    out = pe(torch.randn(1, 2, 6))
    assert tuple(out.shape) == (1, 2, 6), f"PositionalEncoding, official cell: {tuple(out.shape)}, expected (1, 2, 6)"


def test_transformer_official_forward_cell_runs():
    """The official notebook's CaptioningTransformer cell: a vocabulary without <START>/<END>, every
    parameter replaced by a float64 linspace (the encoding table stays float32), training mode."""
    import torch

    from cs231n.classifiers.transformer import CaptioningTransformer

    torch.manual_seed(231)
    N, D, W, T = 4, 20, 30, 3
    word_to_idx = {"<NULL>": 0, "cat": 2, "dog": 3}
    V = len(word_to_idx)
    transformer = CaptioningTransformer(word_to_idx, input_dim=D, wordvec_dim=W, num_heads=2, num_layers=2,
                                        max_length=30)
    for _, v in transformer.named_parameters():
        v.data = torch.from_numpy(np.linspace(-1.4, 1.3, num=v.numel()).reshape(*v.shape))
    features = torch.from_numpy(np.linspace(-1.5, 0.3, num=(N * D)).reshape(N, D))
    captions = torch.from_numpy((np.arange(N * T) % V).reshape(N, T))
    for attr in ("visual_projection", "embedding", "positional_encoding", "transformer", "output"):
        assert hasattr(transformer, attr), f"CaptioningTransformer.{attr}: classic solutions of forward use it"
    scores = transformer(features, captions)
    assert tuple(scores.shape) == (N, T, V) and scores.dtype == torch.float64, \
        f"CaptioningTransformer.forward: {tuple(scores.shape)} {scores.dtype}, expected ({N}, {T}, {V}) float64"
    assert torch.isfinite(scores).all(), "CaptioningTransformer.forward: scores are not finite"


def test_transformer_official_solver_and_sample_calls_work():
    """The official overfit and sampling cells: the solver's keyword arguments, loss_history, and
    sample(numpy features, max_length=30) returning numpy word indices."""
    import torch

    from cs231n.captioning_solver_transformer import CaptioningSolverTransformer
    from cs231n.classifiers.transformer import CaptioningTransformer

    torch.manual_seed(0)
    rng = np.random.RandomState(0)
    words = ["<NULL>", "<START>", "<END>", "<UNK>", "a", "cat"]
    word_to_idx = {w: i for i, w in enumerate(words)}
    captions = np.array([[1, 4, 5, 2, 0], [1, 5, 4, 2, 0]], dtype=np.int32)
    data = {"train_captions": captions, "train_image_idxs": np.arange(2, dtype=np.int32),
            "train_features": rng.randn(2, 12).astype(np.float32), "idx_to_word": words, "word_to_idx": word_to_idx,
            "train_urls": np.array(["a.png", "b.png"])}
    transformer = CaptioningTransformer(word_to_idx=word_to_idx, input_dim=12, wordvec_dim=16, num_heads=2,
                                        num_layers=2)
    solver = CaptioningSolverTransformer(transformer, data, idx_to_word=words, num_epochs=3, batch_size=2,
                                         learning_rate=0.001, verbose=False, print_every=10)
    solver.train()
    assert len(solver.loss_history) == 3 and all(np.isfinite(solver.loss_history)), \
        f"CaptioningSolverTransformer.loss_history: {solver.loss_history}"
    sampled = transformer.sample(data["train_features"], max_length=30)
    assert isinstance(sampled, np.ndarray) and sampled.shape == (2, 30), \
        f"CaptioningTransformer.sample: {type(sampled).__name__} {getattr(sampled, 'shape', None)}, expected (2, 30)"
