"""Numpy layers for recurrent captioning models: vanilla RNN, LSTM, embeddings and the temporal loss.

Each layer is a pair of functions. ``*_forward`` takes inputs and weights and returns the output
and a ``cache`` of whatever the backward pass needs; ``*_backward`` takes the upstream gradient
and that cache and returns the gradient for every input of the forward function.

Shapes use N for the minibatch, T for time steps, D for the input size, H for the hidden size,
V for the vocabulary and M for the output size of an affine layer. The LSTM packs its four gates
side by side in the order i, f, o, g (input, forget, output, block input): columns
``[0:H]``, ``[H:2H]``, ``[2H:3H]``, ``[3H:4H]`` of ``Wx``, ``Wh`` and ``b``.

There is no dtype contract: for float32 inputs a function may return float32 or float64 arrays (the
checks compare values), and a backward pass may update the arrays it receives (the checks pass copies).
"""

import numpy as np

# What `from cs231n.rnn_layers import *` gives: the layers (the classic notebooks and the classic
# classifiers/rnn.py star-import this module), not numpy; they import numpy themselves.
__all__ = ["affine_backward", "affine_forward", "lstm_backward", "lstm_forward", "lstm_step_backward",
           "lstm_step_forward", "rnn_backward", "rnn_forward", "rnn_step_backward", "rnn_step_forward", "sigmoid",
           "temporal_affine_backward", "temporal_affine_forward", "temporal_softmax_loss",
           "word_embedding_backward", "word_embedding_forward"]


def affine_forward(x, w, b):
    """Forward pass for a fully connected layer.

    Inputs:
    - x: Input data, of shape (N, d_1, ..., d_k); each example is flattened to D = d_1 * ... * d_k.
    - w: Weights, of shape (D, M).
    - b: Biases, of shape (M,).

    Returns a tuple of:
    - out: Output, of shape (N, M).
    - cache: (x, w, b)
    """
    out = x.reshape(x.shape[0], -1) @ w + b
    cache = (x, w, b)
    return out, cache


