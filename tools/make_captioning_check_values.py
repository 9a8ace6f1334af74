#!/usr/bin/env python3
"""Write the stored values the captioning notebooks' checks compare with, from the solutions.

    python tools/make_captioning_check_values.py [--check]

The student edition's checks may not compute what a blank computes, so the values they need ship as
data: cs231n/checks/captioning_values.npz (CaptioningRNN's decoding, for cs231n.checks.captioning)
and cs231n/checks/transformer_values.npz (positional-encoding tables and a CaptioningTransformer
case, for cs231n.checks.transformer). This tool computes them with this repository's solutions; run
it after changing a solution or a case. --check compares the committed files with freshly computed
values instead and exits 1 on a difference (tests/test_captioning_check_values.py does the same and
also checks the solutions against torch.nn references).

Instructor-only: it needs the solutions.
"""

import argparse
import io
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import check_values  # noqa: E402  (tools/: the comparison every make_*_check_values.py shares)

CHECKS = REPO / "cs231n" / "checks"
CAPTIONING_FILE = CHECKS / "captioning_values.npz"
TRANSFORMER_FILE = CHECKS / "transformer_values.npz"

# CaptioningRNN decoding cases: about 30 words and H = 32 give captions that vary from word to word.
RNN_CASE = {"num_words": 27, "input_dim": 6, "wordvec_dim": 8, "hidden_dim": 32, "N": 8, "max_length": 12}
# Positional-encoding tables: every width the checks and tests use, positions 0..199.
PE_DIMS, PE_LEN = (8, 12, 16), 200
# The CaptioningTransformer case of the notebook's forward check and the tests.
TRANSFORMER_CASE = {"input_dim": 10, "wordvec_dim": 16, "num_heads": 2, "num_layers": 2, "dim_feedforward": 32,
                    "max_length": 30, "N": 3, "T": 8, "seed": 231}


def _rnn_model(cell_type, seed):
    """A float64 CaptioningRNN of RNN_CASE's size with random weights and biases, <END> tuned.

    Word vectors get unit scale (the word read in matters), weight matrices three times the model's
    own initial scale (captions vary from word to word instead of settling on one word), biases
    normal values of scale 0.3 (a decoder that drops one is caught). The bias of <END> is then raised
    until greedy decoding ends at least half of the captions before max_length.
    """
    from cs231n.classifiers.rnn import CaptioningRNN

    c = RNN_CASE
    vocab = {"<NULL>": 0, "<START>": 1, "<END>": 2, **{f"w{i}": i + 3 for i in range(c["num_words"])}}
    model = CaptioningRNN(vocab, input_dim=c["input_dim"], wordvec_dim=c["wordvec_dim"], hidden_dim=c["hidden_dim"],
                          cell_type=cell_type, dtype=np.float64)
    rng = np.random.default_rng(seed)
    for k, v in model.params.items():
        scale = 0.3 if v.ndim == 1 else 1.0 if k == "W_embed" else 3.0 / np.sqrt(v.shape[0])
        model.params[k] = scale * rng.standard_normal(v.shape)
    features = rng.standard_normal((c["N"], c["input_dim"]))
    end = vocab["<END>"]
    base = model.params["b_vocab"][end]
    for raise_by in np.arange(0.0, 20.0, 0.25):
        model.params["b_vocab"][end] = base + raise_by
        captions = model.sample(features, max_length=c["max_length"])
        if sum(end in row for row in captions.tolist()) >= c["N"] // 2:
            break
    return model, features, rng


