"""How the grader calls the graded functions of CLIP_DINO (runs in the sandbox; no expected values).

The CLIP functions run on a fake CLIP model whose image and text embeddings are given with the case,
with lengths far from 1 (so a missing normalisation changes the answer): image k of a case is a
constant image of value k, and each class text is one word it knows by its token (whichever tokenizer
cs231n.clip_dino uses). Zero-shot classification runs with get_similarity_no_loop replaced by torch's
F.cosine_similarity. The retriever's two methods run together (what __init__ keeps is the student's
choice). The DINO functions return their outputs and gradients; the segmentation head, whose design
is free, is graded by what it does: after training on well-separated clusters it must classify
held-out points (accuracy above 0.9) with int64 class indices of the right shape.
"""

import importlib

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

WORDS = ["red", "green", "blue", "circle"]


def _cd():
    return importlib.import_module("cs231n.clip_dino")


def _t(a, grad=False):
    return torch.tensor(np.asarray(a), dtype=torch.float32, requires_grad=grad)


class _FakeCLIP:
    def __init__(self, image_features, text_features, tokenize):
        self.image_features, self.text_features = image_features, text_features
        self.word_of_token = {int(tokenize([w])[0, 1]): k for k, w in enumerate(WORDS)}
        self.images_encoded = 0

    def encode_image(self, pixels):
        self.images_encoded += pixels.shape[0]
        return self.image_features[pixels[:, 0, 0, 0].round().long()]

    def encode_text(self, tokens):
        return self.text_features[[self.word_of_token[int(t)] for t in tokens[:, 1]]]


def _preprocess(image):
    return torch.from_numpy(np.asarray(image).copy()).permute(2, 0, 1).float()


def _images(n):
    return [np.full((4, 4, 3), k, dtype=np.uint8) for k in range(n)]


def _library_similarity(text_features, image_features):
    return F.cosine_similarity(text_features[:, None, :], image_features[None, :, :], dim=-1)


def clip_contrastive_loss(i):
    img, txt, scale = _t(i["image"], True), _t(i["text"], True), _t(i["scale"], True)
    loss = _cd().clip_contrastive_loss(img, txt, scale)
    grads = torch.autograd.grad(loss, [img, txt, scale], allow_unused=True)
    names = ("dimage", "dtext", "dscale")
    return {"loss": loss, **{n: (g if g is not None else torch.zeros(())) for n, g in zip(names, grads)}}


def get_similarity_no_loop(i):
    return {"similarity": _cd().get_similarity_no_loop(_t(i["text"]), _t(i["image"]))}


def clip_zero_shot_classifier(i):
    cd = _cd()
    model = _FakeCLIP(_t(i["image"]), _t(i["text"]), cd.clip.tokenize)
    own = cd.get_similarity_no_loop
    cd.get_similarity_no_loop = _library_similarity
    try:
        pred = cd.clip_zero_shot_classifier(model, _preprocess, _images(len(i["image"])), list(WORDS),
                                            torch.device("cpu"))
    finally:
        cd.get_similarity_no_loop = own
    return {"pred": np.asarray([str(p) for p in pred]), "types": np.asarray(all(isinstance(p, str) for p in pred))}


def clip_image_retriever(i):
    cd = _cd()
    model = _FakeCLIP(_t(i["image"]), _t(i["text"]), cd.clip.tokenize)
    retriever = cd.CLIPImageRetriever(model, _preprocess, _images(len(i["image"])), torch.device("cpu"))
    out = {"encoded_in_init": np.asarray(model.images_encoded)}
    for word in WORDS:
        for k in (1, 3):
            out[f"{word}_top{k}"] = np.asarray([int(v) for v in retriever.retrieve(word, k=k)])
        out[f"{word}_default_k"] = np.asarray([int(v) for v in retriever.retrieve(word)])
    out["encoded_in_retrieve"] = np.asarray(model.images_encoded - out["encoded_in_init"])
    return out


def dino_loss(i):
    student, teacher, center = _t(i["student"], True), _t(i["teacher"], True), _t(i["center"], True)
    temps = {"student_temp": float(i["student_temp"]), "teacher_temp": float(i["teacher_temp"])} if "student_temp" in i else {}
    loss = _cd().dino_loss(student, teacher, center, int(i["ncrops"]), **temps)
    grads = torch.autograd.grad(loss, [student, teacher, center], allow_unused=True)
    out = {"loss": loss}
    for name, t, g in zip(("dstudent", "dteacher", "dcenter"), (student, teacher, center), grads):
        out[name] = g if g is not None else torch.zeros_like(t)
    return out


def update_center(i):
    center = _t(i["center"])
    before = center.clone()
    kwargs = {"momentum": float(i["momentum"])} if "momentum" in i else {}
    new = _cd().update_center(center, _t(i["teacher"]), **kwargs)
    return {"new_center": new, "center_unchanged": np.asarray(bool(torch.equal(center, before)))}


def update_teacher(i):
    gen = torch.Generator().manual_seed(int(i["seed"]))
    student = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    teacher = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    with torch.no_grad():
        for p in list(student.parameters()) + list(teacher.parameters()):
            p.copy_(torch.randn(p.shape, generator=gen))
    kwargs = {"momentum": float(i["momentum"])} if "momentum" in i else {}
    _cd().update_teacher(student, teacher, **kwargs)
    out = {}
    for name, p in student.named_parameters():
        out["student_" + name] = p
    for name, p in teacher.named_parameters():
        out["teacher_" + name] = p
    return out


def dino_segmentation(i):
    cd = _cd()
    torch.manual_seed(int(i["seed"]))  # whatever the head draws at its start
    x, y = _t(i["x"]), torch.tensor(np.asarray(i["y"]), dtype=torch.long)
    n_train = int(i["n_train"])
    args = {"inp_dim": int(i["inp_dim"])} if "inp_dim" in i else {}
    seg = cd.DINOSegmentation(torch.device("cpu"), num_classes=int(i["classes"]), **args)
    seg.train(x[:n_train], y[:n_train], num_iters=int(i["iters"]))
    pred = seg.inference(x[n_train:])
    right_form = torch.is_tensor(pred) and tuple(pred.shape) == (len(x) - n_train,) and pred.dtype == torch.int64
    accuracy = float((pred == y[n_train:]).float().mean()) if right_form else 0.0
    return {"int64_of_shape_N": np.asarray(bool(right_form)), "accuracy_above_90pc": np.asarray(accuracy > 0.9)}
