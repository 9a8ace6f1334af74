"""The numpy layers of cs231n.rnn_layers against the classic expected values, centred numeric
gradients and torch.nn (float64, same weights)."""

import warnings

import numpy as np
import pytest
import torch

from cs231n.checks import check_close
from cs231n.gradient_check import eval_numerical_gradient, eval_numerical_gradient_array
from cs231n.rnn_layers import (
    affine_backward,
    affine_forward,
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
    rnn_backward,
    rnn_forward,
    rnn_step_backward,
    rnn_step_forward,
    sigmoid,
    temporal_affine_backward,
    temporal_affine_forward,
    temporal_softmax_loss,
    word_embedding_backward,
    word_embedding_forward,
)

NUMERIC_TOL = 1e-7  # centred differences with h = 1e-5 in float64
TORCH_TOL = 1e-10  # the same float64 computation in another order


def _copies(*arrays):
    """Fresh copies to hand to a backward pass: the classic specification lets it update the arrays it
    receives in place (`dnext_c += ...`), so every reference below is computed before it runs."""
    return tuple(np.array(a, copy=True) for a in arrays)


def _lin(lo, hi, *shape):
    return np.linspace(lo, hi, num=int(np.prod(shape))).reshape(*shape)


def _check_backward_numerically(name, forward, backward, inputs, douts, grad_names):
    """backward's gradients against centred numeric gradients of sum_k <forward(*inputs)[k], douts[k]>.

    The numeric gradients are computed first; forward and backward then get copies, since a backward
    pass may update the arrays it receives. `name` and grad_names label the failure message.
    """
    numeric = []
    for arr in inputs:
        numeric.append(sum(eval_numerical_gradient_array(lambda _, k=k: forward(*inputs)[k], arr, dout)
                           for k, dout in enumerate(douts)))
    *_, cache = forward(*_copies(*inputs))
    grads = backward(*_copies(*douts), cache)
    for grad_name, grad, num in zip(grad_names, grads, numeric):
        check_close(f"{name}: {grad_name}", grad, num, NUMERIC_TOL)


# ---------------------------------------------------------------------------------------------
# Forward passes: the classic notebook inputs and expected values


def test_rnn_step_forward_matches_classic_values():
    N, D, H = 3, 10, 4
    next_h, _ = rnn_step_forward(_lin(-0.4, 0.7, N, D), _lin(-0.2, 0.5, N, H), _lin(-0.1, 0.9, D, H),
                                 _lin(-0.3, 0.7, H, H), np.linspace(-0.2, 0.4, num=H))
    expected = np.asarray([[-0.58172089, -0.50182032, -0.41232771, -0.31410098],
                           [0.66854692, 0.79562378, 0.87755553, 0.92795967],
                           [0.97934501, 0.99144213, 0.99646691, 0.99854353]])
    check_close("rnn_step_forward: next_h", next_h, expected, 1e-8)


def test_rnn_forward_matches_classic_values():
    N, T, D, H = 2, 3, 4, 5
    h, _ = rnn_forward(_lin(-0.1, 0.3, N, T, D), _lin(-0.3, 0.1, N, H), _lin(-0.2, 0.4, D, H),
                       _lin(-0.4, 0.1, H, H), np.linspace(-0.7, 0.1, num=H))
    expected = np.asarray([
        [[-0.42070749, -0.27279261, -0.11074945, 0.05740409, 0.22236251],
         [-0.39525808, -0.22554661, -0.0409454, 0.14649412, 0.32397316],
         [-0.42305111, -0.24223728, -0.04287027, 0.15997045, 0.35014525]],
        [[-0.55857474, -0.39065825, -0.19198182, 0.02378408, 0.23735671],
         [-0.27150199, -0.07088804, 0.13562939, 0.33099728, 0.50158768],
         [-0.51014825, -0.30524429, -0.06755202, 0.17806392, 0.40333043]]])
    check_close("rnn_forward: h", h, expected, 1e-7)


def test_word_embedding_forward_matches_classic_values():
    V, D = 5, 3
    x = np.asarray([[0, 3, 1, 2], [2, 1, 0, 3]])
    W = _lin(0, 1, V, D)
    out, _ = word_embedding_forward(x, W)
    expected = np.stack([np.stack([W[i] for i in row]) for row in x])
    check_close("word_embedding_forward: out", out, expected, 1e-8)


