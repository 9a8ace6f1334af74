"""How the grader calls the graded functions of Vision_Transformer (runs in the sandbox; no expected
values). (TransformerDecoderLayer.forward is graded with Transformer_Captioning.)

Every model is built by the given __init__ and its parameters are all filled from one seeded generator,
by name (LayerNorms included, so that a swapped norm shows), in evaluation mode. The layers run with
the attention computed by torch's scaled_dot_product_attention over each MultiHeadAttention's own
projections (MultiHeadAttention.forward is graded in Transformer_Captioning), and with each dropout
module of the layer replaced by a fixed scaling, a different factor for each: dropout applied where it
belongs (to a block's output, before the residual sum) is exactly such a scaling, and no random draw
enters. VisionTransformer.forward runs with torch's own parts: the patch embedding as a strided
convolution, the positional encoding as a table given with the case (PositionalEncoding.__init__, a
blank of Transformer_Captioning, is not run), and every encoder layer as a
torch.nn.TransformerEncoderLayer; so each function is graded on its own.
"""

import importlib

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def _tl():
    return importlib.import_module("cs231n.transformer_layers")


def _t(a):
    return torch.tensor(np.asarray(a), dtype=torch.float32)


def _fill(module, seed, scale=0.3):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for _, p in sorted(module.named_parameters()):
            p.copy_(scale * torch.randn(p.shape, generator=gen))


class _Scale(nn.Module):
    def __init__(self, factor):
        super().__init__()
        self.factor = factor

    def forward(self, x):
        return x * self.factor


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


def _run_layer(layer, call, scales):
    """(output in eval mode, output with the dropout modules as the fixed scalings `scales`)."""
    cls = _tl().MultiHeadAttention
    own = cls.forward
    cls.forward = _library_attention
    try:
        layer.eval()
        with torch.no_grad():
            plain = call(layer)
            for name, factor in scales.items():
                setattr(layer, name, _Scale(factor))
            scaled = call(layer)
    finally:
        cls.forward = own
    return {"out": plain, "scaled": scaled}


def transformer_encoder_layer_forward(i):
    layer = _tl().TransformerEncoderLayer(int(i["D"]), int(i["H"]), dim_feedforward=int(i["F"]), dropout=0.1)
    _fill(layer, int(i["seed"]))
    mask = torch.tensor(i["mask"]) if "mask" in i else None
    src = _t(i["src"])
    return _run_layer(layer, lambda m: m(src, src_mask=mask), {"dropout_self": 0.7, "dropout_ffn": 1.3})


def patch_embedding_forward(i):
    size, p, C, D = (int(i[k]) for k in ("size", "p", "C", "D"))
    embed = _tl().PatchEmbedding(size, p, C, D)
    _fill(embed, int(i["seed"]))
    with torch.no_grad():
        return {"out": embed(_t(i["x"]))}


class _ConvPatches(nn.Module):
    """Patch embeddings by torch's strided convolution: (N, C, H, W) -> (N, num_patches, D), row by row."""

    def __init__(self, weight, bias, p):
        super().__init__()
        self.weight, self.bias, self.p = weight, bias, p

    def forward(self, x):
        return F.conv2d(x, self.weight, self.bias, stride=self.p).flatten(2).transpose(1, 2)


class _Table(nn.Module):
    def __init__(self, table):
        super().__init__()
        self.table = table

    def forward(self, x):
        return x + self.table[:, : x.shape[1]]


class _TorchEncoderLayer(nn.Module):
    """torch.nn.TransformerEncoderLayer (post-norm, GELU), called as the course's layers are."""

    def __init__(self, D, H, F_, gen):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(D, H, dim_feedforward=F_, dropout=0.0, activation="gelu",
                                                batch_first=True, norm_first=False)
        with torch.no_grad():
            for _, p in sorted(self.layer.named_parameters()):
                p.copy_(0.3 * torch.randn(p.shape, generator=gen))

    def forward(self, src, src_mask=None):
        mask = None if src_mask is None else (src_mask == 0)  # torch's bool masks: True = may not attend
        return self.layer(src, src_mask=mask)


def vision_transformer_forward(i):
    trf = importlib.import_module("cs231n.classifiers.transformer")
    size, p, C, D, H, F_, L, K = (int(i[k]) for k in ("size", "p", "C", "D", "H", "F", "L", "K"))
    own = trf.PositionalEncoding  # PositionalEncoding.__init__ is graded in Transformer_Captioning
    trf.PositionalEncoding = lambda *args, **kwargs: nn.Identity()
    try:
        model = trf.VisionTransformer(img_size=size, patch_size=p, in_channels=C, embed_dim=D, num_layers=L,
                                      num_heads=H, dim_feedforward=F_, num_classes=K, dropout=0.1)
    finally:
        trf.PositionalEncoding = own
    gen = torch.Generator().manual_seed(int(i["seed"]))
    weight = 0.3 * torch.randn(D, C, p, p, generator=gen)
    bias = 0.3 * torch.randn(D, generator=gen)
    model.patch_embed = _ConvPatches(weight, bias, p)
    model.positional_encoding = _Table(_t(i["table"]))
    for k in range(len(model.transformer.layers)):
        model.transformer.layers[k] = _TorchEncoderLayer(D, H, F_, gen)
    with torch.no_grad():
        model.head.weight.copy_(0.3 * torch.randn(model.head.weight.shape, generator=gen))
        model.head.bias.copy_(0.3 * torch.randn(model.head.bias.shape, generator=gen))
    model.eval()
    with torch.no_grad():
        return {"logits": model(_t(i["x"]))}
