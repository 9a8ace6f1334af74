#!/usr/bin/env python3
"""Time the numpy RNN and LSTM (forward + backward) against torch.nn.RNN / torch.nn.LSTM.

    python bench/bench_rnn.py [--N 100] [--T 16] [--D 256] [--H 512] [--repeats 5]

For each cell and dtype it times, on the same input, in the same run:
- numpy:    cs231n.rnn_layers.{rnn,lstm}_forward + _backward (the solution);
- per-step: the same model as a plain loop over the *_step_forward / *_step_backward functions
            (what a first, straightforward implementation looks like);
- torch:    torch.nn.RNN / torch.nn.LSTM forward + backward on the CPU, gradients for the input,
            the initial state and the weights, as numpy computes.
The three are interleaved and each reports its best of --repeats runs (this machine is shared and
noisy; the best run is the least disturbed one). Ratios are time / torch time: the target for the
numpy layers is <= 1.5 in float32. GFLOP/s counts the matrix multiplies only: forward
2 N T (D + H) G, backward twice that, with G = H for the RNN and 4H for the LSTM.

Both libraries use their default thread counts. On a busy machine multithreaded BLAS can be erratic;
compare single-threaded with OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 python bench/bench_rnn.py.
"""

import argparse
import os
import time

import numpy as np
import torch

from cs231n.rnn_layers import (
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
    rnn_backward,
    rnn_forward,
    rnn_step_backward,
    rnn_step_forward,
)


def per_step_rnn(x, h0, Wx, Wh, b, dh):
    """Forward and backward as a loop over rnn_step_forward / rnn_step_backward."""
    T = x.shape[1]
    h, caches = h0, []
    for t in range(T):
        h, cache = rnn_step_forward(x[:, t], h, Wx, Wh, b)
        caches.append(cache)
    dx, dWx, dWh, db = np.empty_like(x), 0, 0, 0
    dprev_h = np.zeros_like(h0)
    for t in reversed(range(T)):
        dx[:, t], dprev_h, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t] + dprev_h, caches[t])
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    return dx, dprev_h, dWx, dWh, db


def per_step_lstm(x, h0, Wx, Wh, b, dh):
    """Forward and backward as a loop over lstm_step_forward / lstm_step_backward."""
    T = x.shape[1]
    h, c, caches = h0, np.zeros_like(h0), []
    for t in range(T):
        h, c, cache = lstm_step_forward(x[:, t], h, c, Wx, Wh, b)
        caches.append(cache)
    dx, dWx, dWh, db = np.empty_like(x), 0, 0, 0
    dprev_h, dprev_c = np.zeros_like(h0), np.zeros_like(h0)
    for t in reversed(range(T)):
        dx[:, t], dprev_h, dprev_c, dWx_t, dWh_t, db_t = lstm_step_backward(
            dh[:, t] + dprev_h, dprev_c, caches[t])
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    return dx, dprev_h, dWx, dWh, db


def make_case(cell, N, T, D, H, dtype, seed=0):
    """Inputs, the three runners and the matmul FLOP count for one cell type and dtype."""
    G = 4 * H if cell == "lstm" else H
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, T, D)).astype(dtype)
    h0 = (0.1 * rng.standard_normal((N, H))).astype(dtype)
    Wx = (rng.standard_normal((D, G)) / np.sqrt(D)).astype(dtype)
    Wh = (rng.standard_normal((H, G)) / np.sqrt(H)).astype(dtype)
    b = np.zeros(G, dtype=dtype)
    dh = rng.standard_normal((N, T, H)).astype(dtype)

    forward, backward = (lstm_forward, lstm_backward) if cell == "lstm" else (rnn_forward, rnn_backward)
    per_step = per_step_lstm if cell == "lstm" else per_step_rnn

    def run_numpy():
        _, cache = forward(x, h0, Wx, Wh, b)
        return backward(dh, cache)

    def run_per_step():
        return per_step(x, h0, Wx, Wh, b, dh)

    tdtype = torch.float32 if dtype == np.float32 else torch.float64
    if cell == "lstm":
        module = torch.nn.LSTM(D, H, batch_first=True).to(tdtype)
    else:
        module = torch.nn.RNN(D, H, nonlinearity="tanh", batch_first=True).to(tdtype)
    xt = torch.tensor(x, requires_grad=True)
    h0t = torch.tensor(h0[None], requires_grad=True)
    dht = torch.tensor(dh)

    def run_torch():
        module.zero_grad(set_to_none=True)
        xt.grad = h0t.grad = None
        state = (h0t, torch.zeros_like(h0t)) if cell == "lstm" else h0t
        out, _ = module(xt, state)
        out.backward(dht)
        return xt.grad

    flops = 3 * 2 * N * T * (D + H) * G
    return {"numpy": run_numpy, "per-step": run_per_step, "torch": run_torch}, flops


def best_times(runners, repeats):
    """Best wall time of each runner, interleaving them so that load changes hit all alike."""
    for run in runners.values():  # warm up: allocations, torch's first-call set-up
        run()
    best = {name: float("inf") for name in runners}
    for _ in range(repeats):
        for name, run in runners.items():
            start = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--N", type=int, default=100)
    parser.add_argument("--T", type=int, default=16)
    parser.add_argument("--D", type=int, default=256)
    parser.add_argument("--H", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)

    blas_threads = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    print(f"numpy {np.__version__} (OPENBLAS_NUM_THREADS={blas_threads}), torch {torch.__version__} "
          f"({torch.get_num_threads()} threads); N={args.N} T={args.T} D={args.D} H={args.H}; "
          f"best of {args.repeats}, forward + backward")
    print(f"{'cell':<5} {'dtype':<8} {'impl':<9} {'ms':>8} {'GFLOP/s':>8} {'vs torch':>9}")
    for cell in ["lstm", "rnn"]:
        for dtype in [np.float32, np.float64]:
            runners, flops = make_case(cell, args.N, args.T, args.D, args.H, dtype)
            best = best_times(runners, args.repeats)
            for name in ["numpy", "per-step", "torch"]:
                seconds = best[name]
                print(f"{cell:<5} {np.dtype(dtype).name:<8} {name:<9} {seconds * 1e3:8.1f} "
                      f"{flops / seconds / 1e9:8.1f} {seconds / best['torch']:8.2f}x")


if __name__ == "__main__":
    main()