def test_lstm_step_forward_matches_classic_values():
    N, D, H = 3, 4, 5
    next_h, next_c, _ = lstm_step_forward(
        _lin(-0.4, 1.2, N, D), _lin(-0.3, 0.7, N, H), _lin(-0.4, 0.9, N, H),
        _lin(-2.1, 1.3, D, 4 * H), _lin(-0.7, 2.2, H, 4 * H), np.linspace(0.3, 0.7, num=4 * H))
    expected_h = np.asarray([[0.24635157, 0.28610883, 0.32240467, 0.35525807, 0.38474904],
                             [0.49223563, 0.55611431, 0.61507696, 0.66844003, 0.7159181],
                             [0.56735664, 0.66310127, 0.74419266, 0.80889665, 0.858299]])
    expected_c = np.asarray([[0.32986176, 0.39145139, 0.451556, 0.51014116, 0.56717407],
                             [0.66382255, 0.76674007, 0.87195994, 0.97902709, 1.08751345],
                             [0.74192008, 0.90592151, 1.07717006, 1.25120233, 1.42395676]])
    check_close("lstm_step_forward: next_h", next_h, expected_h, 1e-8)
    check_close("lstm_step_forward: next_c", next_c, expected_c, 1e-8)


def test_lstm_forward_matches_classic_values():
    N, D, H, T = 2, 5, 4, 3
    h, _ = lstm_forward(_lin(-0.4, 0.6, N, T, D), _lin(-0.4, 0.8, N, H), _lin(-0.2, 0.9, D, 4 * H),
                        _lin(-0.3, 0.6, H, 4 * H), np.linspace(0.2, 0.7, num=4 * H))
    expected = np.asarray([
        [[0.01764008, 0.01823233, 0.01882671, 0.0194232],
         [0.11287491, 0.12146228, 0.13018446, 0.13902939],
         [0.31358768, 0.33338627, 0.35304453, 0.37250975]],
        [[0.45767879, 0.4761092, 0.4936887, 0.51041945],
         [0.6704845, 0.69350089, 0.71486014, 0.7346449],
         [0.81733511, 0.83677871, 0.85403753, 0.86935314]]])
    check_close("lstm_forward: h", h, expected, 1e-7)


def test_sigmoid_is_accurate_in_both_tails_without_warnings():
    from scipy.special import expit  # an independent implementation

    x = np.linspace(-750, 750, 3001)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow warning would raise here
        s = sigmoid(x)
        s32 = sigmoid(x.astype(np.float32))
    assert np.all(np.isfinite(s)), "sigmoid: non-finite output"
    err = np.max(np.abs(s - expit(x)) / np.maximum(expit(x), 1e-300))
    assert err < 1e-14, f"sigmoid: relative error {err:.1e} against scipy.special.expit (float64)"
    assert s32.dtype == np.float32, f"sigmoid: float32 input gave {s32.dtype}"
    assert np.max(np.abs(s32 - expit(x))) < 1e-7, "sigmoid: float32 output off by more than 1e-7"


def test_lstm_on_float32_inputs_is_right_in_float32_or_float64():
    # The classic specification has no dtype contract (published solutions return float64 for
    # float32 inputs somewhere): any float dtype is accepted, the values must be right.
    rng = np.random.default_rng(0)
    N, T, D, H = 2, 3, 4, 5
    arrays = [rng.standard_normal(s).astype(np.float32) for s in [(N, T, D), (N, H), (D, 4 * H), (H, 4 * H), (4 * H,)]]
    dh = rng.standard_normal((N, T, H)).astype(np.float32)
    h64, cache64 = lstm_forward(*[a.astype(np.float64) for a in arrays])
    grads64 = lstm_backward(dh.astype(np.float64), cache64)
    h, cache = lstm_forward(*_copies(*arrays))
    grads = lstm_backward(*_copies(dh), cache)
    for name, got, want in zip(["h", "dx", "dh0", "dWx", "dWh", "db"], [h, *grads], [h64, *grads64]):
        assert got.dtype in (np.float32, np.float64), f"lstm on float32 inputs: {name} has dtype {got.dtype}"
        err = np.max(np.abs(got - want)) / max(np.max(np.abs(want)), 1e-12)
        assert err < 1e-4, f"lstm on float32 inputs: {name} off by {err:.1e} (relative to its largest entry)"


# ---------------------------------------------------------------------------------------------
# Backward passes against centred numeric gradients (float64)


def test_affine_backward_matches_numeric_gradient():
    rng = np.random.default_rng(1)
    inputs = (rng.standard_normal((3, 2, 3)), rng.standard_normal((6, 4)), rng.standard_normal(4))  # x, w, b
    _check_backward_numerically("affine_backward", affine_forward, affine_backward, inputs,
                                [rng.standard_normal((3, 4))], ["dx", "dw", "db"])


