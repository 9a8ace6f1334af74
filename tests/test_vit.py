"""The Vision Transformer: PatchEmbedding, TransformerEncoderLayer, VisionTransformer, the solver, the
data loader and the attention read-outs, against independent references.

Oracles: a strided convolution (patches), torch.nn.TransformerEncoderLayer with the same weights
(the encoder layer), dropout modules replaced by fixed scalings and folded into the reference's
weights (where dropout acts), stored scores written from the instructors' solution (the ViT), and
stubs that record what VisionTransformer.forward passes from one part to the next.
"""

import hashlib
import inspect
import pickle
import tarfile
import io

import numpy as np
import pytest
import torch
import torch.nn as nn
import torchvision.datasets as dset

from cs231n.checks.vit import (
    attention_rollout,
    conv_reference_patches,
    encoder_attention_maps,
    load_vit_case,
    torch_reference_encoder_layer,
    vit_case,
    with_dropouts_as_scales,
)
from cs231n.classification_solver_vit import ClassificationSolverViT
from cs231n.classifiers.transformer import TransformerEncoder, VisionTransformer
from cs231n.data import vit as vit_data
from cs231n.transformer_layers import FeedForwardNetwork, PatchEmbedding, TransformerEncoderLayer

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _max_abs(a, b):
    return (a - b).abs().max().item()


def _spread(module, std=0.5, seed=0):
    """Weights far from their initial values, LayerNorms included (so swapped norms show), in float64, eval."""
    torch.manual_seed(seed)
    module = module.double().eval()
    with torch.no_grad():
        for p in module.parameters():
            p.normal_(0.0, std)
    return module


# ------------------------------------------------------------------------------ the 2025 API

def _defaults(fn):
    return {k: v.default for k, v in inspect.signature(fn).parameters.items() if k != "self"}


@pytest.mark.parametrize("cls, expected", [
    (FeedForwardNetwork, {"embed_dim": inspect.Parameter.empty, "ffn_dim": inspect.Parameter.empty, "dropout": 0.1}),
    (PatchEmbedding, {"img_size": inspect.Parameter.empty, "patch_size": inspect.Parameter.empty,
                      "in_channels": 3, "embed_dim": 128}),
    (TransformerEncoderLayer, {"input_dim": inspect.Parameter.empty, "num_heads": inspect.Parameter.empty,
                               "dim_feedforward": 2048, "dropout": 0.1}),
    (VisionTransformer, {"img_size": 32, "patch_size": 8, "in_channels": 3, "embed_dim": 128, "num_layers": 6,
                         "num_heads": 4, "dim_feedforward": 256, "num_classes": 10, "dropout": 0.1}),
])
def test_2025_signatures_and_defaults(cls, expected):
    assert _defaults(cls.__init__) == expected, f"{cls.__name__}.__init__ differs from the 2025 signature"


def test_2025_attributes():
    ffn = FeedForwardNetwork(8, 16)
    assert [type(m) for m in (ffn.fc1, ffn.gelu, ffn.dropout, ffn.fc2)] == [nn.Linear, nn.GELU, nn.Dropout, nn.Linear]
    enc = TransformerEncoderLayer(8, 2)
    for name in ("self_attn", "ffn", "norm_self", "norm_ffn", "dropout_self", "dropout_ffn"):
        assert hasattr(enc, name), f"TransformerEncoderLayer.{name} (2025 name) is missing"
    pe = PatchEmbedding(32, 8, 3, 64)
    assert (pe.num_patches, pe.patch_dim, pe.proj.in_features, pe.proj.out_features) == (16, 192, 192, 64)
    vit = VisionTransformer()
    assert isinstance(vit.transformer, TransformerEncoder) and len(vit.transformer.layers) == 6
    assert vit.head.out_features == 10 and vit.num_classes == 10


