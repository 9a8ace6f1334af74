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


# --------------------------------------------------------------------------------------------------
# Transformer
# --------------------------------------------------------------------------------------------------

def test_transformer_official_import_cell_works():
    ns = {}
    exec("from cs231n.transformer_layers import *\n"
         "from cs231n.classifiers.transformer import CaptioningTransformer\n"
         "from cs231n.captioning_solver_transformer import CaptioningSolverTransformer", ns)
    # torch too: the official notebook calls torch.manual_seed and torch.randn without importing torch.
    for name in ("PositionalEncoding", "MultiHeadAttention", "CaptioningTransformer", "CaptioningSolverTransformer",
                 "torch"):
        assert name in ns, f"the official Transformer notebook's imports do not give {name}"


def _classic_prefix(fn, params, defaults):
    """Assert that fn's parameters start with the classic ones, in order, with the classic defaults;
    any parameter after them (an extension) must have a default, so classic calls keep working."""
    got = _params(fn)
    names = [n for n in got if n != "self"]
    assert names[:len(params)] == params, f"{fn.__qualname__}{tuple(names)}, classic starts {tuple(params)}"
    for key, value in defaults.items():
        assert got[key] == value, f"{fn.__qualname__}: default {key}={got[key]!r}, classic {value!r}"
    extra = [n for n in names[len(params):] if got[n] is inspect.Parameter.empty
             and n not in ("args", "kwargs")]
    assert not extra, f"{fn.__qualname__}: parameters {extra} beyond the classic ones need defaults"


@pytest.mark.parametrize("qualname, params, defaults", [
    ("transformer_layers.PositionalEncoding.__init__", ["embed_dim", "dropout", "max_len"],
     {"dropout": 0.1, "max_len": 5000}),
    ("transformer_layers.PositionalEncoding.forward", ["x"], {}),
    ("transformer_layers.MultiHeadAttention.__init__", ["embed_dim", "num_heads", "dropout"], {"dropout": 0.1}),
    ("transformer_layers.MultiHeadAttention.forward", ["query", "key", "value", "attn_mask"], {"attn_mask": None}),
    ("classifiers.transformer.CaptioningTransformer.__init__",
     ["word_to_idx", "input_dim", "wordvec_dim", "num_heads", "num_layers", "max_length"],
     {"num_heads": 4, "num_layers": 2, "max_length": 50}),
    ("classifiers.transformer.CaptioningTransformer.forward", ["features", "captions"], {}),
    ("classifiers.transformer.CaptioningTransformer.sample", ["features", "max_length"], {"max_length": 30}),
    ("classifiers.transformer.TransformerDecoderLayer.__init__", ["input_dim", "num_heads", "dim_feedforward", "dropout"],
     {"dim_feedforward": 2048, "dropout": 0.1}),
    ("classifiers.transformer.TransformerDecoderLayer.forward", ["tgt", "memory", "tgt_mask"], {"tgt_mask": None}),
    ("classifiers.transformer.TransformerDecoder.__init__", ["decoder_layer", "num_layers"], {}),
    ("classifiers.transformer.TransformerDecoder.forward", ["tgt", "memory", "tgt_mask"], {"tgt_mask": None}),
    ("captioning_solver_transformer.CaptioningSolverTransformer.__init__", ["model", "data", "idx_to_word"], {}),
    ("captioning_solver_transformer.CaptioningSolverTransformer.train", [], {}),
    ("captioning_solver_transformer.CaptioningSolverTransformer.transformer_temporal_softmax_loss",
     ["x", "y", "mask"], {}),
])
def test_transformer_classic_signatures(qualname, params, defaults):
    import importlib

    module, *attrs = qualname.split(".")
    if module == "classifiers":
        module, attrs = f"classifiers.{attrs[0]}", attrs[1:]
    obj = importlib.import_module(f"cs231n.{module}")
    for attr in attrs:
        obj = getattr(obj, attr)
    _classic_prefix(obj, params, defaults)


