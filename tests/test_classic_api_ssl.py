"""The official 2023/2024 Self_Supervised_Learning notebook against this package: its import cells and its
sanity-check cells, as they are written (only the key file is a stand-in, written from the published
values, and `thop`/`pandas`, which only the official set-up cell imports, are left out), then its
training and linear-probe cells on a tiny CIFAR-10 folder with the classic ResNet-50 Model."""

import contextlib
import inspect
import io
import pickle
import re

import numpy as np
import pytest
import torch

from cs231n.checks.simclr import sanity_tensors

OFFICIAL_IMPORTS = """
import torch
import os
import importlib
import numpy as np
import torch.optim as optim
import torch.nn as nn
import random
from torch.utils.data import DataLoader
from torchvision.datasets import CIFAR10
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
from cs231n.simclr.data_utils import *
from cs231n.simclr.contrastive_loss import *
answers = torch.load('simclr_sanity_check.key')
"""

OFFICIAL_CHECKS = """
from cs231n.simclr.contrastive_loss import *
answers = torch.load('simclr_sanity_check.key')

def test_sim(left_vec, right_vec, correct_output):
    output = sim(left_vec, right_vec).cpu().numpy()
    print("Maximum error in sim: %g"%rel_error(correct_output.numpy(), output))

# Should be less than 1e-07.
test_sim(answers['left'][0], answers['right'][0], answers['sim'][0])
test_sim(answers['left'][1], answers['right'][1], answers['sim'][1])

def test_loss_naive(left, right, tau, correct_output):
    naive_loss = simclr_loss_naive(left, right, tau).item()
    print("Maximum error in simclr_loss_naive: %g"%rel_error(correct_output, naive_loss))

# Should be less than 1e-07.
test_loss_naive(answers['left'], answers['right'], 5.0, answers['loss']['5.0'])
test_loss_naive(answers['left'], answers['right'], 1.0, answers['loss']['1.0'])

def test_sim_positive_pairs(left, right, correct_output):
    sim_pair = sim_positive_pairs(left, right).cpu().numpy()
    print("Maximum error in sim_positive_pairs: %g"%rel_error(correct_output.numpy(), sim_pair))

# Should be less than 1e-07.
test_sim_positive_pairs(answers['left'], answers['right'], answers['sim'])

def test_sim_matrix(left, right, correct_output):
    out = torch.cat([left, right], dim=0)
    sim_matrix = compute_sim_matrix(out).cpu()
    assert torch.isclose(sim_matrix, correct_output).all(), "correct: {}. got: {}".format(correct_output, sim_matrix)
    print("Test passed!")

test_sim_matrix(answers['left'], answers['right'], answers['sim_matrix'])

def test_loss_vectorized(left, right, tau, correct_output):
    vec_loss = simclr_loss_vectorized(left, right, tau, device=left.device).item()
    print("Maximum error in loss_vectorized: %g"%rel_error(correct_output, vec_loss))

# Should be less than 1e-07.
test_loss_vectorized(answers['left'], answers['right'], 5.0, answers['loss']['5.0'])
test_loss_vectorized(answers['left'], answers['right'], 1.0, answers['loss']['1.0'])
"""


@pytest.fixture
def key_folder(tmp_path, monkeypatch):
    """A folder holding simclr_sanity_check.key as the official one is laid out (torch.save of a dict)."""
    torch.save(sanity_tensors(), tmp_path / "simclr_sanity_check.key")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_official_import_cells_work(key_folder):
    ns = {}
    exec(OFFICIAL_IMPORTS, ns)
    for name in ("compute_train_transform", "compute_test_transform", "CIFAR10Pair", "sim", "simclr_loss_naive",
                 "sim_positive_pairs", "compute_sim_matrix", "simclr_loss_vectorized", "rel_error"):
        assert name in ns, f"the official notebook's imports do not give {name}"
    exec("from cs231n.simclr.data_utils import *\nfrom cs231n.simclr.model import *\nfrom cs231n.simclr.utils import *",
         ns)
    for name in ("Model", "train", "train_val", "test"):
        assert name in ns, f"`from cs231n.simclr.model/utils import *` does not give {name}"


def test_official_sanity_check_cells_pass(key_folder):
    out, ns = io.StringIO(), {}
    with contextlib.redirect_stdout(out):
        exec(OFFICIAL_IMPORTS, ns)  # the set-up cell runs first in the notebook
        exec(OFFICIAL_CHECKS, ns)
    text = out.getvalue()
    errors = [float(e) for e in re.findall(r"Maximum error in \w+: (\S+)", text)]
    assert len(errors) == 7 and "Test passed!" in text, f"the official check cells printed:\n{text}"
    assert max(errors) < 1e-7, f"the official checks ask for errors below 1e-07:\n{text}"


def test_classic_signatures():
    from cs231n.simclr import contrastive_loss, data_utils, model, utils

    def params(fn):
        return {p.name: p.default for p in inspect.signature(fn).parameters.values()}

    assert list(params(contrastive_loss.sim)) == ["z_i", "z_j"]
    assert list(params(contrastive_loss.simclr_loss_naive)) == ["out_left", "out_right", "tau"]
    assert params(contrastive_loss.simclr_loss_vectorized) == {
        "out_left": inspect.Parameter.empty, "out_right": inspect.Parameter.empty, "tau": inspect.Parameter.empty,
        "device": "cuda"}
    assert params(data_utils.compute_train_transform) == {"seed": 123456}
    assert params(model.Model)["feature_dim"] == 128
    t = params(utils.train)
    assert list(t)[:8] == ["model", "data_loader", "train_optimizer", "epoch", "epochs", "batch_size", "temperature",
                           "device"] and (t["batch_size"], t["temperature"], t["device"]) == (32, 0.5, "cuda")
    assert list(params(utils.train_val))[:6] == ["model", "data_loader", "train_optimizer", "epoch", "epochs", "device"]
    assert list(params(utils.test))[:9] == ["model", "memory_data_loader", "test_data_loader", "epoch", "epochs", "c",
                                            "temperature", "k", "device"]