def test_rnn_step_backward_matches_numeric_gradient():
    rng = np.random.default_rng(2)
    N, D, H = 4, 5, 6
    x, h = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    Wx, Wh, b = rng.standard_normal((D, H)), rng.standard_normal((H, H)), rng.standard_normal(H)
    _check_backward_numerically("rnn_step_backward", rnn_step_forward, rnn_step_backward, (x, h, Wx, Wh, b),
                                [rng.standard_normal((N, H))], ["dx", "dprev_h", "dWx", "dWh", "db"])


def test_rnn_backward_matches_numeric_gradient():
    rng = np.random.default_rng(3)
    N, D, T, H = 2, 3, 10, 5
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    # Weights of a typical initial scale keep tanh away from saturation, where centred
    # differences of nearly flat functions lose their relative precision.
    Wx, Wh = 0.5 * rng.standard_normal((D, H)), 0.5 * rng.standard_normal((H, H))
    b = rng.standard_normal(H)
    _check_backward_numerically("rnn_backward", rnn_forward, rnn_backward, (x, h0, Wx, Wh, b),
                                [rng.standard_normal((N, T, H))], ["dx", "dh0", "dWx", "dWh", "db"])


def test_word_embedding_backward_matches_numeric_gradient():
    rng = np.random.default_rng(4)
    N, T, V, D = 50, 3, 5, 6
    x = rng.integers(V, size=(N, T))
    W = rng.standard_normal((V, D))
    dout = rng.standard_normal((N, T, D))
    num = eval_numerical_gradient_array(lambda w: word_embedding_forward(x, w)[0], W, dout)
    _, cache = word_embedding_forward(*_copies(x, W))
    dW = word_embedding_backward(*_copies(dout), cache)
    check_close("word_embedding_backward: dW", dW, num, NUMERIC_TOL)


def test_word_embedding_backward_sums_repeated_indices():
    W = np.zeros((4, 2))
    x = np.asarray([[1, 1, 3], [1, 0, 3]])
    dout = np.arange(12, dtype=np.float64).reshape(2, 3, 2)
    expected = np.zeros((4, 2))
    for n in range(2):
        for t in range(3):
            expected[x[n, t]] += dout[n, t]
    _, cache = word_embedding_forward(*_copies(x, W))
    dW = word_embedding_backward(*_copies(dout), cache)
    assert np.array_equal(dW, expected), (
        f"word_embedding_backward: dW should sum the gradients of repeated words: got {dW.tolist()}, "
        f"expected {expected.tolist()}")


def test_lstm_step_backward_matches_numeric_gradient():
    rng = np.random.default_rng(5)
    N, D, H = 4, 5, 6
    x, h, c = rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    Wx, Wh = rng.standard_normal((D, 4 * H)), rng.standard_normal((H, 4 * H))
    b = rng.standard_normal(4 * H)
    douts = [rng.standard_normal((N, H)), rng.standard_normal((N, H))]  # dnext_h, dnext_c
    _check_backward_numerically("lstm_step_backward", lstm_step_forward, lstm_step_backward, (x, h, c, Wx, Wh, b),
                                douts, ["dx", "dprev_h", "dprev_c", "dWx", "dWh", "db"])


def test_lstm_backward_matches_numeric_gradient():
    rng = np.random.default_rng(6)
    N, D, T, H = 2, 3, 10, 6
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    Wx, Wh = 0.5 * rng.standard_normal((D, 4 * H)), 0.5 * rng.standard_normal((H, 4 * H))
    b = rng.standard_normal(4 * H)
    _check_backward_numerically("lstm_backward", lstm_forward, lstm_backward, (x, h0, Wx, Wh, b),
                                [rng.standard_normal((N, T, H))], ["dx", "dh0", "dWx", "dWh", "db"])


def test_temporal_affine_backward_matches_numeric_gradient():
    rng = np.random.default_rng(7)
    N, T, D, M = 2, 3, 4, 5
    inputs = (rng.standard_normal((N, T, D)), rng.standard_normal((D, M)), rng.standard_normal(M))  # x, w, b
    _check_backward_numerically("temporal_affine_backward", temporal_affine_forward, temporal_affine_backward,
                                inputs, [rng.standard_normal((N, T, M))], ["dx", "dw", "db"])