def affine_backward(dout, cache):
    """Backward pass for a fully connected layer.

    Inputs:
    - dout: Upstream gradient, of shape (N, M).
    - cache: (x, w, b) from affine_forward.

    Returns a tuple of:
    - dx: Gradient with respect to x, of shape (N, d_1, ..., d_k).
    - dw: Gradient with respect to w, of shape (D, M).
    - db: Gradient with respect to b, of shape (M,).
    """
    x, w, b = cache
    dx = (dout @ w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    """Run one time step of a vanilla RNN with a tanh activation.

    next_h = tanh(x Wx + prev_h Wh + b)

    Inputs:
    - x: Input data for this time step, of shape (N, D).
    - prev_h: Hidden state from the previous time step, of shape (N, H).
    - Wx: Weight matrix for input-to-hidden connections, of shape (D, H).
    - Wh: Weight matrix for hidden-to-hidden connections, of shape (H, H).
    - b: Biases, of shape (H,).

    Returns a tuple of:
    - next_h: Next hidden state, of shape (N, H).
    - cache: Tuple of values needed by rnn_step_backward.
    """
    next_h, cache = None, None
    # TODO: Implement a single forward step of the vanilla RNN. Store the next hidden state and
    # anything you need for the backward pass in next_h and cache.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)
    cache = (x, prev_h, Wx, Wh, next_h)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return next_h, cache


def rnn_step_backward(dnext_h, cache):
    """Backward pass for one time step of a vanilla RNN.

    Inputs:
    - dnext_h: Gradient of the loss with respect to the next hidden state, of shape (N, H).
    - cache: Cache object from rnn_step_forward.

    Returns a tuple of:
    - dx: Gradient of the input data, of shape (N, D).
    - dprev_h: Gradient of the previous hidden state, of shape (N, H).
    - dWx: Gradient of the input-to-hidden weights, of shape (D, H).
    - dWh: Gradient of the hidden-to-hidden weights, of shape (H, H).
    - db: Gradient of the biases, of shape (H,).
    """
    dx, dprev_h, dWx, dWh, db = None, None, None, None, None
    # TODO: Implement the backward pass for a single step of the vanilla RNN. The derivative of
    # tanh is easiest to write in terms of its output: d tanh(a) / da = 1 - tanh(a)^2.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h * (1 - next_h * next_h)  # (N, H) gradient of the pre-activation
    dx = da @ Wx.T
    dprev_h = da @ Wh.T
    dWx = x.T @ da
    dWh = prev_h.T @ da
    db = da.sum(axis=0)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return dx, dprev_h, dWx, dWh, db


def rnn_forward(x, h0, Wx, Wh, b):
    """Run a vanilla RNN forward on an entire sequence of data.

    The input is a sequence of T vectors of dimension D for each of N sequences; the RNN uses a
    hidden size of H. The recurrence h_t = tanh(x_t Wx + h_{t-1} Wh + b) starts from h0.

    Inputs:
    - x: Input data for the entire timeseries, of shape (N, T, D).
    - h0: Initial hidden state, of shape (N, H).
    - Wx: Weight matrix for input-to-hidden connections, of shape (D, H).
    - Wh: Weight matrix for hidden-to-hidden connections, of shape (H, H).
    - b: Biases, of shape (H,).

    Returns a tuple of:
    - h: Hidden states for the entire timeseries, of shape (N, T, H).
    - cache: Values needed in the backward pass.
    """
    h, cache = None, None
    # TODO: Implement the forward pass of the vanilla RNN over a whole sequence. Calling
    # rnn_step_forward in a loop over time is correct. Faster: the input projections x_t Wx do
    # not depend on the recurrence, so compute them for all time steps in one matrix multiply
    # and keep only prev_h @ Wh inside the loop.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    N, T, D = x.shape
    H = h0.shape[1]
    # One large matrix multiply for every time step's input projection: (N*T, D) @ (D, H).
    h = (x.reshape(N * T, D) @ Wx).reshape(N, T, H)  # becomes the hidden states in place
    h += b
    prev_h = h0
    for t in range(T):
        a = h[:, t]  # (N, H) view: x_t Wx + b, overwritten with h_t
        a += prev_h @ Wh
        np.tanh(a, out=a)
        prev_h = a
    cache = (x, h0, Wx, Wh, h)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return h, cache


def rnn_backward(dh, cache):
    """Backward pass for a vanilla RNN over an entire sequence of data.

    Inputs:
    - dh: Upstream gradients of all hidden states, of shape (N, T, H). It holds only the
      gradient that reaches each h_t from the layers above (the loss at step t), not the part
      that flows back through the recurrence from later steps: adding that is your job.
    - cache: Cache object from rnn_forward.

    Returns a tuple of:
    - dx: Gradient of the inputs, of shape (N, T, D).
    - dh0: Gradient of the initial hidden state, of shape (N, H).
    - dWx: Gradient of the input-to-hidden weights, of shape (D, H).
    - dWh: Gradient of the hidden-to-hidden weights, of shape (H, H).
    - db: Gradient of the biases, of shape (H,).
    """
    dx, dh0, dWx, dWh, db = None, None, None, None, None
    # TODO: Implement the backward pass of the vanilla RNN, walking time backwards. Calling
    # rnn_step_backward at each step is correct. Faster: inside the loop compute only the
    # pre-activation gradients and dprev_h, then get dx, dWx, dWh and db for all time steps with
    # one matrix multiply each.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    x, h0, Wx, Wh, h = cache
    N, T, D = x.shape
    H = h0.shape[1]
    da = np.empty_like(h)  # (N, T, H) gradients of the pre-activations
    dprev_h = np.zeros_like(h0)
    for t in reversed(range(T)):
        da_t = da[:, t]
        np.add(dh[:, t], dprev_h, out=da_t)  # gradient from the loss plus from step t + 1
        da_t *= 1 - h[:, t] * h[:, t]  # through tanh
        dprev_h = da_t @ Wh.T
    dh0 = dprev_h
    da2 = da.reshape(N * T, H)
    h_prev = np.concatenate([h0[:, None, :], h[:, :-1]], axis=1)  # (N, T, H): h_{t-1} per step
    dx = (da2 @ Wx.T).reshape(N, T, D)
    dWx = x.reshape(N * T, D).T @ da2
    dWh = h_prev.reshape(N * T, H).T @ da2
    db = da2.sum(axis=0)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return dx, dh0, dWx, dWh, db


def word_embedding_forward(x, W):
    """Forward pass for word embeddings: look up a D-dimensional vector for every word index.

    Inputs:
    - x: Integer array of shape (N, T) giving indices of words; each element idx satisfies
      0 <= idx < V.
    - W: Weight matrix of shape (V, D) giving word vectors for all words.

    Returns a tuple of:
    - out: Array of shape (N, T, D) giving word vectors for all input words.
    - cache: Values needed for the backward pass.
    """
    out, cache = None, None
    # TODO: Implement the forward pass for word embeddings. This takes one line of numpy
    # (integer array indexing).
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    out = W[x]
    cache = (x, W.shape)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return out, cache


def word_embedding_backward(dout, cache):
    """Backward pass for word embeddings.

    We cannot back-propagate into the words since they are integers, so we only return the
    gradient of the word embedding matrix. A word that occurs several times in x receives the
    sum of the gradients of all its occurrences.

    Inputs:
    - dout: Upstream gradients of shape (N, T, D).
    - cache: Values from the forward pass.

    Returns:
    - dW: Gradient of the word embedding matrix, of shape (V, D).
    """
    dW = None
    # TODO: Implement the backward pass for word embeddings. Note that words can appear more
    # than once: `dW[x] += dout` would keep only one of the repeated updates. Look up np.add.at.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    x, W_shape = cache
    dW = np.zeros(W_shape, dtype=dout.dtype)
    np.add.at(dW, x, dout)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return dW


def sigmoid(x, out=None):
    """A numerically stable logistic sigmoid, 1 / (1 + exp(-x)), elementwise; never nan or inf.

    Inputs:
    - x: Array of any shape; integers are converted to float64.
    - out: Optional array of x's shape to write into; it may be x itself (in place).

    Returns:
    - out: sigmoid(x), of the same shape as x.
    """
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.inexact):
        x = x.astype(np.float64)
    if out is None:
        out = np.empty_like(x)
    # For very negative x, exp(-x) overflows to inf and 1 / (1 + inf) = 0, the true value rounded.
    with np.errstate(over="ignore"):
        np.negative(x, out=out)
        np.exp(out, out=out)
        out += 1
        return np.reciprocal(out, out=out)


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    """Forward pass for a single time step of an LSTM.

    The input has dimension D, the hidden state has dimension H, and we use a minibatch size of
    N. The activation vector a = x Wx + prev_h Wh + b, of shape (N, 4H), splits into the gate
    pre-activations in the order i, f, o, g:
        i = sigmoid(a[:, 0:H]),  f = sigmoid(a[:, H:2H]),  o = sigmoid(a[:, 2H:3H]),
        g = tanh(a[:, 3H:4H]),   next_c = f * prev_c + i * g,   next_h = o * tanh(next_c).

    Inputs:
    - x: Input data, of shape (N, D).
    - prev_h: Previous hidden state, of shape (N, H).
    - prev_c: Previous cell state, of shape (N, H).
    - Wx: Input-to-hidden weights, of shape (D, 4H).
    - Wh: Hidden-to-hidden weights, of shape (H, 4H).
    - b: Biases, of shape (4H,).

    Returns a tuple of:
    - next_h: Next hidden state, of shape (N, H).
    - next_c: Next cell state, of shape (N, H).
    - cache: Tuple of values needed for the backward pass.
    """
    next_h, next_c, cache = None, None, None
    # TODO: Implement the forward pass for a single timestep of an LSTM. Use the numerically
    # stable sigmoid function defined above.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    H = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b  # (N, 4H)
    i = sigmoid(a[:, :H])
    f = sigmoid(a[:, H:2 * H])
    o = sigmoid(a[:, 2 * H:3 * H])
    g = np.tanh(a[:, 3 * H:])
    next_c = f * prev_c + i * g
    tanh_c = np.tanh(next_c)
    next_h = o * tanh_c
    cache = (x, prev_h, prev_c, Wx, Wh, i, f, o, g, tanh_c)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return next_h, next_c, cache


