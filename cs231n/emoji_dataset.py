"""The DDPM notebook's text-conditioned images (the 2025 CS231n names): the course's emoji with CLIP text
embeddings when they can be had, else the embedded scenes with a bag-of-words embedding
(cs231n.data.ddpm says which and why, in one printed line).

Each item is (image (3, H, W) in [0, 1], {"text_emb": (condition_dim,) tensor, "text": str}).
"""

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset
from torchvision import transforms as T

from cs231n.data import ddpm as ddpm_data

try:  # OpenAI's CLIP package embeds new prompts for the course's data; not needed offline
    import clip
except ImportError:
    clip = None


class ClipEmbed:
    """CLIP ViT-B/32's text encoder, for prompts that are not in the course's precomputed embeddings."""

    def __init__(self, device):
        if clip is None:
            raise RuntimeError("ClipEmbed needs OpenAI's CLIP package: pip install "
                               "git+https://github.com/openai/CLIP.git (the embedded scenes need none)")
        self.model, self.preprocess = clip.load("ViT-B/32", device=device)
        self.model = self.model.eval()
        self.device = device

    def embed(self, text):
        with torch.inference_mode():
            tokens = clip.tokenize(text).to(self.device)
            return self.model.encode_text(tokens)[0].cpu()


class TextEmbedder:
    """The course's precomputed CLIP embeddings of every training text, with their PCA."""

    def __init__(self):
        self.loaded = None

    def load_processed(self, data_path):
        self.loaded = ddpm_data.load_text_embeddings(data_path)

    def embed(self, *, text=None, emb=None, num_pca=None):
        if (text is None) == (emb is None):
            raise ValueError("TextEmbedder.embed: pass exactly one of text= and emb=")
        if emb is None:
            emb = self.loaded["embs"][self.loaded["idx_mapping"][text]].float()
        return self.encode_pca(emb, num_pca) if num_pca is not None else emb

    def encode_pca(self, emb, num_pca):
        return self.loaded["pca_components"][:num_pca] @ (emb - self.loaded["mean"])

    def decode_pca(self, emb):
        return self.loaded["pca_components"][:emb.shape[0]].T @ emb + self.loaded["mean"]


class EmojiDataset(Dataset):
    """
    Images with texts for text-to-image diffusion.

    Inputs to the constructor:
    - image_size: side of the square images returned; None for the source's own (32 for the emoji,
      16 for the scenes).
    - data_path, text_emb_path: the course's emoji_data.npz and text_embeddings.pt (default: under
      datasets/ddpm, downloaded when missing; the embedded scenes when they cannot be had).
    - num_text_emb_pca: keep only this many PCA components of the CLIP embeddings (course data only).
    - source: "auto" (default), "emoji" (the course's files, an error if missing) or "scenes".

    Attributes: source ("emoji" or "scenes"), condition_dim (length of text_emb), prompts (the
    texts one may condition on).
    """

    def __init__(self, image_size, data_path=None, text_emb_path=None, num_text_emb_pca=None, source="auto"):
        self.num_text_emb_pca = num_text_emb_pca
        root = None
        if source == "auto" and data_path is None:
            root = ddpm_data.emoji_source()
        elif source in ("auto", "emoji"):
            root = ddpm_data.emoji_dir()
        self.source = "scenes" if root is None else "emoji"
        if image_size is None:
            image_size = 32 if self.source == "emoji" else ddpm_data.SCENE_IMAGE_SIZE
        self.image_size = image_size
        if self.source == "emoji":
            data_path = data_path or root / "emoji_data.npz"
            text_emb_path = text_emb_path or root / "text_embeddings.pt"
            self.data = ddpm_data.load_emoji_images(data_path)
            self.text_embedder = TextEmbedder()
            self.text_embedder.load_processed(text_emb_path)
            self.transform = T.Compose([T.Resize(image_size), T.CenterCrop(image_size), T.ToTensor()])
            self.condition_dim = num_text_emb_pca or ddpm_data.EMOJI_CONDITION_DIM
            self.prompts = sorted({t for d in self.data for t in d["texts"]})
        else:
            images, labels = ddpm_data.scene_images(image_size=image_size)
            self.images = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255  # (N, 3, H, W)
            self.labels = labels
            self.text_embedder = ddpm_data.WordEmbed()
            self.class_captions = [ddpm_data.scene_captions(c, k) for c, k in
                                   ((c, k) for c in ddpm_data.scenes.COLOURS for k in ddpm_data.scenes.KINDS)]
            self._emb = {t: self.text_embedder.embed(t) for caps in self.class_captions for t in caps}
            self.condition_dim = self.text_embedder.dim
            self.prompts = ddpm_data.scene_prompts()

    def __len__(self):
        return len(self.data) if self.source == "emoji" else len(self.images)

    def __getitem__(self, idx):
        if self.source == "scenes":
            text = np.random.choice(self.class_captions[self.labels[idx]])
            return self.images[idx], {"text_emb": self._emb[text], "text": str(text)}
        item = self.data[idx]
        img = item["images"][np.random.choice(len(item["images"]))]  # one of the emoji's renderings
        img = self.transform(Image.fromarray(img).convert("RGB"))
        text = str(np.random.choice(item["texts"]))
        emb = self.text_embedder.embed(text=text, num_pca=self.num_text_emb_pca)
        return img, {"text_emb": emb, "text": text}

    def random_model_kwargs(self, n):
        """The model_kwargs (text_emb (n, condition_dim), text) of n random items."""
        samples = [self[i] for i in np.random.choice(len(self), n)]
        return torch.utils.data.default_collate(samples)[1]

    def embed_new_text(self, text, clip_embed=None):
        """The embedding (condition_dim,) of any text: CLIP's for the course's data (pass a ClipEmbed),
        the bag-of-words one for the scenes (words it does not know are ignored)."""
        if self.source == "scenes":
            return self._emb[text] if text in self._emb else self.text_embedder.embed(text)
        if text in self.text_embedder.loaded["idx_mapping"]:
            return self.text_embedder.embed(text=text, num_pca=self.num_text_emb_pca)
        if clip_embed is None:
            raise ValueError(f"{text!r} is not among the precomputed texts; pass a ClipEmbed to embed it")
        emb = clip_embed.embed(text).float().cpu()
        return self.text_embedder.encode_pca(emb, self.num_text_emb_pca) if self.num_text_emb_pca else emb
