"""The classic API contract (../shared/reference/classic_api.md): every name the official CS231n
assignment-3 notebooks (2019-2024) import from this package exists, with the classic signature and the
classic return type, so official notebooks and classic solutions work unchanged."""

import inspect

import numpy as np
import pytest


def _params(fn):
    """{name: default} of a function's parameters (inspect.Parameter.empty where there is none)."""
    return {p.name: p.default for p in inspect.signature(fn).parameters.values()}


# --------------------------------------------------------------------------------------------------
# Captioning, numpy: optim, captioning_solver, image_utils, coco_utils, rnn_layers, classifiers/rnn
# --------------------------------------------------------------------------------------------------

def _numpy_classic_prefix(fn, params, defaults):
    """Assert that fn's parameters start with the classic ones, in order, with the classic defaults, and
    that any parameter after them (an extension, like sample's beam_size) has a default."""
    got = {name: d for name, d in _params(fn).items() if name != "self"}
    names = list(got)
    assert names[:len(params)] == params, f"{fn.__qualname__}{tuple(names)}: the classic starts {tuple(params)}"
    for key, value in defaults.items():
        assert got[key] == value, f"{fn.__qualname__}: default {key}={got[key]!r}, the classic has {value!r}"
    extra = [n for n in names[len(params):] if got[n] is inspect.Parameter.empty]
    assert not extra, f"{fn.__qualname__}: parameters {extra} beyond the classic ones need defaults"


def test_captioning_official_import_cells_work():
    ns = {}
    exec("from cs231n.rnn_layers import *\n"
         "from cs231n.captioning_solver import CaptioningSolver\n"
         "from cs231n.classifiers.rnn import CaptioningRNN\n"
         "from cs231n.coco_utils import load_coco_data, sample_coco_minibatch, decode_captions\n"
         "from cs231n.image_utils import image_from_url\n"
         "from cs231n.gradient_check import eval_numerical_gradient, eval_numerical_gradient_array", ns)
    for name in ("rnn_step_forward", "rnn_step_backward", "rnn_forward", "rnn_backward", "word_embedding_forward",
                 "word_embedding_backward", "sigmoid", "lstm_step_forward", "lstm_step_backward", "lstm_forward",
                 "lstm_backward", "temporal_affine_forward", "temporal_affine_backward", "temporal_softmax_loss",
                 "affine_forward", "affine_backward", "CaptioningSolver", "CaptioningRNN", "load_coco_data",
                 "sample_coco_minibatch", "decode_captions", "image_from_url", "eval_numerical_gradient",
                 "eval_numerical_gradient_array"):
        assert name in ns, f"the official captioning notebooks' imports do not give {name}"
    star = {}
    exec("from cs231n.rnn_layers import *", star)
    assert "np" not in star, "`from cs231n.rnn_layers import *` exports numpy: __all__ lists the layers only"


_RNN_LAYER_SIGNATURES = {
    "affine_forward": ["x", "w", "b"], "affine_backward": ["dout", "cache"],
    "rnn_step_forward": ["x", "prev_h", "Wx", "Wh", "b"], "rnn_step_backward": ["dnext_h", "cache"],
    "rnn_forward": ["x", "h0", "Wx", "Wh", "b"], "rnn_backward": ["dh", "cache"],
    "word_embedding_forward": ["x", "W"], "word_embedding_backward": ["dout", "cache"],
    "sigmoid": ["x"],
    "lstm_step_forward": ["x", "prev_h", "prev_c", "Wx", "Wh", "b"],
    "lstm_step_backward": ["dnext_h", "dnext_c", "cache"],
    "lstm_forward": ["x", "h0", "Wx", "Wh", "b"], "lstm_backward": ["dh", "cache"],
    "temporal_affine_forward": ["x", "w", "b"], "temporal_affine_backward": ["dout", "cache"],
    "temporal_softmax_loss": ["x", "y", "mask", "verbose"],
}


@pytest.mark.parametrize("name", sorted(_RNN_LAYER_SIGNATURES))
def test_rnn_layers_keep_the_classic_signatures(name):
    from cs231n import rnn_layers

    _numpy_classic_prefix(getattr(rnn_layers, name), _RNN_LAYER_SIGNATURES[name],
                    {"verbose": False} if name == "temporal_softmax_loss" else {})