def test_feed_forward_network_is_fc2_dropout_gelu_fc1():
    ffn = _spread(FeedForwardNetwork(6, 10))
    x = torch.randn(2, 3, 6, dtype=torch.float64)
    expected = nn.functional.linear(nn.functional.gelu(nn.functional.linear(x, ffn.fc1.weight, ffn.fc1.bias)),
                                    ffn.fc2.weight, ffn.fc2.bias)
    assert _max_abs(ffn(x), expected) < 1e-12


# ------------------------------------------------------------------------------ PatchEmbedding

def test_patch_embedding_output_shape():
    embed = PatchEmbedding(32, 8, 3, 20)
    out = embed(torch.randn(5, 3, 32, 32))
    assert tuple(out.shape) == (5, 16, 20), f"PatchEmbedding.forward: shape {tuple(out.shape)}, expected (5, 16, 20)"


@pytest.mark.parametrize("C, size, p", [(3, 12, 4), (2, 12, 3), (1, 16, 8)])
def test_patch_embedding_matches_strided_convolution(C, size, p):
    embed = _spread(PatchEmbedding(size, p, C, 7))
    x = torch.randn(2, C, size, size, dtype=torch.float64)
    err = _max_abs(embed(x), conv_reference_patches(embed, x))
    assert err < 1e-10, (f"PatchEmbedding.forward (C={C}, p={p}): differs from a convolution with proj's rows as "
                         f"(C, p, p) filters by {err:.2e}: check the patch order and the (C, p, p) flattening")


def test_patch_embedding_flattens_each_patch_in_c_p_p_order_row_by_row():
    """With proj the identity, patch k holds x[:, :, rows, cols] of grid cell (k // 3, k % 3), flattened."""
    C, p, size = 2, 2, 6
    embed = PatchEmbedding(size, p, C, C * p * p).double()
    with torch.no_grad():
        embed.proj.weight.copy_(torch.eye(C * p * p, dtype=torch.float64))
        embed.proj.bias.zero_()
    x = torch.arange(2 * C * size * size, dtype=torch.float64).reshape(2, C, size, size)
    out = embed(x)
    for k in range(9):
        r, c = divmod(k, 3)
        for ch in range(C):
            for i in range(p):
                for j in range(p):
                    want = x[:, ch, r * p + i, c * p + j]
                    got = out[:, k, ch * p * p + i * p + j]
                    assert torch.equal(got, want), (
                        f"PatchEmbedding.forward: patch {k} (grid row {r}, column {c}), channel {ch}, pixel ({i}, {j}) "
                        f"should be entry {ch * p * p + i * p + j} of its vector")


def test_patch_embedding_rejects_images_of_another_size():
    with pytest.raises(AssertionError, match="expects images of size"):
        PatchEmbedding(32, 8)(torch.zeros(1, 3, 16, 16))


# ------------------------------------------------------------------------------ TransformerEncoderLayer

def test_encoder_layer_matches_torch_without_mask():
    layer = _spread(TransformerEncoderLayer(12, 3, 20))
    x = torch.randn(3, 7, 12, dtype=torch.float64)
    err = _max_abs(layer(x), torch_reference_encoder_layer(layer)(x))
    assert err < 1e-10, f"TransformerEncoderLayer.forward: differs from nn.TransformerEncoderLayer by {err:.2e}"


def test_encoder_layer_applies_src_mask_to_self_attention():
    layer = _spread(TransformerEncoderLayer(8, 2, 16), seed=1)
    x = torch.randn(2, 6, 8, dtype=torch.float64)
    mask = torch.tril(torch.ones(6, 6, dtype=torch.bool))
    err = _max_abs(layer(x, src_mask=mask), torch_reference_encoder_layer(layer)(x, src_mask=~mask))
    assert err < 1e-10, f"TransformerEncoderLayer.forward with src_mask: differs from torch by {err:.2e}"


