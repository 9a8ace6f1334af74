"""TransformerDecoderLayer (the 2025 layer: self-attention given, cross-attention and FFN blank) against
torch.nn.TransformerDecoderLayer with the same weights, where its dropouts act, and the captioning model
built on it, with the classic decoder layer still accepted."""

import inspect

import pytest
import torch
import torch.nn as nn

from cs231n.checks.vit import torch_reference_decoder_layer, with_dropouts_as_scales
from cs231n.classifiers.transformer import (
    CaptioningTransformer,
    ClassicTransformerDecoderLayer,
    TransformerDecoder,
)
from cs231n.transformer_layers import FeedForwardNetwork, MultiHeadAttention, TransformerDecoderLayer

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _max_abs(a, b):
    return (a - b).abs().max().item()


def _layer(D=12, H=3, F=20, seed=0):
    """A float64 layer in eval mode with every weight (LayerNorms too) drawn afresh, so that swapped
    norms or projections show."""
    torch.manual_seed(seed)
    layer = TransformerDecoderLayer(D, H, F).double().eval()
    with torch.no_grad():
        for p in layer.parameters():
            p.normal_(0.0, 0.5)
    return layer


def _inputs(N=3, T=6, S=4, D=12, seed=1):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(N, T, D, generator=g, dtype=torch.float64),
            torch.randn(N, S, D, generator=g, dtype=torch.float64),
            torch.tril(torch.ones(T, T, dtype=torch.bool)))


def test_decoder_layer_2025_signature_and_attributes():
    params = {k: v.default for k, v in inspect.signature(TransformerDecoderLayer.__init__).parameters.items()}
    assert params["dim_feedforward"] == 2048 and params["dropout"] == 0.1
    layer = TransformerDecoderLayer(8, 2, 16, dropout=0.2)
    assert isinstance(layer.self_attn, MultiHeadAttention) and isinstance(layer.cross_attn, MultiHeadAttention)
    assert isinstance(layer.ffn, FeedForwardNetwork) and layer.ffn.fc1.out_features == 16
    for name in ("norm_self", "norm_cross", "norm_ffn"):
        assert isinstance(getattr(layer, name), nn.LayerNorm), f"TransformerDecoderLayer.{name}"
    for name in ("dropout_self", "dropout_cross", "dropout_ffn"):
        assert isinstance(getattr(layer, name), nn.Dropout) and getattr(layer, name).p == 0.2


def test_decoder_layer_matches_torch_decoder_layer():
    layer = _layer()
    tgt, memory, mask = _inputs()
    err = _max_abs(layer(tgt, memory, tgt_mask=mask), torch_reference_decoder_layer(layer)(tgt, memory, tgt_mask=~mask))
    assert err < 1e-10, f"TransformerDecoderLayer.forward: differs from nn.TransformerDecoderLayer by {err:.2e}"


def test_decoder_layer_matches_torch_without_mask_and_with_a_longer_memory():
    layer = _layer(D=8, H=2, F=12, seed=2)
    tgt, memory, _ = _inputs(N=2, T=3, S=7, D=8, seed=3)
    err = _max_abs(layer(tgt, memory), torch_reference_decoder_layer(layer)(tgt, memory))
    assert err < 1e-10, f"TransformerDecoderLayer.forward (no mask, S=7 > T=3): differs from torch by {err:.2e}"


def test_decoder_layer_applies_each_dropout_to_its_block_output():
    layer = _layer(seed=4)
    tgt, memory, mask = _inputs(seed=5)
    probe, reference = with_dropouts_as_scales(layer, {"dropout_self": 0.5, "dropout_cross": 2.0, "dropout_ffn": 3.0})
    err = _max_abs(probe(tgt, memory, tgt_mask=mask), reference(tgt, memory, tgt_mask=~mask))
    assert err < 1e-10, ("TransformerDecoderLayer.forward: dropout_cross must act on the cross-attention output and "
                         f"dropout_ffn on the FFN output, each before its residual sum (error {err:.2e})")


def test_every_target_position_reads_every_memory_token():
    layer = _layer(seed=6)
    tgt, memory, mask = _inputs(seed=7)
    out = layer(tgt, memory, tgt_mask=mask)
    for s in range(memory.shape[1]):
        changed = memory.clone()
        changed[:, s] += 1.0
        diff = (layer(tgt, changed, tgt_mask=mask) - out).abs().amax(dim=(0, 2))  # per target position
        assert (diff > 1e-8).all(), (f"TransformerDecoderLayer.forward: memory token {s} does not reach every target "
                                     "position (cross-attention takes no mask)")


def test_decoder_layer_dropout_is_on_in_training_mode():
    layer = TransformerDecoderLayer(8, 2, 16, dropout=0.5).train()
    tgt, memory, mask = (t.float() if t.is_floating_point() else t for t in _inputs(D=8))
    assert _max_abs(layer(tgt, memory, mask), layer(tgt, memory, mask)) > 0


def test_captioning_transformer_builds_on_the_2025_decoder_layer():
    model = CaptioningTransformer({"<NULL>": 0, "<START>": 1, "<END>": 2, "a": 3}, input_dim=6, wordvec_dim=8,
                                  num_heads=2, num_layers=2, dim_feedforward=16)
    assert all(type(layer) is TransformerDecoderLayer for layer in model.transformer.layers)
    assert model.transformer.layers[0] is not model.transformer.layers[1], "each layer has its own weights"


def test_classic_decoder_layer_is_still_accepted():
    vocab = {"<NULL>": 0, "<START>": 1, "<END>": 2, "a": 3, "cat": 4}
    torch.manual_seed(0)
    model = CaptioningTransformer(vocab, input_dim=6, wordvec_dim=8, num_heads=2, num_layers=2, dim_feedforward=16,
                                  decoder_layer_class=ClassicTransformerDecoderLayer).eval()
    layer = model.transformer.layers[0]
    for name in ("self_attn", "multihead_attn", "linear1", "linear2", "norm1", "norm2", "norm3", "dropout1"):
        assert hasattr(layer, name), f"ClassicTransformerDecoderLayer.{name}: classic code reads it"
    scores = model(torch.randn(2, 6), torch.randint(0, 5, (2, 4)))
    assert tuple(scores.shape) == (2, 4, 5) and torch.isfinite(scores).all()
    stack = TransformerDecoder(ClassicTransformerDecoderLayer(8, 2, 16), num_layers=2).eval()
    ref = nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, batch_first=True), num_layers=2)
    assert sum(p.numel() for p in stack.parameters()) == sum(p.numel() for p in ref.parameters())