def lstm_step_backward(dnext_h, dnext_c, cache):
    """Backward pass for a single time step of an LSTM.

    Inputs:
    - dnext_h: Gradients of the next hidden state, of shape (N, H).
    - dnext_c: Gradients of the next cell state, of shape (N, H).
    - cache: Values from the forward pass.

    Returns a tuple of:
    - dx: Gradient of the input data, of shape (N, D).
    - dprev_h: Gradient of the previous hidden state, of shape (N, H).
    - dprev_c: Gradient of the previous cell state, of shape (N, H).
    - dWx: Gradient of the input-to-hidden weights, of shape (D, 4H).
    - dWh: Gradient of the hidden-to-hidden weights, of shape (H, 4H).
    - db: Gradient of the biases, of shape (4H,).
    """
    dx, dprev_h, dprev_c, dWx, dWh, db = None, None, None, None, None, None
    # TODO: Implement the backward pass for a single timestep of an LSTM. next_c receives
    # gradient both directly (dnext_c) and through next_h = o * tanh(next_c). The sigmoid's
    # derivative is s * (1 - s) and tanh's is 1 - tanh^2, both in terms of the outputs you cached.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, tanh_c = cache
    dc = dnext_c + dnext_h * o * (1 - tanh_c * tanh_c)  # total gradient of next_c
    da = np.concatenate(
        [
            dc * g * i * (1 - i),  # input gate
            dc * prev_c * f * (1 - f),  # forget gate
            dnext_h * tanh_c * o * (1 - o),  # output gate
            dc * i * (1 - g * g),  # block input
        ],
        axis=1,
    )  # (N, 4H)
    dx = da @ Wx.T
    dprev_h = da @ Wh.T
    dprev_c = dc * f
    dWx = x.T @ da
    dWh = prev_h.T @ da
    db = da.sum(axis=0)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return dx, dprev_h, dprev_c, dWx, dWh, db


