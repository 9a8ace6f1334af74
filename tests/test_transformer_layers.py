"""PositionalEncoding and MultiHeadAttention against independent references.

Evaluation-mode outputs are compared with torch.nn.MultiheadAttention holding the same weights
and with the sine/cosine formula; dropout is tested by what it must do to the attention weights
(zero a fraction p of them, scale the rest by 1/(1-p)), never against a particular random stream.
Only forward and the classic attributes are used: no test reads the encoding table or stores
attention weights, so solutions written to the classic specification are tested as they are.
"""

import math

import pytest
import torch

from cs231n.checks.transformer import (
    attention_dropout_probe,
    read_attention_weights,
    stored_positional_encoding,
    torch_reference_attention,
)
from cs231n.transformer_layers import MultiHeadAttention, PositionalEncoding


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _max_abs(a, b):
    return (a - b).abs().max().item()


def _assert_dropout_of(what, out, clean, p):
    """`out` is `clean` after dropout with probability p: a fraction p of it zeroed (within 5 sigma),
    the rest scaled by 1 / (1 - p). Every entry of `clean` must be non-zero."""
    zero = out == 0
    frac = zero.float().mean().item()
    sigma = math.sqrt(p * (1 - p) / zero.numel())
    assert abs(frac - p) < 5 * sigma, f"{what}: zeroed {frac:.4f} of the entries, expected p = {p}"
    err = _max_abs(out[~zero], clean[~zero] / (1 - p))
    assert err < 1e-5, f"{what}: kept entries differ from their value / (1 - p) by {err:.2e}"


def _random_attention(E=8, H=2, dropout=0.1, seed=0):
    torch.manual_seed(seed)
    mha = MultiHeadAttention(E, H, dropout=dropout).double().eval()
    # Default init gives weights of similar size; spread them so softmax rows are far from uniform.
    with torch.no_grad():
        for p in mha.parameters():
            p.normal_(0.0, 0.7)
    return mha


# ---------------------------------------------------------------------------- positional encoding

def _encodings(embed_dim, length, max_len):
    """What PositionalEncoding adds to a sequence of `length` zeros, in eval mode: its encodings."""
    pe = PositionalEncoding(embed_dim, dropout=0.5, max_len=max_len).eval()
    with torch.no_grad():
        return pe(torch.zeros(1, length, embed_dim))[0]


def test_positional_encoding_forward_of_zeros_matches_formula():
    got = _encodings(12, 200, max_len=200)
    expected = stored_positional_encoding(200, 12)[0]
    assert tuple(got.shape) == (200, 12), f"PositionalEncoding.forward: output shape {tuple(got.shape)}, expected (1, 200, 12)"
    # float32 sin/cos of arguments up to 199 are accurate to a few 1e-6
    err = _max_abs(got.double(), expected)
    assert err < 1e-4, f"PositionalEncoding: encodings differ from the sin/cos formula by {err:.2e} (tol 1e-4)"


def test_positional_encoding_first_rows_are_exact():
    got = _encodings(6, 2, max_len=10)
    assert torch.allclose(got[0], torch.tensor([0.0, 1.0, 0.0, 1.0, 0.0, 1.0])), \
        f"PositionalEncoding: position 0 should be [0, 1, 0, 1, ...], got {got[0].tolist()}"
    # position 1, dimensions 0 and 1: sin(1) and cos(1), since 10000^0 = 1
    assert abs(got[1, 0].item() - math.sin(1.0)) < 1e-6 and abs(got[1, 1].item() - math.cos(1.0)) < 1e-6, \
        f"PositionalEncoding: position 1 starts {got[1, :2].tolist()}, expected [sin 1, cos 1]"


def test_positional_encoding_of_a_short_sequence_uses_the_first_rows():
    got = _encodings(8, 5, max_len=50)
    err = _max_abs(got.double(), stored_positional_encoding(5, 8)[0])
    assert err < 1e-5, f"PositionalEncoding.forward: a sequence of 5 should get the encodings of positions 0-4 (error {err:.2e})"


def test_positional_encoding_rejects_odd_embed_dim():
    with pytest.raises(AssertionError):
        PositionalEncoding(7)


def test_positional_encoding_forward_adds_encoding_in_eval():
    torch.manual_seed(0)
    pe = PositionalEncoding(8, dropout=0.5, max_len=50).eval()
    x = torch.randn(3, 11, 8)
    out = pe(x)
    expected = x.double() + stored_positional_encoding(11, 8)
    err = _max_abs(out.double(), expected)
    assert out.shape == x.shape, f"PositionalEncoding.forward: output shape {tuple(out.shape)}, expected {tuple(x.shape)}"
    assert err < 1e-5, f"PositionalEncoding.forward (eval): output differs from x + pe[:S] by {err:.2e}"


def test_positional_encoding_dropout_zeroes_fraction_p_and_rescales_the_rest():
    torch.manual_seed(0)
    p = 0.3
    pe = PositionalEncoding(16, dropout=p, max_len=40).train()
    x = torch.rand(200, 40, 16) + 1.5  # x + pe > 0.5 everywhere, so a zero can only come from dropout
    out = pe(x)
    with torch.no_grad():
        clean = pe.eval()(x)  # x + PE, checked against the formula above
    _assert_dropout_of("PositionalEncoding.forward (train), x + pe", out, clean, p)


# ---------------------------------------------------------------------------- multi-head attention