def test_encoder_layer_applies_each_dropout_to_its_block_output():
    layer = _spread(TransformerEncoderLayer(8, 2, 16), seed=2)
    x = torch.randn(2, 5, 8, dtype=torch.float64)
    probe, reference = with_dropouts_as_scales(layer, {"dropout_self": 0.5, "dropout_ffn": 3.0})
    err = _max_abs(probe(x), reference(x))
    assert err < 1e-10, ("TransformerEncoderLayer.forward: dropout_self must act on the attention output and "
                         f"dropout_ffn on the FFN output, each before its residual sum (error {err:.2e})")


def test_encoder_layer_dropout_is_on_in_training_mode():
    layer = TransformerEncoderLayer(8, 2, 16, dropout=0.5).train()
    x = torch.randn(2, 5, 8)
    assert _max_abs(layer(x), layer(x)) > 0, "TransformerEncoderLayer.forward (train): no dropout"


# ------------------------------------------------------------------------------ VisionTransformer

def test_vit_forward_default_shape():
    out = VisionTransformer()(torch.randn(2, 3, 32, 32))
    assert tuple(out.shape) == (2, 10), f"VisionTransformer.forward: shape {tuple(out.shape)}, expected (2, 10)"


def test_vit_forward_matches_stored_scores():
    model = VisionTransformer(**vit_case()["model_kwargs"]).double().eval()
    images, expected = load_vit_case(model)
    with torch.no_grad():
        err = _max_abs(model(images), expected)
    assert err < 1e-5, f"VisionTransformer.forward: class scores differ from the stored ones by {err:.2e}"


class _Stub(nn.Module):
    """Returns a fixed tensor and records what it was called with."""

    def __init__(self, output):
        super().__init__()
        self.output, self.calls = output, []

    def forward(self, *args, **kwargs):
        self.calls.append((args, kwargs))
        return self.output


def test_vit_forward_passes_patches_encodings_encoder_mean_head_in_order():
    N, P, D, K = 3, 16, 8, 4
    model = VisionTransformer(img_size=16, patch_size=4, embed_dim=D, num_layers=1, num_heads=2, num_classes=K)
    g = torch.Generator().manual_seed(0)
    patches, encoded_in, encoded_out, scores = (torch.randn(N, P, D, generator=g), torch.randn(N, P, D, generator=g),
                                                torch.randn(N, P, D, generator=g), torch.randn(N, K, generator=g))
    model.patch_embed, model.positional_encoding = _Stub(patches), _Stub(encoded_in)
    model.transformer, model.head = _Stub(encoded_out), _Stub(scores)
    x = torch.randn(N, 3, 16, 16, generator=g)
    out = model(x)
    for name, stub, arg in (("patch_embed", model.patch_embed, x), ("positional_encoding", model.positional_encoding, patches),
                            ("transformer", model.transformer, encoded_in)):
        assert len(stub.calls) == 1, f"VisionTransformer.forward: self.{name} called {len(stub.calls)} times, expected once"
        got = stub.calls[0][0][0] if stub.calls[0][0] else next(iter(stub.calls[0][1].values()))
        assert got is arg or torch.equal(got, arg), f"VisionTransformer.forward: self.{name} got the wrong input"
    args, kwargs = model.transformer.calls[0]
    mask = args[1] if len(args) > 1 else kwargs.get("src_mask")
    assert mask is None, "VisionTransformer.forward: the encoder takes no mask (every patch sees every patch)"
    (head_args, head_kwargs), = model.head.calls
    pooled = head_args[0] if head_args else next(iter(head_kwargs.values()))
    assert tuple(pooled.shape) == (N, D) and torch.allclose(pooled, encoded_out.mean(dim=1)), \
        "VisionTransformer.forward: the head must get the encoder's output averaged over the patches, (N, D)"
    assert torch.equal(out, scores), "VisionTransformer.forward: return the head's output"


# ------------------------------------------------------------------------------ attention read-outs