def lstm_forward(x, h0, Wx, Wh, b):
    """Forward pass for an LSTM over an entire sequence of data.

    We assume an input sequence composed of T vectors, each of dimension D. The LSTM uses a
    hidden size of H, and we work over a minibatch containing N sequences. After running the
    LSTM forward, we return the hidden states for all timesteps.

    The initial cell state is zero: it is not passed in, and its gradient is not returned.

    Inputs:
    - x: Input data, of shape (N, T, D).
    - h0: Initial hidden state, of shape (N, H).
    - Wx: Weights for input-to-hidden connections, of shape (D, 4H).
    - Wh: Weights for hidden-to-hidden connections, of shape (H, 4H).
    - b: Biases, of shape (4H,).

    Returns a tuple of:
    - h: Hidden states for all timesteps of all sequences, of shape (N, T, H).
    - cache: Values needed for the backward pass.
    """
    h, cache = None, None
    # TODO: Implement the forward pass for an LSTM over an entire timeseries. Calling
    # lstm_step_forward in a loop is correct. Faster: compute x_t Wx + b for all time steps with
    # one matrix multiply before the loop, and compute the gates in place (np.tanh(a, out=a)).
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    N, T, D = x.shape
    H = h0.shape[1]
    # Input projections of every time step in one matrix multiply: (N*T, D) @ (D, 4H). The
    # array then holds the gate activations i, f, o, g, overwritten step by step in place.
    gates = (x.reshape(N * T, D) @ Wx).reshape(N, T, 4 * H)
    gates += b
    c = np.empty((N, T, H), dtype=gates.dtype)  # cell states
    tanh_c = np.empty_like(c)
    h = np.empty_like(c)
    prev_h, prev_c = h0, np.zeros_like(h0)
    for t in range(T):
        a = gates[:, t]  # (N, 4H) view
        a += prev_h @ Wh
        sigmoid(a[:, :3 * H], out=a[:, :3 * H])  # i, f, o
        np.tanh(a[:, 3 * H:], out=a[:, 3 * H:])  # g
        i, f, o, g = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
        next_c = c[:, t]
        np.multiply(f, prev_c, out=next_c)
        next_c += i * g
        np.tanh(next_c, out=tanh_c[:, t])
        np.multiply(o, tanh_c[:, t], out=h[:, t])
        prev_h, prev_c = h[:, t], next_c
    cache = (x, h0, Wx, Wh, gates, c, tanh_c, h)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return h, cache