def test_temporal_softmax_loss_gradient_matches_numeric_gradient():
    rng = np.random.default_rng(8)
    N, T, V = 7, 8, 9
    x = rng.standard_normal((N, T, V))
    y = rng.integers(V, size=(N, T))
    mask = rng.random((N, T)) > 0.5
    _, dx = temporal_softmax_loss(x, y, mask)
    num = eval_numerical_gradient(lambda x: temporal_softmax_loss(x, y, mask)[0], x, verbose=False)
    check_close("temporal_softmax_loss: dx", dx, num, NUMERIC_TOL)


@pytest.mark.parametrize("N, T, V, p, expected", [(100, 1, 10, 1.0, 2.3), (100, 10, 10, 1.0, 23.0),
                                                  (5000, 10, 10, 0.1, 2.3)])
def test_temporal_softmax_loss_sanity_values(N, T, V, p, expected):
    rng = np.random.default_rng(9)
    x = 0.001 * rng.standard_normal((N, T, V))
    y = rng.integers(V, size=(N, T))
    mask = rng.random((N, T)) <= p
    loss, _ = temporal_softmax_loss(x, y, mask)
    # Near-uniform scores: log(V) per unmasked step, summed over time, averaged over the batch.
    assert abs(loss - expected) < 0.1 * expected, (
        f"temporal_softmax_loss: loss {loss:.3f} for N={N}, T={T}, V={V}, p={p}; expected about {expected}")


def test_temporal_softmax_loss_matches_torch_cross_entropy():
    rng = np.random.default_rng(10)
    N, T, V = 4, 5, 6
    x = 10 * rng.standard_normal((N, T, V))  # large scores: the loss must not overflow
    y = rng.integers(V, size=(N, T))
    mask = rng.random((N, T)) > 0.3
    loss, dx = temporal_softmax_loss(x, y, mask)
    xt = torch.tensor(x, requires_grad=True)
    per_step = torch.nn.functional.cross_entropy(xt.reshape(N * T, V), torch.tensor(y).reshape(-1),
                                                 reduction="none")
    ref = (per_step * torch.tensor(mask.reshape(-1), dtype=torch.float64)).sum() / N
    ref.backward()
    check_close("temporal_softmax_loss: loss", loss, ref.item(), TORCH_TOL)
    check_close("temporal_softmax_loss: dx", dx, xt.grad.numpy(), TORCH_TOL)


# ---------------------------------------------------------------------------------------------
# Whole sequences against torch.nn.RNN and torch.nn.LSTM (float64, same weights)

SHAPES = [(3, 4, 5, 6), (1, 4, 3, 5), (2, 1, 3, 4), (1, 1, 2, 3), (5, 7, 1, 2)]  # N, T, D, H


def _torch_run(module, x, h0, dh, initial_state):
    xt = torch.tensor(x, requires_grad=True)
    h0t = torch.tensor(h0[None], requires_grad=True)
    out, _ = module(xt, initial_state(h0t))
    out.backward(torch.tensor(dh))
    return out.detach().numpy(), xt.grad.numpy(), h0t.grad[0].numpy()


@pytest.mark.parametrize("N, T, D, H", SHAPES)
def test_rnn_forward_and_backward_match_torch_rnn(N, T, D, H):
    rng = np.random.default_rng(11)
    x, h0, dh = rng.standard_normal((N, T, D)), rng.standard_normal((N, H)), rng.standard_normal((N, T, H))
    Wx, Wh, b = rng.standard_normal((D, H)), rng.standard_normal((H, H)), rng.standard_normal(H)
    rnn = torch.nn.RNN(D, H, nonlinearity="tanh", batch_first=True).double()
    with torch.no_grad():  # torch computes x W_ih^T + b_ih + h W_hh^T + b_hh
        rnn.weight_ih_l0.copy_(torch.tensor(Wx.T))
        rnn.weight_hh_l0.copy_(torch.tensor(Wh.T))
        rnn.bias_ih_l0.copy_(torch.tensor(b))
        rnn.bias_hh_l0.zero_()
    h_ref, dx_ref, dh0_ref = _torch_run(rnn, x, h0, dh, lambda h0t: h0t)

    h, cache = rnn_forward(*_copies(x, h0, Wx, Wh, b))
    dx, dh0, dWx, dWh, db = rnn_backward(*_copies(dh), cache)
    expected = {"rnn_forward: h": h_ref, "rnn_backward: dx": dx_ref, "rnn_backward: dh0": dh0_ref,
                "rnn_backward: dWx": rnn.weight_ih_l0.grad.numpy().T, "rnn_backward: dWh": rnn.weight_hh_l0.grad.numpy().T,
                "rnn_backward: db": rnn.bias_ih_l0.grad.numpy()}
    for (name, want), got in zip(expected.items(), [h, dx, dh0, dWx, dWh, db]):
        check_close(f"{name} (N, T, D, H) = {(N, T, D, H)}", got, want, TORCH_TOL)