def test_transformer_layers_have_the_classic_attributes():
    import torch.nn as nn

    from cs231n.transformer_layers import MultiHeadAttention, PositionalEncoding

    attn = MultiHeadAttention(8, 2, dropout=0.2)
    for name in ("key", "query", "value", "proj"):
        layer = getattr(attn, name)
        assert isinstance(layer, nn.Linear) and tuple(layer.weight.shape) == (8, 8), \
            f"MultiHeadAttention.{name} should be nn.Linear(embed_dim, embed_dim)"
    assert isinstance(attn.attn_drop, nn.Dropout) and attn.attn_drop.p == 0.2, "MultiHeadAttention.attn_drop"
    assert (attn.n_head, attn.emd_dim, attn.head_dim) == (2, 8, 4), \
        "MultiHeadAttention: classic solutions read self.n_head, self.emd_dim (sic) and self.head_dim"
    pe = PositionalEncoding(6, dropout=0.3, max_len=11)
    assert isinstance(pe.dropout, nn.Dropout) and pe.dropout.p == 0.3, "PositionalEncoding.dropout"
    assert "pe" in dict(pe.named_buffers()) and tuple(pe.pe.shape) == (1, 11, 6), \
        "PositionalEncoding registers its (1, max_len, embed_dim) table as the buffer 'pe', as the classic does"


def test_transformer_official_attention_and_encoding_cells_run():
    """The official MultiHeadAttention cell (self-attention, a random boolean mask, cross-attention on
    another sequence, keyword arguments) and PositionalEncoding cell (default max_len), training mode."""
    import torch

    from cs231n.transformer_layers import MultiHeadAttention, PositionalEncoding

    torch.manual_seed(231)
    batch_size, sequence_length, embed_dim = 1, 3, 8
    attn = MultiHeadAttention(embed_dim, num_heads=2)
    data = torch.randn(batch_size, sequence_length, embed_dim)
    mask = torch.randn(sequence_length, sequence_length) < 0.5
    other_data = torch.randn(batch_size, sequence_length, embed_dim)
    outputs = {"self-attention": attn(query=data, key=data, value=data),
               "masked self-attention": attn(query=data, key=data, value=data, attn_mask=mask),
               "attention over two inputs": attn(query=data, key=other_data, value=other_data)}
    for name, out in outputs.items():
        assert tuple(out.shape) == (1, 3, 8) and torch.isfinite(out).all(), \
            f"MultiHeadAttention, official cell, {name}: {tuple(out.shape)}, expected finite (1, 3, 8)"

    pe = PositionalEncoding(6)
    out = pe(torch.randn(1, 2, 6))
    assert tuple(out.shape) == (1, 2, 6), f"PositionalEncoding, official cell: {tuple(out.shape)}, expected (1, 2, 6)"


def test_transformer_official_forward_cell_runs():
    """The official notebook's CaptioningTransformer cell: a vocabulary without <START>/<END>, every
    parameter replaced by a float64 linspace (the encoding table stays float32), training mode."""
    import torch

    from cs231n.classifiers.transformer import CaptioningTransformer

    torch.manual_seed(231)
    N, D, W, T = 4, 20, 30, 3
    word_to_idx = {"<NULL>": 0, "cat": 2, "dog": 3}
    V = len(word_to_idx)
    transformer = CaptioningTransformer(word_to_idx, input_dim=D, wordvec_dim=W, num_heads=2, num_layers=2,
                                        max_length=30)
    for _, v in transformer.named_parameters():
        v.data = torch.from_numpy(np.linspace(-1.4, 1.3, num=v.numel()).reshape(*v.shape))
    features = torch.from_numpy(np.linspace(-1.5, 0.3, num=(N * D)).reshape(N, D))
    captions = torch.from_numpy((np.arange(N * T) % V).reshape(N, T))
    for attr in ("visual_projection", "embedding", "positional_encoding", "transformer", "output"):
        assert hasattr(transformer, attr), f"CaptioningTransformer.{attr}: classic solutions of forward use it"
    scores = transformer(features, captions)
    assert tuple(scores.shape) == (N, T, V) and scores.dtype == torch.float64, \
        f"CaptioningTransformer.forward: {tuple(scores.shape)} {scores.dtype}, expected ({N}, {T}, {V}) float64"
    assert torch.isfinite(scores).all(), "CaptioningTransformer.forward: scores are not finite"


