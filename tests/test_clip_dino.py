"""Unit tests for cs231n/clip_dino.py: CLIP's loss, similarities, zero-shot classification and retrieval;
DINO's loss, centre and teacher; the segmentation head.

Every blank is compared with an independent reference (torch.nn.functional, torch.distributions, a
closed form, or values stored from the solutions) on tiny seeded inputs. The CLIP functions run on a fake CLIP model whose embeddings the
test chooses (with lengths far from 1, so a missing normalisation changes the answer); it reads the
tokens of `clip.tokenize`, whichever tokenizer cs231n.clip_dino uses.
"""

import math
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Categorical

import cs231n.checks
from cs231n.clip_dino import (
    CLIPImageRetriever,
    DINOSegmentation,
    clip,
    clip_contrastive_loss,
    clip_zero_shot_classifier,
    compute_iou,
    dino_loss,
    get_similarity_no_loop,
    update_center,
    update_teacher,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _cosine_reference(a, b):
    """(N, M) cosine similarities by torch's own F.cosine_similarity, broadcast."""
    return F.cosine_similarity(a[:, None, :], b[None, :, :], dim=-1, eps=0)


# ------------------------------------------------------------------------------------------------
# get_similarity_no_loop


def test_similarity_matches_cosine_similarity_on_the_2025_check():
    torch.manual_seed(231)
    M, N, D = 5, 6, 10
    text = torch.randn(N, D)  # text drawn before image, as the 2025 notebook does
    image = torch.randn(M, D)
    out = get_similarity_no_loop(text, image)
    assert out is not None and tuple(out.shape) == (N, M), \
        f"get_similarity_no_loop: shape {None if out is None else tuple(out.shape)}, expected (N, M) = ({N}, {M})"
    err = (out - _cosine_reference(text, image)).abs().max().item()
    assert err < 1e-5, f"get_similarity_no_loop: max error {err:.2e} against F.cosine_similarity (tolerance 1e-5)"


def test_similarity_ignores_the_lengths_of_both_inputs():
    torch.manual_seed(0)
    text, image = torch.randn(4, 8), torch.randn(3, 8)
    scaled = get_similarity_no_loop(text * torch.rand(4, 1) * 10, image * torch.rand(3, 1) * 10)
    err = (scaled - _cosine_reference(text, image)).abs().max().item()
    assert err < 1e-5, (f"get_similarity_no_loop: rescaling the rows changed the result by {err:.2e}; normalise "
                        "both the text and the image features to unit length")


# ------------------------------------------------------------------------------------------------
# clip_contrastive_loss


def test_contrastive_loss_closed_form_for_orthogonal_pairs():
    # Image i and caption i point along axis i (with any length): logits are s on the diagonal and 0
    # elsewhere, so each cross-entropy is log(e^s + N - 1) - s.
    N, s = 5, 3.0
    lengths_i, lengths_t = torch.linspace(0.5, 4, N)[:, None], torch.linspace(7, 1, N)[:, None]
    loss = clip_contrastive_loss(torch.eye(N) * lengths_i, torch.eye(N) * lengths_t, torch.tensor(s))
    expected = math.log(math.exp(s) + N - 1) - s
    assert abs(loss.item() - expected) < 1e-5, \
        f"clip_contrastive_loss: {loss.item():.6f} for orthogonal pairs, expected log(e^s + N - 1) - s = {expected:.6f}"


def test_contrastive_loss_and_gradients_match_the_stored_values():
    # Expected values written from the solutions (tools/make_clip_dino_check_values.py), inputs included.
    path = Path(cs231n.checks.__file__).with_name("clip_dino_values.npz")
    with np.load(path, allow_pickle=False) as stored:
        case = {k.split("/", 1)[1]: torch.tensor(stored[k]) for k in stored.files if k.startswith("contrastive/")}
    inputs = [case[k].clone().requires_grad_(True) for k in ("image_features", "text_features", "logit_scale")]
    loss = clip_contrastive_loss(*inputs)
    assert loss.dim() == 0, f"clip_contrastive_loss: returned shape {tuple(loss.shape)}, expected a scalar"
    grads = torch.autograd.grad(loss, inputs)
    assert abs(loss.item() - case["loss"].item()) < 1e-5, \
        f"clip_contrastive_loss: {loss.item():.6f}, expected {case['loss'].item():.6f} (the average of the image-to-text " \
        "and text-to-image cross-entropies)"
    for name, g in zip(("image_features", "text_features", "logit_scale"), grads):
        err = (g - case["d_" + name]).abs().max().item()
        assert err < 1e-5, f"clip_contrastive_loss: gradient to {name} off by {err:.2e}"


def test_contrastive_loss_is_symmetric_in_images_and_texts():
    torch.manual_seed(2)
    img, txt = torch.randn(5, 3), torch.randn(5, 3)
    a, b = clip_contrastive_loss(img, txt, torch.tensor(4.0)), clip_contrastive_loss(txt, img, torch.tensor(4.0))
    assert abs(a.item() - b.item()) < 1e-5, (f"clip_contrastive_loss: {a.item():.5f} for (images, texts) but "
                                             f"{b.item():.5f} swapped; average the row and the column cross-entropies")


# ------------------------------------------------------------------------------------------------
# A fake CLIP: image k of the test is a constant image of value k; class text c is one known word.

WORDS = ["red", "green", "blue", "circle"]


class FakeCLIP:
    """encode_image / encode_text give chosen features with chosen lengths, and count their calls."""

    def __init__(self, image_features, text_features):
        self.image_features, self.text_features = image_features, text_features
        self.word_of_token = {int(clip.tokenize([w])[0, 1]): i for i, w in enumerate(WORDS)}
        self.image_calls, self.images_encoded, self.text_devices = 0, 0, []

    def encode_image(self, pixels):
        assert pixels.dim() == 4, f"encode_image expects a batch (B, 3, H, W), got shape {tuple(pixels.shape)}"
        self.image_calls += 1
        self.images_encoded += pixels.shape[0]
        return self.image_features[pixels[:, 0, 0, 0].round().long()]

    def encode_text(self, tokens):
        self.text_devices.append(tokens.device)
        return self.text_features[[self.word_of_token[int(t)] for t in tokens[:, 1]]]


def preprocess(pil_image):
    """PIL -> (3, H, W) float tensor of the raw pixel values."""
    return torch.from_numpy(np.asarray(pil_image).copy()).permute(2, 0, 1).float()


def _images(n):
    return [np.full((4, 4, 3), k, dtype=np.uint8) for k in range(n)]


def _fake(n_images, n_texts, seed, dim=6):
    g = torch.Generator().manual_seed(seed)
    img = torch.randn(n_images, dim, generator=g) * torch.linspace(0.1, 20, n_images)[:, None]
    txt = torch.randn(n_texts, dim, generator=g) * torch.linspace(30, 0.05, n_texts)[:, None]
    return FakeCLIP(img, txt)


@pytest.mark.parametrize("seed", range(4))
def test_zero_shot_classifier_picks_the_most_similar_class_text(seed):
    model = _fake(7, len(WORDS), seed)
    pred = clip_zero_shot_classifier(model, preprocess, _images(7), list(WORDS), torch.device("cpu"))
    best = _cosine_reference(model.text_features, model.image_features).argmax(dim=0)
    expected = [WORDS[i] for i in best.tolist()]
    assert list(pred) == expected, (f"clip_zero_shot_classifier: predicted {list(pred)}, expected {expected} (for each "
                                    "image the class text of highest cosine similarity)")


def test_zero_shot_classifier_returns_the_class_texts_as_given():
    model = _fake(3, len(WORDS), 0)
    pred = clip_zero_shot_classifier(model, preprocess, _images(3), list(WORDS), torch.device("cpu"))
    assert len(pred) == 3 and all(isinstance(p, str) and p in WORDS for p in pred), \
        f"clip_zero_shot_classifier: returned {pred!r}; expected one string of class_texts per image"
    assert model.text_devices and all(d.type == "cpu" for d in model.text_devices)


@pytest.mark.parametrize("seed", range(3))
def test_retriever_returns_the_top_k_images_most_similar_first(seed):
    model = _fake(9, len(WORDS), seed)
    retriever = CLIPImageRetriever(model, preprocess, _images(9), torch.device("cpu"))
    for word_index, word in enumerate(WORDS):
        for k in (1, 3):
            sim = _cosine_reference(model.text_features[word_index:word_index + 1], model.image_features)[0]
            expected = sim.argsort(descending=True)[:k].tolist()
            got = retriever.retrieve(word, k=k)
            assert [int(i) for i in got] == expected, \
                f"CLIPImageRetriever.retrieve({word!r}, k={k}): {list(got)}, expected {expected} (most similar first)"


def test_retriever_encodes_the_images_once_in_init():
    model = _fake(9, len(WORDS), 0)
    retriever = CLIPImageRetriever(model, preprocess, _images(9), torch.device("cpu"))
    encoded = model.images_encoded
    assert encoded == 9, f"CLIPImageRetriever.__init__: encoded {encoded} images, expected all 9"
    retriever.retrieve("red", k=2)
    retriever.retrieve("blue")
    assert model.images_encoded == encoded, ("CLIPImageRetriever.retrieve encoded images again; encode them once "
                                             "in __init__ and keep the features")
    assert len(retriever.retrieve("green")) == 2, "CLIPImageRetriever.retrieve: k defaults to 2"


# ------------------------------------------------------------------------------------------------
# DINO


def _dino_reference(student, teacher, center, ncrops, ts, tt):
    """Mean over (teacher view t, student view s != t) of H(P_t, P_s) = H(P_t) + KL(P_t || P_s)."""
    p_t = [Categorical(logits=(t - center) / tt) for t in teacher.detach().chunk(2)]
    p_s = [Categorical(logits=s / ts) for s in student.chunk(ncrops)]
    terms = [(a.entropy() + torch.distributions.kl_divergence(a, b)).mean()
             for i, a in enumerate(p_t) for j, b in enumerate(p_s) if i != j]
    return torch.stack(terms).mean()


@pytest.mark.parametrize("ncrops", [2, 4])
def test_dino_loss_matches_cross_entropy_of_distributions(ncrops):
    torch.manual_seed(3)
    N, K = 3, 7
    student = torch.randn(ncrops * N, K, requires_grad=True)
    teacher = torch.randn(2 * N, K)
    center = torch.randn(1, K)
    loss = dino_loss(student, teacher, center, ncrops, student_temp=0.2, teacher_temp=0.07)
    ref = _dino_reference(student, teacher, center, ncrops, 0.2, 0.07)
    assert loss.dim() == 0, f"dino_loss: returned shape {tuple(loss.shape)}, expected a scalar"
    assert abs(loss.item() - ref.item()) < 1e-4 * max(1, abs(ref.item())), \
        f"dino_loss: {loss.item():.6f}, reference {ref.item():.6f} (ncrops={ncrops})"
    g, = torch.autograd.grad(loss, student)
    g_ref, = torch.autograd.grad(ref, student)
    err = (g - g_ref).abs().max().item()
    assert err < 1e-5, f"dino_loss: gradient to student_output off by {err:.2e}"


def test_dino_loss_sends_no_gradient_to_the_teacher_or_the_center():
    torch.manual_seed(4)
    student = torch.randn(4, 5, requires_grad=True)
    teacher, center = torch.randn(4, 5, requires_grad=True), torch.randn(1, 5, requires_grad=True)
    dino_loss(student, teacher, center, 2).backward()
    for name, t in (("teacher_output", teacher), ("center", center)):
        assert t.grad is None or t.grad.abs().max().item() == 0, \
            f"dino_loss: a gradient reached {name}; the teacher's distribution must be detached"


def test_dino_loss_default_temperatures():
    torch.manual_seed(5)
    student, teacher, center = torch.randn(6, 4), torch.randn(4, 4), torch.zeros(1, 4)  # N = 2, ncrops = 3
    ref = _dino_reference(student, teacher, center, 3, 0.1, 0.04)
    loss = dino_loss(student, teacher, center, 3)
    assert abs(loss.item() - ref.item()) < 1e-4 * max(1, abs(ref.item())), \
        f"dino_loss: {loss.item():.6f} with the default temperatures (0.1, 0.04), expected {ref.item():.6f}"


def test_update_center_is_a_moving_average_of_the_batch_mean():
    torch.manual_seed(6)
    center, out = torch.randn(1, 5), torch.randn(8, 5)
    before = center.clone()
    new = update_center(center, out, momentum=0.8)
    expected = 0.8 * before + 0.2 * out.mean(dim=0, keepdim=True)
    assert tuple(new.shape) == (1, 5), f"update_center: shape {tuple(new.shape)}, expected (1, K) = (1, 5)"
    err = (new - expected).abs().max().item()
    assert err < 1e-6, f"update_center: off by {err:.2e} from momentum * center + (1 - momentum) * mean(teacher_output)"
    assert torch.equal(center, before), "update_center: changed center in place; return a new tensor"
    default = update_center(center, out)
    err = (default - (0.9 * before + 0.1 * out.mean(dim=0, keepdim=True))).abs().max().item()
    assert err < 1e-6, f"update_center: default momentum should be 0.9 (off by {err:.2e})"


@pytest.mark.parametrize("momentum", [0.0, 0.7, 1.0])
def test_update_teacher_is_an_exponential_moving_average(momentum):
    torch.manual_seed(7)
    student = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    teacher = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    s_before = [p.detach().clone() for p in student.parameters()]
    t_before = [p.detach().clone() for p in teacher.parameters()]
    update_teacher(student, teacher, momentum=momentum)
    for i, (p_t, s, t) in enumerate(zip(teacher.parameters(), s_before, t_before)):
        err = (p_t.detach() - (momentum * t + (1 - momentum) * s)).abs().max().item()
        assert err < 1e-6, f"update_teacher: parameter {i} off by {err:.2e} (momentum {momentum})"
    for i, (p_s, s) in enumerate(zip(student.parameters(), s_before)):
        assert torch.equal(p_s.detach(), s), f"update_teacher: changed the student's parameter {i}"


def test_update_teacher_default_momentum():
    torch.manual_seed(8)
    student, teacher = nn.Linear(2, 2), nn.Linear(2, 2)
    s, t = student.weight.detach().clone(), teacher.weight.detach().clone()
    update_teacher(student, teacher)
    err = (teacher.weight.detach() - (0.996 * t + 0.004 * s)).abs().max().item()
    assert err < 1e-6, f"update_teacher: default momentum should be 0.996 (off by {err:.2e})"


# ------------------------------------------------------------------------------------------------
# Segmentation head


def _clusters(n_per_class, dim, num_classes, seed):
    g = torch.Generator().manual_seed(seed)
    centers = torch.randn(num_classes, dim, generator=g) * 2
    y = torch.arange(num_classes).repeat_interleave(n_per_class)
    x = centers[y] + 0.7 * torch.randn(len(y), dim, generator=g)
    perm = torch.randperm(len(y), generator=g)
    return x[perm], y[perm]


def test_segmentation_head_learns_separable_features():
    torch.manual_seed(9)
    x_train, y_train = _clusters(60, 16, 3, seed=0)
    x_test, y_test = x_train[120:], y_train[120:]
    x_train, y_train = x_train[:120], y_train[:120]
    seg = DINOSegmentation(torch.device("cpu"), num_classes=3, inp_dim=16)
    seg.train(x_train, y_train, num_iters=300)
    pred = seg.inference(x_test)
    assert tuple(pred.shape) == (len(y_test),), \
        f"DINOSegmentation.inference: shape {tuple(pred.shape)}, expected (N,) = ({len(y_test)},)"
    assert pred.dtype == torch.int64, f"DINOSegmentation.inference: dtype {pred.dtype}, expected class indices (int64)"
    acc = (pred == y_test).float().mean().item()
    assert acc > 0.9, f"DINOSegmentation: test accuracy {acc:.2f} on well-separated clusters, expected > 0.9"


def test_segmentation_head_default_input_is_vit_s_features():
    torch.manual_seed(10)
    x, y = _clusters(30, 384, 2, seed=1)
    seg = DINOSegmentation(torch.device("cpu"), num_classes=2)
    seg.train(x, y, num_iters=100)
    acc = (seg.inference(x) == y).float().mean().item()
    assert acc > 0.9, f"DINOSegmentation: training accuracy {acc:.2f} on 384-d features (inp_dim default), expected > 0.9"


def test_compute_iou_closed_form():
    pred = torch.tensor([0, 0, 1, 1])
    gt = torch.tensor([0, 1, 1, 1])
    # class 0: 1 / 2; class 1: 2 / 3
    assert abs(compute_iou(pred, gt, 2).item() - (0.5 + 2 / 3) / 2) < 1e-6
