"""CaptioningRNN (loss, gradients, greedy sampling, beam search), CaptioningSolver and the update
rules, on tiny seeded models: classic expected values, numeric gradients, stored decoding cases
(cs231n.checks.captioning), torch optimizers."""

import itertools

import numpy as np
import pytest
import torch

from cs231n.captioning_solver import CaptioningSolver
from cs231n.checks import rel_error
from cs231n.checks.captioning import decoding_case, log_softmax, up_to_end
from cs231n.classifiers.rnn import CaptioningRNN
from cs231n.gradient_check import eval_numerical_gradient
from cs231n.optim import adam, rmsprop, sgd, sgd_momentum

NULL, START, END = 0, 1, 2
# The classic lets sample() keep writing after <END> (stopping is optional): captions are compared
# up to and including their first <END> (up_to_end).


def _vocab(words):
    return {w: i for i, w in enumerate(["<NULL>", "<START>", "<END>", *words])}


def _random_model(cell_type, seed=0, V_words=5, D=6, W=4, H=5):
    np.random.seed(seed)
    word_to_idx = _vocab([f"w{i}" for i in range(V_words)])
    return CaptioningRNN(word_to_idx, input_dim=D, wordvec_dim=W, hidden_dim=H, cell_type=cell_type,
                         dtype=np.float64)


# ---------------------------------------------------------------------------------------------
# loss


@pytest.mark.parametrize("cell_type, feature_range, expected", [
    ("rnn", (-1.5, 0.3), 9.83235591003),
    ("lstm", (-0.5, 1.7), 9.82445935443),
])
def test_captioning_rnn_loss_matches_classic_value(cell_type, feature_range, expected):
    N, D, W, H = 10, 20, 30, 40
    word_to_idx = {"<NULL>": 0, "cat": 2, "dog": 3}
    V, T = len(word_to_idx), 13
    model = CaptioningRNN(word_to_idx, input_dim=D, wordvec_dim=W, hidden_dim=H, cell_type=cell_type,
                          dtype=np.float64)
    for k, v in model.params.items():
        model.params[k] = np.linspace(-1.4, 1.3, num=v.size).reshape(*v.shape)
    features = np.linspace(*feature_range, num=N * D).reshape(N, D)
    captions = (np.arange(N * T) % V).reshape(N, T)
    loss, _ = model.loss(features, captions)
    assert abs(loss - expected) < 1e-10 * expected, (
        f"CaptioningRNN.loss ({cell_type}): loss {loss:.11f}, expected {expected}")


@pytest.mark.parametrize("cell_type", ["rnn", "lstm"])
def test_captioning_rnn_gradients_match_numeric_gradient(cell_type):
    model = _random_model(cell_type, seed=1)
    rng = np.random.default_rng(1)
    N, T = 3, 6
    features = rng.standard_normal((N, 6))
    captions = rng.integers(len(model.word_to_idx), size=(N, T))
    captions[0, 4:] = NULL  # padding must not count
    _, grads = model.loss(features, captions)
    for name in sorted(model.params):
        f = lambda _: model.loss(features, captions)[0]
        num = eval_numerical_gradient(f, model.params[name], verbose=False, h=1e-5)
        # Relative to the gradient's norm: entries of 1e-6 carry centred-difference noise of
        # 1e-10 that an entrywise relative error would blow up.
        err = np.linalg.norm(num - grads[name]) / np.linalg.norm(num + grads[name])
        assert err < 1e-7, f"CaptioningRNN.loss ({cell_type}): gradient {name} off by relative error {err:.1e}"


@pytest.mark.parametrize("cell_type", ["rnn", "lstm"])
def test_captioning_rnn_loss_ignores_null_targets(cell_type):
    model = _random_model(cell_type, seed=2)
    rng = np.random.default_rng(2)
    features = rng.standard_normal((2, 6))
    captions = np.asarray([[START, 3, 4, END, NULL, NULL], [START, 5, END, NULL, NULL, NULL]])
    loss_padded, _ = model.loss(features, captions)
    loss_first, _ = model.loss(features[:1], captions[:1, :4])
    loss_second, _ = model.loss(features[1:], captions[1:, :3])
    expected = (loss_first + loss_second) / 2  # the loss averages over the batch
    assert abs(loss_padded - expected) < 1e-12, (
        f"CaptioningRNN.loss ({cell_type}): padding changed the loss ({loss_padded} vs {expected} without it); "
        "mask out the <NULL> targets")


