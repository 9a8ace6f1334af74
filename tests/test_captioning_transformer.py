"""CaptioningTransformer and its solver: shapes, causal masking, a torch.nn reference, sampling."""

import itertools

import numpy as np
import pytest
import torch

from cs231n.checks.transformer import forward_case, load_forward_case
from cs231n.classifiers.transformer import CaptioningTransformer

WORDS = ["<NULL>", "<START>", "<END>", "<UNK>", "a", "cat", "dog", "sits"]
WORD_TO_IDX = {w: i for i, w in enumerate(WORDS)}
NULL, START, END = 0, 1, 2


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _model(seed=0, W=16, heads=2, layers=2, spread=0.5, vocab=WORD_TO_IDX, ffn=32):
    """A small float64 model in eval mode with weights large enough for confident predictions."""
    torch.manual_seed(seed)
    model = CaptioningTransformer(vocab, input_dim=10, wordvec_dim=W, num_heads=heads,
                                  num_layers=layers, max_length=20, dim_feedforward=ffn)
    model = model.double().eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" not in name:
                p.normal_(0.0, spread)
    return model


def _inputs(N=3, T=6, seed=1, V=8):
    g = torch.Generator().manual_seed(seed)
    features = torch.randn(N, 10, generator=g, dtype=torch.float64)
    captions = torch.randint(0, V, (N, T), generator=g)
    return features, captions


def test_forward_returns_scores_of_shape_N_T_V():
    model = _model()
    features, captions = _inputs(N=3, T=6)
    scores = model(features, captions)
    assert tuple(scores.shape) == (3, 6, len(WORDS)), \
        f"CaptioningTransformer.forward: scores shape {tuple(scores.shape)}, expected (3, 6, {len(WORDS)})"


def test_forward_matches_stored_scores():
    # Stored weights (every parameter drawn from N(0, 0.5^2)) and the scores a correct forward gives;
    # tests/test_captioning_check_values.py checks them against torch.nn.TransformerDecoder.
    model = CaptioningTransformer(**forward_case()["model_kwargs"]).double().eval()
    features, captions, expected = load_forward_case(model)
    with torch.no_grad():
        scores = model(features, captions)
    assert tuple(scores.shape) == tuple(expected.shape), (
        f"CaptioningTransformer.forward: scores shape {tuple(scores.shape)}, expected {tuple(expected.shape)}")
    err = (scores - expected).abs().max().item()
    # Both positional-encoding tables are float32 (given code), computed perhaps in another order,
    # which moves scores of size 1 by up to about 1e-7.
    assert err < 1e-6, f"CaptioningTransformer.forward: scores differ from the stored ones by {err:.2e}"


def test_changing_a_later_word_never_changes_earlier_scores():
    model = _model()
    features, captions = _inputs(N=2, T=8)
    with torch.no_grad():
        scores = model(features, captions)
        for t in range(1, 8):
            changed = captions.clone()
            changed[:, t:] = (changed[:, t:] + 1 + torch.arange(8 - t)) % len(WORDS)
            new = model(features, changed)
            err = (new[:, :t] - scores[:, :t]).abs().max().item()
            assert err < 1e-12, \
                f"CaptioningTransformer.forward: changing words {t}.. changed the scores of steps < {t} by {err:.2e} (causal mask?)"
            assert (new[:, t] - scores[:, t]).abs().max().item() > 1e-6, \
                f"CaptioningTransformer.forward: the scores at step {t} ignore the word at step {t}"


def test_forward_depends_on_image_features():
    model = _model()
    features, captions = _inputs()
    with torch.no_grad():
        diff = (model(features, captions) - model(features + 1.0, captions)).abs().max().item()
    assert diff > 1e-6, "CaptioningTransformer.forward: the scores do not depend on the image features"


