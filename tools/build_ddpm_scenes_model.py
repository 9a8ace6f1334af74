#!/usr/bin/env python3
"""Train the U-Net the DDPM notebook loads offline, on the embedded scenes, and write it into the package.

    python tools/build_ddpm_scenes_model.py [--steps 4000] [--threads 1]

The course's notebook loads a U-Net pretrained for 70,000 steps on a GPU instead of training one; offline
this repository's own stand-in plays that part: the configuration in cs231n.data.ddpm.SCENE_MODEL, trained
with the notebook's code (Unet, GaussianDiffusion.p_losses, Adam, gradient clipping) on
cs231n.emoji_dataset.EmojiDataset's scenes, the learning rate decayed linearly to a tenth. It is written
in float16 (half the size; sampling is unchanged to the eye) to cs231n/data/ddpm_scenes_unet.pt. About
6 CPU-minutes on one thread for the default 4000 steps.

Instructor-only: it needs the solutions of unet.py and gaussian_diffusion.py.
"""

import argparse
import os
import time

import numpy as np
import torch

from cs231n.data import ddpm as ddpm_data
from cs231n.emoji_dataset import EmojiDataset
from cs231n.gaussian_diffusion import GaussianDiffusion
from cs231n.unet import Unet


def build(steps, batch_size=64, lr=2e-3, seed=0):
    cfg = ddpm_data.SCENE_MODEL
    torch.manual_seed(seed)
    np.random.seed(seed)
    ds = EmojiDataset(ddpm_data.SCENE_IMAGE_SIZE, source="scenes")
    unet = Unet(dim=cfg["dim"], condition_dim=cfg["condition_dim"], dim_mults=cfg["dim_mults"])
    diffusion = GaussianDiffusion(unet, image_size=ds.image_size, timesteps=cfg["timesteps"],
                                  objective=cfg["objective"], beta_schedule=cfg["beta_schedule"])
    opt = torch.optim.Adam(diffusion.parameters(), lr=lr, betas=(0.9, 0.99))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1 - 0.9 * s / steps)
    loader = torch.utils.data.DataLoader(ds, batch_size=batch_size, shuffle=True, drop_last=True)
    start, step, losses = time.process_time(), 0, []
    while step < steps:
        for images, kwargs in loader:
            loss = diffusion.p_losses(images, {"text_emb": kwargs["text_emb"]})
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(diffusion.parameters(), 1.0)
            opt.step()
            sched.step()
            losses.append(loss.item())
            step += 1
            if step % 500 == 0:
                print(f"step {step}: loss {np.mean(losses[-500:]):.4f}, {time.process_time() - start:.0f} CPU s",
                      flush=True)
            if step == steps:
                break
    meta = {"steps": steps, "batch_size": batch_size, "lr": lr, "seed": seed,
            "cpu_seconds": round(time.process_time() - start), "final_loss": float(np.mean(losses[-200:]))}
    return unet, meta


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=4000)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    unet, meta = build(args.steps)
    state = {k: v.half() for k, v in unet.state_dict().items()}
    tmp = ddpm_data.SCENES_CHECKPOINT.with_name(ddpm_data.SCENES_CHECKPOINT.name + ".part")
    torch.save({"model": state, "step": meta["steps"], "meta": meta}, tmp)
    os.replace(tmp, ddpm_data.SCENES_CHECKPOINT)
    print(f"wrote {ddpm_data.SCENES_CHECKPOINT} ({ddpm_data.SCENES_CHECKPOINT.stat().st_size} bytes): {meta}")


if __name__ == "__main__":
    main()