def test_transformer_official_solver_and_sample_calls_work():
    """The official overfit and sampling cells: the solver's keyword arguments, loss_history, and
    sample(numpy features, max_length=30) returning numpy word indices."""
    import torch

    from cs231n.captioning_solver_transformer import CaptioningSolverTransformer
    from cs231n.classifiers.transformer import CaptioningTransformer

    torch.manual_seed(0)
    rng = np.random.RandomState(0)
    words = ["<NULL>", "<START>", "<END>", "<UNK>", "a", "cat"]
    word_to_idx = {w: i for i, w in enumerate(words)}
    captions = np.array([[1, 4, 5, 2, 0], [1, 5, 4, 2, 0]], dtype=np.int32)
    data = {"train_captions": captions, "train_image_idxs": np.arange(2, dtype=np.int32),
            "train_features": rng.randn(2, 12).astype(np.float32), "idx_to_word": words, "word_to_idx": word_to_idx,
            "train_urls": np.array(["a.png", "b.png"])}
    transformer = CaptioningTransformer(word_to_idx=word_to_idx, input_dim=12, wordvec_dim=16, num_heads=2,
                                        num_layers=2)
    solver = CaptioningSolverTransformer(transformer, data, idx_to_word=words, num_epochs=3, batch_size=2,
                                         learning_rate=0.001, verbose=False, print_every=10)
    solver.train()
    assert len(solver.loss_history) == 3 and all(np.isfinite(solver.loss_history)), \
        f"CaptioningSolverTransformer.loss_history: {solver.loss_history}"
    sampled = transformer.sample(data["train_features"], max_length=30)
    assert isinstance(sampled, np.ndarray) and sampled.shape == (2, 30), \
        f"CaptioningTransformer.sample: {type(sampled).__name__} {getattr(sampled, 'shape', None)}, expected (2, 30)"


# --------------------------------------------------------------------------------------------------
# Network visualization
# --------------------------------------------------------------------------------------------------

def _netvis_tiny_model():
    import torch
    from torch import nn

    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(4, 5)).eval()


def test_net_visualization_official_import_cells_work():
    ns = {}
    exec("import torchvision.transforms as T\n"
         "from cs231n.image_utils import SQUEEZENET_MEAN, SQUEEZENET_STD\n"
         "from cs231n.net_visualization_pytorch import *\n"
         "from cs231n.data_utils import load_imagenet_val", ns)
    for name in ("compute_saliency_maps", "make_fooling_image", "class_visualization_update_step", "preprocess",
                 "deprocess", "rescale", "blur_image", "jitter", "create_class_visualization", "load_imagenet_val"):
        assert callable(ns.get(name)), f"the official network-visualization imports lack {name}"


def test_net_visualization_star_import_exports_the_assignment_only():
    star = {}
    exec("from cs231n.net_visualization_pytorch import *", star)
    exported = set(star) - {"__builtins__"}
    expected = {"compute_saliency_maps", "make_fooling_image", "class_visualization_update_step", "grad_cam",
                "create_class_visualization", "preprocess", "deprocess", "rescale", "blur_image", "jitter"}
    assert exported == expected, (f"`from cs231n.net_visualization_pytorch import *`: missing "
                                  f"{sorted(expected - exported)}, exported by accident {sorted(exported - expected)}")