def test_encoder_attention_maps_match_torch_weights():
    model = VisionTransformer(img_size=8, patch_size=4, embed_dim=8, num_layers=2, num_heads=2,
                              dim_feedforward=16, num_classes=3)
    model = _spread(model, std=0.4, seed=3)
    x = torch.rand(2, 3, 8, 8, dtype=torch.float64)
    maps = encoder_attention_maps(model, x)
    assert len(maps) == 2 and tuple(maps[0].shape) == (2, 2, 4, 4)
    with torch.no_grad():
        first_in = model.positional_encoding(model.patch_embed(x))
        _, expected = torch_reference_encoder_layer(model.transformer.layers[0]).self_attn(
            first_in, first_in, first_in, average_attn_weights=False)
    assert _max_abs(maps[0], expected) < 1e-10


def test_attention_rollout_of_identity_and_of_one_patch():
    P = 5
    eye = torch.eye(P).expand(1, 2, P, P)
    assert torch.allclose(attention_rollout([eye, eye]), torch.full((1, P), 1 / P))
    onto_2 = torch.zeros(1, 2, P, P)
    onto_2[..., 2] = 1.0  # every patch attends to patch 2
    rel = attention_rollout([onto_2] * 4)
    assert torch.allclose(rel.sum(dim=1), torch.ones(1)) and rel.argmax().item() == 2 and rel[0, 2] > 0.9


# ------------------------------------------------------------------------------ ClassificationSolverViT

def _tiny_data(n, seed):
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 2, (n,), generator=g)
    images = torch.rand(n, 1, 8, 8, generator=g) * 0.2
    images[labels == 1, :, :4] += 0.8  # class 1: bright top half
    return torch.utils.data.TensorDataset(images, labels)


def test_solver_defaults_and_adam():
    model = VisionTransformer(img_size=8, patch_size=4, in_channels=1, embed_dim=8, num_layers=1, num_heads=2,
                              dim_feedforward=16, num_classes=2)
    solver = ClassificationSolverViT(_tiny_data(8, 0), _tiny_data(8, 1), model)
    assert (solver.learning_rate, solver.weight_decay, solver.batch_size, solver.num_epochs) == (1e-4, 0.0, 64, 2)
    assert isinstance(solver.optimizer, torch.optim.Adam)
    with pytest.raises(ValueError, match="unknown arguments"):
        ClassificationSolverViT(_tiny_data(8, 0), _tiny_data(8, 1), model, lr=1e-3)


def test_solver_learns_an_easy_task_and_keeps_the_best_test_accuracy(capsys):
    torch.manual_seed(0)
    model = VisionTransformer(img_size=8, patch_size=4, in_channels=1, embed_dim=16, num_layers=1, num_heads=2,
                              dim_feedforward=32, num_classes=2, dropout=0.0)
    solver = ClassificationSolverViT(_tiny_data(256, 0), _tiny_data(128, 1), model, learning_rate=3e-3,
                                     batch_size=32, num_epochs=3)
    results = solver.train()
    assert len(results["test_acc@1"]) == 3 and len(results["train_loss"]) == 3
    assert results["best_test_acc"] == max(results["test_acc@1"])
    assert results["best_test_acc"] > 0.9, f"the solver reached {results['best_test_acc']:.2f} on a separable task"
    assert capsys.readouterr().out.count("epoch") == 3


# ------------------------------------------------------------------------------ data

