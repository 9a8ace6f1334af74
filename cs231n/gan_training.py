"""How the GAN notebook trains its four GANs (given code; nothing here to implement).

`train_gan` runs `run_a_gan` on one of two schedules and shows the run in one figure: the samples
kept along the way and the two losses. On a GPU the notebook uses the classic schedule; on a CPU,
where that takes about 16 CPU-minutes, a shorter one chosen for the lowest Fréchet distance per CPU
second (the notebook's last section compares the two).
"""

import time

import matplotlib.pyplot as plt
import numpy as np
import torch

from cs231n.data.mnist import TensorBatches, image_tensors
from cs231n.gan_pytorch import NOISE_DIM, deprocess_img, run_a_gan

# name: (batch size, generator steps, learning rate, decay). With decay the learning rate is held for
# the first half of the steps, then lowered linearly to 0.
# The classic assignment: batch 128, lr 1e-3, 10 epochs over 50,000 images in order (5 for the DCGAN;
# the WGAN-GP, which the classic lacks, gets 10 epochs at 5 critic steps per generator step).
CLASSIC_SCHEDULE = {"vanilla GAN": (128, 3900, 1e-3, False), "LSGAN": (128, 3900, 1e-3, False),
                    "DCGAN": (128, 1950, 1e-3, False), "WGAN-GP": (128, 780, 1e-3, False)}
# On a CPU: all 60,000 images, reshuffled every epoch, batch 64, and the lr measured to work best.
CPU_SCHEDULE = {"vanilla GAN": (64, 1000, 2e-3, True), "LSGAN": (64, 1000, 1e-3, True),
                "DCGAN": (64, 500, 2e-3, True), "WGAN-GP": (64, 500, 1e-3, True)}
CLASSIC_NUM_TRAIN = 50000


def train_gan(name, D, G, D_solver, G_solver, discriminator_loss, generator_loss, train_set, *, classic=False,
              critic_steps=1, gp_weight=0.0, seed=231, show=True, on_step=None):
    """Train D and G with run_a_gan on the schedule `name`, then show the snapshots and the losses.

    Inputs:
    - name: a key of the schedules ("vanilla GAN", "LSGAN", "DCGAN", "WGAN-GP").
    - D, G, D_solver, G_solver, discriminator_loss, generator_loss: as for run_a_gan; the schedule sets
      the optimizers' learning rate.
    - train_set: the training images, a dataset from cs231n.data.mnist.load_gan_data.
    - classic: CLASSIC_SCHEDULE on the first 50,000 images in order, instead of CPU_SCHEDULE.
    - critic_steps, gp_weight: as for run_a_gan (5 and 10 for the WGAN-GP).
    - seed: torch's generator is seeded with it just before training, and the batches are shuffled
      with it, so a run's noise draws and batches are the same whatever ran before (231: the notebook's).
    - show: draw the figure (snapshots at iteration 0, every quarter of the run and at the end, losses).
    - on_step: passed on to run_a_gan.

    Returns:
    - G, trained.
    """
    schedules = CLASSIC_SCHEDULE if classic else CPU_SCHEDULE
    if name not in schedules:
        raise ValueError(f"train_gan: no schedule named {name!r}; name one of {list(schedules)}")
    batch_size, num_iters, lr, decay = schedules[name]
    device = next(G.parameters()).device
    images, labels = image_tensors(train_set, CLASSIC_NUM_TRAIN if classic else None)
    batches = TensorBatches(images.to(device), labels.to(device), batch_size, shuffle=not classic, seed=seed)
    for optimizer in (D_solver, G_solver):
        for group in optimizer.param_groups:
            group["lr"] = lr
    schedulers = [linear_decay(o, num_iters) for o in (D_solver, G_solver)] if decay else []
    losses = []

    def after_step(iter_count, d_loss, g_loss, snapshot):
        for scheduler in schedulers:
            scheduler.step()
        losses.append((d_loss, g_loss))
        if on_step is not None:
            on_step(iter_count, d_loss, g_loss, snapshot)

    start = time.process_time()
    torch.manual_seed(seed)
    snapshots = run_a_gan(D, G, D_solver, G_solver, discriminator_loss, generator_loss, batches,
                          show_every=max(1, num_iters // 4), batch_size=batch_size, noise_size=NOISE_DIM,
                          num_epochs=-(-num_iters * critic_steps // len(batches)), num_iters=num_iters,
                          critic_steps=critic_steps, gp_weight=gp_weight, on_step=after_step)
    if show:
        title = (f"{name}: batch {batch_size}, {num_iters} steps, lr {lr:g}{', decayed' if decay else ''}, "
                 f"{time.process_time() - start:.0f} CPU s ({train_set.gan_name})")
        steps = [i * max(1, num_iters // 4) for i in range(len(snapshots) - 1)] + [num_iters - 1]
        _show_run(snapshots, steps, np.array(losses), title)
    return G


def linear_decay(optimizer, num_iters, start=0.5):
    """A scheduler that holds the learning rate for the first start * num_iters steps, then lowers it
    linearly to 0 at step num_iters: ending with small steps lets the generator settle instead of
    stopping wherever the last large step left it."""
    hold = int(start * num_iters)
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: 1.0 if step < hold else max(0.0, (num_iters - step) / max(1, num_iters - hold)))


def mosaic(images):
    """16 images (16, 784) in [-1, 1] -> one 4x4 mosaic (112, 112) in [0, 1], for plt.imshow."""
    grid = deprocess_img(np.asarray(images)).reshape(4, 4, 28, 28)
    return grid.transpose(0, 2, 1, 3).reshape(4 * 28, 4 * 28)


def _show_run(snapshots, steps, losses, title):
    """One row: the snapshot mosaics labelled with their iteration, then the two losses (steps, 2)."""
    fig, axes = plt.subplots(1, len(snapshots) + 1, figsize=(2.1 * (len(snapshots) + 2), 2.4),
                             gridspec_kw={"width_ratios": [1] * len(snapshots) + [2]})
    for ax, imgs, step in zip(axes, snapshots, steps):
        ax.imshow(mosaic(imgs), cmap="gray", vmin=0, vmax=1)
        ax.set_title(f"iteration {step}", fontsize=9)
        ax.axis("off")
    axes[-1].plot(losses[:, 0], label="discriminator / critic", lw=0.8)
    axes[-1].plot(losses[:, 1], label="generator", lw=0.8)
    axes[-1].set_xlabel("generator step")
    axes[-1].set_ylabel("loss")
    axes[-1].legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    plt.show()