def test_rnn_layers_return_the_classic_tuples():
    from cs231n import rnn_layers as L

    rng = np.random.default_rng(0)
    N, T, D, H, V = 2, 3, 4, 5, 6
    x, h0, c0 = rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    out = L.rnn_step_forward(x, h0, rng.standard_normal((D, H)), rng.standard_normal((H, H)), np.zeros(H))
    assert len(out) == 2 and out[0].shape == (N, H), "rnn_step_forward returns (next_h, cache)"
    assert len(L.rnn_step_backward(np.ones((N, H)), out[1])) == 5, "rnn_step_backward returns (dx, dprev_h, dWx, dWh, db)"
    xs = rng.standard_normal((N, T, D))
    out = L.rnn_forward(xs, h0, rng.standard_normal((D, H)), rng.standard_normal((H, H)), np.zeros(H))
    assert len(out) == 2 and out[0].shape == (N, T, H), "rnn_forward returns (h, cache)"
    assert len(L.rnn_backward(np.ones((N, T, H)), out[1])) == 5, "rnn_backward returns (dx, dh0, dWx, dWh, db)"
    out = L.lstm_step_forward(x, h0, c0, rng.standard_normal((D, 4 * H)), rng.standard_normal((H, 4 * H)), np.zeros(4 * H))
    assert len(out) == 3 and out[0].shape == out[1].shape == (N, H), "lstm_step_forward returns (next_h, next_c, cache)"
    assert len(L.lstm_step_backward(np.ones((N, H)), np.ones((N, H)), out[2])) == 6, (
        "lstm_step_backward returns (dx, dprev_h, dprev_c, dWx, dWh, db)")
    out = L.lstm_forward(xs, h0, rng.standard_normal((D, 4 * H)), rng.standard_normal((H, 4 * H)), np.zeros(4 * H))
    assert len(out) == 2 and out[0].shape == (N, T, H), "lstm_forward returns (h, cache)"
    assert len(L.lstm_backward(np.ones((N, T, H)), out[1])) == 5, "lstm_backward returns (dx, dh0, dWx, dWh, db)"
    words = rng.integers(V, size=(N, T))
    out = L.word_embedding_forward(words, rng.standard_normal((V, D)))
    assert len(out) == 2 and out[0].shape == (N, T, D), "word_embedding_forward returns (out, cache)"
    dW = L.word_embedding_backward(np.ones((N, T, D)), out[1])
    assert isinstance(dW, np.ndarray) and dW.shape == (V, D), "word_embedding_backward returns dW alone"
    loss, dx = L.temporal_softmax_loss(rng.standard_normal((N, T, V)), words, np.ones((N, T), bool))
    assert np.ndim(loss) == 0 and dx.shape == (N, T, V), "temporal_softmax_loss returns (loss, dx)"


def test_captioning_rnn_keeps_the_classic_constructor_loss_and_sample():
    from cs231n.classifiers.rnn import CaptioningRNN

    _numpy_classic_prefix(CaptioningRNN.__init__,
                    ["word_to_idx", "input_dim", "wordvec_dim", "hidden_dim", "cell_type", "dtype"],
                    {"input_dim": 512, "wordvec_dim": 128, "hidden_dim": 128, "cell_type": "rnn", "dtype": np.float32})
    _numpy_classic_prefix(CaptioningRNN.loss, ["features", "captions"], {})
    _numpy_classic_prefix(CaptioningRNN.sample, ["features", "max_length"], {"max_length": 30})
    model = CaptioningRNN({"<NULL>": 0, "<START>": 1, "<END>": 2, "a": 3}, input_dim=4, wordvec_dim=3, hidden_dim=5)
    assert set(model.params) == {"W_embed", "W_proj", "b_proj", "Wx", "Wh", "b", "W_vocab", "b_vocab"}, (
        f"CaptioningRNN.params: {sorted(model.params)}")
    assert all(v.dtype == np.float32 for v in model.params.values()), "CaptioningRNN: float32 parameters by default"
    loss, grads = model.loss(np.ones((2, 4), np.float32), np.asarray([[1, 3, 2], [1, 2, 0]]))
    assert np.ndim(loss) == 0 and set(grads) == set(model.params), "CaptioningRNN.loss returns (loss, grads)"
    captions = model.sample(np.ones((2, 4), np.float32))
    assert captions.shape == (2, 30) and np.issubdtype(captions.dtype, np.integer), "sample: (N, 30) word indices"


def test_optim_keeps_the_classic_rules_and_defaults():
    from cs231n import optim

    for name in ("sgd", "sgd_momentum", "rmsprop", "adam"):
        _numpy_classic_prefix(getattr(optim, name), ["w", "dw", "config"], {"config": None})
    w, dw = np.asarray([1.0, -2.0]), np.asarray([0.5, 0.25])
    next_w, config = optim.sgd_momentum(w.copy(), dw, None)
    assert config["learning_rate"] == 1e-2 and config["momentum"] == 0.9, f"sgd_momentum defaults: {config}"
    assert np.allclose(config["velocity"], -1e-2 * dw) and np.allclose(next_w, w - 1e-2 * dw), (
        "sgd_momentum: v = momentum * v - learning_rate * dw; w += v")
    next_w, config = optim.rmsprop(w.copy(), dw, None)
    assert (config["learning_rate"], config["decay_rate"], config["epsilon"]) == (1e-2, 0.99, 1e-8), (
        f"rmsprop defaults: {config}")
    cache = 0.01 * dw**2
    assert np.allclose(config["cache"], cache) and np.allclose(next_w, w - 1e-2 * dw / (np.sqrt(cache) + 1e-8)), (
        "rmsprop: cache = decay_rate * cache + (1 - decay_rate) * dw**2; w -= lr * dw / (sqrt(cache) + eps)")