@pytest.mark.parametrize("name, params", [
    ("compute_saliency_maps", ["X", "y", "model"]),
    ("make_fooling_image", ["X", "target_y", "model"]),
    ("class_visualization_update_step", ["img", "model", "target_y", "l2_reg", "learning_rate"]),
    ("jitter", ["X", "ox", "oy"]),
    ("rescale", ["x"]),
])
def test_net_visualization_classic_signatures(name, params):
    from cs231n import net_visualization_pytorch as nv

    fn = getattr(nv, name)
    positional = [p.name for p in inspect.signature(fn).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    assert positional == params, f"{name}{tuple(positional)}: the classic signature is {name}({', '.join(params)})"
    extra = {n: d for n, d in _params(fn).items() if n not in params}
    assert all(d is not inspect.Parameter.empty for d in extra.values()), \
        f"{name}: the extensions {sorted(extra)} need defaults, so classic calls work"
    if name == "make_fooling_image":
        kinds = {p.name: p.kind for p in inspect.signature(fn).parameters.values()}
        assert kinds.get("max_iter") is inspect.Parameter.KEYWORD_ONLY, \
            "make_fooling_image: max_iter is an extension, keyword-only with a default"


def test_net_visualization_classic_defaults():
    from cs231n import net_visualization_pytorch as nv
    from cs231n.data_utils import load_imagenet_val

    assert _params(nv.preprocess) == {"img": inspect.Parameter.empty, "size": 224}, \
        f"preprocess{tuple(_params(nv.preprocess).items())}: the classic is preprocess(img, size=224)"
    assert _params(nv.deprocess) == {"img": inspect.Parameter.empty, "should_rescale": True}, \
        "deprocess: the classic is deprocess(img, should_rescale=True)"
    assert _params(nv.blur_image) == {"X": inspect.Parameter.empty, "sigma": 1}, \
        "blur_image: the classic is blur_image(X, sigma=1)"
    assert list(_params(load_imagenet_val))[:1] == ["num"] and _params(load_imagenet_val)["num"] is None, \
        "load_imagenet_val: the classic is load_imagenet_val(num=None)"
    vis = _params(nv.create_class_visualization)
    assert list(vis)[:3] == ["target_y", "model", "dtype"], \
        f"create_class_visualization{tuple(vis)}: the classic starts (target_y, model, dtype)"
    classic = {"l2_reg": 1e-3, "learning_rate": 25, "num_iterations": 100, "blur_every": 10, "max_jitter": 16,
               "show_every": 25, "generate_plots": True}
    for key, value in classic.items():
        assert vis.get(key) == value, f"create_class_visualization: {key}={vis.get(key)!r}, the classic has {value!r}"


def test_net_visualization_classic_return_types():
    import torch
    from PIL import Image

    from cs231n import net_visualization_pytorch as nv

    img = Image.fromarray(np.random.default_rng(0).integers(0, 256, (30, 40, 3), dtype=np.uint8))
    x = nv.preprocess(img)
    assert torch.is_tensor(x) and x.dtype == torch.float32 and tuple(x.shape) == (1, 3, 224, 298), \
        f"preprocess: {type(x).__name__} {getattr(x, 'shape', None)}; the classic gives a float32 (1, 3, 224, W) tensor"
    picture = nv.deprocess(x.clone())
    assert isinstance(picture, Image.Image) and picture.size == (298, 224), \
        f"deprocess: returned {picture!r}; the classic returns a PIL image"
    X = torch.randn(2, 3, 6, 6)
    assert nv.blur_image(X) is X, "blur_image: the classic blurs in place and returns X"
    assert nv.jitter(X, 2, 1).shape == X.shape, "jitter: the classic keeps the shape"
    torch.manual_seed(0)
    out = nv.create_class_visualization(1, _netvis_tiny_model(), torch.FloatTensor, num_iterations=2,
                                        generate_plots=False)  # the classic passes dtype = torch.FloatTensor
    assert isinstance(out, Image.Image) and out.size == (224, 224), \
        f"create_class_visualization: returned {out!r}; the classic returns a PIL image"


def test_net_visualization_load_imagenet_val_classic_return(monkeypatch):
    from cs231n.data_utils import load_imagenet_val

    monkeypatch.setenv("CS231N_OFFLINE", "1")
    X, y, class_names = load_imagenet_val(num=2)
    assert isinstance(X, np.ndarray) and X.dtype == np.uint8 and X.ndim == 4 and X.shape[0] == 2 and X.shape[3] == 3, \
        f"load_imagenet_val: X is {X.dtype} {X.shape}; the classic gives uint8 (num, H, W, 3)"
    assert y.shape == (2,) and isinstance(class_names, dict) and all(int(c) in class_names for c in y), \
        "load_imagenet_val: the classic returns y (num,) and class_names, a dict from class index to name"


# --------------------------------------------------------------------------------------------------
# Style transfer
# --------------------------------------------------------------------------------------------------

def test_style_transfer_official_import_cell_works():
    import torch

    ns = {}
    exec("from cs231n.style_transfer_pytorch import rel_error, content_loss, gram_matrix, style_loss, "
         "tv_loss, extract_features, features_from_img, preprocess, deprocess, rescale, dtype", ns)
    assert ns["dtype"] is torch.FloatTensor, f"style_transfer_pytorch.dtype is {ns['dtype']}, not torch.FloatTensor"
    star = {}
    exec("from cs231n.style_transfer_pytorch import *", star)
    missing = sorted(set(ns) - set(star))
    assert not missing, f"`from cs231n.style_transfer_pytorch import *` lacks the official cell's {missing}"
    leaked = sorted((set(star) - set(ns) - {"style_transfer"}))
    assert not leaked, f"`from cs231n.style_transfer_pytorch import *` exports {leaked} by accident"


@pytest.mark.parametrize("name, params", [
    ("content_loss", ["content_weight", "content_current", "content_original"]),
    ("gram_matrix", ["features", "normalize"]),
    ("style_loss", ["feats", "style_layers", "style_targets", "style_weights"]),
    ("tv_loss", ["img", "tv_weight"]),
    ("extract_features", ["x", "cnn"]),
    ("features_from_img", ["imgpath", "imgsize", "cnn"]),
    ("preprocess", ["img", "size"]),
    ("deprocess", ["img"]),
    ("rescale", ["x"]),
    ("rel_error", ["x", "y"]),
])
def test_style_transfer_classic_signatures(name, params):
    from cs231n import style_transfer_pytorch as st

    got = _params(getattr(st, name))
    assert list(got) == params, f"style_transfer_pytorch.{name}{tuple(got)}, classic {tuple(params)}"
    defaults = {"gram_matrix": ("normalize", True), "preprocess": ("size", 512)}
    if name in defaults:
        key, value = defaults[name]
        assert got[key] == value, f"style_transfer_pytorch.{name}: default {key}={got[key]!r}, classic {value!r}"


def test_style_transfer_rel_error_is_the_classic_formula():
    from cs231n.style_transfer_pytorch import rel_error

    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.2])) == pytest.approx(0.2 / 4.2)
    assert rel_error(np.array(0.0), np.array(1e-10)) == pytest.approx(1e-2), "the 1e-8 floor is missing"