def lstm_backward(dh, cache):
    """Backward pass for an LSTM over an entire sequence of data.

    Inputs:
    - dh: Upstream gradients of hidden states, of shape (N, T, H). As in rnn_backward, these
      come from the layers above only; the gradient through the recurrence is yours to add.
    - cache: Values from the forward pass.

    Returns a tuple of:
    - dx: Gradient of input data, of shape (N, T, D).
    - dh0: Gradient of initial hidden state, of shape (N, H).
    - dWx: Gradient of input-to-hidden weight matrix, of shape (D, 4H).
    - dWh: Gradient of hidden-to-hidden weight matrix, of shape (H, 4H).
    - db: Gradient of biases, of shape (4H,).
    """
    dx, dh0, dWx, dWh, db = None, None, None, None, None
    # TODO: Implement the backward pass for an LSTM over an entire timeseries. Calling
    # lstm_step_backward in a loop is correct. Faster: inside the loop compute only the gate
    # pre-activation gradients and dprev_h, dprev_c; then compute dx, dWx, dWh and db for all
    # time steps with one matrix multiply each.
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    x, h0, Wx, Wh, gates, c, tanh_c, h = cache
    N, T, D = x.shape
    H = h0.shape[1]
    da = np.empty_like(gates)  # (N, T, 4H) gradients of the gate pre-activations
    dprev_h = np.zeros_like(h0)
    dprev_c = np.zeros_like(h0)
    for t in reversed(range(T)):
        i, f, o, g = (gates[:, t, k * H:(k + 1) * H] for k in range(4))
        prev_c = c[:, t - 1] if t > 0 else np.zeros_like(h0)
        dnext_h = dh[:, t] + dprev_h  # from the loss at step t and from step t + 1
        # next_c's gradient: through next_h = o * tanh(next_c), plus from step t + 1
        dnext_c = 1 - tanh_c[:, t] * tanh_c[:, t]
        dnext_c *= dnext_h
        dnext_c *= o
        dnext_c += dprev_c
        # Through each gate and its nonlinearity, written into the four slices of da[:, t].
        da_i, da_f, da_o, da_g = (da[:, t, k * H:(k + 1) * H] for k in range(4))
        np.multiply(dnext_c, g, out=da_i)
        da_i *= i * (1 - i)
        np.multiply(dnext_c, prev_c, out=da_f)
        da_f *= f * (1 - f)
        np.multiply(dnext_h, tanh_c[:, t], out=da_o)
        da_o *= o * (1 - o)
        np.multiply(dnext_c, i, out=da_g)
        da_g *= 1 - g * g
        dprev_c = dnext_c * f
        dprev_h = da[:, t] @ Wh.T
    dh0 = dprev_h
    da2 = da.reshape(N * T, 4 * H)
    h_prev = np.concatenate([h0[:, None, :], h[:, :-1]], axis=1)  # (N, T, H): h_{t-1} per step
    dx = (da2 @ Wx.T).reshape(N, T, D)
    dWx = x.reshape(N * T, D).T @ da2
    dWh = h_prev.reshape(N * T, H).T @ da2
    db = da2.sum(axis=0)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    return dx, dh0, dWx, dWh, db