@pytest.mark.parametrize("rule", ["sgd", "sgd_momentum", "rmsprop", "adam"])
def test_captioning_solver_looks_up_the_update_rule_by_name(rule):
    from cs231n import optim
    from cs231n.captioning_solver import CaptioningSolver
    from cs231n.classifiers.rnn import CaptioningRNN

    word_to_idx = {"<NULL>": 0, "<START>": 1, "<END>": 2, "a": 3}
    data = {"train_captions": np.asarray([[1, 3, 2, 0]] * 4, np.int32), "train_image_idxs": np.arange(4, dtype=np.int32),
            "train_features": np.ones((4, 3), np.float32), "train_urls": np.asarray(["x"] * 4),
            "word_to_idx": word_to_idx, "idx_to_word": list(word_to_idx)}
    np.random.seed(0)
    model = CaptioningRNN(word_to_idx, input_dim=3, wordvec_dim=2, hidden_dim=3)
    solver = CaptioningSolver(model, data, update_rule=rule, optim_config={"learning_rate": 1e-2}, batch_size=2,
                              num_epochs=1, verbose=False)
    assert solver.update_rule is getattr(optim, rule), f"CaptioningSolver(update_rule={rule!r}) uses {solver.update_rule}"
    solver.train()
    assert len(solver.loss_history) == 2, f"CaptioningSolver(update_rule={rule!r}) did not train"


def test_image_utils_keeps_the_classic_helpers():
    from cs231n import image_utils

    _numpy_classic_prefix(image_utils.blur_image, ["X"], {})
    _numpy_classic_prefix(image_utils.preprocess_image, ["img"], {})
    _numpy_classic_prefix(image_utils.deprocess_image, ["img", "rescale"], {"rescale": False})
    _numpy_classic_prefix(image_utils.image_from_url, ["url"], {})
    _numpy_classic_prefix(image_utils.load_image, ["filename", "size"], {"size": None})
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2, 3, 5, 4))
    kernel = np.asarray([[1, 2, 1], [2, 188, 2], [1, 2, 1]]) / 200
    padded = np.pad(X, [(0, 0), (0, 0), (1, 1), (1, 1)])
    expected = np.zeros_like(X)
    for i in range(5):
        for j in range(4):
            expected[:, :, i, j] = (padded[:, :, i:i + 3, j:j + 3] * kernel).sum(axis=(2, 3))
    blurred = image_utils.blur_image(X)
    assert blurred.shape == X.shape and np.allclose(blurred, expected), "blur_image: not the classic 3x3 kernel / 200"
    img = rng.integers(0, 256, size=(4, 5, 3)).astype(np.uint8)
    pre = image_utils.preprocess_image(img)
    assert pre.dtype == np.float32 and np.allclose(
        pre, (img / 255 - image_utils.SQUEEZENET_MEAN) / image_utils.SQUEEZENET_STD, atol=1e-6), (
        "preprocess_image: (img / 255 - SQUEEZENET_MEAN) / SQUEEZENET_STD as float32")
    back = image_utils.deprocess_image(pre)
    assert back.dtype == np.uint8 and np.abs(back.astype(int) - img).max() <= 1, "deprocess_image: not the inverse"
    stretched = image_utils.deprocess_image(pre, rescale=True)
    assert stretched.dtype == np.uint8 and stretched.min() == 0 and stretched.max() == 255, (
        "deprocess_image(rescale=True): not stretched to [0, 255]")


def test_coco_utils_keeps_base_dir_and_the_classic_signatures():
    from cs231n import coco_utils

    assert isinstance(coco_utils.BASE_DIR, str) and coco_utils.BASE_DIR.endswith("coco_captioning"), (
        f"coco_utils.BASE_DIR: {coco_utils.BASE_DIR!r}")
    _numpy_classic_prefix(coco_utils.load_coco_data, ["base_dir", "max_train", "pca_features"],
                    {"base_dir": coco_utils.BASE_DIR, "max_train": None, "pca_features": True})
    _numpy_classic_prefix(coco_utils.sample_coco_minibatch, ["data", "batch_size", "split"],
                    {"batch_size": 100, "split": "train"})
    _numpy_classic_prefix(coco_utils.decode_captions, ["captions", "idx_to_word"], {})
    words = ["<NULL>", "<START>", "<END>", "<UNK>", "a", "cat"]
    assert coco_utils.decode_captions(np.asarray([[1, 4, 5, 2, 0]]), words) == ["<START> a cat <END>"], (
        "decode_captions: a list of strings, <NULL> skipped")


def test_gradient_check_keeps_the_classic_signatures():
    from cs231n import gradient_check

    _numpy_classic_prefix(gradient_check.eval_numerical_gradient, ["f", "x", "verbose", "h"], {"verbose": True, "h": 1e-5})
    _numpy_classic_prefix(gradient_check.eval_numerical_gradient_array, ["f", "x", "df", "h"], {"h": 1e-5})