def test_style_transfer_preprocess_deprocess_rescale_behave_as_classic():
    import torch
    from PIL import Image

    from cs231n.style_transfer_pytorch import deprocess, preprocess, rescale

    img = Image.fromarray(np.random.default_rng(0).integers(0, 256, (30, 50, 3), dtype=np.uint8))
    x = preprocess(img, size=12)
    assert isinstance(x, torch.Tensor) and x.dtype == torch.float32 and tuple(x.shape) == (1, 3, 12, 20), (
        f"preprocess: {type(x).__name__} {getattr(x, 'dtype', '')} {tuple(getattr(x, 'shape', ()))}, "
        "classic: float32 (1, 3, 12, 20) for a 50x30 image at size 12")
    assert tuple(preprocess(img).shape) == (1, 3, 512, 853), "preprocess default size is 512 (shorter side)"
    out = deprocess(x)
    assert isinstance(out, Image.Image) and out.size == (20, 12), f"deprocess returned {type(out).__name__}"
    values = np.asarray(out)
    assert values.min() == 0 and values.max() == 255, "deprocess rescales onto [0, 1] before the PIL image"
    r = rescale(torch.tensor([2.0, 4.0, 3.0]))
    assert torch.allclose(r, torch.tensor([0.0, 1.0, 0.5])), f"rescale([2, 4, 3]) = {r}"


def test_style_transfer_features_from_img_returns_features_and_image(tmp_path):
    import torch
    from PIL import Image

    from cs231n.style_transfer_pytorch import extract_features, features_from_img

    path = tmp_path / "img.png"
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (16, 24, 3), dtype=np.uint8)).save(path)
    cnn = torch.nn.Sequential(torch.nn.Conv2d(3, 2, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2)).eval()
    out = features_from_img(str(path), 8, cnn)
    assert isinstance(out, tuple) and len(out) == 2, "features_from_img returns (features_list, img_var)"
    feats, img = out
    assert tuple(img.shape) == (1, 3, 8, 12) and isinstance(feats, list) and len(feats) == 3
    with torch.no_grad():
        assert all(torch.equal(a, b) for a, b in zip(feats, extract_features(img, cnn)))


# --------------------------------------------------------------------------------------------------
# GANs
# --------------------------------------------------------------------------------------------------

import torch as _torch_gan  # noqa: E402