def test_classic_model_is_the_cifar_resnet50_with_the_classic_head():
    import torch.nn as nn

    from cs231n.simclr.model import Model

    m = Model()
    first = m.f[0]
    assert isinstance(first, nn.Conv2d) and first.kernel_size == (3, 3) and first.stride == (1, 1)
    assert not any(isinstance(x, (nn.MaxPool2d, nn.Linear)) for x in m.f), "the encoder drops max-pool and fc"
    kinds = [type(x).__name__ for x in m.g]
    assert kinds == ["Linear", "BatchNorm1d", "ReLU", "Linear"], kinds
    assert (m.g[0].in_features, m.g[0].out_features, m.g[0].bias, m.g[3].out_features) == (2048, 512, None, 128)
    m.eval()
    with torch.no_grad():
        feature, out = m(torch.randn(2, 3, 32, 32))
    assert feature.shape == (2, 2048) and out.shape == (2, 128)
    assert torch.allclose(feature.norm(dim=1), torch.ones(2)) and torch.allclose(out.norm(dim=1), torch.ones(2))


def _fake_cifar10(root, n=2):
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8), "labels": [0, 1] * (n // 2)}
        (folder / name).write_bytes(pickle.dumps(batch))
    (folder / "batches.meta").write_bytes(pickle.dumps({"label_names": [f"class{i}" for i in range(10)]}))


def test_official_training_and_probe_cells_run_on_a_cpu(tmp_path, monkeypatch):
    """The official cells' calls, shortened to a 10-image CIFAR-10 folder; device='cuda' where they write it."""
    import torch.nn as nn
    import torch.optim as optim
    from torch.utils.data import DataLoader
    from torchvision.datasets import CIFAR10

    from cs231n.simclr import data_utils
    from cs231n.simclr.data_utils import CIFAR10Pair, compute_test_transform, compute_train_transform
    from cs231n.simclr.model import Model
    from cs231n.simclr.utils import test, train, train_val

    _fake_cifar10(tmp_path)
    for cls in (CIFAR10, CIFAR10Pair):  # the fake files cannot match CIFAR-10's MD5 sums
        monkeypatch.setattr(cls, "_check_integrity", lambda self: True)
        monkeypatch.setattr(cls, "meta", {**CIFAR10.meta, "md5": None})
    root, device = str(tmp_path), torch.device("cpu")
    train_data = CIFAR10Pair(root=root, train=True, transform=compute_train_transform(), download=False)
    train_loader = DataLoader(train_data, batch_size=4, shuffle=True, drop_last=True)
    memory_loader = DataLoader(CIFAR10Pair(root=root, train=True, transform=compute_test_transform()), batch_size=4)
    test_loader = DataLoader(CIFAR10Pair(root=root, train=False, transform=compute_test_transform()), batch_size=4)
    model = Model(128).to(device)
    torch.save(model.state_dict(), tmp_path / "pretrained_simclr_model.pth")
    model.load_state_dict(torch.load(tmp_path / "pretrained_simclr_model.pth", map_location="cpu"), strict=False)
    optimizer = optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-6)
    loss = train(model, train_loader, optimizer, 1, 1, batch_size=4, temperature=0.5, device=device, verbose=False)
    assert np.isfinite(loss) and loss > 0
    acc1, acc5 = test(model, memory_loader, test_loader, 1, 1, len(train_data.classes), k=200, temperature=0.5,
                      device=device, verbose=False)
    assert 0 <= acc1 <= acc5 <= 100

    class Classifier(nn.Module):  # as the official notebook defines it
        def __init__(self, num_class):
            super().__init__()
            self.f = Model().f
            self.fc = nn.Linear(2048, num_class, bias=True)

        def forward(self, x):
            return self.fc(torch.flatten(self.f(x), start_dim=1))

    clf = Classifier(num_class=len(train_data.classes))
    clf.load_state_dict(model.state_dict(), strict=False)
    for param in clf.f.parameters():
        param.requires_grad = False
    probe_loader = DataLoader(CIFAR10(root=root, train=True, transform=compute_train_transform()), batch_size=4)
    optimizer = optim.Adam(clf.fc.parameters(), lr=1e-3, weight_decay=1e-6)
    train_loss, train_acc_1, train_acc_5 = train_val(clf, probe_loader, optimizer, 1, 1, device='cuda', verbose=False)
    test_loss, test_acc_1, test_acc_5 = train_val(clf, DataLoader(CIFAR10(root=root, train=False,
                                                  transform=compute_test_transform()), batch_size=4), None, 1, 1,
                                                  verbose=False)
    assert np.isfinite(train_loss) and np.isfinite(test_loss) and 0 <= test_acc_1 <= test_acc_5 <= 100
    assert data_utils.CIFAR10Pair is CIFAR10Pair
