"""The DDPM training loop (given code; the 2025 CS231n name and signature): Adam on the denoising loss,
gradient clipping, checkpoints and sample grids in a results folder; and the notebook's pictures."""

import math
import os
import time

import matplotlib.pyplot as plt
import torch
from torch.optim import Adam
from torch.utils.data import DataLoader
from torchvision.utils import save_image
from tqdm.auto import tqdm


def cycle(dl):
    """Iterate over a DataLoader forever."""
    while True:
        yield from dl


class Trainer:
    """
    Train a GaussianDiffusion on a dataset of (image, {"text_emb": ...}) items.

    Inputs to the constructor:
    - diffusion_model: the GaussianDiffusion (with its U-Net) to train.
    - dataset: e.g. an EmojiDataset.
    - device: where to train.
    - train_batch_size, train_lr, weight_decay, adam_betas: the optimisation.
    - train_num_steps: the step train() stops at.
    - sample_every, save_every: steps between sample grids (sample-<step>.png) and checkpoints
      (model-<step>.pt) written to results_folder; 0 for never.
    - results_folder: where they go (created).
    """

    def __init__(self, diffusion_model, dataset, device, *, train_batch_size=256, train_lr=1e-3, weight_decay=0.0,
                 train_num_steps=100000, adam_betas=(0.9, 0.99), sample_every=1000, save_every=10000,
                 results_folder=None):
        if results_folder is None:
            raise ValueError("Trainer: pass results_folder=, the folder for checkpoints and sample grids")
        self.diffusion_model = diffusion_model
        self.device = device
        self.num_samples = 25
        self.save_every = save_every
        self.sample_every = sample_every
        self.batch_size = train_batch_size
        self.train_num_steps = train_num_steps
        self.ds = dataset
        self.dl = cycle(DataLoader(dataset, batch_size=train_batch_size, shuffle=True, num_workers=0, drop_last=True))
        self.opt = Adam(diffusion_model.parameters(), lr=train_lr, betas=adam_betas, weight_decay=weight_decay)
        self.results_folder = str(results_folder)
        os.makedirs(self.results_folder, exist_ok=True)
        self.step = 0
        self.cpu_seconds = 0.0  # process CPU time spent in train(), for comparing schedules

    def save(self, milestone):
        path = os.path.join(self.results_folder, f"model-{milestone}.pt")
        print(f"saving model to {path}")
        torch.save({"step": self.step, "model": self.diffusion_model.state_dict(), "opt": self.opt.state_dict()},
                   path)

    def load(self, milestone, path=None):
        """Load model-<milestone>.pt from the results folder, or the checkpoint at `path` (weights_only)."""
        path = path or os.path.join(self.results_folder, f"model-{milestone}.pt")
        print(f"loading model from {path}")
        data = torch.load(path, map_location=self.device, weights_only=True)
        self.diffusion_model.load_state_dict(data["model"])
        self.step = data.get("step", 0)
        if "opt" in data:
            self.opt.load_state_dict(data["opt"])
        self.diffusion_model.to(self.device)

    def train(self):
        """Run from self.step to train_num_steps; returns the list of losses, one per step."""
        device = self.device
        self.diffusion_model.to(device)
        self.diffusion_model.train()
        losses = []
        start = time.process_time()
        with tqdm(initial=self.step, total=self.train_num_steps, leave=False) as pbar:
            while self.step < self.train_num_steps:
                data, model_kwargs = next(self.dl)
                data = data.to(device)
                model_kwargs = {"text_emb": model_kwargs["text_emb"].to(device)}
                loss = self.diffusion_model.p_losses(data, model_kwargs=model_kwargs)
                self.opt.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(self.diffusion_model.parameters(), 1.0)
                self.opt.step()
                losses.append(loss.item())
                self.step += 1
                pbar.set_description(f"loss: {losses[-1]:.4f}")
                pbar.update(1)
                if self.save_every and self.step % self.save_every == 0:
                    self.save(self.step)
                if self.sample_every and self.step % self.sample_every == 0:
                    self._save_samples()
        self.cpu_seconds += time.process_time() - start
        self.diffusion_model.eval()
        return losses

    def _save_samples(self):
        self.diffusion_model.eval()
        kwargs = self.ds.random_model_kwargs(self.num_samples)
        images = self.diffusion_model.sample(batch_size=self.num_samples,
                                             model_kwargs={"text_emb": kwargs["text_emb"].to(self.device)})
        save_image(images, os.path.join(self.results_folder, f"sample-{self.step}.png"),
                   nrow=int(math.sqrt(self.num_samples)))
        self.diffusion_model.train()


def show_images(images, title, ncols, labels=None, row_labels=None, scale=1.0):
    """A grid of images (N, C, H, W) in [0, 1], ncols per row, each with an optional label above it and
    each row with an optional label on its left."""
    n = len(images)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(scale * 1.3 * ncols, scale * 1.45 * nrows + 0.6), squeeze=False,
                             layout="constrained")
    for i, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if i >= n:
            ax.axis("off")
            continue
        img = images[i].detach().clamp(0, 1).permute(1, 2, 0).cpu().numpy()
        ax.imshow(img.squeeze(-1) if img.shape[-1] == 1 else img)
        if labels is not None:
            ax.set_title(labels[i], fontsize=8)
    if row_labels is not None:
        for r, text in enumerate(row_labels):
            axes[r, 0].set_ylabel(text, fontsize=8)
    fig.suptitle(title)
    plt.show()