import cs231n.gan_pytorch as _gan  # noqa: E402

_GAN_SIGNATURES = {
    # name: the classic parameters, in order, with their defaults (later keyword-only extensions allowed)
    "sample_noise": {"batch_size": inspect.Parameter.empty, "dim": inspect.Parameter.empty, "seed": None},
    "discriminator": {"seed": None},
    "generator": {"noise_dim": 96, "seed": None},
    "bce_loss": {"input": inspect.Parameter.empty, "target": inspect.Parameter.empty},
    "discriminator_loss": {"logits_real": inspect.Parameter.empty, "logits_fake": inspect.Parameter.empty},
    "generator_loss": {"logits_fake": inspect.Parameter.empty},
    "ls_discriminator_loss": {"scores_real": inspect.Parameter.empty, "scores_fake": inspect.Parameter.empty},
    "ls_generator_loss": {"scores_fake": inspect.Parameter.empty},
    "build_dc_classifier": {"batch_size": inspect.Parameter.empty},
    "build_dc_generator": {"noise_dim": 96},
    "get_optimizer": {"model": inspect.Parameter.empty},
    "run_a_gan": {"D": inspect.Parameter.empty, "G": inspect.Parameter.empty, "D_solver": inspect.Parameter.empty,
                  "G_solver": inspect.Parameter.empty, "discriminator_loss": inspect.Parameter.empty,
                  "generator_loss": inspect.Parameter.empty, "loader_train": inspect.Parameter.empty,
                  "show_every": 250, "batch_size": 128, "noise_size": 96, "num_epochs": 10},
    "initialize_weights": {"m": inspect.Parameter.empty},
    "preprocess_img": {"x": inspect.Parameter.empty},
    "deprocess_img": {"x": inspect.Parameter.empty},
    "rel_error": {"x": inspect.Parameter.empty, "y": inspect.Parameter.empty},
    "count_params": {"model": inspect.Parameter.empty},
}


@pytest.mark.parametrize("name", sorted(_GAN_SIGNATURES))
def test_gan_classic_signature(name):
    fn = getattr(_gan, name, None)
    assert callable(fn), f"cs231n.gan_pytorch.{name} is missing"
    params = inspect.signature(fn).parameters.values()
    positional = {p.name: p.default for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)}
    extra_required = [p.name for p in params if p.kind == p.KEYWORD_ONLY and p.default is p.empty]
    expected = _GAN_SIGNATURES[name]
    assert positional == expected, f"gan_pytorch.{name}{inspect.signature(fn)}: classic parameters are {expected}"
    assert not extra_required, f"gan_pytorch.{name}: extra keyword-only parameters need defaults: {extra_required}"


def test_gan_classic_constants_and_classes():
    assert _gan.NOISE_DIM == 96
    expected = _torch_gan.cuda.FloatTensor if _torch_gan.cuda.is_available() else _torch_gan.FloatTensor
    assert _gan.dtype is expected, f"gan_pytorch.dtype is {_gan.dtype}, the classic is {expected}"
    assert issubclass(_gan.Flatten, _torch_gan.nn.Module) and issubclass(_gan.Unflatten, _torch_gan.nn.Module)
    assert _params(_gan.Unflatten.__init__) == {"self": inspect.Parameter.empty, "N": -1, "C": 128, "H": 7, "W": 7}
    assert issubclass(_gan.ChunkSampler, _torch_gan.utils.data.sampler.Sampler)
    assert _params(_gan.ChunkSampler.__init__) == {"self": inspect.Parameter.empty, "num_samples": inspect.Parameter.empty,
                                                   "start": 0}
    assert list(_gan.ChunkSampler(4, 2)) == [2, 3, 4, 5]
    assert tuple(_gan.Flatten()(_torch_gan.zeros(3, 1, 28, 28)).shape) == (3, 784)
    assert tuple(_gan.Unflatten(3, 1, 28, 28)(_torch_gan.zeros(3, 784)).shape) == (3, 1, 28, 28)