def test_offline_loader_gives_scenes_and_names_them(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("CS231N_OFFLINE", "1")
    data = vit_data.load_vit_data(num_train=20, num_test=10, root=tmp_path)
    line = capsys.readouterr().out
    assert "generated scenes" in line and "stand-in for CIFAR-10" in line and "offline" in line
    assert data["name"] == "generated scenes" and len(data["train"]) == 20 and len(data["test"]) == 10
    image, label = data["train"][0]
    assert tuple(image.shape) == (3, 32, 32) and image.dtype == torch.float32 and 0 <= image.min() <= image.max() <= 1
    assert 0 <= int(label) < len(data["class_names"]) == 5
    again = vit_data.load_vit_data(num_train=20, num_test=10, root=tmp_path, verbose=False)
    assert torch.equal(again["train"].images, data["train"].images), "the stand-in must be the same every run"


def _fake_cifar_files(n=4):
    rng = np.random.default_rng(0)
    files = {}
    for name, _ in dset.CIFAR10.train_list + dset.CIFAR10.test_list:
        batch = {"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8), "labels": list(rng.integers(0, 10, n))}
        files[name] = pickle.dumps(batch)
    files[dset.CIFAR10.meta["filename"]] = pickle.dumps({"label_names": list(vit_data.CIFAR10_CLASSES)})
    return files


def _patch_cifar_md5s(monkeypatch, files):
    md5 = {name: hashlib.md5(data).hexdigest() for name, data in files.items()}
    monkeypatch.setattr(dset.CIFAR10, "train_list", [[n, md5[n]] for n, _ in dset.CIFAR10.train_list])
    monkeypatch.setattr(dset.CIFAR10, "test_list", [[n, md5[n]] for n, _ in dset.CIFAR10.test_list])
    meta = dict(dset.CIFAR10.meta, md5=md5[dset.CIFAR10.meta["filename"]])
    monkeypatch.setattr(dset.CIFAR10, "meta", meta)


def test_loader_reads_a_verified_cifar10_folder(monkeypatch, tmp_path, capsys):
    files = _fake_cifar_files()
    _patch_cifar_md5s(monkeypatch, files)
    folder = tmp_path / dset.CIFAR10.base_folder
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    monkeypatch.setenv("CS231N_OFFLINE", "1")
    data = vit_data.load_vit_data(root=tmp_path)
    assert data["name"] == "CIFAR-10" and "CIFAR-10 (torchvision" in capsys.readouterr().out
    assert len(data["train"]) == 20 and len(data["test"]) == 4 and data["class_names"][0] == "airplane"
    image, _ = data["test"][0]
    raw = pickle.loads(files["test_batch"])["data"][0].reshape(3, 32, 32)
    assert torch.allclose(image, torch.from_numpy(raw).float() / 255), "CIFAR-10 images must be (3, 32, 32) in [0, 1]"
    (folder / "data_batch_3").write_bytes(b"corrupted")
    assert vit_data.load_vit_data(root=tmp_path, num_train=4, num_test=4)["name"] == "generated scenes", \
        "a CIFAR-10 folder that fails torchvision's MD5 check must not be used"


def test_loader_downloads_cifar10_from_a_server(monkeypatch, tmp_path, server, capsys):
    files = _fake_cifar_files()
    _patch_cifar_md5s(monkeypatch, files)
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"{dset.CIFAR10.base_folder}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    body = archive.getvalue()
    monkeypatch.setattr(dset.CIFAR10, "url", server.add("/cifar-10-python.tar.gz", body))
    monkeypatch.setattr(dset.CIFAR10, "tgz_md5", hashlib.md5(body).hexdigest())
    monkeypatch.delenv("CS231N_OFFLINE", raising=False)
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.delenv(var, raising=False)
    data = vit_data.load_vit_data(root=tmp_path)
    assert data["name"] == "CIFAR-10" and "downloaded by torchvision" in capsys.readouterr().out


def test_loader_falls_back_when_the_host_is_unreachable(monkeypatch, tmp_path, capsys):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens there
    monkeypatch.setattr(dset.CIFAR10, "url", f"http://127.0.0.1:{port}/cifar-10-python.tar.gz")
    monkeypatch.delenv("CS231N_OFFLINE", raising=False)
    data = vit_data.load_vit_data(num_train=4, num_test=4, root=tmp_path)
    assert data["name"] == "generated scenes" and "CIFAR-10 download failed" in capsys.readouterr().out