def test_sample_takes_numpy_and_returns_numpy_word_ids():
    model = _model().float()
    features = np.random.RandomState(0).randn(4, 10).astype(np.float32)
    captions = model.sample(features, max_length=9)
    assert isinstance(captions, np.ndarray), f"CaptioningTransformer.sample returned {type(captions)}, not numpy"
    assert captions.shape == (4, 9) and np.issubdtype(captions.dtype, np.integer), \
        f"CaptioningTransformer.sample: got {captions.shape} {captions.dtype}, expected (4, 9) integers"
    assert captions.min() >= 0 and captions.max() < len(WORDS)


def test_greedy_sample_takes_the_argmax_word_at_each_step():
    model = _model(seed=3)
    features, _ = _inputs(N=5)
    captions = torch.from_numpy(model.sample(features, max_length=7))
    with torch.no_grad():
        for n in range(5):
            prefix = torch.tensor([[START]])
            for t in range(7):
                best = model(features[n:n + 1], prefix)[0, -1].argmax().item()
                assert captions[n, t].item() == best, f"sample: image {n} step {t} is not the argmax word"
                if best == END:
                    assert (captions[n, t + 1:] == NULL).all(), "sample: positions after <END> must be <NULL>"
                    break
                prefix = torch.cat([prefix, torch.tensor([[best]])], dim=1)


def test_beam_size_one_equals_greedy():
    model = _model(seed=4)
    features, _ = _inputs(N=6)
    greedy = model.sample(features, max_length=8)
    beam = model.sample(features, max_length=8, beam_size=1)
    assert np.array_equal(greedy, beam), "sample(beam_size=1) should equal greedy decoding"


def _log_prob(model, feature, words):
    """Log-probability of a caption (up to and including its first <END>) under the model."""
    seq = torch.tensor([[START] + list(words)])
    with torch.no_grad():
        logp = torch.log_softmax(model(feature.unsqueeze(0), seq[:, :-1])[0], dim=-1)
    return sum(logp[t, w].item() for t, w in enumerate(words))


def test_beam_search_with_a_wide_beam_finds_the_most_probable_caption():
    vocab = {w: i for i, w in enumerate(WORDS[:5])}  # V = 5
    model = _model(seed=5, spread=0.8, vocab=vocab)
    features, _ = _inputs(N=3)
    L = 3
    beam = model.sample(features, max_length=L, beam_size=5 ** L)
    for n in range(3):
        candidates = set()
        for seq in itertools.product(range(5), repeat=L):
            seq = list(seq)
            if END in seq:
                seq = seq[:seq.index(END) + 1]
            candidates.add(tuple(seq))
        best = max(candidates, key=lambda s: _log_prob(model, features[n], s))
        got = [w for w in beam[n].tolist()]
        if END in got:
            got = got[:got.index(END) + 1]
        assert tuple(got) == best, f"beam search: image {n} got {got}, the most probable caption is {list(best)}"


def test_beam_search_scores_at_least_as_high_as_greedy_on_average():
    model = _model(seed=6, spread=0.6)
    features, _ = _inputs(N=8)

    def score(caps):
        total = 0.0
        for n, row in enumerate(caps.tolist()):
            words = row[:row.index(END) + 1] if END in row else row
            total += _log_prob(model, features[n], words)
        return total

    greedy, beam = model.sample(features, max_length=6), model.sample(features, max_length=6, beam_size=4)
    assert score(beam) >= score(greedy) - 1e-9, "beam search found less probable captions than greedy decoding"


def test_sample_restores_training_mode_and_is_deterministic():
    model = _model().train()
    features, _ = _inputs()
    a, b = model.sample(features, max_length=6), model.sample(features, max_length=6)
    assert model.training, "sample must put the model back in training mode"
    assert np.array_equal(a, b), "sample must run in eval mode (no dropout): two calls differ"


# ---------------------------------------------------------------------------- solver

