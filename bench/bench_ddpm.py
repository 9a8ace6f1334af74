#!/usr/bin/env python3
"""Fréchet distance against CPU seconds for the DDPM notebook's model on the GAN notebook's data, beside the GANs.

    python bench/bench_ddpm.py [--steps 1500] [--evals 3] [--with-gans] [--threads 1] [--seed 231]

It trains the DDPM notebook's U-Net and diffusion (cs231n.unet.Unet, cs231n.gaussian_diffusion, the
embedded model's width and schedule from cs231n.data.ddpm.SCENE_MODEL, one grey channel, no condition)
on the images the GAN notebook loads (cs231n.data.mnist.load_gan_data: MNIST, or Fashion-MNIST offline),
with the notebook's optimiser (Adam, lr 2e-3, batch 64, gradient clipping at 1). Along the run it scores
the model with the GAN notebook's Fréchet distance (cs231n.metrics.frechet: FeatureNet features of 1000
samples against 1000 test images) and prints step, CPU seconds of training so far (time.process_time(),
evaluations excluded) and distance. With --with-gans it then runs bench/bench_gan.py's four GANs on their
notebook schedule in the same process, so that all five compare on one scale per CPU second.

Sampling 1000 images takes T = 50 U-Net evaluations each, so every evaluation costs about as much CPU time
as 300 training steps (excluded from the CPU seconds reported). One thread by default, as in the notebooks.

Measured on 2026-12-07 (Fashion-MNIST, offline; a machine of 2 cores, one thread; seed 231), with

    OMP_NUM_THREADS=1 CS231N_OFFLINE=1 python bench/bench_ddpm.py --evals 6      # the DDPM rows
    OMP_NUM_THREADS=1 CS231N_OFFLINE=1 python bench/bench_ddpm.py --with-gans    # the GAN rows

(about 20 CPU-minutes each; Fréchet distance of 1000 samples, lower is better; CPU seconds of training):

    model         steps   CPU s   distance
    DDPM            250     101      177.3
    DDPM            500     191      145.8
    DDPM            750     276      115.9
    DDPM           1000     366       46.4
    DDPM           1250     452       50.2
    DDPM           1500     535       51.0
    vanilla GAN    1000      24       37.0
    LSGAN          1000      24       31.0
    DCGAN           500     125       28.9
    WGAN-GP         500      38       32.4

Per CPU second the GANs win by far: the vanilla GAN and the LSGAN reach 31-37 in 24 CPU seconds, while
the DDPM needs about 15 times as long (366 CPU seconds, 1000 steps) to reach 46, and within the 9
CPU-minutes measured it reaches none of the four GANs' final distances. Single DDPM runs are noisy: in
the --with-gans run, whose evaluations still reseeded the training noise after step 500 (since fixed:
the generator's state is now restored around the sampling), the same model read 145.8, 81.6 and 228.2 at
500, 1000 and 1500 steps.
"""

import argparse
import sys
import time
from pathlib import Path

import torch

from cs231n import gan_pytorch as gp
from cs231n.data import ddpm as ddpm_data
from cs231n.data.mnist import load_gan_data
from cs231n.gaussian_diffusion import GaussianDiffusion
from cs231n.metrics.frechet import (
    classifier_features,
    frechet_distance,
    generator_distance,
    real_features,
    train_feature_classifier,
)
from cs231n.unet import Unet

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_gan  # noqa: E402  (bench/ is not a package)


def build(device="cpu"):
    """The notebook's U-Net (one channel, 28x28 is divisible by 4) and diffusion, unconditional."""
    cfg = ddpm_data.SCENE_MODEL
    unet = Unet(dim=cfg["dim"], condition_dim=1, dim_mults=cfg["dim_mults"], channels=1)
    return GaussianDiffusion(unet, image_size=28, timesteps=cfg["timesteps"], objective=cfg["objective"],
                             beta_schedule=cfg["beta_schedule"]).to(device)


@torch.no_grad()
def ddpm_distance(diffusion, feature_net, real_feats, n=1000, seed=0, batch_size=500):
    """The GAN notebook's Fréchet distance of n samples (sampling seeded with seed).

    The sampler draws from torch's global generator, which training's p_losses draws from too: its state
    is saved and restored around the sampling, so where and how often a run is evaluated does not change
    the training run itself.
    """
    diffusion.eval()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        images = torch.cat([diffusion.sample(batch_size=min(batch_size, n - i), model_kwargs={"text_emb": None})
                            for i in range(0, n, batch_size)])  # (n, 1, 28, 28) in [0, 1]
    diffusion.train()
    return frechet_distance(real_feats, classifier_features(feature_net, 2 * images.cpu() - 1))


def run_ddpm(train_set, feature_net, real_feats, steps, evals, seed, batch_size=64, lr=2e-3):
    """Train and score along the way; returns [(step, CPU seconds, distance), ...]."""
    torch.manual_seed(seed)
    diffusion = build()
    opt = torch.optim.Adam(diffusion.parameters(), lr=lr, betas=(0.9, 0.99))
    images = train_set.data.float().div(255).unsqueeze(1)  # (N, 1, 28, 28) in [0, 1]
    g = torch.Generator().manual_seed(seed)
    every = max(1, steps // evals)
    curve, cpu = [], 0.0
    diffusion.train()
    for step in range(1, steps + 1):
        start = time.process_time()
        batch = images[torch.randint(0, len(images), (batch_size,), generator=g)]
        loss = diffusion.p_losses(batch, {"text_emb": None})
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(diffusion.parameters(), 1.0)
        opt.step()
        cpu += time.process_time() - start
        if step % every == 0 or step == steps:
            curve.append((step, cpu, ddpm_distance(diffusion, feature_net, real_feats)))
            print(f"  DDPM         step {step:5d}  {cpu:7.1f} CPU s  distance {curve[-1][2]:7.1f}  "
                  f"(loss {loss.item():.4f})", flush=True)
    return curve


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=1500, help="DDPM training steps (batch 64)")
    parser.add_argument("--evals", type=int, default=3, help="evaluations along the run (each ~300 steps' CPU time)")
    parser.add_argument("--with-gans", action="store_true", help="also run the four GANs (notebook schedule)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the notebooks use 1 on a CPU)")
    parser.add_argument("--seed", type=int, default=231, help="seed of every training run")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    train_set, test_set = load_gan_data(train=True), load_gan_data(train=False, verbose=False)
    feature_net, _ = train_feature_classifier(train_set, test_set)
    real_feats = real_features(feature_net, test_set, 1000)
    print(f"bench_ddpm: {train_set.gan_name}, {torch.get_num_threads()} thread(s), seed {args.seed}; "
          "CPU seconds of training only")
    results = {"DDPM": run_ddpm(train_set, feature_net, real_feats, args.steps, args.evals, args.seed)}
    if args.with_gans:
        def score(G):
            return generator_distance(feature_net, real_feats, G, n=1000, noise_dim=gp.NOISE_DIM, seed=0)

        for name in bench_gan.KEYS.values():
            results[name] = bench_gan.run(name, train_set, score, args.seed, False)

    print("\nmodel         steps   CPU s  distance (best along the run)")
    for name, curve in results.items():
        best = min(curve, key=lambda c: c[2])
        print(f"{name:12s} {curve[-1][0]:6d} {curve[-1][1]:7.1f}  {curve[-1][2]:8.1f} ({best[2]:.1f} at step {best[0]})")


if __name__ == "__main__":
    main()