def captioning_values():
    """{"rnn/<name>": array, "lstm/<name>": array}: the weights, inputs and expected outputs of each case."""
    values = {}
    for seed, cell_type in enumerate(("rnn", "lstm")):
        model, features, rng = _rnn_model(cell_type, seed)
        N, H, V = RNN_CASE["N"], RNN_CASE["hidden_dim"], len(model.word_to_idx)
        words = rng.integers(V, size=N)
        prev_h, prev_c = rng.standard_normal((N, H)), rng.standard_normal((N, H))
        scores, next_h, next_c = model._decode_step(words, prev_h.copy(), prev_c.copy())
        scores = scores - scores.max(axis=1, keepdims=True)
        case = dict(model.params, features=features, words=words, prev_h=prev_h, prev_c=prev_c,
                    log_probs=scores - np.log(np.exp(scores).sum(axis=1, keepdims=True)),
                    next_h=next_h, next_c=next_c,
                    captions=model.sample(features, max_length=RNN_CASE["max_length"]).astype(np.int64))
        values.update({f"{cell_type}/{k}": np.asarray(v) for k, v in case.items()})
    return values


def positional_encoding_table(max_len, embed_dim):
    """The sine/cosine encodings from the formula, in float64: an array (max_len, embed_dim)."""
    positions = np.arange(max_len, dtype=np.float64)[:, None]
    rates = 10000.0 ** (-(np.arange(embed_dim) - np.arange(embed_dim) % 2) / embed_dim)  # j - j % 2
    angles = positions * rates
    return np.where(np.arange(embed_dim) % 2 == 0, np.sin(angles), np.cos(angles))


def transformer_values():
    """{"pe/<D>": (PE_LEN, D) tables; "case/<name>": a CaptioningTransformer case} in float64.

    The tables come from the formula in float64 (the solution's own table is float32, so a check
    compares it with them within 1e-5); the tests check the solution against them.

    The case: every parameter of a CaptioningTransformer of TRANSFORMER_CASE's size drawn from
    N(0, 0.5^2) (larger than the initial weights, so the scores are far from uniform), features,
    captions, and the scores forward gives in eval mode.
    """
    import torch

    from cs231n.classifiers.transformer import CaptioningTransformer

    values = {f"pe/{D}": positional_encoding_table(PE_LEN, D) for D in PE_DIMS}

    c = TRANSFORMER_CASE
    torch.manual_seed(c["seed"])
    word_to_idx = {"<NULL>": 0, "<START>": 1, "<END>": 2, "cat": 3, "dog": 4}
    model = CaptioningTransformer(word_to_idx, input_dim=c["input_dim"], wordvec_dim=c["wordvec_dim"],
                                  num_heads=c["num_heads"], num_layers=c["num_layers"], max_length=c["max_length"],
                                  dim_feedforward=c["dim_feedforward"]).double().eval()
    with torch.no_grad():
        for param in model.parameters():
            param.normal_(0.0, 0.5)
    features = torch.randn(c["N"], c["input_dim"], dtype=torch.float64)
    captions = torch.randint(len(word_to_idx), (c["N"], c["T"]))
    with torch.no_grad():
        scores = model(features, captions)
    # Parameters only: the student's model keeps its own buffers (the positional-encoding table).
    values.update({f"case/param/{k}": v.detach().numpy() for k, v in model.named_parameters()})
    values.update({"case/features": features.numpy(), "case/captions": captions.numpy(),
                   "case/scores": scores.numpy(), "case/num_heads": np.asarray(c["num_heads"]),
                   "case/max_length": np.asarray(c["max_length"])})
    return values


def _differences(path, fresh):
    """What differs between the committed file and fresh values: a list of lines (empty when equal)."""
    return check_values.differences(path, fresh, fix="run python tools/make_captioning_check_values.py")


def _write(path, values):
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **values)
    path.write_bytes(buffer.getvalue())
    print(f"wrote {path.relative_to(REPO)} ({len(values)} arrays, {path.stat().st_size} bytes)")


def all_values():
    """{file: values} for every stored-values file this tool writes."""
    return {CAPTIONING_FILE: captioning_values(), TRANSFORMER_FILE: transformer_values()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare the committed files instead of writing them")
    args = parser.parse_args(argv)
    values = all_values()
    if args.check:
        problems = [line for path, fresh in values.items() for line in _differences(path, fresh)]
        print("\n".join(problems) or "stored check values match the solutions")
        return 1 if problems else 0
    for path, fresh in values.items():
        _write(path, fresh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
