"""How the grader calls the graded functions of Transformer_Captioning (runs in the sandbox; no
expected values). CaptioningTransformer.forward runs with the positional encoding replaced by a
table given with the case and the attention computed by torch's scaled_dot_product_attention over
the layer's own projections, so that it is graded on its own."""

import importlib

import torch
import torch.nn.functional as F
from torch import nn


def _tl():
    return importlib.import_module("cs231n.transformer_layers")


def _t(a):
    return torch.tensor(a, dtype=torch.float32)


def _fill(module, seed):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for _, p in sorted(module.named_parameters()):
            p.copy_(0.3 * torch.randn(p.shape, generator=gen))


def positional_encoding_init(i):
    pe = _tl().PositionalEncoding(int(i["D"]), dropout=0.0, max_len=int(i["L"]))
    return {"pe": pe.pe}


def positional_encoding_forward(i):
    pe = _tl().PositionalEncoding(int(i["D"]), dropout=0.1, max_len=int(i["L"]))
    pe.pe = _t(i["table"])
    x = _t(i["x"])
    pe.eval()
    with torch.no_grad():
        out = pe(x)
        pe.train()  # dropout on the sum: the same seeded mask for every correct forward pass
        torch.manual_seed(int(i["seed"]))
        dropped = pe(x)
    return {"out": out, "train": dropped}


def multi_head_attention_forward(i):
    attn = _tl().MultiHeadAttention(int(i["E"]), int(i["H"]), dropout=0.1)
    _fill(attn, int(i["seed"]))
    attn.eval()
    mask = torch.tensor(i["mask"]) if "mask" in i else None
    with torch.no_grad():
        return {"out": attn(_t(i["query"]), _t(i["key"]), _t(i["value"]), attn_mask=mask)}


class _Table(nn.Module):
    def __init__(self, table):
        super().__init__()
        self.table = table

    def forward(self, x):
        return x + self.table[:, : x.shape[1]]


def _library_attention(self, query, key, value, attn_mask=None):
    N, S, E = query.shape
    T = value.shape[1]
    H = self.n_head
    q = self.query(query).view(N, S, H, E // H).transpose(1, 2)
    k = self.key(key).view(N, T, H, E // H).transpose(1, 2)
    v = self.value(value).view(N, T, H, E // H).transpose(1, 2)
    mask = None if attn_mask is None else (attn_mask != 0)
    y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    return self.proj(y.transpose(1, 2).reshape(N, S, E))


def captioning_transformer_forward(i):
    trf = importlib.import_module("cs231n.classifiers.transformer")

    V = int(i["V"])
    words = ["<NULL>", "<START>", "<END>"] + [f"w{k}" for k in range(3, V)]
    # The given classic decoder layer, not the student's TransformerDecoderLayer (graded on its own), and
    # no PositionalEncoding.__init__ (graded on its own; replaced by the case's table below).
    own_pe = trf.PositionalEncoding
    trf.PositionalEncoding = lambda *args, **kwargs: nn.Identity()
    try:
        model = trf.CaptioningTransformer({w: k for k, w in enumerate(words)}, input_dim=int(i["D"]),
                                          wordvec_dim=int(i["W"]), num_heads=2, num_layers=2, max_length=int(i["L"]),
                                          dim_feedforward=16, decoder_layer_class=trf.ClassicTransformerDecoderLayer)
    finally:
        trf.PositionalEncoding = own_pe
    _fill(model, 0)
    model.positional_encoding = _Table(_t(i["table"]))
    model.eval()
    cls = _tl().MultiHeadAttention
    own = cls.forward
    cls.forward = _library_attention
    try:
        with torch.no_grad():
            scores = model(_t(i["features"]), torch.tensor(i["captions"], dtype=torch.long))
    finally:
        cls.forward = own
    return {"scores": scores}


class _Scale(nn.Module):
    def __init__(self, factor):
        super().__init__()
        self.factor = factor

    def forward(self, x):
        return x * self.factor


def transformer_decoder_layer_forward(i):
    """The 2025 decoder layer with torch's attention, in eval mode, then with each dropout module a fixed
    scaling (a different factor each): dropout where it belongs, on a block's output before the
    residual sum, is exactly such a scaling, and no random draw enters."""
    layer = _tl().TransformerDecoderLayer(int(i["D"]), int(i["H"]), dim_feedforward=int(i["F"]), dropout=0.1)
    _fill(layer, int(i["seed"]))
    layer.eval()
    mask = torch.tensor(i["mask"]) if "mask" in i else None
    tgt, memory = _t(i["tgt"]), _t(i["memory"])
    cls = _tl().MultiHeadAttention
    own = cls.forward
    cls.forward = _library_attention
    try:
        with torch.no_grad():
            plain = layer(tgt, memory, tgt_mask=mask)
            for name, factor in (("dropout_self", 0.9), ("dropout_cross", 0.7), ("dropout_ffn", 1.3)):
                setattr(layer, name, _Scale(factor))
            scaled = layer(tgt, memory, tgt_mask=mask)
    finally:
        cls.forward = own
    return {"out": plain, "scaled": scaled}