def test_captioning_rnn_rejects_unknown_cell_type():
    with pytest.raises(ValueError, match="gru"):
        CaptioningRNN(_vocab(["a"]), cell_type="gru")


# ---------------------------------------------------------------------------------------------
# sample


def _chain_model(cell_type):
    """A model whose greedy caption is 'a b <END>' for every image: each word's embedding is a
    one-hot code that the recurrent cell passes through, and W_vocab maps it to its successor
    (START -> a -> b -> END -> c), so a sampler that ignores <END> would go on with 'c'."""
    word_to_idx = _vocab(["a", "b", "c"])
    V = len(word_to_idx)
    model = CaptioningRNN(word_to_idx, input_dim=3, wordvec_dim=V, hidden_dim=V, cell_type=cell_type,
                          dtype=np.float64)
    p = {k: np.zeros_like(v) for k, v in model.params.items()}
    p["W_embed"] = 5 * np.eye(V)
    H = V
    if cell_type == "rnn":
        p["Wx"] = np.eye(V)
    else:  # i and o open, f closed, g = tanh(one-hot): h = o * tanh(i * g)
        p["Wx"][:, 3 * H:] = np.eye(V)
        p["b"][:H], p["b"][H:2 * H], p["b"][2 * H:3 * H] = 10, -10, 10
    successor = {"<START>": "a", "a": "b", "b": "<END>", "<END>": "c", "c": "c", "<NULL>": "c"}
    for word, nxt in successor.items():
        p["W_vocab"][word_to_idx[word], word_to_idx[nxt]] = 10
    model.params = p
    return model, word_to_idx


@pytest.mark.parametrize("cell_type", ["rnn", "lstm"])
def test_sample_stops_each_caption_at_end(cell_type):
    model, w = _chain_model(cell_type)
    captions = model.sample(np.zeros((4, 3)), max_length=7)
    expected = [w["a"], w["b"], END]
    assert captions.shape == (4, 7), f"CaptioningRNN.sample: shape {captions.shape}, expected (4, 7)"
    assert up_to_end(captions, END) == [expected] * 4, (
        f"CaptioningRNN.sample ({cell_type}): got {captions[0].tolist()}, expected {expected} first "
        "(the first sampled word first, then <END>)")


@pytest.mark.parametrize("cell_type", ["rnn", "lstm"])
def test_sample_returns_integer_captions_of_max_length(cell_type):
    model = _random_model(cell_type, seed=3)
    captions = model.sample(np.random.default_rng(3).standard_normal((5, 6)), max_length=9)
    assert captions.shape == (5, 9), f"CaptioningRNN.sample: shape {captions.shape}, expected (5, 9)"
    assert np.issubdtype(captions.dtype, np.integer), f"CaptioningRNN.sample: dtype {captions.dtype}"
    assert captions.min() >= 0 and captions.max() < len(model.word_to_idx), (
        "CaptioningRNN.sample: word index outside the vocabulary")


def _case_model(cell_type):
    """The stored decoding case of cell_type and a float64 model holding its weights."""
    case = decoding_case(cell_type)
    model = CaptioningRNN(case.word_to_idx, input_dim=case.input_dim, wordvec_dim=case.wordvec_dim,
                          hidden_dim=case.hidden_dim, cell_type=cell_type, dtype=np.float64)
    model.params = case.params
    return case, model


@pytest.mark.parametrize("cell_type", ["rnn", "lstm"])
def test_sample_matches_stored_greedy_captions(cell_type):
    # Random weights and non-zero biases, captions that vary from word to word, about half of them
    # ending before max_length: a decoder that drops a bias or does not feed its word back is caught.
    case, model = _case_model(cell_type)
    captions = model.sample(case.features, max_length=case.max_length)
    assert up_to_end(captions, END) == case.captions, (
        f"CaptioningRNN.sample ({cell_type}): {up_to_end(captions, END)} differs from the stored greedy captions "
        f"{case.captions} (compared up to <END>)")


@pytest.mark.parametrize("cell_type", ["rnn", "lstm"])
def test_decode_step_log_probabilities_match_stored_values(cell_type):
    # Beam search ranks captions by the log-softmax of _decode_step's scores: a scaled row of scores
    # (a temperature) or probabilities in place of scores keep the greedy word but not the ranking.
    case, model = _case_model(cell_type)
    scores, _, _ = model._decode_step(case.words, case.prev_h.copy(), case.prev_c.copy())
    assert np.shape(scores) == case.log_probs.shape, (
        f"CaptioningRNN._decode_step ({cell_type}): scores of shape {np.shape(scores)}, expected {case.log_probs.shape}")
    err = np.abs(log_softmax(scores) - case.log_probs).max()
    assert err < 1e-8, (
        f"CaptioningRNN._decode_step ({cell_type}): the log-softmax of the scores is off by {err:.1e}; scores must be "
        "next_h W_vocab + b_vocab (unnormalized log-probabilities), not rescaled or turned into probabilities")