@pytest.mark.parametrize("N, T, D, H", SHAPES)
def test_lstm_forward_and_backward_match_torch_lstm(N, T, D, H):
    rng = np.random.default_rng(12)
    x, h0, dh = rng.standard_normal((N, T, D)), rng.standard_normal((N, H)), rng.standard_normal((N, T, H))
    Wx, Wh = rng.standard_normal((D, 4 * H)), rng.standard_normal((H, 4 * H))
    b = rng.standard_normal(4 * H)
    # torch stacks the gates as i, f, g, o; ours are i, f, o, g.
    to_torch = np.r_[0:2 * H, 3 * H:4 * H, 2 * H:3 * H]
    from_torch = np.argsort(to_torch)
    lstm = torch.nn.LSTM(D, H, batch_first=True).double()
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(torch.tensor(Wx[:, to_torch].T))
        lstm.weight_hh_l0.copy_(torch.tensor(Wh[:, to_torch].T))
        lstm.bias_ih_l0.copy_(torch.tensor(b[to_torch]))
        lstm.bias_hh_l0.zero_()
    h_ref, dx_ref, dh0_ref = _torch_run(lstm, x, h0, dh, lambda h0t: (h0t, torch.zeros_like(h0t)))

    h, cache = lstm_forward(*_copies(x, h0, Wx, Wh, b))
    dx, dh0, dWx, dWh, db = lstm_backward(*_copies(dh), cache)
    expected = {"lstm_forward: h": h_ref, "lstm_backward: dx": dx_ref, "lstm_backward: dh0": dh0_ref,
                "lstm_backward: dWx": lstm.weight_ih_l0.grad.numpy().T[:, from_torch],
                "lstm_backward: dWh": lstm.weight_hh_l0.grad.numpy().T[:, from_torch],
                "lstm_backward: db": lstm.bias_ih_l0.grad.numpy()[from_torch]}
    for (name, want), got in zip(expected.items(), [h, dx, dh0, dWx, dWh, db]):
        check_close(f"{name} (N, T, D, H) = {(N, T, D, H)}", got, want, TORCH_TOL)


def test_rnn_step_backward_matches_torch_autograd():
    rng = np.random.default_rng(13)
    N, D, H = 3, 4, 5
    arrays = [rng.standard_normal(s) for s in [(N, D), (N, H), (D, H), (H, H), (H,)]]
    dnext_h = rng.standard_normal((N, H))
    x, h, Wx, Wh, b = (torch.tensor(a, requires_grad=True) for a in arrays)
    torch.tanh(x @ Wx + h @ Wh + b).backward(torch.tensor(dnext_h))
    _, cache = rnn_step_forward(*_copies(*arrays))
    grads = rnn_step_backward(*_copies(dnext_h), cache)
    for name, g, t in zip(["dx", "dprev_h", "dWx", "dWh", "db"], grads, [x, h, Wx, Wh, b]):
        check_close(f"rnn_step_backward: {name}", g, t.grad.numpy(), TORCH_TOL)


def test_lstm_step_backward_matches_torch_autograd():
    rng = np.random.default_rng(14)
    N, D, H = 3, 4, 5
    arrays = [rng.standard_normal(s) for s in [(N, D), (N, H), (N, H), (D, 4 * H), (H, 4 * H), (4 * H,)]]
    dnext_h, dnext_c = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    x, h, c, Wx, Wh, b = (torch.tensor(a, requires_grad=True) for a in arrays)
    i, f, o, g = (x @ Wx + h @ Wh + b).split(H, dim=1)
    next_c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    next_h = torch.sigmoid(o) * torch.tanh(next_c)
    torch.autograd.backward([next_h, next_c], [torch.tensor(dnext_h), torch.tensor(dnext_c)])
    _, _, cache = lstm_step_forward(*_copies(*arrays))
    grads = lstm_step_backward(*_copies(dnext_h, dnext_c), cache)
    names = ["dx", "dprev_h", "dprev_c", "dWx", "dWh", "db"]
    for name, g_, t in zip(names, grads, [x, h, c, Wx, Wh, b]):
        check_close(f"lstm_step_backward: {name}", g_, t.grad.numpy(), TORCH_TOL)
