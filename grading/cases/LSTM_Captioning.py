"""Graded cases of LSTM_Captioning (drivers shared with RNN_Captioning). Grader side only."""


DRIVERS = "RNN_Captioning"
NEEDS = {"lstm_step_backward": ["lstm_step_forward"], "lstm_backward": ["lstm_forward"]}
DRIVER_OF = {}
BUDGET_S = 30
PRELOAD = ["numpy"]  # numpy layers: no torch to import in the sandbox


def _n(rng, *shape, scale=1.0):
    return scale * rng.standard_normal(shape)


def cases(rng):
    close = {"rtol": 1e-6, "atol": 1e-8}
    out = []
    for name, (N, D, H) in (("batch of 3", (3, 4, 5)), ("batch of one", (1, 6, 2))):
        s = {"x": _n(rng, N, D), "prev_h": _n(rng, N, H), "prev_c": _n(rng, N, H),
             "Wx": _n(rng, D, 4 * H, scale=0.4), "Wh": _n(rng, H, 4 * H, scale=0.4), "b": _n(rng, 4 * H),
             "dnext_h": _n(rng, N, H), "dnext_c": _n(rng, N, H)}
        out += [("lstm_step_forward", name, s, close), ("lstm_step_backward", name, s, close)]
    for name, (N, T, D, H) in (("N=2 T=4", (2, 4, 3, 5)), ("one step", (3, 1, 4, 2))):
        s = {"x": _n(rng, N, T, D), "h0": _n(rng, N, H), "Wx": _n(rng, D, 4 * H, scale=0.4),
             "Wh": _n(rng, H, 4 * H, scale=0.4), "b": _n(rng, 4 * H), "dh": _n(rng, N, T, H)}
        out += [("lstm_forward", name, s, close), ("lstm_backward", name, s, close)]
    return out