@pytest.mark.parametrize("cell_type", ["rnn", "lstm"])
def test_decode_step_next_state_matches_stored_values(cell_type):
    case, model = _case_model(cell_type)
    _, next_h, next_c = model._decode_step(case.words, case.prev_h.copy(), case.prev_c.copy())
    for name, got, want in [("next_h", next_h, case.next_h), ("next_c", next_c, case.next_c)]:
        err = np.abs(np.asarray(got) - want).max()
        assert err < 1e-10, f"CaptioningRNN._decode_step ({cell_type}): {name} off by {err:.1e}"


# ---------------------------------------------------------------------------------------------
# beam search


@pytest.mark.parametrize("cell_type", ["rnn", "lstm"])
def test_beam_search_with_beam_1_equals_greedy(cell_type):
    model = _random_model(cell_type, seed=5, V_words=20, H=16)
    features = np.random.default_rng(5).standard_normal((10, 6))
    greedy = model.sample(features, max_length=12)
    beam = model._beam_search(features, max_length=12, beam_size=1)
    assert up_to_end(greedy, END) == up_to_end(beam, END), (
        "CaptioningRNN._beam_search: beam 1 differs from greedy sample (up to <END>)")


def _log_prob(model, feature, caption):
    """log p(caption | image) under the model, reading words up to and including <END>."""
    h = feature[None] @ model.params["W_proj"] + model.params["b_proj"]
    c, word, total = np.zeros_like(h), np.asarray([START]), 0.0
    for w in caption:
        scores, h, c = model._decode_step(word, h, c)
        scores = scores[0] - scores[0].max()
        total += scores[w] - np.log(np.exp(scores).sum())
        word = np.asarray([w])
        if w == END:
            break
    return total


@pytest.mark.parametrize("cell_type", ["rnn", "lstm"])
def test_beam_search_with_wide_beam_finds_most_probable_caption(cell_type):
    # With a beam as wide as the number of captions of up to L words, beam search is exhaustive.
    model = _random_model(cell_type, seed=6, V_words=2, H=4)
    V, L = len(model.word_to_idx), 3
    features = np.random.default_rng(6).standard_normal((3, 6))
    beam = model.sample(features, max_length=L, beam_size=V ** L)
    for n in range(3):
        # _log_prob stops reading at <END>, so this ranks every possible caption once at least.
        best = max(itertools.product(range(V), repeat=L), key=lambda cap: _log_prob(model, features[n], cap))
        got, want = _log_prob(model, features[n], beam[n]), _log_prob(model, features[n], best)
        assert got >= want - 1e-9, (
            f"CaptioningRNN.sample(beam_size={V ** L}): caption {beam[n].tolist()} has log-prob {got:.4f}, "
            f"but {list(best)} has {want:.4f}")


@pytest.mark.parametrize("cell_type", ["rnn", "lstm"])
def test_beam_search_keeps_end_and_pads_with_null(cell_type):
    model, w = _chain_model(cell_type)
    captions = model.sample(np.zeros((2, 3)), max_length=6, beam_size=3)
    expected = [w["a"], w["b"], END]
    assert up_to_end(captions, END) == [expected] * 2, (
        f"CaptioningRNN.sample(beam_size=3): got {captions[0].tolist()}, expected {expected} first")


# ---------------------------------------------------------------------------------------------
# optim and the solver


def _five_steps_beside_torch(rule, torch_optimizer, seed, config=None):
    """Five steps of an optim rule and of a torch optimizer on the same random gradients.

    Returns (our weights, torch's weights, the rule's config after the steps)."""
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((4, 5))
    wt = torch.tensor(w.copy(), requires_grad=True)
    opt = torch_optimizer([wt])
    for _ in range(5):
        dw = rng.standard_normal(w.shape)
        w, config = rule(w, dw, config)
        wt.grad = torch.tensor(dw)
        opt.step()
    return w, wt.detach().numpy(), config


def test_adam_matches_torch_adam():
    w, expected, _ = _five_steps_beside_torch(
        adam, lambda p: torch.optim.Adam(p, lr=1e-2, betas=(0.9, 0.999), eps=1e-8), 7, {"learning_rate": 1e-2})
    err = rel_error(w, expected)
    assert err < 1e-6, f"adam: weights after 5 steps differ from torch.optim.Adam by {err:.1e}"