def test_transformer_loss_ignores_null_positions_and_averages_over_all_positions():
    from cs231n.captioning_solver_transformer import CaptioningSolverTransformer

    torch.manual_seed(0)
    x = torch.randn(3, 4, 5, dtype=torch.float64)
    y = torch.tensor([[4, 2, 0, 0], [3, 3, 2, 0], [2, 0, 0, 0]])
    mask = y != 0
    loss = CaptioningSolverTransformer.transformer_temporal_softmax_loss(None, x, y, mask)
    logp = torch.log_softmax(x, dim=-1)
    expected = -sum(logp[n, t, y[n, t]] for n in range(3) for t in range(4) if y[n, t] != 0) / 12
    assert abs(loss.item() - expected.item()) < 1e-12, \
        f"transformer_temporal_softmax_loss: {loss.item()} but expected {expected.item()}"


def _synthetic_data(num_images=8, seed=0):
    """A captioning dict in load_coco_data's format where each image has one fixed caption."""
    rng = np.random.RandomState(seed)
    T = 7
    captions = np.zeros((num_images, T), dtype=np.int32)
    for i in range(num_images):
        length = rng.randint(2, 5)
        captions[i, 0] = START
        captions[i, 1:length + 1] = rng.randint(3, len(WORDS), size=length)
        captions[i, length + 1] = END
    return {
        "train_captions": captions,
        "train_image_idxs": np.arange(num_images, dtype=np.int32),
        "train_features": rng.randn(num_images, 10).astype(np.float32),
        "train_urls": np.array([f"img{i}.png" for i in range(num_images)]),
        "idx_to_word": WORDS,
        "word_to_idx": WORD_TO_IDX,
    }


def _eval_loss(solver, data):
    """The solver's loss on all training captions, in eval mode (no dropout noise)."""
    model = solver.model.eval()
    captions = torch.as_tensor(data["train_captions"], dtype=torch.long)
    features = torch.as_tensor(data["train_features"][data["train_image_idxs"]])
    with torch.no_grad():
        scores = model(features, captions[:, :-1])
    return solver.transformer_temporal_softmax_loss(scores, captions[:, 1:], captions[:, 1:] != NULL).item()


def test_solver_overfits_a_tiny_dataset_and_sampling_recovers_its_captions():
    from cs231n.captioning_solver_transformer import CaptioningSolverTransformer

    torch.manual_seed(0)
    np.random.seed(0)
    data = _synthetic_data()
    model = CaptioningTransformer(WORD_TO_IDX, input_dim=10, wordvec_dim=64, num_heads=2, num_layers=1,
                                  max_length=20, dim_feedforward=128)
    solver = CaptioningSolverTransformer(model, data, idx_to_word=WORDS, num_epochs=300, batch_size=8,
                                         learning_rate=2e-3, verbose=False)
    before = _eval_loss(solver, data)
    solver.train()
    after = _eval_loss(solver, data)
    assert len(solver.loss_history) == 300, f"CaptioningSolverTransformer ran {len(solver.loss_history)} iterations, expected 300"
    assert after < 0.1 * before, f"CaptioningSolverTransformer: eval loss went from {before:.3f} to {after:.3f} only"
    sampled = model.sample(data["train_features"], max_length=6)
    truth = data["train_captions"][:, 1:7]
    assert np.array_equal(sampled, truth), "after overfitting, sample should reproduce the training captions"


def test_evaluate_loss_is_the_eval_mode_loss_over_all_captions():
    from cs231n.captioning_solver_transformer import CaptioningSolverTransformer

    torch.manual_seed(0)
    data = _synthetic_data(num_images=7)
    model = CaptioningTransformer(WORD_TO_IDX, input_dim=10, wordvec_dim=16, num_heads=2, num_layers=1,
                                  max_length=20, dim_feedforward=32).train()
    solver = CaptioningSolverTransformer(model, data, idx_to_word=WORDS, verbose=False)
    got = solver.evaluate_loss(batch_size=3)  # batches of 3, 3 and 1 captions
    expected = _eval_loss(solver, data)
    assert abs(got - expected) < 1e-6, f"evaluate_loss: {got} but the eval-mode loss over all captions is {expected}"
    model.train()
    solver.evaluate_loss()
    assert model.training, "evaluate_loss must put the model back in training mode"
