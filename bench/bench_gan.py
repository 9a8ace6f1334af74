#!/usr/bin/env python3
"""Fréchet distance against CPU seconds for the four GANs of the GAN notebook, in one run.

    python bench/bench_gan.py [--classic] [--gans vanilla,lsgan,dcgan,wgan] [--threads 1] [--seed 231]

For each GAN it trains, with the repository's own code (cs231n.gan_training.train_gan, the function the
notebook trains with, on the data the notebook loads), under
- the notebook's CPU schedule (cs231n.gan_training.CPU_SCHEDULE, what the notebook runs without a GPU), and
- with --classic, also the classic schedule: batch 128, lr 1e-3, 10 epochs over the first 50,000
  images in order (5 epochs for the DCGAN; the WGAN-GP, which the classic assignment lacks, gets the
  same 10 epochs with 5 critic steps per generator step). This takes about 16 CPU-minutes.
Along each run it evaluates the notebook's Fréchet distance (FeatureNet features, 1000 samples against
1000 test images) at iteration 0, every quarter of the notebook's schedule (every 250 iterations of the
classic one) and at the end, and prints the curve: generator step, CPU seconds so far, distance. CPU
seconds are time.process_time() of this process, training only (evaluations excluded), so other
programs on a shared machine do not inflate them. It then prints, per GAN, the notebook's final
distance and CPU seconds divided by the classic schedule's.

One thread by default, as in the notebook (--threads 2 to compare). Distances of single runs are noisy
(a different seed moves them by a fifth or more); --seed changes the seed of every run.
"""

import argparse
import time

import torch

from cs231n import gan_pytorch as gp
from cs231n.data.mnist import load_gan_data
from cs231n.gan_training import CLASSIC_SCHEDULE, CPU_SCHEDULE, train_gan
from cs231n.metrics.frechet import generator_distance, real_features, train_feature_classifier

KEYS = {"vanilla": "vanilla GAN", "lsgan": "LSGAN", "dcgan": "DCGAN", "wgan": "WGAN-GP"}


def build(name, batch_size, device="cpu"):
    """D, G, their optimizers, the two losses, critic steps and penalty weight, as the notebook builds them."""
    if name == "DCGAN":
        D, G = gp.build_dc_classifier(batch_size), gp.build_dc_generator()
        G.apply(gp.initialize_weights)
    else:
        D, G = gp.discriminator(), gp.generator()
    D, G = D.to(device), G.to(device)
    if name == "WGAN-GP":
        D_solver = torch.optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.9))
        G_solver = torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.9))
        return D, G, D_solver, G_solver, gp.wgan_critic_loss, gp.wgan_generator_loss, 5, 10.0
    losses = (gp.ls_discriminator_loss, gp.ls_generator_loss) if name == "LSGAN" else \
        (gp.discriminator_loss, gp.generator_loss)
    return D, G, gp.get_optimizer(D), gp.get_optimizer(G), *losses, 1, 0.0


def run(name, train_set, score, seed, classic, device="cpu"):
    """Train one GAN on one schedule; returns [(generator step, CPU seconds, distance), ...]."""
    batch_size, num_iters, _, _ = (CLASSIC_SCHEDULE if classic else CPU_SCHEDULE)[name]
    every = 250 if classic else max(1, num_iters // 4)
    torch.manual_seed(seed)
    D, G, D_solver, G_solver, d_loss, g_loss, critic_steps, gp_weight = build(name, batch_size, device)
    curve, excluded, start = [], [0.0], time.process_time()

    def evaluate(step, _d_loss, _g_loss, _snapshot):
        if step % every and step != num_iters - 1:
            return
        t = time.process_time()
        cpu = t - start - excluded[0]
        curve.append((step, cpu, score(G)))
        print(f"  {name:12s} {'classic' if classic else 'notebook':8s} step {step:5d}  {cpu:7.1f} CPU s  "
              f"distance {curve[-1][2]:7.1f}", flush=True)
        excluded[0] += time.process_time() - t

    train_gan(name, D, G, D_solver, G_solver, d_loss, g_loss, train_set, classic=classic, critic_steps=critic_steps,
              gp_weight=gp_weight, seed=seed, show=False, on_step=evaluate)
    return curve


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--classic", action="store_true", help="also run the classic schedule (~16 CPU-minutes)")
    parser.add_argument("--gans", default="vanilla,lsgan,dcgan,wgan", help="comma-separated subset of " + ",".join(KEYS))
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the notebook uses 1 on a CPU)")
    parser.add_argument("--seed", type=int, default=231, help="seed of every training run (the notebook's: 231)")
    args = parser.parse_args()
    names = [KEYS[k.strip()] for k in args.gans.split(",")]
    torch.set_num_threads(args.threads)

    train_set, test_set = load_gan_data(train=True), load_gan_data(train=False, verbose=False)
    feature_net, _ = train_feature_classifier(train_set, test_set)
    real_feats = real_features(feature_net, test_set, 1000)

    def score(G):
        return generator_distance(feature_net, real_feats, G, n=1000, noise_dim=gp.NOISE_DIM, seed=0)

    print(f"bench_gan: {train_set.gan_name}, {torch.get_num_threads()} thread(s), seed {args.seed}; "
          "CPU seconds of training only")
    results = {}
    for name in names:
        results[name, "notebook"] = run(name, train_set, score, args.seed, False)
        if args.classic:
            results[name, "classic"] = run(name, train_set, score, args.seed, True)

    print("\nGAN           schedule   steps   CPU s  distance (best along the run)")
    for (name, which), curve in results.items():
        sched = (CPU_SCHEDULE if which == "notebook" else CLASSIC_SCHEDULE)[name]
        best = min(curve, key=lambda c: c[2])
        print(f"{name:12s}  {which:8s} {sched[1]:6d} {curve[-1][1]:7.1f}  {curve[-1][2]:8.1f} "
              f"({best[2]:.1f} at step {best[0]})")
    if args.classic:
        print("\nratios notebook / classic (final distance, CPU seconds):")
        for name in names:
            nb, cl = results[name, "notebook"][-1], results[name, "classic"][-1]
            print(f"  {name:12s} distance {nb[2] / cl[2]:5.2f}  CPU seconds {nb[1] / cl[1]:5.3f}")
    else:
        print("\n(run with --classic for the classic schedule and the ratios)")


if __name__ == "__main__":
    main()