def test_gan_classic_return_types():
    z = _gan.sample_noise(3, 4)
    assert isinstance(z, _torch_gan.Tensor) and tuple(z.shape) == (3, 4) and z.dtype == _torch_gan.float32
    for model in (_gan.discriminator(), _gan.generator(4), _gan.build_dc_classifier(2), _gan.build_dc_generator(4)):
        assert isinstance(model, _torch_gan.nn.Sequential), f"{type(model).__name__}: the classic returns nn.Sequential"
    assert [_gan.count_params(m) for m in (_gan.discriminator(), _gan.generator(4), _gan.build_dc_classifier(128),
                                           _gan.build_dc_generator(4))] == [267009, 1858320, 1102721, 6580801]
    logits = _torch_gan.zeros(10)  # the classic shape (N,): the official 2022-2024 bce_loss squeezes its input
    for loss in (_gan.bce_loss(logits, _torch_gan.ones(10)), _gan.discriminator_loss(logits, logits),
                 _gan.generator_loss(logits), _gan.ls_discriminator_loss(logits, logits), _gan.ls_generator_loss(logits)):
        assert isinstance(loss, _torch_gan.Tensor) and loss.numel() == 1
    assert isinstance(_gan.get_optimizer(_torch_gan.nn.Linear(2, 1)), _torch_gan.optim.Adam)
    assert isinstance(_gan.rel_error(np.ones(2), np.ones(2)), (float, np.floating))
    assert isinstance(_gan.count_params(_torch_gan.nn.Linear(2, 1)), int)
    x = _torch_gan.rand(5)
    assert _torch_gan.allclose(_gan.deprocess_img(_gan.preprocess_img(x)), x)


def test_gan_classic_run_a_gan_keeps_a_snapshot_at_0_and_every_show_every():
    # classic_api.md: six iterations with show_every=4 keep two (iterations 0 and 4), as (16, 784) numpy batches.
    _torch_gan.manual_seed(0)
    D, G = _gan.discriminator(), _gan.generator(8)
    batches = [(_torch_gan.rand(16, 1, 28, 28), _torch_gan.zeros(16)) for _ in range(6)]
    images = _gan.run_a_gan(D, G, _gan.get_optimizer(D), _gan.get_optimizer(G), _gan.discriminator_loss,
                            _gan.generator_loss, batches, show_every=4, batch_size=16, noise_size=8, num_epochs=1)
    assert isinstance(images, list) and len(images) == 2, f"run_a_gan: kept {len(images)} snapshots, the classic keeps 2"
    assert all(isinstance(im, np.ndarray) and im.shape == (16, 784) for im in images)
    one = _gan.run_a_gan(D, G, _gan.get_optimizer(D), _gan.get_optimizer(G), _gan.discriminator_loss,
                         _gan.generator_loss, batches[:1], batch_size=16, noise_size=8, num_epochs=1)
    assert len(one) == 1, "run_a_gan: a one-iteration run keeps the snapshot of iteration 0"


def test_gan_official_import_cells_work():
    # The official GAN notebook imports each name from cs231n.gan_pytorch; a star import (ours) gives the
    # same names and none of the module's own imports.
    ns = {}
    exec("from cs231n.gan_pytorch import build_dc_generator, build_dc_classifier\n"
         "from cs231n.gan_pytorch import ls_discriminator_loss, ls_generator_loss\n"
         "from cs231n.gan_pytorch import get_optimizer, run_a_gan\n"
         "from cs231n.gan_pytorch import bce_loss, discriminator_loss, generator_loss\n"
         "from cs231n.gan_pytorch import generator, discriminator\n"
         "from cs231n.gan_pytorch import Flatten, Unflatten, initialize_weights\n"
         "from cs231n.gan_pytorch import sample_noise\n"
         "from cs231n.gan_pytorch import preprocess_img, deprocess_img, rel_error, count_params, ChunkSampler", ns)
    star = {}
    exec("from cs231n.gan_pytorch import *", star)
    missing = sorted(set(ns) - set(star) - {"__builtins__"})
    assert not missing, f"`from cs231n.gan_pytorch import *` lacks the official notebook's {missing}"
    for name in ("show_images", "NOISE_DIM", "dtype", "wgan_critic_loss", "wgan_generator_loss", "gradient_penalty"):
        assert name in star, f"`from cs231n.gan_pytorch import *` lacks {name}"
    leaked = sorted({"np", "nn", "torch", "sys"} & set(star))
    assert not leaked, f"`from cs231n.gan_pytorch import *` exports the module's imports {leaked}"