def test_sgd_momentum_matches_torch_sgd_with_momentum():
    # torch keeps v = mu v + dw and steps w -= lr v; the classic keeps v = mu v - lr dw and steps
    # w += v: the same iterates for a constant learning rate.
    w, expected, config = _five_steps_beside_torch(
        sgd_momentum, lambda p: torch.optim.SGD(p, lr=1e-2, momentum=0.9), 11)
    assert config["learning_rate"] == 1e-2 and config["momentum"] == 0.9, f"sgd_momentum: defaults {config}"
    err = rel_error(w, expected)
    assert err < 1e-10, f"sgd_momentum: weights after 5 steps differ from torch.optim.SGD(momentum=0.9) by {err:.1e}"


def test_rmsprop_matches_torch_rmsprop():
    w, expected, config = _five_steps_beside_torch(
        rmsprop, lambda p: torch.optim.RMSprop(p, lr=1e-2, alpha=0.99, eps=1e-8), 12)
    assert (config["learning_rate"], config["decay_rate"], config["epsilon"]) == (1e-2, 0.99, 1e-8), (
        f"rmsprop: defaults {config}")
    err = rel_error(w, expected)
    assert err < 1e-8, f"rmsprop: weights after 5 steps differ from torch.optim.RMSprop by {err:.1e}"


def test_sgd_steps_against_the_gradient():
    w, dw = np.ones(3), np.asarray([1.0, -2.0, 0.5])
    next_w, _ = sgd(w.copy(), dw, {"learning_rate": 0.1})
    assert np.allclose(next_w, [0.9, 1.2, 0.95]), f"sgd: got {next_w}"


def _tiny_data(seed=0):
    """A data dict in load_coco_data's format: 8 images, 2 captions each, caption = image id."""
    rng = np.random.default_rng(seed)
    word_to_idx = _vocab([f"w{i}" for i in range(8)])
    captions = []
    for img in range(8):
        for _ in range(2):
            captions.append([START, 3 + img, 3 + (img + 1) % 8, END, NULL])
    captions = np.asarray(captions, dtype=np.int32)
    return {
        "train_captions": captions, "train_image_idxs": np.repeat(np.arange(8), 2).astype(np.int32),
        "val_captions": captions, "val_image_idxs": np.repeat(np.arange(8), 2).astype(np.int32),
        "train_features": rng.standard_normal((8, 6)).astype(np.float32),
        "val_features": rng.standard_normal((8, 6)).astype(np.float32),
        "word_to_idx": word_to_idx, "idx_to_word": list(word_to_idx),
        "train_urls": np.asarray([f"img{i}.png" for i in range(8)]),
        "val_urls": np.asarray([f"img{i}.png" for i in range(8)]),
    }


@pytest.mark.parametrize("cell_type", ["rnn", "lstm"])
def test_captioning_solver_overfits_tiny_data(cell_type):
    data = _tiny_data()
    np.random.seed(0)
    model = CaptioningRNN(data["word_to_idx"], input_dim=6, wordvec_dim=8, hidden_dim=16, cell_type=cell_type)
    solver = CaptioningSolver(model, data, update_rule="adam", optim_config={"learning_rate": 2e-2},
                              lr_decay=0.99, batch_size=16, num_epochs=150, verbose=False)
    solver.train()
    assert len(solver.loss_history) == 150, f"CaptioningSolver: {len(solver.loss_history)} losses for 150 steps"
    first, last = solver.loss_history[0], solver.loss_history[-1]
    assert last < 0.1, f"CaptioningSolver ({cell_type}): loss went from {first:.3f} to {last:.3f}, not below 0.1"
    assert solver.epoch == 150, f"CaptioningSolver: epoch {solver.epoch} after 150 epochs"
    lr = solver.optim_configs["Wx"]["learning_rate"]
    assert abs(lr - 2e-2 * 0.99**150) < 1e-12, f"CaptioningSolver: learning rate {lr} after decay"


def test_captioning_solver_rejects_unknown_arguments():
    model = _random_model("rnn")
    with pytest.raises(ValueError, match="learning_rate"):
        CaptioningSolver(model, _tiny_data(), learning_rate=1e-3)
    with pytest.raises(ValueError, match="rmsprop_typo"):
        CaptioningSolver(model, _tiny_data(), update_rule="rmsprop_typo")