def temporal_affine_forward(x, w, b):
    """Forward pass for a temporal affine layer: the same affine map applied at every time step.

    Inputs:
    - x: Input data of shape (N, T, D).
    - w: Weights of shape (D, M).
    - b: Biases of shape (M,).

    Returns a tuple of:
    - out: Output data of shape (N, T, M).
    - cache: Values needed for the backward pass.
    """
    N, T, D = x.shape
    M = b.shape[0]
    out = (x.reshape(N * T, D) @ w).reshape(N, T, M) + b
    cache = (x, w, b)
    return out, cache


def temporal_affine_backward(dout, cache):
    """Backward pass for a temporal affine layer.

    Inputs:
    - dout: Upstream gradients of shape (N, T, M).
    - cache: Values from the forward pass.

    Returns a tuple of:
    - dx: Gradient of input, of shape (N, T, D).
    - dw: Gradient of weights, of shape (D, M).
    - db: Gradient of biases, of shape (M,).
    """
    x, w, b = cache
    N, T, D = x.shape
    M = b.shape[0]
    dout2 = dout.reshape(N * T, M)
    dx = (dout2 @ w.T).reshape(N, T, D)
    dw = x.reshape(N * T, D).T @ dout2
    db = dout2.sum(axis=0)
    return dx, dw, db


def temporal_softmax_loss(x, y, mask, verbose=False):
    """A temporal version of softmax loss for use in RNNs.

    We assume that we are making predictions over a vocabulary of size V for each timestep of a
    timeseries of length T, over a minibatch of size N. The input x gives scores for all
    vocabulary elements at all timesteps, and y gives the indices of the ground-truth element at
    each timestep. We use a cross-entropy loss at each timestep, summing the loss over all
    timesteps and averaging across the minibatch.

    As an additional complication, we may want to ignore the model output at some timesteps,
    since sequences of different length may have been combined into a minibatch and padded with
    NULL tokens. The optional mask argument tells us which elements should contribute to the
    loss.

    Inputs:
    - x: Input scores, of shape (N, T, V).
    - y: Ground-truth indices, of shape (N, T) where each element is in the range 0 <= y[i, t] < V.
    - mask: Boolean array of shape (N, T) where mask[i, t] tells whether or not the scores at
      x[i, t] should contribute to the loss.
    - verbose: If True, print the shape of dx.

    Returns a tuple of:
    - loss: Scalar giving loss.
    - dx: Gradient of loss with respect to scores x, of shape (N, T, V).
    """
    N, T, V = x.shape
    x_flat = x.reshape(N * T, V)
    y_flat = y.reshape(N * T)
    mask_flat = mask.reshape(N * T)

    # Subtracting the row maximum leaves the softmax unchanged and keeps exp from overflowing.
    probs = np.exp(x_flat - np.max(x_flat, axis=1, keepdims=True))
    probs /= np.sum(probs, axis=1, keepdims=True)
    rows = np.arange(N * T)
    loss = -np.sum(mask_flat * np.log(probs[rows, y_flat])) / N
    dx_flat = probs
    dx_flat[rows, y_flat] -= 1
    dx_flat /= N
    dx_flat *= mask_flat[:, None]

    if verbose:
        print("dx_flat: ", dx_flat.shape)

    dx = dx_flat.reshape(N, T, V)
    return loss, dx