def test_multihead_attention_output_shape_for_cross_attention():
    mha = _random_attention(E=8, H=4)
    q, kv = torch.randn(2, 3, 8, dtype=torch.float64), torch.randn(2, 5, 8, dtype=torch.float64)
    out = mha(q, kv, kv)
    assert tuple(out.shape) == (2, 3, 8), f"MultiHeadAttention.forward: output shape {tuple(out.shape)}, expected (2, 3, 8)"


def _assert_matches_torch(what, mha, query, key, value, attn_mask=None):
    """mha's output against torch.nn.MultiheadAttention holding the same weights, whose boolean mask is
    True where attention is NOT allowed (ours: 0 where it is not)."""
    ref = torch_reference_attention(mha).eval()
    expected, _ = ref(query, key, value, attn_mask=None if attn_mask is None else attn_mask == 0,
                      need_weights=False)
    err = _max_abs(mha(query, key, value, attn_mask=attn_mask), expected)
    assert err < 1e-10, f"MultiHeadAttention.forward ({what}): output differs from nn.MultiheadAttention by {err:.2e}"


def test_multihead_attention_matches_torch_without_mask():
    mha = _random_attention(E=12, H=3)
    torch.manual_seed(1)
    q = torch.randn(4, 5, 12, dtype=torch.float64)
    k = torch.randn(4, 7, 12, dtype=torch.float64)
    v = torch.randn(4, 7, 12, dtype=torch.float64)
    _assert_matches_torch("no mask", mha, q, k, v)


def test_multihead_attention_matches_torch_with_causal_mask():
    mha = _random_attention(E=8, H=2)
    torch.manual_seed(2)
    x = torch.randn(3, 6, 8, dtype=torch.float64)
    _assert_matches_torch("causal mask", mha, x, x, x, attn_mask=torch.tril(torch.ones(6, 6, dtype=torch.bool)))


def test_multihead_attention_matches_torch_with_rectangular_01_mask():
    mha = _random_attention(E=8, H=2)
    torch.manual_seed(3)
    q, kv = torch.randn(2, 4, 8, dtype=torch.float64), torch.randn(2, 5, 8, dtype=torch.float64)
    mask = (torch.rand(4, 5) > 0.5).long()  # (S, T) of 0/1 numbers
    mask[:, 0] = 1  # every query may attend to something
    _assert_matches_torch("0/1 mask of shape (S, T)", mha, q, kv, kv, attn_mask=mask)


def test_multihead_attention_weights_match_torch_per_head():
    """The weights are read off the output (identity value/output projections, one-hot values)."""
    mha = _random_attention(E=8, H=2)
    ref = torch_reference_attention(mha).eval()
    torch.manual_seed(4)
    x = torch.randn(2, 5, 8, dtype=torch.float64)
    mask = torch.tril(torch.ones(5, 5, dtype=torch.bool))
    _, expected = ref(x, x, x, attn_mask=~mask, average_attn_weights=False)  # (N, H, S, T)
    got = read_attention_weights(mha, x, x, attn_mask=mask)
    err = _max_abs(got, expected)
    assert err < 1e-10, f"MultiHeadAttention.forward: per-head attention weights differ from torch's by {err:.2e}"
    above = ~mask
    assert (got[..., above] == 0).all(), "MultiHeadAttention.forward: masked weights must be exactly 0"


def test_multihead_attention_masked_keys_do_not_affect_output():
    mha = _random_attention(E=8, H=2)
    torch.manual_seed(5)
    q, kv = torch.randn(2, 3, 8, dtype=torch.float64), torch.randn(2, 6, 8, dtype=torch.float64)
    mask = torch.ones(3, 6, dtype=torch.bool)
    mask[:, 4:] = False  # no query may look at keys 4 and 5
    out = mha(q, kv, kv, attn_mask=mask)
    kv2 = kv.clone()
    kv2[:, 4:] = 100 * torch.randn(2, 2, 8, dtype=torch.float64)
    out2 = mha(q, kv2, kv2, attn_mask=mask)
    err = _max_abs(out, out2)
    assert err < 1e-12, f"MultiHeadAttention.forward: changing masked keys/values changed the output by {err:.2e}"
    out3 = mha(q, kv2, kv2)
    assert _max_abs(out, out3) > 1e-3, "MultiHeadAttention.forward: without a mask, keys 4-5 should matter"


def test_multihead_attention_dropout_acts_on_attention_weights():
    """Read the dropped-out weights straight off the output (attention_dropout_probe).

    With identity value and output projections and one-hot values that write each key twice per
    head, the output holds every head's (dropped-out) weights twice. Dropout on the weights keeps
    the two readings equal; dropout anywhere else (scores, values, output) does not give 0 or
    weight/(1-p) in matched pairs.
    """
    p = 0.4
    dropped, copy, clean = attention_dropout_probe(MultiHeadAttention, p, num_draws=1500, seed=6)
    assert _max_abs(dropped, copy) < 1e-6, \
        "MultiHeadAttention.forward (train): dropout must drop attention weights, not outputs or values"
    _assert_dropout_of("MultiHeadAttention.forward (train), attention weights", dropped, clean, p)


def test_multihead_attention_eval_mode_has_no_dropout():
    mha = _random_attention(E=8, H=2, dropout=0.9)
    x = torch.randn(2, 5, 8, dtype=torch.float64)
    a, b = mha(x, x, x), mha(x, x, x)
    assert _max_abs(a, b) == 0, "MultiHeadAttention.forward (eval): two calls differ, so dropout is still on"
