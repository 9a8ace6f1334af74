"""A tiny CLIP for the generated scenes: the offline stand-in for OpenAI's CLIP ViT-B/32.

It has the interface the notebook uses of the real model: `encode_image(images (B, 3, H, W))` and
`encode_text(tokens (B, 77))`, each giving unnormalised (B, EMBED_DIM) embeddings, a learnable
`logit_scale` (stored as a log, as CLIP does), and `tokenize(texts)` with CLIP's conventions (77 tokens,
start token 49406, end token 49407, zero padding). Its encoders are small on purpose, so it trains in
seconds on one CPU thread: a three-layer CNN on 32x32 images (pooled by mean, max and 2x2 means), and a bag of words (the mean of
the token embeddings) followed by an MLP for text. The token embedding has CLIP's vocabulary size, so
the model also trains on the ids of OpenAI's tokenizer when that package is installed.
"""

import math
import re
import zlib

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision.transforms as T

CONTEXT_LENGTH = 77
VOCAB_SIZE = 49408  # OpenAI CLIP's
SOT_TOKEN, EOT_TOKEN = 49406, 49407
EMBED_DIM = 64
IMAGE_SIZE = 32
# OpenAI CLIP's image normalisation, kept so both models read pixels the same way.
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)



def word_id(word):
    """A word's token id: a hash (CRC-32) into [1, SOT_TOKEN), so no vocabulary file is needed; 0 pads.
    The scenes' 60-odd words get distinct ids (tests/test_clip_dino_models.py checks it)."""
    return 1 + zlib.crc32(word.encode()) % (SOT_TOKEN - 1)


def tokenize(texts, context_length=CONTEXT_LENGTH, truncate=False):
    """Word-level tokens with CLIP's framing: a LongTensor (len(texts), context_length).

    Each row is [SOT, word ids..., EOT, 0, ...] (word_id of each word, lower-cased; punctuation is
    dropped). A text too long raises RuntimeError, as CLIP's
    tokenize does, unless truncate=True (then the last kept token is EOT).
    """
    if isinstance(texts, str):
        texts = [texts]
    result = torch.zeros(len(texts), context_length, dtype=torch.long)
    for i, text in enumerate(texts):
        ids = [SOT_TOKEN] + [word_id(w) for w in re.findall(r"[a-z]+", text.lower())] + [EOT_TOKEN]
        if len(ids) > context_length:
            if not truncate:
                raise RuntimeError(f"Input {text!r} is too long for context length {context_length}")
            ids = ids[:context_length - 1] + [EOT_TOKEN]
        result[i, :len(ids)] = torch.tensor(ids)
    return result


def preprocess(image):
    """A PIL image as the model's input: a (3, 32, 32) float tensor, normalised as CLIP's are."""
    return _PREPROCESS(image.convert("RGB"))


_PREPROCESS = T.Compose([T.Resize((IMAGE_SIZE, IMAGE_SIZE), antialias=True), T.ToTensor(),
                         T.Normalize(CLIP_MEAN, CLIP_STD)])


class _WhatAndWhere(nn.Module):
    """(B, C, H, W) -> (B, 6C): the global mean and the global max (what, wherever it is) and the 2x2
    means (where). The max matters for the kind of shape: a corner or a tip detector fires on a few
    positions only, and the mean over the whole image dilutes it with the background (with the mean
    alone, the zero-shot kind accuracy stayed near chance)."""

    def forward(self, x):
        return torch.cat([x.mean(dim=(2, 3)), x.amax(dim=(2, 3)), F.adaptive_avg_pool2d(x, 2).flatten(1)], dim=1)


class TinyCLIP(nn.Module):
    """Image and text encoders into one EMBED_DIM space, and CLIP's learnable temperature."""

    def __init__(self, embed_dim=EMBED_DIM, width=32):
        super().__init__()
        self.visual = nn.Sequential(
            nn.Conv2d(3, width // 2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),           # (B, 32, 16, 16)
            nn.Conv2d(width // 2, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),       # (B, 64, 8, 8)
            nn.Conv2d(width, width, 3, padding=1), nn.ReLU(),                             # (B, 64, 8, 8)
            _WhatAndWhere(), nn.Linear(width * 6, embed_dim),
        )
        self.token_embedding = nn.Embedding(VOCAB_SIZE, width, padding_idx=0)
        self.text = nn.Sequential(nn.Linear(width, width), nn.ReLU(), nn.Linear(width, embed_dim))
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))

    @property
    def dtype(self):
        return self.token_embedding.weight.dtype

    def encode_image(self, image):
        """image: (B, 3, 32, 32) -> (B, embed_dim), not normalised."""
        return self.visual(image.to(self.dtype))

    def encode_text(self, text):
        """text: (B, L) token ids -> (B, embed_dim), not normalised: an MLP of the mean token embedding."""
        keep = (text != 0).unsqueeze(-1).to(self.dtype)  # (B, L, 1)
        words = (self.token_embedding(text) * keep).sum(1) / keep.sum(1).clamp(min=1)  # (B, width)
        return self.text(words)

    def forward(self, image, text):
        """CLIP's forward: (logits_per_image (B, C), logits_per_text (C, B))."""
        img = self.encode_image(image)
        txt = self.encode_text(text)
        img = img / img.norm(dim=-1, keepdim=True)
        txt = txt / txt.norm(dim=-1, keepdim=True)
        logits_per_image = self.logit_scale.exp() * img @ txt.T
        return logits_per_image, logits_per_image.T


def load(name="tiny", device="cpu", jit=False):
    """An untrained TinyCLIP and its preprocess, with clip.load's return shape (model, preprocess).

    The offline stand-in is trained in the notebook (cs231n.clip_dino_training.train_clip)."""
    if name != "tiny":
        raise RuntimeError(f"Model {name} needs OpenAI's clip package (pip install "
                           "git+https://github.com/openai/CLIP.git) and internet; offline, use load('tiny')")
    return TinyCLIP().to(device), preprocess
